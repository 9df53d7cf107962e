import type { SeverityLevel } from './types.js';

const LEVELS: Record<string, SeverityLevel> = {
  fatal: 'fatal',
  error: 'error',
  warning: 'warning',
  info: 'info',
  debug: 'debug',
  // Accepted aliases (SPEC.md decision 5).
  warn: 'warning',
  critical: 'fatal',
  log: 'info',
  trace: 'debug',
};

/** Maps a level or one of its aliases to a protocol level; `undefined` for anything else. */
export function toSeverityLevel(input: unknown): SeverityLevel | undefined {
  return typeof input === 'string' ? LEVELS[input.toLowerCase()] : undefined;
}
