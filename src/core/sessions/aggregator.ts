// Request-mode release health: every request handled is one session, counted in the bucket of
// the minute it started as exited (fine), errored (an error was captured while handling it) or
// crashed (an unhandled error). Buckets leave as one `sessions` item (PROTOCOL.md §5) every 60 s
// (timer unref'd) and on the client's `flush` hook, then start again from zero.
import type { ClientLike } from '../types.js';
import type { Envelope } from '../envelope.js';
import { debugLog } from '../debug-log.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';

export type SessionStatus = 'exited' | 'errored' | 'crashed';

export const SESSION_FLUSH_INTERVAL_MS = 60_000;

interface Bucket {
  exited: number;
  errored: number;
  crashed: number;
}

export class SessionAggregator {
  private buckets = new Map<number, Bucket>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly client: ClientLike,
    private readonly attrs: { release: string; environment?: string },
    private readonly intervalMs = SESSION_FLUSH_INTERVAL_MS,
  ) {
    this.unsubscribe = client.on('flush', () => this.flush());
  }

  /** Counts one session that started at `startedMs` (Unix ms) and ended with `status`. */
  record(startedMs: number, status: SessionStatus): void {
    const minute = Math.floor(startedMs / 60_000) * 60_000;
    let bucket = this.buckets.get(minute);
    if (!bucket) {
      bucket = { exited: 0, errored: 0, crashed: 0 };
      this.buckets.set(minute, bucket);
    }
    bucket[status]++;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.intervalMs);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Sends what was counted so far (nothing when nothing was). Never throws. */
  flush(): void {
    try {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      if (this.buckets.size === 0) return;
      const buckets = [...this.buckets].sort((a, b) => a[0] - b[0]);
      this.buckets = new Map();
      const aggregates = buckets.map(([minute, b]) => ({ started: new Date(minute).toISOString(), ...b }));
      const attrs: Record<string, string> = { release: this.attrs.release };
      if (this.attrs.environment) attrs['environment'] = this.attrs.environment;
      const envelope: Envelope = {
        header: { sdk: { name: SDK_NAME, version: SDK_VERSION } },
        items: [{ header: { type: 'sessions' }, payload: { aggregates, attrs } }],
      };
      // One `sessions` item counts as one in the `session` category, as the transport counts it.
      this.client.sendEnvelope(envelope, 'session', 1);
    } catch (err) {
      debugLog.error('sending session aggregates failed', err);
    }
  }

  /** Stops the timer and the flush hook (after the client's last flush). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe();
  }
}
