// ISO 8601 UTC timestamps, written from the UTC getters instead of `Date.prototype.toISOString`.
//
// Why not toISOString: every envelope is stamped with `sent_at` twice (when it is serialized
// and again when it is sent), and toISOString costs about 0.8–1.7 µs a call on our 2-core
// machine, against about 0.1 µs here, where the part up to the second is kept from the call
// before. And the first toISOString of a process costs about 0.9 MiB of RSS (V8's date
// formatting set-up), which init should not spend on the contexts' two timestamps.

import { RARE_PATH_FIRST_CALLS } from './rare-paths.js';

/** The second `cachedPrefix` was made for (epoch seconds), and `YYYY-MM-DDTHH:MM:SS` for it. */
let cachedSecond = Number.NaN;
let cachedPrefix = '';
/** The prefix is also made afresh on the first calls (rare-paths.ts). */
let freshCalls = RARE_PATH_FIRST_CALLS;

/** `2026-11-27T04:35:09.123Z`: what `new Date(ms).toISOString()` writes, for any valid time. */
export function isoTimestamp(time: number): string {
  // A Date keeps whole milliseconds, cut toward zero (TimeClip).
  const ms = Math.trunc(time);
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond || freshCalls > 0) {
    freshCalls--;
    const prefix = secondsPrefix(second * 1000);
    if (prefix === undefined) return new Date(ms).toISOString(); // throws RangeError on an invalid time, as it would
    cachedPrefix = prefix;
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/**
 * `2026-11-26T13:29:14Z`: the time rounded to the nearest second (the contexts' start times);
 * undefined for an invalid time, where toISOString would throw.
 */
export function isoSeconds(ms: number): string | undefined {
  const at = Math.round(ms / 1000) * 1000;
  const prefix = secondsPrefix(at);
  if (prefix !== undefined) return `${prefix}Z`;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `YYYY-MM-DDTHH:MM:SS` for a whole-second time; undefined outside years 0–9999 (where the ISO
 * form takes a sign and six digits) and for an invalid time: both are left to toISOString.
 */
function secondsPrefix(ms: number): string | undefined {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return undefined;
  return `${String(year).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
