// Shapes of structured logs: what the app passes in, what beforeSendLog sees, and the record as
// it goes on the wire inside a `log` envelope item (PROTOCOL.md §5).

/** The log levels of the protocol (OpenTelemetry severity texts). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** OpenTelemetry severity numbers: the lowest of each level's range. */
export const SEVERITY_NUMBER: Record<LogLevel, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

/** Attribute values as the app gives them; anything else is turned into a string. */
export type LogAttributes = Record<string, unknown>;

/** A typed attribute on the wire. */
export interface LogAttributeValue {
  value: string | number | boolean;
  type: 'string' | 'integer' | 'double' | 'boolean';
}

/** What `beforeSendLog` receives and may return changed (attribute values still untyped). */
export interface Log {
  level: LogLevel;
  message: string;
  attributes: LogAttributes;
  severity_number?: number;
  [key: string]: unknown;
}

/** One record of a `log` item's `items` array. */
export interface SerializedLog {
  /** Unix seconds, fractions allowed. */
  timestamp: number;
  trace_id: string;
  span_id?: string;
  level: LogLevel;
  body: string;
  severity_number: number;
  attributes: Record<string, LogAttributeValue>;
}

/** The result of `logger.fmt`: a string that remembers its template and the values put in. */
export interface ParameterizedString extends String {
  readonly __template: string;
  readonly __params: readonly unknown[];
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}
