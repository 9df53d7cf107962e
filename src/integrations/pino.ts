// pino records become breadcrumbs and, at or above `level`, events; with `enableLogs: true` they
// are also sent as structured logs (option `logs: false` turns that off). pino (≥ 9.x) publishes every
// record it serializes on the `tracing:pino_asJson` channel, synchronously in the logging call,
// so every pino logger in the process is covered without touching it, and the record lands in
// the caller's isolation scope. pino is never imported.
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { Integration, SeverityLevel } from '../core/types.js';
import { debugLog } from '../core/debug-log.js';
import { recordLog, severityOfLevelName, type LogRecordOptions } from '../node/log-record.js';
import { captureLog, logsEnabled } from '../core/logs/capture.js';
import { errorAttributes, logLevelOfName } from '../core/logs/levels.js';

export interface PinoIntegrationOptions {
  /** pino level name at or above which records become events. Default `error`. */
  level?: string;
  /** Record breadcrumbs for the other records. Default true. */
  breadcrumbs?: boolean;
  /** With `enableLogs: true`, send the records as structured logs too. Default true. */
  logs?: boolean;
  /** pino level names sent as logs. Default: all. */
  logLevels?: string[];
}

const CHANNEL = 'tracing:pino_asJson:start';

interface PinoLike {
  levels?: { labels?: Record<number, string> };
  bindings?(): Record<string, unknown>;
}
/** pino's asJson(obj, msg, levelNumber, time), `this` being the logger. */
interface AsJsonMessage {
  instance: PinoLike;
  arguments: ArrayLike<unknown>;
}

/** Child bindings only change with setBindings; parse them once per logger object. */
const bindingsCache = new WeakMap<object, { logger: string; fields: Record<string, unknown> }>();

function bindingsOf(instance: PinoLike): { logger: string; fields: Record<string, unknown> } {
  let cached = bindingsCache.get(instance);
  if (!cached) {
    const { name, ...fields } = (typeof instance.bindings === 'function' ? instance.bindings() : {}) ?? {};
    cached = { logger: typeof name === 'string' && name ? name : 'pino', fields };
    bindingsCache.set(instance, cached);
  }
  return cached;
}

/** pino puts an error at `err` (or wraps `logger.error(err)` that way); any Error field will do. */
function splitError(obj: unknown): { error?: unknown; fields: Record<string, unknown> } {
  if (!obj || typeof obj !== 'object') return { fields: {} };
  const fields: Record<string, unknown> = {};
  let error: unknown;
  for (const key of Object.keys(obj)) {
    const value = (obj as Record<string, unknown>)[key];
    if (error === undefined && value instanceof Error && (key === 'err' || key === 'error' || !('err' in obj))) error = value;
    else fields[key] = value;
  }
  return { error, fields };
}

let owner: object | undefined;
let listener: ((message: unknown) => void) | undefined;

export function pinoIntegration(options: PinoIntegrationOptions = {}): Integration {
  const recordOptions: LogRecordOptions = {
    eventLevel: severityOfLevelName(options.level ?? 'error', 'error'),
    breadcrumbs: options.breadcrumbs !== false,
    mechanismType: 'auto.log.pino',
  };
  const sendLogs = options.logs !== false;
  const logLevels = Array.isArray(options.logLevels) ? new Set(options.logLevels.map((l) => String(l).toLowerCase())) : undefined;
  let busy = false;

  const onRecord = (message: unknown): void => {
    // A log call made while we capture (a beforeSend that logs) must not loop.
    if (busy) return;
    busy = true;
    try {
      const { instance, arguments: args } = message as AsJsonMessage;
      const [obj, msg, levelNumber] = [args[0], args[1], args[2]];
      const label = instance.levels?.labels?.[levelNumber as number];
      const level: SeverityLevel = severityOfLevelName(label, 'info');
      const bindings = bindingsOf(instance);
      const { error, fields } = splitError(obj);
      const text = typeof msg === 'string' ? msg : msg === undefined || msg === null ? '' : String(msg);
      if (sendLogs && (!logLevels || logLevels.has(String(label).toLowerCase())) && logsEnabled()) {
        const attributes: Record<string, unknown> = { ...bindings.fields, ...fields, ...errorAttributes(error) };
        if (bindings.logger !== 'pino') attributes['logger.name'] = bindings.logger;
        captureLog(logLevelOfName(label), text, attributes, 'auto.log.pino');
      }
      recordLog(
        {
          level,
          logger: bindings.logger,
          message: text,
          fields: { ...bindings.fields, ...fields },
          error,
          raw: obj,
        },
        recordOptions,
      );
    } catch (err) {
      debugLog.error('pino integration failed on a record', err);
    } finally {
      busy = false;
    }
  };

  const self: Integration = {
    name: 'Pino',
    setup() {
      if (listener) diagnosticsChannel.unsubscribe(CHANNEL, listener);
      owner = self;
      listener = onRecord;
      diagnosticsChannel.subscribe(CHANNEL, onRecord);
    },
    teardown() {
      if (owner !== self) return;
      diagnosticsChannel.unsubscribe(CHANNEL, onRecord);
      owner = undefined;
      listener = undefined;
    },
  };
  return self;
}
