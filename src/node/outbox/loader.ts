// The outbox's start-up side: takes over what a previous run (or a dead sibling process) left in
// the folder, and what a closed outbox of this process hands over. Every file is first renamed to
// a name of our own (ownership.ts), so that no other process sends it too, then read back into
// entries; expired and unreadable ones are counted and removed. Kept apart from the writer because
// it only ever reads what others wrote, and runs once per outbox (plus the odd hand-over).

import { debugLog } from '../../core/debug-log.js';
import { parseEnvelope, type Envelope } from '../../core/envelope.js';
import { createdAtOf, newEnvelopeName, newSegmentName } from './disk-store.js';
import { describeEnvelope } from './entry.js';
import { handOver, hold, mayAdopt, release, takeLeftover } from './ownership.js';
import { decodeSegment, isSegmentName } from './segment.js';
import type { BurstSender } from './burst-sender.js';
import type { OutboxSender } from './sender.js';
import { segmentEntryName, type OutboxState } from './state.js';

export class OutboxLoader {
  constructor(
    private readonly state: OutboxState,
    private readonly sender: OutboxSender,
    /** Takes a large backlog off the main thread, when there is a thread (burst-sender.ts). */
    private readonly burst?: BurstSender,
  ) {}

  /**
   * Takes over a file a closed outbox of this process still had (ownership.ts); the name stays
   * held. Closed itself meanwhile, it passes the file on the same way. `only`: for a segment,
   * the indexes of its envelopes still to send.
   */
  async adoptFile(name: string, only?: readonly number[]): Promise<void> {
    const state = this.state;
    const store = state.config.store;
    try {
      if (!store || state.byName.has(name)) return;
      if (state.closed) return handOver(store.directory, name, only);
      const bytes = await store.read(name);
      if (state.closed) return handOver(store.directory, name, only);
      if (isSegmentName(name)) {
        await this.loadSegment(name, bytes, Date.now(), only);
        return;
      }
      const entry = describeEnvelope(name, createdAtOf(name), bytes.byteLength, parseEnvelope(bytes));
      state.admit(entry, true);
    } catch (err) {
      // Gone (delivered meanwhile) or unreadable: the next start's loader deals with what is left.
      release(name);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') debugLog.warn(`outbox: could not adopt ${name}`, err);
    } finally {
      // `init()` again hands over the old outbox's whole backlog this way, one file at a time.
      this.burst?.offerBacklog();
      this.sender.pump();
      state.checkIdle();
    }
  }

  // ---- loading what a previous run left --------------------------------------------------------------

  /**
   * Creates the folder, or sends the outbox to memory when it cannot be written; true when the
   * folder is ready. The writer waits for this, not for the whole load: adopting what an earlier
   * run left takes a claim and a read per file, and captures that came meanwhile would fill the
   * intake and be written on the caller's tick. The writer's files are held (ownership.ts) and
   * in `state.writing`, so the load never takes them for leftovers.
   */
  async open(): Promise<boolean> {
    const state = this.state;
    const store = state.config.store;
    if (!store) return false;
    try {
      await store.open();
      return true;
    } catch (err) {
      state.fallBackToMemory(err);
      return false;
    }
  }

  /** Adopts what the folder holds, once `opened` (this loader's open()) has said it is ready. */
  async load(opened: Promise<boolean>): Promise<void> {
    const state = this.state;
    const store = state.config.store;
    try {
      if (!store || !(await opened)) return;
      const now = Date.now();
      let adopted = 0;
      for (const found of await store.list(now)) {
        // Closed during the load: what is not taken yet stays for the folder's next outbox.
        if (state.closed) break;
        if (this.isKnown(found) || !mayAdopt(found)) continue;
        // Adopt it under a name of our own, so that no other process sends it too.
        const segment = isSegmentName(found);
        // A segment a closed outbox of this process let go: only its envelopes still to send.
        const only = segment ? takeLeftover(found) : undefined;
        const name = segment ? newSegmentName(createdAtOf(found)) : newEnvelopeName(createdAtOf(found));
        hold(name);
        let bytes: Uint8Array;
        try {
          if (!(await store.claim(found, name))) {
            release(name);
            continue; // another process adopted or delivered it first
          }
          bytes = await store.read(name);
        } catch {
          release(name);
          continue;
        }
        // Closed while this file was being taken: it goes to the folder's live outbox, if any.
        if (state.closed) {
          handOver(store.directory, name, only);
          break;
        }
        if (segment) {
          adopted += await this.loadSegment(name, bytes, now, only);
          continue;
        }
        let envelope: Envelope;
        try {
          envelope = parseEnvelope(bytes);
        } catch (err) {
          await this.discardUnreadable(name, err);
          continue;
        }
        const entry = describeEnvelope(name, createdAtOf(name), bytes.byteLength, envelope);
        if (now - entry.createdAt > state.config.maxAgeMs) {
          state.record('cache_overflow', entry.outcomes);
          await this.discard(name);
          continue;
        }
        state.admit(entry, false);
        adopted++;
      }
      state.entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      state.enforceBounds();
      // Not `entries.length`: a burst right after init may have spilled some of this outbox's own.
      if (adopted > 0) debugLog.log(`outbox: ${adopted} envelope(s) from an earlier run to send`);
    } catch (err) {
      debugLog.error('outbox: could not read the cache folder', err);
    } finally {
      state.loaded = true;
      // Before the main thread's sender takes its first few: a large backlog goes to the thread whole.
      this.burst?.offerBacklog();
      this.sender.pump();
      state.checkIdle();
    }
  }

  /** The envelopes of an adopted segment file (those in `only`, if given), each an entry of its own; returns how many it admitted. */
  private async loadSegment(name: string, bytes: Uint8Array, now: number, only?: readonly number[]): Promise<number> {
    const state = this.state;
    let records: Uint8Array[];
    try {
      records = decodeSegment(bytes);
    } catch (err) {
      await this.discardUnreadable(name, err);
      return 0;
    }
    let admitted = 0;
    const wanted = only && new Set(only);
    for (let i = 0; i < records.length; i++) {
      // Delivered or dropped by the outbox that let the file go: not sent again.
      if (wanted && !wanted.has(i)) continue;
      const record = records[i]!;
      let envelope: Envelope;
      try {
        envelope = parseEnvelope(record);
      } catch (err) {
        // A damaged record costs itself only: the segment's other envelopes are still sent.
        state.corrupt++;
        debugLog.warn(`outbox: left out unreadable envelope ${i} of ${name}`, err);
        continue;
      }
      const entry = describeEnvelope(segmentEntryName(name, i), createdAtOf(name), record.byteLength, envelope);
      if (now - entry.createdAt > state.config.maxAgeMs) {
        state.record('cache_overflow', entry.outcomes);
        continue;
      }
      entry.segment = { name, offset: record.byteOffset - bytes.byteOffset, length: record.byteLength, fileLength: bytes.byteLength };
      state.cache(entry, record.slice());
      state.admit(entry, false);
      admitted++;
    }
    state.segments.set(name, admitted);
    if (admitted === 0) state.segmentDone(name);
    return admitted;
  }

  private isKnown(name: string): boolean {
    return this.state.byName.has(name) || this.state.writing.has(name) || this.state.removing.has(name);
  }

  /** Deletes a file this outbox had taken over, and lets its name go. */
  private async discard(name: string): Promise<void> {
    await this.state.config.store!.remove(name).catch(() => {});
    release(name);
  }

  /** Only a power loss can make a file unreadable (writes are atomic); nothing in it can be recovered. */
  private async discardUnreadable(name: string, err: unknown): Promise<void> {
    this.state.corrupt++;
    debugLog.warn(`outbox: removed unreadable file ${name}`, err);
    await this.discard(name);
  }
}
