// Span clocks: `performance.timeOrigin + performance.now()` is monotonic within a process and
// sub-millisecond precise (Date.now() can jump with NTP and has millisecond steps), and it exists
// in Node, browsers and edge runtimes alike.

/** Now, in Unix seconds with fractions. */
export function timestampInSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/**
 * A user-given time (`startTime`, `end(t)`) in seconds: a Date, Unix seconds, or Unix
 * milliseconds (a number above ~1e11 cannot be seconds before the year 5000). Anything else →
 * undefined, and the caller uses "now".
 */
export function toSeconds(input: unknown): number | undefined {
  if (input instanceof Date) {
    const ms = input.getTime();
    return Number.isFinite(ms) ? ms / 1000 : undefined;
  }
  if (typeof input !== 'number' || !Number.isFinite(input) || input <= 0) return undefined;
  return input > 1e11 ? input / 1000 : input;
}
