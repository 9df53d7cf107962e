// The per-client batch of log records. Records wait here and leave as `log` envelope items of at
// most 100 records: when 100 are waiting (on the next tick, never inside the logging call), 5 s
// after the first record of a batch (timer unref'd), and on the client's `flush` hook (flush,
// close and process exit). Like the Python SDK's batcher, at most 1000 records wait: beyond that
// a burst is dropped and counted (queue_overflow / log_item) instead of growing without bound.
import type { ClientLike } from '../types.js';
import type { Envelope } from '../envelope.js';
import { debugLog } from '../debug-log.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import type { SerializedLog } from './types.js';

export const MAX_LOGS_PER_ITEM = 100;
export const MAX_BUFFERED_LOGS = 1000;
export const LOG_FLUSH_INTERVAL_MS = 5000;
export const LOG_CONTENT_TYPE = 'application/vnd.sentry.items.log+json';

export class LogBuffer {
  private records: SerializedLog[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private soon: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly client: ClientLike) {
    this.unsubscribe = client.on('flush', () => this.flush());
  }

  add(record: SerializedLog): void {
    if (this.records.length >= MAX_BUFFERED_LOGS) {
      this.client.recordDroppedEvent('queue_overflow', 'log_item', 1);
      debugLog.log('log dropped: 1000 records are already waiting to be sent');
      return;
    }
    this.records.push(record);
    if (this.records.length >= MAX_LOGS_PER_ITEM) {
      this.soon ??= unref(setTimeout(() => {
        this.soon = undefined;
        this.flush();
      }, 0));
    } else {
      this.timer ??= unref(setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, LOG_FLUSH_INTERVAL_MS));
    }
  }

  /** Puts every waiting record on the transport queue, 100 per envelope. Never throws. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.soon !== undefined) clearTimeout(this.soon);
    this.timer = this.soon = undefined;
    const records = this.records;
    if (records.length === 0) return;
    this.records = [];
    for (let i = 0; i < records.length; i += MAX_LOGS_PER_ITEM) {
      const batch = records.slice(i, i + MAX_LOGS_PER_ITEM);
      try {
        // sendEnvelope checks the log_item rate limit (a log_byte one too: rate-limits.ts) and
        // counts the whole batch when it drops it.
        this.client.sendEnvelope(logEnvelope(batch), 'log_item', batch.length);
      } catch (err) {
        debugLog.error('sending logs failed', err);
      }
    }
  }

  size(): number {
    return this.records.length;
  }
}

/** One envelope with one `log` container item (PROTOCOL.md §5: item_count + content_type). */
export function logEnvelope(records: SerializedLog[]): Envelope {
  return {
    header: { sdk: { name: SDK_NAME, version: SDK_VERSION } },
    items: [{ header: { type: 'log', item_count: records.length, content_type: LOG_CONTENT_TYPE }, payload: { items: records } }],
  };
}

/** Timers of the SDK never keep a process alive (browsers return numbers without unref). */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

const buffers = new WeakMap<ClientLike, LogBuffer>();

/** The client's buffer, created (and hooked to its `flush`) on the first record. */
export function logBufferFor(client: ClientLike): LogBuffer {
  let buffer = buffers.get(client);
  if (!buffer) {
    buffer = new LogBuffer(client);
    buffers.set(client, buffer);
  }
  return buffer;
}
