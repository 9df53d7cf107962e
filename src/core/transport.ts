// Transport policy without I/O: a bounded queue, rate-limit filtering, client reports riding
// along, response handling and flush/close. The runtime supplies `makeRequest` (Node: http(s)).
//
// `send` runs on the capture path: it only filters, counts and pushes. Serialization and the
// request happen in a drain scheduled with setTimeout(0), never on the caller's tick.
// No retries here: a later layer (durable outbox) can wrap `makeRequest` and use
// send-result.ts to decide what is worth retrying.

import { debugLog } from './debug-log.js';
import { discardedEventsOf, type ClientReports, type DiscardedEvents } from './client-reports.js';
import { itemCategory, itemOutcomes, serializeEnvelope, type Envelope, type EnvelopeItem } from './envelope.js';
import { RateLimits } from './rate-limits.js';
import { timerDelay } from './timer-delay.js';
import { classifyResponse, discardReasonFor, isFinal, type SendResult } from './send-result.js';
import type { DataCategory, DiscardReason, Transport } from './types.js';

export interface TransportResponse {
  statusCode: number;
  /** The `Retry-After` header, if any. */
  retryAfter?: string | null;
  /** The `X-Sentry-Rate-Limits` header, if any. */
  rateLimits?: string | null;
}

/** Sends one serialized envelope. Rejecting means the request failed (network_error). */
export type MakeRequest = (body: Uint8Array, envelope: Envelope) => Promise<TransportResponse>;

export interface CreateTransportOptions {
  /** Max envelopes waiting or in flight (SPEC.md decision 12). */
  bufferSize?: number;
  /** Max requests in flight at once. */
  concurrency?: number;
  recordDroppedEvent: (reason: DiscardReason, category: DataCategory, quantity?: number) => void;
  clientReports: ClientReports;
  rateLimits?: RateLimits;
}

/** A transport that always has `close`. */
export interface CoreTransport extends Transport {
  close(timeout?: number): Promise<boolean>;
}

export const DEFAULT_BUFFER_SIZE = 100;
/**
 * Requests at once from the application's thread (one connection each) while there is a backlog;
 * a trickle of events uses one. Each request is built there (gzip, the write), so a few keep a
 * backlog moving without holding the thread for long. A burst spilled to disk is sent from the
 * burst thread, which has its own default (node/outbox/burst-sender.ts).
 */
export const DEFAULT_CONCURRENCY = 4;

interface Job {
  envelope: Envelope;
  /** Flush callers waiting for this job; created only when someone flushes. */
  waiters?: Array<(ok: boolean) => void>;
}

export function createTransport(opts: CreateTransportOptions, makeRequest: MakeRequest): CoreTransport {
  return new QueuedTransport(opts, makeRequest);
}

class QueuedTransport implements CoreTransport {
  private readonly bufferSize: number;
  private readonly concurrency: number;
  private readonly rateLimits: RateLimits;
  private readonly queue: Job[] = [];
  private readonly inFlight = new Set<Job>();
  private drainScheduled = false;
  private closed = false;

  constructor(
    private readonly opts: CreateTransportOptions,
    private readonly makeRequest: MakeRequest,
  ) {
    this.bufferSize = positiveInt(opts.bufferSize, DEFAULT_BUFFER_SIZE);
    this.concurrency = positiveInt(opts.concurrency, DEFAULT_CONCURRENCY);
    this.rateLimits = opts.rateLimits ?? new RateLimits();
  }

  send(envelope: Envelope): boolean {
    try {
      // After close nothing is accepted and nothing counted: no report would ever carry it.
      if (this.closed) return false;
      const items = this.dropRateLimited(envelope.items, Date.now());
      if (items.length === 0) return false;
      if (this.pendingCount() >= this.bufferSize) {
        for (const item of items) this.recordItem('queue_overflow', item);
        return false;
      }
      this.queue.push({ envelope: items === envelope.items ? envelope : { header: envelope.header, items } });
      this.scheduleDrain();
      return true;
    } catch (err) {
      debugLog.error('transport send failed', err);
      return false;
    }
  }

  isRateLimited(category: DataCategory): boolean {
    try {
      return this.rateLimits.isLimited(category);
    } catch {
      return false;
    }
  }

  flush(timeout?: number): Promise<boolean> {
    try {
      this.queueStandaloneReport();
      const pending = [...this.inFlight, ...this.queue];
      if (pending.length === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        let remaining = pending.length;
        let allFinal = true;
        let finished = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const finish = (value: boolean): void => {
          if (finished) return;
          finished = true;
          if (timer !== undefined) clearTimeout(timer);
          resolve(value);
        };
        const onJobDone = (ok: boolean): void => {
          if (!ok) allFinal = false;
          if (--remaining === 0) finish(allFinal);
        };
        for (const job of pending) (job.waiters ??= []).push(onJobDone);
        // Deliberately NOT unref'd, unlike every other timer here: the app asked to wait, and
        // the requests themselves hold no reference, so without this handle `await flush()` at
        // the end of a script (or in an exit hook) would let the process quit mid-delivery.
        // Without a timeout the wait is still bounded: every request has its own deadline.
        timer = setTimeout(() => finish(false), timerDelay(timeout ?? Infinity));
      });
    } catch (err) {
      debugLog.error('transport flush failed', err);
      return Promise.resolve(false);
    }
  }

  /** Refuses new envelopes at once, then flushes what was accepted before. */
  close(timeout?: number): Promise<boolean> {
    this.closed = true;
    return this.flush(timeout);
  }

  private pendingCount(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** Items whose category is not limited now; the others are counted. Same array when none drop. */
  private dropRateLimited(items: EnvelopeItem[], now: number): EnvelopeItem[] {
    let kept: EnvelopeItem[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (!this.rateLimits.isLimited(itemCategory(item.header.type), now)) {
        kept?.push(item);
        continue;
      }
      kept ??= items.slice(0, i);
      // A client report under a limit is kept pending, not counted as its own drop.
      if (item.header.type === 'client_report') this.opts.clientReports.merge(discardedEventsOf(item));
      else this.recordItem('ratelimit_backoff', item);
    }
    return kept ?? items;
  }

  /** Flush sends pending counters on their own (header `{}`) unless they cannot go out now. */
  private queueStandaloneReport(): void {
    const reports = this.opts.clientReports;
    // Jobs still queued count too: those dropped for a rate limit when their turn comes add to
    // the counters, and this report, behind them, is what takes those counts out.
    if (!reports.hasPending() && this.queue.length === 0) return;
    if (this.rateLimits.isLimited('internal')) return;
    if (this.pendingCount() >= this.bufferSize) return; // the counters wait for a later envelope
    if (this.queue.at(-1)?.envelope.items.length === 0) return; // one report job is enough
    // Empty on purpose: the drain attaches the report when this job's turn comes, so counts
    // recorded until then are included and nothing is sent if there are none left.
    this.queue.push({ envelope: { header: {}, items: [] } });
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    unref(
      setTimeout(() => {
        this.drainScheduled = false;
        this.pump();
      }, 0),
    );
  }

  private pump(): void {
    while (this.inFlight.size < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.inFlight.add(job);
      this.start(job);
    }
  }

  private start(job: Job): void {
    let report: DiscardedEvents[] | undefined;
    let items: EnvelopeItem[] = [];
    try {
      // Limits learned while the job waited apply too: never send into an active backoff.
      items = this.dropRateLimited(job.envelope.items, Date.now());
      if (items.length === 0 && job.envelope.items.length > 0) {
        // Everything in it was rate limited and counted. The counts stay pending, for the next
        // envelope sent or flush's report: a request per dropped envelope would flood the server
        // with reports for as long as the limit lasts (PROTOCOL.md §8: never one per drop).
        this.settle(job, true);
        return;
      }
      if (this.opts.clientReports.hasPending() && !this.rateLimits.isLimited('internal')) {
        const reportItem = this.opts.clientReports.take();
        if (reportItem) {
          report = discardedEventsOf(reportItem);
          items = [...items, reportItem];
        }
      }
      if (items.length === 0) {
        this.settle(job, true); // flush's report job, and nothing left to report
        return;
      }
      const envelope: Envelope = { header: job.envelope.header, items };
      const body = serializeEnvelope(envelope);
      this.makeRequest(body, envelope).then(
        (response) => this.onResponse(job, items, report, response),
        (err: unknown) => this.onEnd(job, items, report, 'network_error', err),
      );
    } catch (err) {
      // Serialization (e.g. a BigInt in a payload) or a synchronous throw from makeRequest.
      debugLog.error('could not send envelope', err);
      for (const item of items) if (item.header.type !== 'client_report') this.recordItem('internal_sdk_error', item);
      if (report) this.opts.clientReports.merge(report);
      this.settle(job, false);
    }
  }

  private onResponse(job: Job, items: EnvelopeItem[], report: DiscardedEvents[] | undefined, response: TransportResponse): void {
    try {
      // Rate limit headers count on every response, whatever its status.
      this.rateLimits.update(response.statusCode, { retryAfter: response.retryAfter, rateLimits: response.rateLimits });
    } catch (err) {
      debugLog.warn('could not read rate limit headers', err);
    }
    this.onEnd(job, items, report, classifyResponse(response.statusCode), response.statusCode);
  }

  private onEnd(job: Job, items: EnvelopeItem[], report: DiscardedEvents[] | undefined, result: SendResult, detail: unknown): void {
    try {
      const reason = discardReasonFor(result);
      if (reason) {
        debugLog.warn(`envelope not delivered (${result})`, detail);
        for (const item of items) if (item.header.type !== 'client_report') this.recordItem(reason, item);
      }
      // Our own drop counts are not counted by Relay on a 429 or a failure: keep them for later.
      // A 4xx rejection is not retried, so a malformed report cannot loop.
      if (report && result !== 'delivered' && result !== 'rejected') this.opts.clientReports.merge(report);
    } catch (err) {
      debugLog.error('transport response handling failed', err);
    }
    this.settle(job, isFinal(result));
  }

  private settle(job: Job, ok: boolean): void {
    this.inFlight.delete(job);
    const waiters = job.waiters;
    job.waiters = undefined;
    if (waiters) for (const waiter of waiters) waiter(ok);
    this.pump();
  }

  private recordItem(reason: DiscardReason, item: EnvelopeItem): void {
    try {
      for (const outcome of itemOutcomes(item)) this.opts.recordDroppedEvent(reason, outcome.category, outcome.quantity);
    } catch (err) {
      debugLog.warn('could not record a dropped item', err);
    }
  }
}

function positiveInt(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

/** Timers never keep the process alive (browsers return numbers, which have no unref). */
function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
