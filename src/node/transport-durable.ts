// `makeDurableNodeTransport`: the Node transport with the durable outbox in front of it, a drop-in
// for `makeNodeTransport`. Envelopes are written to a per-DSN folder before they are sent and
// deleted once the server took them, so neither an outage nor a crash loses them.
//
// `offline: false` turns the disk off entirely and gives the plain in-memory transport (no
// retries; what fails is counted and gone). A folder that cannot be written (read-only disk)
// keeps the outbox, retries included, in memory only.

import { envelopeUrl } from '../core/dsn.js';
import { debugLog } from '../core/debug-log.js';
import { RateLimits } from '../core/rate-limits.js';
import { DEFAULT_BUFFER_SIZE } from '../core/transport.js';
import type { Transport, TransportFactoryArgs } from '../core/types.js';
import { envelopeRequester, makeNodeTransport, positive } from './transport-http.js';
import { outboxDirectory, outboxSettings } from './outbox/config.js';
import { DEFAULT_BURST_CONCURRENCY } from './outbox/burst-sender.js';
import { DiskStore } from './outbox/disk-store.js';
import { Outbox, type OutboxStats } from './outbox/outbox.js';

export interface DurableTransport extends Transport {
  close(timeout?: number): Promise<boolean>;
  /** Resolves once every envelope accepted so far is on disk (or kept in memory). */
  persisted(): Promise<void>;
  /** Synchronous save of what is still in memory; the transport calls it itself on process 'exit'. */
  persistSync(): void;
  stats(): OutboxStats;
}

export function makeDurableNodeTransport(args: TransportFactoryArgs): Transport {
  if (args.options?.offline === false) return makeNodeTransport(args);
  return createDurableTransport(args);
}

export function createDurableTransport(args: TransportFactoryArgs): DurableTransport {
  const options = args.transportOptions ?? {};
  const settings = outboxSettings(options.outbox);
  const url = new URL(args.url || envelopeUrl(args.dsn));
  const requester = envelopeRequester(args);

  const directory = outboxDirectory({ url: url.href, dsn: args.dsn, options: args.options });
  const outbox = new Outbox({
    store: new DiskStore(directory, settings.fsync),
    bufferSize: positive(options.bufferSize, DEFAULT_BUFFER_SIZE),
    concurrency: requester.concurrency,
    maxEntries: settings.maxEntries,
    maxBytes: settings.maxBytes,
    maxMemoryBytes: settings.maxMemoryBytes,
    maxAgeMs: settings.maxAgeMs,
    backoff: { initialDelayMs: settings.retryInitialDelayMs, maxDelayMs: settings.retryMaxDelayMs },
    rateLimits: new RateLimits(),
    clientReports: args.clientReports,
    recordDroppedEvent: args.recordDroppedEvent,
    makeRequest: requester.makeRequest,
    // The main thread's request settings, with the thread's own default number of connections.
    burstThread: settings.burstThread ? { ...requester.config, maxSockets: positive(options.concurrency, DEFAULT_BURST_CONCURRENCY) } : undefined,
  });

  // 'exit' listeners run synchronously and nothing async runs after them (process.exit(), the
  // end of an uncaught exception, a signal handler calling exit): save what is still in memory.
  const onExit = (): void => {
    try {
      outbox.persistSync();
    } catch (err) {
      debugLog.error('outbox: could not save at exit', err);
    }
  };
  process.on('exit', onExit);

  return {
    send: (envelope) => outbox.send(envelope),
    isRateLimited: (category) => outbox.isRateLimited(category),
    flush: (timeout) => outbox.flush(timeout),
    async close(timeout) {
      try {
        return await outbox.close(timeout);
      } finally {
        process.off('exit', onExit);
        // Not at once: requests in flight end first (their own timeout bounds the wait; the
        // sockets do not keep the process alive). Cut off, one the server already took would
        // be sent again by the next outbox on this folder (init again), a duplicate.
        void outbox.requestsEnded().then(() => requester.destroy());
      }
    },
    persisted: () => outbox.persisted(),
    persistSync: () => outbox.persistSync(),
    stats: () => outbox.stats(),
  };
}
