// setTimeout takes delays up to 2^31 - 1 ms (about 24.8 days). A longer one, Infinity among them,
// becomes 1 ms, with a TimeoutOverflowWarning on the app's process: `flush(Infinity)` gave up at
// once, and a rate limit of months woke the sender every millisecond. Every timer whose delay
// comes from outside (a caller's timeout, a server's Retry-After) goes through this.

/** Longest delay setTimeout accepts. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a delay setTimeout keeps: at most MAX_TIMER_MS, at least 0 (NaN counts as 0). */
export function timerDelay(ms: number): number {
  if (ms > MAX_TIMER_MS) return MAX_TIMER_MS;
  return ms > 0 ? ms : 0;
}
