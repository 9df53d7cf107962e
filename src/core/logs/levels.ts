// Level names of the loggers faultline forwards (pino, winston's npm and syslog sets, console)
// mapped to the log levels of the protocol.
import type { LogLevel } from './types.js';

const NAMES: Record<string, LogLevel> = {
  trace: 'trace', silly: 'trace',
  debug: 'debug', verbose: 'debug',
  info: 'info', http: 'info', notice: 'info', log: 'info',
  warn: 'warn', warning: 'warn',
  error: 'error', err: 'error',
  fatal: 'fatal', crit: 'fatal', critical: 'fatal', alert: 'fatal', emerg: 'fatal',
};

export function logLevelOfName(name: unknown, fallback: LogLevel = 'info'): LogLevel {
  return knownLogLevel(name) ?? fallback;
}

/** The protocol log level a logger's level name stands for; undefined for a name not known. */
export function knownLogLevel(name: unknown): LogLevel | undefined {
  return (typeof name === 'string' && NAMES[name.toLowerCase()]) || undefined;
}

/** The record's error as attributes (OpenTelemetry's names). */
export function errorAttributes(error: unknown): Record<string, unknown> {
  if (error === undefined || error === null) return {};
  if (error instanceof Error) return { 'exception.type': error.name, 'exception.message': error.message };
  return { 'exception.message': String(error) };
}
