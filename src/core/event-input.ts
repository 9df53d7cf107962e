// What the capture functions are given, read into an event: `captureEvent`'s object copied into
// one of our own, and the text that `ignoreErrors` is matched against, without parsing a stack.

import type { Event } from './types.js';
import { debugLog } from './debug-log.js';

// Top-level fields of the protocol's event (event.schema.json) plus what faultline itself sets.
const EVENT_FIELDS = new Set([
  'breadcrumbs', 'contexts', 'culprit', 'debug_meta', 'dist', 'environment', 'errors', 'event_id', 'exception',
  'extra', 'fingerprint', 'level', 'logentry', 'logger', 'modules', 'platform', 'received', 'release', 'request',
  'sdk', 'server_name', 'stacktrace', 'tags', 'threads', 'time_spent', 'timestamp', 'transaction',
  'transaction_info', 'type', 'user', 'version', '_meta',
]);

/**
 * Our own shallow copy of a caller's event (the caller's object is never mutated): a plain
 * `message` becomes `logentry`, and keys the protocol does not know move into `extra` instead of
 * making the server reject the event.
 */
export function ownEventCopy(event: Event): Event {
  const own: Event = {};
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (EVENT_FIELDS.has(key)) own[key] = value;
    else if (key === 'message') {
      if (typeof value === 'string') own.logentry ??= { formatted: value };
      else (extra ??= {})[key] = value;
    } else {
      (extra ??= {})[key] = value;
    }
  }
  if (typeof event.message === 'string') own.logentry = event.logentry ?? { formatted: event.message };
  if (extra) {
    debugLog.warn(`captureEvent: unknown event fields moved to extra: ${Object.keys(extra).join(', ')}`);
    own.extra = { ...extra, ...(own.extra && typeof own.extra === 'object' ? own.extra : {}) };
  }
  return own;
}

/** `Type: message` of a captured value, for ignoreErrors (without parsing any stack). */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    if (typeof error === 'string') return error;
    if (error && typeof error === 'object') {
      const e = error as { name?: unknown; message?: unknown };
      if (typeof e.message === 'string') return `${typeof e.name === 'string' ? e.name : 'Error'}: ${e.message}`;
    }
    return String(error);
  } catch {
    return '';
  }
}

export function messageOf(event: Event): string | undefined {
  return event.logentry?.formatted ?? event.logentry?.message ?? (typeof event.message === 'string' ? event.message : undefined);
}
