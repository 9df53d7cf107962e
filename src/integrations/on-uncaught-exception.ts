import * as fs from 'node:fs';
import { loadUtil } from '../node/builtins.js';
import { fileURLToPath } from 'node:url';
import type { Integration, SeverityLevel } from '../core/types.js';
import type { Client } from '../core/client.js';
import { Scope } from '../core/scope.js';
import { getCurrentScopes, getGlobalScope } from '../core/async-context.js';
import { getClient } from '../core/api.js';
import { debugLog } from '../core/debug-log.js';

// Why `uncaughtException` and not `uncaughtExceptionMonitor`: a monitor cannot delay the crash,
// so the event could never be delivered. The price of a real listener is that Node no longer
// prints and exits by itself; `crashLikeNode` does both the way Node does, after the flush. When
// the app has uncaughtException listeners of its own, Node would not exit, so neither do we.

type ProcessErrorListener = (error: unknown, origin: NodeJS.UncaughtExceptionOrigin) => void;

let installed: { owner: object; listener: ProcessErrorListener } | undefined;
let exiting = false;
/** Values faultline's process hooks captured, so a rejection raised again as an exception is sent once. */
const captured = new WeakSet<object>();

/**
 * Captures `error` through the client's exception path with a process-level mechanism and
 * level, in the scopes active where it was thrown. Never throws.
 */
export function captureProcessError(error: unknown, mechanismType: string, level: SeverityLevel): string | undefined {
  try {
    if (error !== null && typeof error === 'object') {
      if (captured.has(error)) return undefined;
      captured.add(error);
    }
    const client = getClient<Client>();
    if (!client) return undefined;
    const { scope, isolationScope } = getCurrentScopes();
    const perCall = new Scope().setLevel(level);
    const id = client.captureException(
      error,
      { originalException: error, syntheticException: null, mechanism: { type: mechanismType, handled: false } },
      [getGlobalScope(), isolationScope, scope, perCall],
    );
    if (id) isolationScope.setLastEventId(id);
    return id;
  } catch (err) {
    debugLog.error(`capturing the ${mechanismType} failed`, err);
    return undefined;
  }
}

/** The process's listeners for `event` except faultline's own. */
export function appListeners(event: 'uncaughtException' | 'unhandledRejection'): Function[] {
  const ours = event === 'uncaughtException' ? installed?.listener : rejectionListenerRef.current;
  return process.listeners(event as 'uncaughtException').filter((l) => l !== ours);
}

/** Set by the unhandled-rejection integration so `appListeners` can tell its listener apart. */
export const rejectionListenerRef: { current: Function | undefined } = { current: undefined };

/** Whether faultline's uncaughtException listener is installed (it then sees rejections Node raises). */
export function isUncaughtHandlerInstalled(): boolean {
  return installed !== undefined;
}

/**
 * What Node does when an error reaches the top with nobody listening: print it to stderr in
 * Node's format and exit with code 1 (Node uses 1 even when the app set `process.exitCode`).
 * Before exiting, queued events get up to `shutdownTimeout` to be delivered.
 */
export function crashLikeNode(error: unknown): void {
  if (exiting) return;
  exiting = true;
  try {
    process.stderr.write(formatLikeNode(error));
  } catch {
    // Nothing else can be done about a broken stderr.
  }
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(deadline);
    process.exit(1);
  };
  // Deliberately not unref'd: this timer guarantees the exit code 1 even if the event loop would
  // otherwise drain and end the process with 0 while a flush is stuck.
  let timeout = 2000;
  const client = getClient<Client>();
  try {
    timeout = client?.getOptions().shutdownTimeout ?? timeout;
  } catch {
    // Keep the default.
  }
  const deadline = setTimeout(finish, timeout + 100);
  if (!client) return finish();
  client.flush(timeout).then(finish, finish);
}

/**
 * Node's own rendering of a fatal error: the source line it came from with a caret, the error
 * inspected (stack plus extra properties), and the Node version. Node points the caret at the
 * throw statement, which only V8 knows; we point it at the error's top frame, the same line in
 * the common `throw new Error(...)` case.
 */
export function formatLikeNode(error: unknown): string {
  const footer = `\n\nNode.js ${process.version}\n`;
  const errorLike = error !== null && typeof error === 'object' && typeof (error as { stack?: unknown }).stack === 'string';
  if (!errorLike) {
    const shown = loadUtil().inspect(error, { colors: useColors() });
    const tip = error === null || typeof error !== 'object' ? '\n(Use `node --trace-uncaught ...` to show where the exception was thrown)' : '';
    return `${shown}${tip}${footer}`;
  }
  let shown: string;
  try {
    const { inspect } = loadUtil();
    shown = inspect(error, { colors: useColors(), customInspect: false, depth: Math.max(inspect.defaultOptions.depth ?? 2, 5) });
  } catch {
    shown = String((error as { stack: string }).stack);
  }
  const arrow = sourceArrow((error as { stack: string }).stack);
  return `${arrow ? `${arrow}\n\n` : ''}${shown}${footer}`;
}

function sourceArrow(stack: string): string | undefined {
  try {
    const frame = /^\s+at (?:.*?\()?(.+?):(\d+):(\d+)\)?$/m.exec(stack);
    if (!frame) return undefined;
    const shown = frame[1]!;
    if (shown.startsWith('node:')) return undefined;
    const file = shown.startsWith('file://') ? fileURLToPath(shown) : shown;
    const lineNo = Number(frame[2]);
    const col = Number(frame[3]);
    const line = fs.readFileSync(file, 'utf8').split('\n')[lineNo - 1];
    if (line === undefined) return undefined;
    return `${shown}:${lineNo}\n${line.replace(/\r$/, '')}\n${' '.repeat(Math.max(0, col - 1))}^`;
  } catch {
    return undefined;
  }
}

function useColors(): boolean {
  try {
    return process.stderr.isTTY === true && process.stderr.hasColors();
  } catch {
    return false;
  }
}

function onUncaughtException(error: unknown, origin: NodeJS.UncaughtExceptionOrigin): void {
  try {
    if (exiting) {
      // Node would already be gone; anything thrown while we flush is not the app's story.
      debugLog.log('an uncaught exception while exiting was ignored', error);
      return;
    }
    const fromPromise = origin === 'unhandledRejection';
    captureProcessError(error, fromPromise ? 'onunhandledrejection' : 'onuncaughtexception', fromPromise ? 'error' : 'fatal');
    if (appListeners('uncaughtException').length > 0) return;
  } catch (err) {
    debugLog.error('the uncaught exception handler failed', err);
  }
  crashLikeNode(error);
}

/**
 * Uncaught exceptions (SPEC.md decision 14): captured with mechanism `onuncaughtexception`
 * (handled: false) and level `fatal`; then, unless the app listens for them itself, the error is
 * printed as Node prints it and the process exits with code 1 once the event was delivered
 * (bounded by `shutdownTimeout`). Rejections that Node raises as uncaught exceptions
 * (`--unhandled-rejections=strict`) are captured as `onunhandledrejection`.
 */
export function onUncaughtExceptionIntegration(): Integration {
  const self = {};
  return {
    name: 'OnUncaughtException',
    setup() {
      if (installed) {
        // A later client takes over the hook that is already there (one listener per process).
        installed.owner = self;
        return;
      }
      installed = { owner: self, listener: onUncaughtException };
      process.on('uncaughtException', onUncaughtException);
    },
    teardown() {
      if (installed?.owner !== self) return;
      process.removeListener('uncaughtException', installed.listener);
      installed = undefined;
    },
  };
}
