// The outbox's sending side: picks the oldest stored envelope, sends it, and acts on the response
// (delete, or keep for retry). It owns the backoff and the wake-up timer, and decides when pending
// client reports ride along or go on their own. Kept apart from the writer and the loader because
// it is the only part that talks to the network.
//
// At most `concurrency` requests at once, one while the server is failing; none into a backoff,
// except the single probe a flush() asks for. Rate limits hold nothing (PROTOCOL.md §7 step 5):
// an envelope whose turn comes during a limit goes without its limited items (or not at all),
// counted as `ratelimit_backoff`, and a 429'd envelope is deleted, not retried (Relay counted
// it), as the in-memory transport (core/transport.ts) does.

import { debugLog } from '../../core/debug-log.js';
import { discardedEventsOf, type DiscardedEvents } from '../../core/client-reports.js';
import { serializeEnvelope, type Envelope, type EnvelopeItem } from '../../core/envelope.js';
import { classifyResponse, isRetryable, type SendResult } from '../../core/send-result.js';
import { timerDelay } from '../../core/timer-delay.js';
import type { TransportResponse } from '../../core/transport.js';
import { Backoff } from './backoff.js';
import type { BurstSender } from './burst-sender.js';
import type { DiskStore } from './disk-store.js';
import type { OutboxEntry } from './entry.js';
import { countLimited, withoutLimitedItems, type LimitedSplit } from './limited-items.js';
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
  /** The burst thread, when there is one: it takes what piled up while the server was away. */
  burst: BurstSender | undefined;
  /** The server answered again after failing; the next pump offers the backlog to the thread. */
  private recovered = false;

  constructor(private readonly state: OutboxState) {
    this.backoff = new Backoff(state.config.backoff);
  }

  pump(): void {
    const state = this.state;
    try {
      if (state.entries.length === 0) this.segmentReader?.clear();
      if (state.closed) return;
      if (this.recovered) {
        this.recovered = false;
        this.burst?.offerBacklog();
      }
      const now = Date.now();
      let limit = this.backoff.isFailing() ? 1 : state.config.concurrency;
      const retryAt = this.backoff.waitUntil();
      if (now < retryAt) {
        this.wakeAt(retryAt);
        if (!state.probe || state.inFlight > 0) return;
        limit = 1;
      }
      while (state.inFlight < limit) {
        const entry = this.nextEntry(now);
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
    } catch (err) {
      debugLog.error('outbox pump failed', err);
    }
  }

  /** May the burst thread (burst-sender.ts) take envelopes now? Not while the server is failing. */
  mayHandOff(now: number): boolean {
    return !this.backoff.isFailing() && now >= this.backoff.waitUntil();
  }

  /**
   * Envelopes the burst thread had: those it sent are settled by their responses, as if this
   * sender had sent them (undefined: no response), and those it gives back unsent wait for this
   * sender again. One pump after all of them.
   */
  settleElsewhere(settled: ReadonlyArray<readonly [OutboxEntry, TransportResponse | undefined]>, returned: readonly OutboxEntry[]): void {
    const state = this.state;
    try {
      for (const [entry, response] of settled) {
        const result = response ? this.learn(response) : 'network_error';
        this.onResult(entry, result, undefined, undefined, false);
      }
      for (const entry of returned) {
        entry.sending = false;
        state.inFlight--;
        this.letGoIfClosed(entry);
      }
    } catch (err) {
      debugLog.error('outbox: could not settle what the sender thread reported', err);
    } finally {
      this.pump();
      state.checkIdle();
    }
  }

  /** close(): no more wake-ups. */
  cancelWake(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
  }

  /**
   * The oldest entry to send, dropping expired ones and those whose every category is rate
   * limited (no read needed). One with only some limited is sent without those items (sendEntry).
   */
  private nextEntry(now: number): OutboxEntry | undefined {
    const entries = this.state.entries;
    const rateLimits = this.state.config.rateLimits;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.sending) continue;
      if (now - entry.createdAt > this.state.config.maxAgeMs) {
        this.state.drop(entry, 'cache_overflow');
        i--;
        continue;
      }
      const categories = entry.categories;
      if (categories.length > 0 && countLimited(categories, rateLimits, now) === categories.length) {
        this.state.drop(entry, 'ratelimit_backoff');
        i--;
        continue;
      }
      return entry;
    }
    return undefined;
  }

  private start(entry: OutboxEntry): void {
    entry.sending = true;
    this.state.inFlight++;
    void this.sendEntry(entry);
  }

  private async sendEntry(entry: OutboxEntry): Promise<void> {
    let report: DiscardedEvents[] | undefined;
    let split: LimitedSplit | undefined;
    let result: SendResult;
    try {
      let body: Uint8Array | undefined;
      try {
        const store = this.state.config.store!;
        const stored =
          entry.bytes ??
          entry.cached ??
          (entry.segment
            ? await this.readAhead(store).read(entry.segment)
            : await store.read(entry.name));
        const now = Date.now();
        const rateLimits = this.state.config.rateLimits;
        if (countLimited(entry.categories, rateLimits, now) === 0) {
          // Stamped now, not when written: `sent_at` must say when it was sent.
          body = restamp(stored);
        } else {
          // Some of its categories are limited (or all, learned while it was read): those items stay out.
          split = withoutLimitedItems(stored, rateLimits, now);
          body = split.body;
        }
      } catch (err) {
        // Gone from disk (another process sharing the folder delivered it), or damaged by a
        // power loss: neither gets better by retrying.
        this.giveUp(entry, err);
        return;
      }
      if (!body) {
        this.onResult(entry, 'dropped', undefined, split);
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
    this.onResult(entry, result, report, split);
  }

  private readAhead(store: DiskStore): SegmentReadAhead {
    return (this.segmentReader ??= new SegmentReadAhead(store));
  }

  /**
   * `dropped`: every item was limited, no request was made. Items left out for a limit are
   * counted only once the envelope is done with: a retry decides afresh, and may send them.
   */
  private onResult(entry: OutboxEntry, result: SendResult | 'dropped', report: DiscardedEvents[] | undefined, split: LimitedSplit | undefined, pump = true): void {
    const state = this.state;
    try {
      entry.sending = false;
      state.inFlight--;
      if (result !== 'dropped' && isRetryable(result)) {
        debugLog.warn(`outbox: envelope kept for retry (${result})`);
        this.backoff.fail();
        if (report) state.config.clientReports.merge(report);
        this.letGoIfClosed(entry);
        return;
      }
      if (result !== 'dropped') this.succeeded();
      if (split) state.record('ratelimit_backoff', split.dropped);
      // A 429 is final like a 2xx: Relay counted it, so nothing is recorded and it is not sent
      // again. Our own counts that rode along were not counted: kept for the next report.
      if (result === 'rate_limited' && report) state.config.clientReports.merge(report);
      if (result === 'rejected') state.record('send_error', split ? split.kept : entry.outcomes);
      state.forget(entry);
      state.deleteFile(entry);
      // Closed meanwhile: the rest of its segment can go to the next outbox once none is in flight.
      if (state.closed && entry.segment) state.handOverSegment(entry.segment.name);
    } catch (err) {
      debugLog.error('outbox response handling failed', err);
    } finally {
      if (pump) {
        this.pump();
        state.checkIdle();
      }
    }
  }

  /**
   * A request that ended after close: the envelope stays on disk for whoever sends next. One of
   * a segment stays an entry until the whole segment is let go, with it among those to send.
   */
  private letGoIfClosed(entry: OutboxEntry): void {
    const store = this.state.config.store;
    if (!this.state.closed || !store || entry.bytes) return;
    if (entry.segment) return this.state.handOverSegment(entry.segment.name);
    this.state.forget(entry);
    handOver(store.directory, entry.name);
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
    if (state.closed && entry.segment) state.handOverSegment(entry.segment.name);
    this.pump();
    state.checkIdle();
  }

  /**
   * The server took a request: the backoff ends, and what an outage piled up may go to the thread
   * at the next pump (not here: the entry whose answer this is has not been settled yet).
   */
  private succeeded(): void {
    if (!this.backoff.isFailing()) return;
    this.backoff.succeed();
    this.recovered = true;
  }

  /** Drop counts on their own (header `{}`), for flush when no envelope is there to carry them. */
  private startReport(): void {
    const state = this.state;
    const reportItem = this.takeReport();
    // Still asked for while envelopes wait to be written or sent: those dropped when their turn
    // comes (a rate limit learned meanwhile) are counted after this report left, and the flush
    // that asked must carry their counts too, in a report of their own.
    state.reportRequested = state.entries.length > 0 || state.unadmitted() > 0;
    if (!reportItem) return;
    const report = discardedEventsOf(reportItem);
    state.inFlight++;
    void this.request(serializeEnvelope({ header: {}, items: [reportItem] }))
      .catch((): SendResult => 'failed')
      .then((result) => {
        state.inFlight--;
        if (result === 'network_error' || result === 'failed') this.backoff.fail();
        else this.succeeded();
        // Relay counted nothing unless it took the report; a 4xx would refuse it again. After a
        // failure the backoff paces the next try; after a 429 nothing would, and asking again at
        // once was a request loop until flush() timed out: the counts wait for the next envelope
        // to ride on, or the next flush.
        if (result === 'network_error' || result === 'failed' || result === 'rate_limited') state.config.clientReports.merge(report);
        if (result === 'network_error' || result === 'failed') state.reportRequested = true;
        this.pump();
        state.checkIdle();
      });
  }

  private takeReport(): EnvelopeItem | undefined {
    const config = this.state.config;
    if (!config.clientReports.hasPending() || config.rateLimits.isLimited('internal')) return undefined;
    return config.clientReports.take();
  }

  /**
   * One request; every response teaches the rate limits, whatever its status. A promise chain,
   * not an async function: one frame less to suspend and resume for every envelope sent.
   */
  private request(body: Uint8Array): Promise<SendResult> {
    let sent: Promise<TransportResponse>;
    try {
      sent = this.state.config.makeRequest(body, EMPTY_ENVELOPE);
    } catch (err) {
      return Promise.resolve(requestFailed(err));
    }
    return sent.then((response) => this.learn(response), requestFailed);
  }

  private learn(response: TransportResponse): SendResult {
    try {
      this.state.config.rateLimits.update(response.statusCode, { retryAfter: response.retryAfter, rateLimits: response.rateLimits });
    } catch (err) {
      debugLog.warn('could not read rate limit headers', err);
    }
    return classifyResponse(response.statusCode);
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

function requestFailed(err: unknown): SendResult {
  debugLog.warn('outbox: request failed', err);
  return 'network_error';
}
