import { loadUtil } from '../node/builtins.js';
import type { Integration, SeverityLevel } from '../core/types.js';
import { addBreadcrumb, getClient } from '../core/api.js';
import { captureLog, logsEnabled } from '../core/logs/capture.js';
import type { LogLevel } from '../core/logs/types.js';

export type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';

export interface ConsoleIntegrationOptions {
  /** With `enableLogs: true`, send console calls as structured logs too. Default true. */
  logs?: boolean;
  /** The console methods sent as logs. Default: all of them. */
  levels?: ConsoleMethod[];
}

const LOG_LEVELS: Record<ConsoleMethod, LogLevel> = {
  log: 'info',
  info: 'info',
  warn: 'warn',
  error: 'error',
  debug: 'debug',
  trace: 'trace',
};
/** printf-style placeholders util.format replaces. */
const SUBSTITUTION = /%[sdifjoOc]/;

const LEVELS: Record<ConsoleMethod, SeverityLevel> = {
  log: 'info',
  info: 'info',
  warn: 'warning',
  error: 'error',
  debug: 'debug',
  trace: 'debug',
};

interface Patch {
  original: (...args: unknown[]) => void;
  wrapper: (...args: unknown[]) => void;
}

let installed: { owner: object; patches: Map<ConsoleMethod, Patch> } | undefined;
/** Which methods the integration in charge sends as logs (none unless it asked). */
let logMethods: ReadonlySet<ConsoleMethod> = new Set();
// Set while a breadcrumb is recorded or a patched method runs: a beforeBreadcrumb that logs must
// not recurse, and console.trace, which prints through console.error, must give one crumb, not two.
let recording = false;

function record(method: ConsoleMethod, args: unknown[]): void {
  if (!getClient()) return;
  recording = true;
  try {
    const message = loadUtil().format(...args);
    if (logMethods.has(method) && logsEnabled()) forwardAsLog(method, message, args);
    addBreadcrumb(
      { category: 'console', level: LEVELS[method], message, data: { logger: 'console' } },
      { input: args, level: method },
    );
  } catch {
    // A breadcrumb is never worth breaking the app's logging.
  } finally {
    recording = false;
  }
}

/**
 * The console call as a log record: the formatted line as body; when there are arguments after
 * a string, that string is the template and the arguments its parameters (so lines of one shape
 * group together).
 */
function forwardAsLog(method: ConsoleMethod, message: string, args: unknown[]): void {
  const attributes: Record<string, unknown> = {};
  const [first, ...rest] = args;
  if (typeof first === 'string' && rest.length > 0) {
    attributes['sentry.message.template'] = SUBSTITUTION.test(first) ? first : `${first}${' %s'.repeat(rest.length)}`;
    rest.forEach((value, i) => (attributes[`sentry.message.parameter.${i}`] = value));
  }
  captureLog(LOG_LEVELS[method], message, attributes, 'auto.log.console');
}

/**
 * console.trace as Node writes it, minus one frame: Node's own trace would list our wrapper in
 * the printed stack, so the trace is built here with the stack cut at the wrapper, and printed
 * through console.error exactly as Node's trace does.
 */
function traceLikeNode(this: unknown, wrapper: Function, args: unknown[]): void {
  const stderr = process.stderr as { isTTY?: boolean; hasColors?: () => boolean };
  const colors = stderr.isTTY === true && typeof stderr.hasColors === 'function' && stderr.hasColors();
  const trace = { name: 'Trace', message: loadUtil().formatWithOptions({ colors }, ...args), stack: '' };
  Error.captureStackTrace(trace, wrapper);
  const target = (this && typeof (this as Console).error === 'function' ? this : console) as Console;
  target.error(trace.stack);
}

/**
 * Console breadcrumbs: `console.log/info/warn/error/debug/trace` calls become breadcrumbs
 * (category `console`, the message formatted as Node formats it), then the original method runs
 * with the same arguments, so what the console prints does not change. The arguments themselves
 * are passed to `beforeBreadcrumb` in the hint (`hint.input`) but not kept in the breadcrumb: a
 * buffer of 100 crumbs must not keep the app's objects alive. The SDK's own diagnostics go to
 * stderr directly and never pass through here.
 *
 * With `enableLogs: true` the calls are also sent as structured logs (`logs: false` turns that
 * off, `levels: ['warn', 'error']` limits it to some methods).
 */
export function consoleIntegration(options: ConsoleIntegrationOptions = {}): Integration {
  const self = {};
  const { logs, levels } = options ?? {};
  const methods = new Set<ConsoleMethod>(
    logs === false
      ? []
      : Array.isArray(levels)
        ? levels.filter((m) => typeof m === 'string' && Object.prototype.hasOwnProperty.call(LEVELS, m))
        : (Object.keys(LEVELS) as ConsoleMethod[]),
  );
  return {
    name: 'Console',
    setup() {
      logMethods = methods;
      if (installed) {
        installed.owner = self;
        return;
      }
      const patches = new Map<ConsoleMethod, Patch>();
      const target = console as unknown as Record<ConsoleMethod, (...args: unknown[]) => void>;
      for (const method of Object.keys(LEVELS) as ConsoleMethod[]) {
        const original = target[method];
        if (typeof original !== 'function') continue;
        const wrapper = function (this: unknown, ...args: unknown[]): void {
          // Only the current installation records (an old wrapper left under someone else's patch passes through).
          if (recording || installed?.patches !== patches) return original.apply(this, args);
          record(method, args);
          recording = true;
          try {
            if (method === 'trace') return traceLikeNode.call(this, wrapper, args);
            return original.apply(this, args);
          } finally {
            recording = false;
          }
        };
        target[method] = wrapper;
        patches.set(method, { original, wrapper });
      }
      installed = { owner: self, patches };
    },
    teardown() {
      if (installed?.owner !== self) return;
      const target = console as unknown as Record<ConsoleMethod, (...args: unknown[]) => void>;
      for (const [method, patch] of installed.patches) {
        // Someone patched on top of us: leave their function in place; ours passes through now.
        if (target[method] === patch.wrapper) target[method] = patch.original;
      }
      installed = undefined;
      logMethods = new Set();
    },
  };
}
