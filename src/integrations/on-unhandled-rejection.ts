import { loadUtil } from '../node/builtins.js';
import type { Integration } from '../core/types.js';
import { getClient } from '../core/api.js';
import { debugLog } from '../core/debug-log.js';
import {
  appListeners,
  captureProcessError,
  crashLikeNode,
  isUncaughtHandlerInstalled,
  rejectionListenerRef,
} from './on-uncaught-exception.js';

/** Node's `--unhandled-rejections` modes. */
export type NodeRejectionMode = 'throw' | 'strict' | 'warn' | 'warn-with-error-code' | 'none';
/** What the `unhandledRejections` option may choose instead of Node's mode. */
export type RejectionOption = 'strict' | 'warn' | 'none';

const NODE_MODES = new Set<string>(['throw', 'strict', 'warn', 'warn-with-error-code', 'none']);
const OPTION_MODES = new Set<string>(['strict', 'warn', 'none']);

/**
 * The mode Node runs in: `--unhandled-rejections` from NODE_OPTIONS, then the command line (which
 * Node parses last, so it wins); `throw` when neither sets it.
 */
export function nodeRejectionMode(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env['NODE_OPTIONS'],
): NodeRejectionMode {
  let mode: string = 'throw';
  const scan = (args: readonly string[]) => {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg.startsWith('--unhandled-rejections=')) mode = arg.slice('--unhandled-rejections='.length);
      else if (arg === '--unhandled-rejections' && i + 1 < args.length) mode = args[++i]!;
    }
  };
  scan((nodeOptions ?? '').split(/\s+/).map((a) => a.replace(/^["']|["']$/g, '')).filter(Boolean));
  scan(execArgv);
  return (NODE_MODES.has(mode) ? mode : 'throw') as NodeRejectionMode;
}

/** The error Node raises for a rejection whose reason is not an error (same name, code, text). */
class UnhandledPromiseRejection extends Error {
  readonly code = 'ERR_UNHANDLED_REJECTION';
  constructor(reason: unknown) {
    super(
      'This error originated either by throwing inside of an async function without a catch block, ' +
        'or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason ' +
        `"${describeReason(reason)}".`,
    );
  }
}
Object.defineProperty(UnhandledPromiseRejection.prototype, 'name', { value: 'UnhandledPromiseRejection' });

function describeReason(reason: unknown): string {
  if (reason !== null && (typeof reason === 'object' || typeof reason === 'function')) {
    const ctor = (reason as { constructor?: { name?: unknown } }).constructor?.name;
    return `#<${typeof ctor === 'string' && ctor ? ctor : 'Object'}>`;
  }
  try {
    return String(reason);
  } catch {
    return 'unknown';
  }
}

/** Node's test for "can be thrown as it is": an object with its own `stack`. */
function isErrorLike(value: unknown): value is { stack: unknown } {
  return value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'stack');
}

/**
 * What Node does with a rejection in `throw` mode once nobody handled it: raise it as an uncaught
 * exception (origin `unhandledRejection`). The app's uncaughtException listeners get it if there
 * are any (its monitors always do); otherwise the process crashes as Node would.
 */
function raiseAsUncaught(reason: unknown): void {
  const error = isErrorLike(reason) ? reason : new UnhandledPromiseRejection(reason);
  const emit = process.emit as (event: string, ...args: unknown[]) => boolean;
  emit.call(process, 'uncaughtExceptionMonitor', error, 'unhandledRejection');
  const listeners = appListeners('uncaughtException');
  if (listeners.length === 0) return crashLikeNode(error);
  for (const listener of listeners) listener.call(process, error, 'unhandledRejection');
}

let rejectionCount = 0;

/** Node's warning for an unhandled rejection, through `process.emitWarning` as Node does it. */
function warnLikeNode(reason: unknown): void {
  rejectionCount++;
  const text = isErrorLike(reason) && typeof reason.stack === 'string' ? reason.stack : loadUtil().inspect(reason);
  process.emitWarning(text, 'UnhandledPromiseRejectionWarning');
  if (rejectionCount === 1) {
    process.emitWarning(
      'Unhandled promise rejection. This error originated either by throwing inside of an async function without ' +
        'a catch block, or by rejecting a promise which was not handled with .catch(). To terminate the node ' +
        'process on unhandled promise rejection, use the CLI flag `--unhandled-rejections=strict` (see ' +
        `https://nodejs.org/api/cli.html#cli_unhandled_rejections_mode). (rejection id: ${rejectionCount})`,
      'UnhandledPromiseRejectionWarning',
    );
  }
}

let installed: { owner: object } | undefined;
let nodeMode: NodeRejectionMode | undefined;

function onUnhandledRejection(reason: unknown): void {
  let raise = false;
  try {
    nodeMode ??= nodeRejectionMode();
    // In Node's strict mode the rejection was raised as an uncaught exception first, and our
    // uncaughtException listener has already captured it and decided about the crash.
    if (nodeMode === 'strict' && isUncaughtHandlerInstalled()) return;
    captureProcessError(reason, 'onunhandledrejection', 'error');

    const option = getClient()?.getOptions()['unhandledRejections'];
    let mode: NodeRejectionMode = nodeMode;
    if (typeof option === 'string' && OPTION_MODES.has(option)) mode = option as RejectionOption;
    else if (option !== undefined) debugLog.warn(`unhandledRejections must be 'strict', 'warn' or 'none'; Node's mode is used`);

    // Our listener counts as "handled" for Node, so we do what Node would have done without it.
    const appHandles = appListeners('unhandledRejection').length > 0;
    if (mode === 'strict') raise = nodeMode !== 'strict';
    else if (mode === 'throw') raise = !appHandles;
    else if (mode === 'warn') {
      // Node's own warn mode warns whoever listens; any other mode would stay silent now.
      if (nodeMode !== 'warn') warnLikeNode(reason);
    } else if (mode === 'warn-with-error-code' && !appHandles) {
      warnLikeNode(reason);
      process.exitCode = 1;
    }
  } catch (err) {
    debugLog.error('the unhandled rejection handler failed', err);
  }
  // Outside the try: if the app's uncaughtException listener throws, that must not be swallowed.
  if (raise) raiseAsUncaught(reason);
}

/**
 * Unhandled promise rejections: captured with mechanism `onunhandledrejection` (handled: false),
 * level `error`. Then, by default, the process does what it would do without faultline under
 * Node's `--unhandled-rejections` mode (default `throw`: print the error and exit with code 1,
 * after the event was delivered). The `unhandledRejections` option chooses otherwise:
 * `'strict'` crashes like `throw` even when the app has its own unhandledRejection listener;
 * `'warn'` prints Node's warning and keeps running; `'none'` only captures, silently.
 */
export function onUnhandledRejectionIntegration(): Integration {
  const self = {};
  return {
    name: 'OnUnhandledRejection',
    setup() {
      if (installed) {
        installed.owner = self;
        return;
      }
      installed = { owner: self };
      nodeMode = nodeRejectionMode();
      rejectionListenerRef.current = onUnhandledRejection;
      process.on('unhandledRejection', onUnhandledRejection);
    },
    teardown() {
      if (installed?.owner !== self) return;
      process.removeListener('unhandledRejection', onUnhandledRejection);
      rejectionListenerRef.current = undefined;
      installed = undefined;
    },
  };
}
