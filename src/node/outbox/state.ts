// The outbox's shared state and the bookkeeping every part of it does on that state. The outbox
// is split by job (outbox.ts: the public face; writer.ts: memory → disk; loader.ts: disk →
// entries at start; sender.ts: entries → server), and all four work on the same queue, entries
// and counters: they live here, in one object, so that no part keeps a copy that could drift.
// What is here is what more than one part needs: admitting, evicting and forgetting entries,
// deleting their files, counting drops, and telling flush() when everything is done.

import { debugLog } from '../../core/debug-log.js';
import type { Envelope, ItemOutcome } from '../../core/envelope.js';
import type { DiscardReason } from '../../core/types.js';
import type { FileContent } from './disk-store.js';
import type { OutboxEntry } from './entry.js';
import { handOver, release } from './ownership.js';
import type { OutboxConfig } from './outbox.js';
import type { SegmentRecord } from './segment.js';

/** Envelopes the writer has taken off the intake and serialized: one file, being written. */
export interface WriteBatch {
  /** The file: a segment (several envelopes) or a single envelope's file. */
  name: string;
  segment: boolean;
  /** Each envelope's bytes, and its entry. */
  blobs: Uint8Array[];
  described: OutboxEntry[];
  /** Where each envelope lies in a segment file. */
  records: SegmentRecord[] | undefined;
  /** The file's content, kept so that an exit in mid-write can write the same file synchronously. */
  content: FileContent;
  byteLength: number;
  written: boolean;
  /** No file: the write failed, or the outbox is in memory only. Its envelopes keep their bytes. */
  failed: boolean;
  /** persistSync wrote it and dropped it from this outbox (closing, or the process exiting). */
  abandoned?: boolean;
}

/**
 * Most bytes of stored envelopes kept in memory as well, so that sending them needs no read: a
 * few hundred events, which is what waits in normal running. A flood beyond it is read back from
 * its segment files through read-ahead windows (read-ahead.ts), which costs little; caching a
 * flood instead held 16 MiB more at its peak, as much as the raw protocol floor's whole margin.
 */
const CACHE_BYTES = 4 * 1024 * 1024;

/** `<segment file>#<index>`, the index padded so that names sort in file order. */
export const segmentEntryName = (segment: string, index: number): string => `${segment}#${String(index).padStart(6, '0')}`;

/** The index in its segment file of the envelope named by segmentEntryName. */
export const segmentIndexOf = (entryName: string): number => Number(entryName.slice(entryName.lastIndexOf('#') + 1));

export class OutboxState {
  mode: 'disk' | 'memory';
  /** Envelopes accepted and not yet taken by the writer (serialized only when written). */
  intake: Envelope[] = [];
  /** Index of the oldest envelope in `intake` (a head index: shift() is O(n) on a 10,000-envelope burst). */
  intakeHead = 0;
  /** Writes under way (or done, waiting for an older one), oldest first: admitted in this order. */
  readonly batches: WriteBatch[] = [];
  /** Bytes held by `batches`' unfinished writes (bounded by maxMemoryBytes). */
  batchBytes = 0;
  /** Envelopes in `batches`. */
  batchJobs = 0;
  /** Bytes of stored envelopes also kept in memory, so that sending them needs no read. */
  cachedBytes = 0;
  /** Segment files of this outbox -> how many of their envelopes are still to send. */
  readonly segments = new Map<string, number>();
  /** Oldest first (names sort by creation time). */
  readonly entries: OutboxEntry[] = [];
  readonly byName = new Map<string, OutboxEntry>();
  /** Names our writer has picked but not yet admitted: the loader must not take them. */
  readonly writing = new Set<string>();
  /** Delivered or dropped entries whose file delete is still running. */
  readonly removing = new Set<string>();
  totalBytes = 0;
  inFlight = 0;
  loaded = false;
  closed = false;
  /** flush() asked for a request even during a backoff (one probe per flush). */
  probe = false;
  /** flush() asked for pending client reports to go out even without an envelope to ride on. */
  reportRequested = false;
  idleWaiters: Array<() => void> = [];
  /** Called once no request is in flight (requestsEnded, after close). */
  requestWaiters: Array<() => void> = [];
  corrupt = 0;

  constructor(readonly config: OutboxConfig) {
    this.mode = config.store ? 'disk' : 'memory';
  }

  // ---- the intake queue ------------------------------------------------------------------------------

  intakeLength(): number {
    return this.intake.length - this.intakeHead;
  }

  /** Envelopes accepted and not yet entries: waiting in the intake or being written. */
  unadmitted(): number {
    return this.intakeLength() + this.batchJobs;
  }

  shiftIntake(): void {
    this.intake[this.intakeHead++] = undefined as unknown as Envelope;
    if (this.intakeHead === this.intake.length) this.clearIntake();
    else if (this.intakeHead > 1024 && this.intakeHead * 2 > this.intake.length) {
      this.intake = this.intake.slice(this.intakeHead);
      this.intakeHead = 0;
    }
  }

  clearIntake(): void {
    this.intake = [];
    this.intakeHead = 0;
  }

  // ---- entries ---------------------------------------------------------------------------------------

  /** Keeps a written envelope's bytes for sending while the cache stays under its bound. */
  cache(entry: OutboxEntry, bytes: Uint8Array): void {
    if (this.cachedBytes + bytes.byteLength > Math.min(CACHE_BYTES, this.config.maxMemoryBytes)) return;
    entry.cached = bytes;
    this.cachedBytes += bytes.byteLength;
  }

  uncache(entry: OutboxEntry): void {
    if (!entry.cached) return;
    this.cachedBytes -= entry.cached.byteLength;
    entry.cached = undefined;
  }

  admit(entry: OutboxEntry, fresh: boolean): void {
    this.entries.push(entry);
    this.byName.set(entry.name, entry);
    this.totalBytes += entry.size;
    if (fresh) this.enforceBounds();
  }

  /** Oldest first; an envelope being sent is never dropped (it may be delivered a moment later). */
  enforceBounds(): void {
    const maxBytes = this.mode === 'disk' ? this.config.maxBytes : Math.min(this.config.maxBytes, this.config.maxMemoryBytes);
    let i = 0;
    while ((this.entries.length > this.config.maxEntries || this.totalBytes > maxBytes) && i < this.entries.length) {
      const entry = this.entries[i]!;
      if (entry.sending) {
        i++;
        continue;
      }
      this.drop(entry, 'cache_overflow');
    }
  }

  drop(entry: OutboxEntry, reason: DiscardReason): void {
    this.forget(entry);
    this.record(reason, entry.outcomes);
    this.deleteFile(entry);
  }

  forget(entry: OutboxEntry): void {
    removeEntry(this.entries, entry);
    this.byName.delete(entry.name);
    this.totalBytes -= entry.size;
    this.uncache(entry);
    // Still held: deleteFile (or giveUp) releases the name once the file is gone.
  }

  // ---- files -----------------------------------------------------------------------------------------

  deleteFile(entry: OutboxEntry): void {
    const store = this.config.store;
    if (entry.segment) {
      this.segmentDone(entry.segment.name);
      return;
    }
    if (entry.bytes || !store) {
      release(entry.name);
      return;
    }
    this.removing.add(entry.name);
    void store
      .remove(entry.name)
      .catch((err) => debugLog.warn('outbox: could not delete an envelope file', err))
      .finally(() => {
        this.removing.delete(entry.name);
        release(entry.name);
        this.checkIdle();
      });
  }

  /** One envelope of a segment is done with; the file goes when all of them are. */
  segmentDone(name: string): void {
    const left = (this.segments.get(name) ?? 1) - 1;
    if (left > 0) {
      this.segments.set(name, left);
      return;
    }
    this.segments.delete(name);
    const store = this.config.store;
    if (!store) return;
    this.removing.add(name);
    void store
      .remove(name)
      .catch((err) => debugLog.warn('outbox: could not delete a segment file', err))
      .finally(() => {
        this.removing.delete(name);
        release(name);
        this.checkIdle();
      });
  }

  /**
   * A closed outbox lets a segment file go to the folder's next outbox (ownership.ts), with only
   * the envelopes it has not delivered or dropped. Not while one of them is in flight: the
   * request that ends last calls this again (sender.ts), so the next outbox never sends an
   * envelope this one is still sending, nor one it delivered.
   */
  handOverSegment(name: string): void {
    const store = this.config.store;
    if (!store || !this.segments.has(name)) return; // done with: deleted, or already let go
    const pending = this.entries.filter((entry) => entry.segment?.name === name);
    if (pending.some((entry) => entry.sending)) return;
    this.segments.delete(name);
    for (const entry of pending) this.forget(entry);
    handOver(store.directory, name, pending.map((entry) => segmentIndexOf(entry.name)));
  }

  fallBackToMemory(err: unknown): void {
    if (this.mode === 'memory') return;
    this.mode = 'memory';
    debugLog.warn(`outbox: cannot write ${this.config.store?.directory}; keeping envelopes in memory only`, err);
  }

  // ---- counting and idleness -------------------------------------------------------------------------

  record(reason: DiscardReason, outcomes: ItemOutcome[]): void {
    try {
      for (const o of outcomes) this.config.recordDroppedEvent(reason, o.category, o.quantity);
    } catch (err) {
      debugLog.warn('could not record a dropped item', err);
    }
  }

  reportDue(): boolean {
    return this.reportRequested && this.config.clientReports.hasPending() && !this.config.rateLimits.isLimited('internal');
  }

  isIdle(): boolean {
    return (
      this.loaded &&
      this.intakeLength() === 0 &&
      this.batches.length === 0 &&
      this.entries.length === 0 &&
      this.inFlight === 0 &&
      this.removing.size === 0 &&
      !this.reportDue()
    );
  }

  checkIdle(): void {
    if (this.inFlight === 0 && this.requestWaiters.length > 0) {
      const waiters = this.requestWaiters;
      this.requestWaiters = [];
      for (const waiter of waiters) waiter();
    }
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    // The flush that asked for a report is over with nothing to report: a later drop waits for
    // an envelope to ride on, or the next flush, instead of going out on its own.
    if (!this.config.clientReports.hasPending()) this.reportRequested = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}

/**
 * Removes `entry` from the oldest-first list. Entries are sent oldest first, so the one removed
 * is nearly always among the first few: shifting those up and dropping the head with shift()
 * (which V8 does in place) spares moving the whole array, as splice did (a few µs per delivered
 * envelope with 10,000 waiting).
 */
function removeEntry(entries: OutboxEntry[], entry: OutboxEntry): void {
  const index = entries.indexOf(entry);
  if (index === -1) return;
  if (index > 64) {
    entries.splice(index, 1);
    return;
  }
  for (let i = index; i > 0; i--) entries[i] = entries[i - 1]!;
  entries.shift();
}
