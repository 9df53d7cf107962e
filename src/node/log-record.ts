// What a logging integration does with one log record, whatever the logger: below the event
// level it becomes a breadcrumb; at or above it, an event (an exception event when the record
// carries an Error). As in the Python SDK, the event is captured before the breadcrumb is added,
// so an event does not list its own record as a breadcrumb.
import type { Event, SeverityLevel } from '../core/types.js';
import { addBreadcrumb, captureEvent } from '../core/api.js';
import { captureAutoException } from './capture-auto.js';
import { knownLogLevel } from '../core/logs/levels.js';
import type { LogLevel } from '../core/logs/types.js';
import { markOwn } from '../core/own-code.js';

export interface LogRecord {
  level: SeverityLevel;
  /** Logger name, used as breadcrumb category and `event.logger`. */
  logger: string;
  message: string;
  /** Structured fields of the record (without the error). */
  fields: Record<string, unknown>;
  error?: unknown;
  /** Unix seconds. */
  timestamp?: number;
  /** The logger's own record object, passed to beforeBreadcrumb and beforeSend as `log_record`. */
  raw: unknown;
}

export interface LogRecordOptions {
  /** Records at or above this become events. */
  eventLevel: SeverityLevel;
  breadcrumbs: boolean;
  mechanismType: string;
}

const RANK: Record<SeverityLevel, number> = { debug: 0, info: 1, warning: 2, error: 3, fatal: 4 };

/** Event severities of the protocol log levels (events have no `trace`, and say `warning`). */
const SEVERITY: Record<LogLevel, SeverityLevel> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warning', error: 'error', fatal: 'fatal' };

/** A logger's level name (pino, winston's npm and syslog sets, console) as an event severity. */
export function severityOfLevelName(name: unknown, fallback: SeverityLevel = 'info'): SeverityLevel {
  const level = knownLogLevel(name);
  return level === undefined ? fallback : SEVERITY[level];
}

export function recordLog(record: LogRecord, options: LogRecordOptions): void {
  if (RANK[record.level] >= RANK[options.eventLevel]) captureRecord(record, options.mechanismType);
  if (options.breadcrumbs) {
    const crumb = { type: 'log', category: record.logger, level: record.level, message: record.message, data: record.fields };
    addBreadcrumb(record.timestamp === undefined ? crumb : { ...crumb, timestamp: record.timestamp }, { log_record: record.raw });
  }
}

function captureRecord(record: LogRecord, mechanismType: string): void {
  const hasFields = Object.keys(record.fields).length > 0;
  if (record.error !== undefined) {
    captureAutoException(record.error, { type: mechanismType, handled: true }, (scope) => {
      scope.setLevel(record.level);
      if (hasFields) scope.setExtras(record.fields);
      scope.addEventProcessor(markOwn((event: Event) => {
        event.logger ??= record.logger;
        if (record.message) event.logentry ??= { formatted: record.message };
        return event;
      }));
    });
    return;
  }
  const event: Event = { level: record.level, logger: record.logger, logentry: { formatted: record.message } };
  if (hasFields) event.extra = record.fields;
  captureEvent(event, { log_record: record.raw });
}
