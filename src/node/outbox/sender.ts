// The outbox's sending side: picks the oldest stored envelope that may go, sends it, and acts on
// the response (delete, keep for retry, or hold for a rate limit). It owns the backoff and the
// wake-up timer, and decides when pending client reports ride along or go on their own. Kept apart
// from the writer and the loader because it is the only part that talks to the network.
//
// At most `concurrency` requests at once, one while the server is failing; none into a backoff
// or a rate limit window, except the single probe a flush() asks for.

import { debugLog } from '../../core/debug-log.js';
import { discardedEventsOf, type DiscardedEvents } from '../../core/client-reports.js';
import { serializeEnvelope, type Envelope, type EnvelopeItem } from '../../core/envelope.js';
import { classifyResponse, isRetryable, type SendResult } from '../../core/send-result.js';
import { timerDelay } from '../../core/timer-delay.js';
import { Backoff } from './backoff.js';
import type { DiskStore } from './disk-store.js';
import type { OutboxEntry } from './entry.js';
import { SegmentReadAhead } from './read-ahead.js';
import { handOver, release } from './ownership.js';
import { restamp, withItems } from './restamp.js';
import type { OutboxState } from './state.js';

/** The transport's MakeRequest may look at the envelope; stored ones are sent as bytes only. */
const EMPTY_ENVELOPE: Envelope = { header: {}, items: [] };

export class OutboxSender {
  private readonly backoff: Backoff;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeTime = 0;
  private segmentReader: SegmentReadAhead | undefined;

  constructor(private readonly state: OutboxState) {
    this.backoff = new Backoff(state.config.backoff);
  }

  pump(): void {
    const state = this.state;
    try {
      if (state.entries.length === 0) this.segmentReader?.clear();
      if (state.closed) return;
      const now = Date.now();
      let limit = this.backoff.isFailing() ? 1 : state.config.concurrency;
      const retryAt = this.backoff.waitUntil();
      if (now < retryAt) {
        this.wakeAt(retryAt);
        if (!state.probe || state.inFlight > 0) return;
        limit = 1;
      }
      let heldUntil = Infinity;
      while (state.inFlight < limit) {
        const { entry, until } = this.nextEntry(now);
        heldUntil = Math.min(heldUntil, until);
        if (entry) {
          state.probe = false;
          this.start(entry);
          continue;
        }
        if (state.reportDue()) {
          state.probe = false;
          this.startReport();
        }
        break;
      }
      if (heldUntil !== Infinity) this.wakeAt(heldUntil);
    } catch (err) {
      debugLog.error('outbox pump failed', err);
    }
  }

  /** close(): no more wake-ups. */
  cancelWake(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
  }

  /** The oldest entry that may go now, dropping expired ones; `until` = when a held one may go. */
  private nextEntry(now: number): { entry?: OutboxEntry; until: number } {
    const entries = this.state.entries;
    let until = Infinity;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.sending) continue;
      if (now - entry.createdAt > this.state.config.maxAgeMs) {
        this.state.drop(entry, 'cache_overflow');
        i--;
        continue;
      }
      const limitedUntil = this.limitedUntil(entry, now);
      if (limitedUntil > now) {
        until = Math.min(until, limitedUntil);
        continue;
      }
      return { entry, until };
    }
    return { entry: undefined, until }; // the same shape as above: one hidden class for pump to read
  }

  /** A held envelope waits for the longest limit among its categories (0 when none applies). */
  private limitedUntil(entry: OutboxEntry, now: number): number {
    const rateLimits = this.state.config.rateLimits;
    let until = 0;
    for (const category of entry.categories) {
      if (rateLimits.isLimited(category, now)) until = Math.max(until, rateLimits.limitedUntil(category));
    }
    return until;
  }

  private start(entry: OutboxEntry): void {
    entry.sending = true;
    this.state.inFlight++;
    void this.sendEntry(entry);
  }

  private async sendEntry(entry: OutboxEntry): Promise<void> {
    let report: DiscardedEvents[] | undefined;
    let result: SendResult;
    try {
      let body: Uint8Array;
      try {
        const store = this.state.config.store!;
        const stored =
          entry.bytes ??
          entry.cached ??
          (entry.segment
            ? await this.readAhead(store).read(entry.segment.name, entry.segment.offset, entry.segment.length)
            : await store.read(entry.name));
        // Stamped now, not when written: `sent_at` must say when it was sent.
        body = restamp(stored);
      } catch (err) {
        // Gone from disk (another process sharing the folder delivered it), or damaged by a
        // power loss: neither gets better by retrying.
        this.giveUp(entry, err);
        return;
      }
      const reportItem = this.takeReport();
      if (reportItem) {
        report = discardedEventsOf(reportItem);
        body = withItems(body, [reportItem]);
      }
      result = await this.request(body);
    } catch (err) {
      debugLog.error('outbox: could not send a stored envelope', err);
      result = 'failed';
    }
    this.onResult(entry, result, report);
  }

  private readAhead(store: DiskStore): SegmentReadAhead {
    return (this.segmentReader ??= new SegmentReadAhead(store));
  }

  private onResult(entry: OutboxEntry, result: SendResult, report: DiscardedEvents[] | undefined): void {
    const state = this.state;
    try {
      entry.sending = false;
      state.inFlight--;
      if (isRetryable(result)) {
        debugLog.warn(`outbox: envelope kept for retry (${result})`);
        this.backoff.fail();
        if (report) state.config.clientReports.merge(report);
        this.letGoIfClosed(entry);
        return;
      }
      this.backoff.succeed();
      if (result === 'rate_limited') {
        if (report) state.config.clientReports.merge(report);
        this.letGoIfClosed(entry);
        return; // kept; held until the limit the 429 set has passed
      }
      if (result === 'rejected') state.record('send_error', entry.outcomes);
      state.forget(entry);
      state.deleteFile(entry);
    } catch (err) {
      debugLog.error('outbox response handling failed', err);
    } finally {
      this.pump();
      state.checkIdle();
    }
  }

  /** A request that ended after close: the envelope stays on disk for whoever sends next. */
  private letGoIfClosed(entry: OutboxEntry): void {
    const store = this.state.config.store;
    if (!this.state.closed || !store || entry.bytes) return;
    this.state.forget(entry);
    if (!entry.segment) handOver(store.directory, entry.name);
  }

  private giveUp(entry: OutboxEntry, err: unknown): void {
    const state = this.state;
    entry.sending = false;
    state.inFlight--;
    state.forget(entry);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      state.corrupt++;
      debugLog.warn(`outbox: dropped unreadable envelope ${entry.name}`, err);
      state.record('internal_sdk_error', entry.outcomes);
      state.deleteFile(entry);
    } else if (entry.segment) {
      state.segmentDone(entry.segment.name);
    } else {
      release(entry.name);
    }
    this.pump();
    state.checkIdle();
  }

  /** Drop counts on their own (header `{}`), for flush when no envelope is there to carry them. */
  private startReport(): void {
    const state = this.state;
    const reportItem = this.takeReport();
    state.reportRequested = false;
    if (!reportItem) return;
    const report = discardedEventsOf(reportItem);
    state.inFlight++;
    void this.request(serializeEnvelope({ header: {}, items: [reportItem] }))
      .catch((): SendResult => 'failed')
      .then((result) => {
        state.inFlight--;
        if (result === 'network_error' || result === 'failed') this.backoff.fail();
        else this.backoff.succeed();
        // Relay counted nothing unless it took the report; a 4xx would refuse it again.
        if (result === 'network_error' || result === 'failed' || result === 'rate_limited') {
          state.config.clientReports.merge(report);
          state.reportRequested = true;
        }
        this.pump();
        state.checkIdle();
      });
  }

  private takeReport(): EnvelopeItem | undefined {
    const config = this.state.config;
    if (!config.clientReports.hasPending() || config.rateLimits.isLimited('internal')) return undefined;
    return config.clientReports.take();
  }

  /** One request; every response teaches the rate limits, whatever its status. */
  private async request(body: Uint8Array): Promise<SendResult> {
    const config = this.state.config;
    try {
      const response = await config.makeRequest(body, EMPTY_ENVELOPE);
      try {
        config.rateLimits.update(response.statusCode, { retryAfter: response.retryAfter, rateLimits: response.rateLimits });
      } catch (err) {
        debugLog.warn('could not read rate limit headers', err);
      }
      return classifyResponse(response.statusCode);
    } catch (err) {
      debugLog.warn('outbox: request failed', err);
      return 'network_error';
    }
  }

  private wakeAt(at: number): void {
    if (this.state.closed) return;
    if (this.wakeTimer !== undefined && this.wakeTime <= at && this.wakeTime > Date.now()) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTime = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, timerDelay(Math.max(0, at - Date.now()) + 1));
    this.wakeTimer.unref();
  }
}
