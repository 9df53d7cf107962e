import type { Event, EventHint, Exception, Integration } from '../core/types.js';
import { markOwn } from '../core/own-code.js';

/**
 * Drops an event that repeats the one sent just before it: the same Error object, or the same
 * exception type, value and frames, or the same message and fingerprint (SPEC.md decision 8).
 * The previous event is remembered only once it was queued, so an event dropped later in the
 * pipeline (beforeSend, rate limit) does not hide its retry.
 */
export function dedupeIntegration(): Integration {
  let previous: { event: Event; original: unknown } | undefined;
  return markOwn({
    name: 'Dedupe',
    processEvent(event: Event, hint: EventHint): Event | null {
      if (!previous) return event;
      if (hint.originalException !== undefined && hint.originalException !== null &&
          typeof hint.originalException === 'object' && hint.originalException === previous.original) {
        return null;
      }
      return isSameEvent(event, previous.event) ? null : event;
    },
    onEventQueued(event: Event, hint: EventHint): void {
      previous = { event, original: hint.originalException };
    },
  });
}

function isSameEvent(a: Event, b: Event): boolean {
  const ea = a.exception?.values;
  const eb = b.exception?.values;
  if (ea || eb) {
    if (!ea || !eb || ea.length !== eb.length) return false;
    for (let i = 0; i < ea.length; i++) if (!sameException(ea[i]!, eb[i]!)) return false;
    return sameFingerprint(a, b);
  }
  const ma = a.logentry?.formatted ?? a.logentry?.message;
  const mb = b.logentry?.formatted ?? b.logentry?.message;
  if (ma === undefined || ma !== mb) return false;
  return sameFingerprint(a, b) && sameFrames(a.threads?.values?.[0]?.stacktrace?.frames, b.threads?.values?.[0]?.stacktrace?.frames);
}

function sameException(a: Exception, b: Exception): boolean {
  return a.type === b.type && a.value === b.value && sameFrames(a.stacktrace?.frames, b.stacktrace?.frames);
}

function sameFrames(a: Exception['stacktrace'] extends infer S ? S extends { frames: infer F } ? F | undefined : never : never, b: typeof a): boolean {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const fa = a[i]!;
    const fb = b[i]!;
    if (fa.abs_path !== fb.abs_path || fa.lineno !== fb.lineno || fa.colno !== fb.colno || fa.function !== fb.function) {
      return false;
    }
  }
  return true;
}

function sameFingerprint(a: Event, b: Event): boolean {
  const fa = a.fingerprint;
  const fb = b.fingerprint;
  if (!fa || !fb) return fa === fb;
  return fa.length === fb.length && fa.every((part, i) => part === fb[i]);
}
