// When to try again after a network error or a 5xx: exponential, capped, with jitter so that
// many processes that lost the same server do not come back in lockstep.

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

export class Backoff {
  private failures = 0;
  private until = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * One failed request. Requests already in flight when the server went away fail together; only
   * the first of them lengthens the delay, so one outage is one step, not `concurrency` steps.
   */
  fail(now: number = Date.now()): void {
    if (now < this.until) return;
    const ceiling = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    // "Equal jitter": at least half the step, so the delay still grows, at most the full step.
    this.until = now + ceiling / 2 + (this.random() * ceiling) / 2;
  }

  succeed(): void {
    this.failures = 0;
    this.until = 0;
  }

  /** Epoch ms before which no request should start (0 when none is pending). */
  waitUntil(): number {
    return this.until;
  }

  /** The server failed recently and has not answered well since. */
  isFailing(): boolean {
    return this.failures > 0;
  }
}
