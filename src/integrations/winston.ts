// winston records become breadcrumbs and, at or above `level`, events; with `enableLogs: true`
// they are also sent as structured logs (option `logs: false` turns that off). winston has no channel,
// so this is a transport; to avoid importing winston, the user passes the transport base class
// (`winston.Transport` or the `winston-transport` package) and gets a class to add to a logger:
//
//   const FaultlineTransport = createWinstonTransport(winston.Transport);
//   logger.add(new FaultlineTransport());
import type { SeverityLevel } from '../core/types.js';
import { debugLog } from '../core/debug-log.js';
import { recordLog, severityOfLevelName, type LogRecordOptions } from '../node/log-record.js';
import { captureLog, logsEnabled } from '../core/logs/capture.js';
import { errorAttributes, logLevelOfName } from '../core/logs/levels.js';

export interface WinstonTransportOptions {
  /** winston level name at or above which records become events. Default `error`. */
  level?: string;
  /** Record breadcrumbs for the other records. Default true. */
  breadcrumbs?: boolean;
  /** Breadcrumb category and `event.logger`. Default `winston`. */
  logger?: string;
  /** With `enableLogs: true`, send the records as structured logs too. Default true. */
  logs?: boolean;
  /** winston level names sent as logs. Default: all. */
  logLevels?: string[];
}

/** The constructor shape of winston-transport's `TransportStream`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin base must take any arguments
export type TransportBaseClass = new (...args: any[]) => object;

const LEVEL = Symbol.for('level');
/** winston's own keys on a record; everything else is the record's fields. */
const RECORD_KEYS = new Set(['level', 'message', 'stack', 'timestamp']);

type WinstonInfo = Record<string | symbol, unknown>;

function errorOf(info: WinstonInfo, message: string): unknown {
  if (info instanceof Error) return info;
  for (const key of ['err', 'error']) if (info[key] instanceof Error) return info[key];
  // `logger.error('failed', err)` merges only the error's stack into the record.
  if (typeof info['stack'] === 'string') {
    const stack = info['stack'];
    const name = /^(\w*Error)\b/.exec(stack)?.[1] ?? 'Error';
    const error = new Error(message);
    error.name = name;
    error.stack = stack;
    return error;
  }
  return undefined;
}

function fieldsOf(info: WinstonInfo): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(info)) {
    if (RECORD_KEYS.has(key) || key === 'err' || key === 'error') continue;
    fields[key] = info[key];
  }
  return fields;
}

/** Builds the FaultlineTransport class on the base class the app's winston uses. */
export function createWinstonTransport<B extends TransportBaseClass>(TransportBase: B, options: WinstonTransportOptions = {}) {
  const recordOptions: LogRecordOptions = {
    eventLevel: severityOfLevelName(options.level ?? 'error', 'error'),
    breadcrumbs: options.breadcrumbs !== false,
    mechanismType: 'auto.log.winston',
  };
  const loggerName = options.logger ?? 'winston';
  const sendLogs = options.logs !== false;
  const logLevels = Array.isArray(options.logLevels) ? new Set(options.logLevels.map((l) => String(l).toLowerCase())) : undefined;
  let busy = false;

  return class FaultlineTransport extends TransportBase {
    log(info: WinstonInfo, callback?: () => void): void {
      if (!busy) {
        busy = true;
        try {
          // LEVEL holds the level before any colorize format touched `level`.
          const level: SeverityLevel = severityOfLevelName(info[LEVEL] ?? info['level'], 'info');
          const message = typeof info['message'] === 'string' ? info['message'] : String(info['message'] ?? '');
          const fields = fieldsOf(info);
          const error = errorOf(info, message);
          const name = String(info[LEVEL] ?? info['level']).toLowerCase();
          if (sendLogs && (!logLevels || logLevels.has(name)) && logsEnabled()) {
            const attributes: Record<string, unknown> = { ...fields, ...errorAttributes(error) };
            if (loggerName !== 'winston') attributes['logger.name'] = loggerName;
            captureLog(logLevelOfName(name), message, attributes, 'auto.log.winston');
          }
          recordLog({ level, logger: loggerName, message, fields, error, raw: info }, recordOptions);
        } catch (err) {
          debugLog.error('winston transport failed on a record', err);
        } finally {
          busy = false;
        }
      }
      if (typeof callback === 'function') callback();
    }
  };
}
