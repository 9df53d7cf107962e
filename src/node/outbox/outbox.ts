// The durable outbox: envelopes go to disk first and are sent from there, oldest first.
//
//   send()  → intake (bounded, in memory; the capture path stops here)
//   writer  → a file per lone envelope, a segment file per batch (DiskStore, atomic), writes
//             started without waiting for each other → entries (bounded by count, bytes, age)
//   pump    → requests, at most `concurrency` at once, one while the server is failing
//
// A file is deleted only after a 2xx or a definitive 4xx (429 included), so delivery is
// at-least-once: a crash between the 2xx and the delete resends that envelope once on the next
// start (Sentry drops the duplicate by its event_id). Network errors and 5xx keep the envelope
// and start an exponential backoff, with no request into it. A 429 is not retried (Relay counted
// it); it and X-Sentry-Rate-Limits set limits, and an envelope whose turn comes during one is
// sent without its limited items, or dropped when all are, counted as `ratelimit_backoff`
// (PROTOCOL.md §7 step 5), never held until the window ends.
//
// This file is the Outbox's public face (what the transport calls: send, flush, close, persisted,
// persistSync, stats). The work is done by parts that share one OutboxState (state.ts): the
// writer (writer.ts), the loader of what earlier runs left (loader.ts) and the sender (sender.ts).

import { debugLog } from '../../core/debug-log.js';
import { discardedEventsOf, type ClientReports } from '../../core/client-reports.js';
import { itemCategory, itemOutcomes, type Envelope, type EnvelopeItem } from '../../core/envelope.js';
import type { RateLimits } from '../../core/rate-limits.js';
import { timerDelay } from '../../core/timer-delay.js';
import type { MakeRequest } from '../../core/transport.js';
import type { RequesterConfig } from '../transport-http.js';
import { BurstSender } from './burst-sender.js';
import type { DataCategory, DiscardReason } from '../../core/types.js';
import type { BackoffOptions } from './backoff.js';
import type { DiskStore } from './disk-store.js';
import { OutboxLoader } from './loader.js';
import { handOver, registerLive, unregisterLive, type Adopter } from './ownership.js';
import { OutboxSender } from './sender.js';
import { OutboxState } from './state.js';
import { OutboxWriter } from './writer.js';

export interface OutboxConfig {
  /** Where envelopes live; undefined means memory only from the start. */
  store: DiskStore | undefined;
  /**
   * Envelopes accepted but not yet written (the capture path's queue). When it is full, it is
   * written to disk at once, on the caller's tick (spillSync), as long as the store has room: a
   * burst of captures in a tight loop, during which the asynchronous writer cannot run, is
   * absorbed by the disk instead of being dropped, and memory stays flat.
   */
  bufferSize: number;
  concurrency: number;
  maxEntries: number;
  maxBytes: number;
  /** The byte bound once the outbox lives in memory (read-only disk). */
  maxMemoryBytes: number;
  maxAgeMs: number;
  backoff: BackoffOptions;
  rateLimits: RateLimits;
  clientReports: ClientReports;
  recordDroppedEvent: (reason: DiscardReason, category: DataCategory, quantity?: number) => void;
  makeRequest: MakeRequest;
  /** The requests' settings for a burst sender thread (burst-sender.ts); none: the main thread sends all. */
  burstThread?: RequesterConfig;
}

export interface OutboxStats {
  mode: 'disk' | 'memory';
  directory: string | undefined;
  /** Envelopes waiting in memory to be written. */
  intake: number;
  /** Envelopes stored and not yet delivered. */
  entries: number;
  bytes: number;
  inFlight: number;
  /** Files found unreadable at start (removed); stays 0 unless the disk lost data. */
  corrupt: number;
  /** Burst sender threads started (burst-sender.ts), and envelopes they sent that got an answer. */
  burstThread: { starts: number; sent: number };
}

export class Outbox implements Adopter {
  private readonly state: OutboxState;
  private readonly sender: OutboxSender;
  private readonly loader: OutboxLoader;
  private readonly writer: OutboxWriter;
  private readonly burst: BurstSender | undefined;
  private readonly ready: Promise<void>;

  constructor(config: OutboxConfig) {
    this.state = new OutboxState(config);
    this.sender = new OutboxSender(this.state);
    this.burst = config.burstThread && config.store ? new BurstSender(this.state, this.sender, config.burstThread) : undefined;
    this.sender.burst = this.burst;
    this.loader = new OutboxLoader(this.state, this.sender, this.burst);
    if (config.store) registerLive(config.store.directory, this);
    const opened = this.loader.open();
    this.ready = this.loader.load(opened);
    this.writer = new OutboxWriter(this.state, this.sender, opened, this.burst);
  }

  /** Takes over a file a closed outbox of this process still had (ownership.ts); the name stays held. */
  adopt(name: string, only?: readonly number[]): void {
    void this.loader.adoptFile(name, only);
  }

  // ---- the capture path ---------------------------------------------------------------------------

  /** Enqueues and returns at once; false (already counted) when full or entirely rate limited. */
  send(envelope: Envelope): boolean {
    const state = this.state;
    try {
      if (state.closed) return false;
      const items = this.dropRateLimited(envelope.items);
      if (items.length === 0) return false;
      const accepted = items === envelope.items ? envelope : { header: envelope.header, items };
      if (state.intakeLength() >= state.config.bufferSize && !this.writer.spillSync()) {
        for (const item of items) state.record('queue_overflow', itemOutcomes(item));
        return false;
      }
      state.intake.push(accepted);
      this.writer.scheduleWrite();
      return true;
    } catch (err) {
      debugLog.error('outbox send failed', err);
      return false;
    }
  }

  isRateLimited(category: DataCategory): boolean {
    try {
      return this.state.config.rateLimits.isLimited(category);
    } catch {
      return false;
    }
  }

  // ---- flush, close, exit ---------------------------------------------------------------------------

  /** True once everything accepted (and found on disk at start) is delivered, refused or dropped. */
  flush(timeout?: number): Promise<boolean> {
    const state = this.state;
    try {
      state.probe = true;
      this.writer.scheduleWrite();
      this.sender.pump();
      // Asked after the pump: it may just have dropped expired envelopes, and their count must
      // leave with this flush too. So must the counts of envelopes still waiting that are dropped
      // for a rate limit when their turn comes: asked for as long as anything is left to send.
      if (state.config.clientReports.hasPending() || !state.isIdle()) {
        state.reportRequested = true;
        this.sender.pump();
      }
      if (state.isIdle()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          resolve(true);
        };
        state.idleWaiters.push(done);
        if (timeout !== undefined) {
          timer = setTimeout(() => {
            state.idleWaiters = state.idleWaiters.filter((w) => w !== done);
            resolve(false);
          }, timerDelay(timeout));
          // Left ref'd on purpose: a caller awaiting flush (a script's last line, a serverless
          // handler) asked to wait, and the SDK's sockets are unref'd, so without this the
          // process could end mid-flush. It never outlives `timeout`.
        }
      });
    } catch (err) {
      debugLog.error('outbox flush failed', err);
      return Promise.resolve(false);
    }
  }

  /** Stops taking envelopes and starting requests; what is left stays on disk for next time. */
  async close(timeout?: number): Promise<boolean> {
    const state = this.state;
    const flushed = await this.flush(timeout);
    state.closed = true;
    this.sender.cancelWake();
    this.burst?.stop();
    // No longer the folder's live outbox before anything is handed over: what this one lets go
    // goes to the next outbox of this process (`init()` again), or to the next start, never back here.
    const store = state.config.store;
    if (store) unregisterLive(store.directory, this);
    this.persistSync();
    // What is left on disk goes to the next outbox of this process, or to the next start. An
    // envelope in flight, or a segment with one in flight, follows once its request has ended
    // (sender.ts, onResult): the next outbox must not send what this one still sends.
    if (store) {
      if (state.mode === 'disk') {
        for (const entry of state.entries) if (!entry.sending && !entry.segment) handOver(store.directory, entry.name);
      }
      // A segment goes as one file, with the indexes of its envelopes still to send (state.ts).
      for (const name of [...state.segments.keys()]) state.handOverSegment(name);
    }
    return flushed;
  }

  /**
   * Resolves once no request is in flight. After close() none starts, so the transport waits for
   * this before closing its connections: a request cut off after the server took it would leave
   * its envelope to the next outbox, which would send it again.
   */
  requestsEnded(): Promise<void> {
    const state = this.state;
    if (state.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => state.requestWaiters.push(resolve));
  }

  /** For the process 'exit' event: saves what is still in memory, synchronously (writer.ts). */
  persistSync(): void {
    this.writer.persistSync();
  }

  /** Resolves once every envelope accepted so far has been written (or kept in memory). */
  async persisted(): Promise<void> {
    await this.ready;
    // Deletes too: once this resolves, the folder holds exactly the envelopes still to send.
    while (this.state.intakeLength() > 0 || this.state.batches.length > 0 || this.state.removing.size > 0) {
      this.writer.scheduleWrite();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  stats(): OutboxStats {
    const state = this.state;
    return {
      mode: state.mode,
      directory: state.config.store?.directory,
      intake: state.unadmitted(),
      entries: state.entries.length,
      bytes: state.totalBytes,
      inFlight: state.inFlight,
      corrupt: state.corrupt,
      burstThread: { starts: this.burst?.starts ?? 0, sent: this.burst?.sent ?? 0 },
    };
  }

  // ---- bookkeeping -----------------------------------------------------------------------------------

  /** Limited items are counted (client reports are kept for later, not counted as drops). */
  private dropRateLimited(items: EnvelopeItem[]): EnvelopeItem[] {
    const now = Date.now();
    let kept: EnvelopeItem[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (!this.state.config.rateLimits.isLimited(itemCategory(item.header.type), now)) {
        kept?.push(item);
        continue;
      }
      kept ??= items.slice(0, i);
      if (item.header.type === 'client_report') this.state.config.clientReports.merge(discardedEventsOf(item));
      else this.state.record('ratelimit_backoff', itemOutcomes(item));
    }
    return kept ?? items;
  }
}
