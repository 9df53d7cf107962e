// The outbox's shared state and the bookkeeping every part of it does on that state. The outbox
// is split by job (outbox.ts: the public face; writer.ts: memory → disk; loader.ts: disk →
// entries at start; sender.ts: entries → server), and all four work on the same queue, entries
// and counters: they live here, in one object, so that no part keeps a copy that could drift.
// What is here is what more than one part needs: admitting, evicting and forgetting entries,
// deleting their files, counting drops, and telling flush() when everything is done.

import { debugLog } from '../../core/debug-log.js';
import type { Envelope, ItemOutcome } from '../../core/envelope.js';
import type { DiscardReason } from '../../core/types.js';
import type { OutboxEntry } from './entry.js';
import { release } from './ownership.js';
import type { OutboxConfig } from './outbox.js';

export interface IntakeJob {
  envelope: Envelope;
  name?: string;
  bytes?: Uint8Array;
  /** The writer has taken it (a write is under way); a spill leaves it alone. */
  taken?: boolean;
  /** The segment being written with it, so that an exit mid-write can write the same file. */
  segment?: { name: string; bytes: Uint8Array };
}

/** `<segment file>#<index>`, the index padded so that names sort in file order. */
export const segmentEntryName = (segment: string, index: number): string => `${segment}#${String(index).padStart(6, '0')}`;

export class OutboxState {
  mode: 'disk' | 'memory';
  intake: IntakeJob[] = [];
  /** Index of the oldest job in `intake` (a head index: shift() is O(n) on a 10,000-job burst). */
  intakeHead = 0;
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
  writerRunning = false;
  closed = false;
  /** flush() asked for a request even during a backoff (one probe per flush). */
  probe = false;
  /** flush() asked for pending client reports to go out even without an envelope to ride on. */
  reportRequested = false;
  idleWaiters: Array<() => void> = [];
  corrupt = 0;

  constructor(readonly config: OutboxConfig) {
    this.mode = config.store ? 'disk' : 'memory';
  }

  // ---- the intake queue ------------------------------------------------------------------------------

  intakeLength(): number {
    return this.intake.length - this.intakeHead;
  }

  shiftIntake(): void {
    const job = this.intake[this.intakeHead];
    this.intake[this.intakeHead++] = undefined as unknown as IntakeJob;
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
    if (this.cachedBytes + bytes.byteLength > this.config.maxMemoryBytes) return;
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
    const index = this.entries.indexOf(entry);
    if (index !== -1) this.entries.splice(index, 1);
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
      !this.writerRunning &&
      this.entries.length === 0 &&
      this.inFlight === 0 &&
      this.removing.size === 0 &&
      !this.reportDue()
    );
  }

  checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
