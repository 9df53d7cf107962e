// The outbox's writing side: moves envelopes from the in-memory intake queue to disk and admits
// them as entries the sender can send. Three ways, by urgency:
//
// - writeAll: the asynchronous writer, off the capture path. Each time it runs it takes every
//   envelope waiting (a file for a lone one, a segment file for several) and starts their writes
//   without waiting for the previous ones: while the disk or the thread pool is slow, captures
//   keep finding an empty intake instead of a full one. On a local disk a file up to 1 MiB is
//   written there and then, with direct calls (sync-io.ts);
// - spillSync: the intake is full anyway (a tight loop that never yields), so it goes to disk on
//   the caller's tick, as one segment file;
// - persistSync: the process is exiting and no callback will run again.
//
// Writes may finish in any order; their envelopes are admitted in the order they were taken
// (the batches queue, `state.batches`), so the sender still sees the oldest first.
//
// Kept apart from the sender and the loader because it is the only part that creates files.

import { debugLog } from '../../core/debug-log.js';
import { itemOutcomes, serializeEnvelope, type Envelope } from '../../core/envelope.js';
import { createdAtOf, newEnvelopeName, newSegmentName, type DiskStore, type FileContent } from './disk-store.js';
import { describeEnvelope, type OutboxEntry } from './entry.js';
import { handOver, hold, release } from './ownership.js';
import { segmentChunks, type SegmentRecord } from './segment.js';
import type { BurstSender } from './burst-sender.js';
import type { OutboxSender } from './sender.js';
import { segmentEntryName, type OutboxState, type WriteBatch } from './state.js';

/** Most envelopes the writer puts in one segment file. */
const SEGMENT_BATCH = 256;
/** Most envelopes one run of the writer serializes before it lets the event loop go on. */
const PER_RUN = 4 * SEGMENT_BATCH;

export class OutboxWriter {
  private writeScheduled = false;
  private folderReady = false;

  constructor(
    private readonly state: OutboxState,
    private readonly sender: OutboxSender,
    /** The loader's open(): settles once the folder exists, or the outbox has gone to memory. */
    opened: Promise<unknown>,
    /** Sends spilled bursts from a thread of its own, when there is one (burst-sender.ts). */
    private readonly burst?: BurstSender,
  ) {
    // A write before the folder exists would fail and wrongly send the outbox to memory-only
    // mode for good. The rest of the load (adopting leftovers) is not waited for.
    void opened.then(() => {
      this.folderReady = true;
      this.scheduleWrite();
    });
  }

  /**
   * The intake is full: write it now, synchronously, as one segment file (segment.ts). Only in
   * disk mode and while the store has room (a full store drops the newest capture as
   * queue_overflow instead of evicting what it holds, so a tight loop of 100,000 captures writes
   * at most `maxEntries` envelopes). One write of the whole queue: a few microseconds per
   * capture, paid by the captures of a burst that never yields; a single capture never waits
   * for the disk.
   */
  spillSync(): boolean {
    const state = this.state;
    const store = state.config.store;
    // Before load() has run (a burst right after init), the folder may not exist yet: writeSync
    // creates it, and load() skips the names this outbox holds.
    if (!store || state.mode !== 'disk') return false;
    if (state.entries.length + state.unadmitted() + 1 > state.config.maxEntries) return false;
    // What still fits the store's byte bound; the rest stays queued for the writer.
    const written = this.writeIntakeSync(store, state.config.maxBytes - state.totalBytes);
    if (!written) return false;
    if (written.batch) {
      // Admitted behind the batches still being written (they are older). Requests start after
      // the caller's code, not on its tick: starting one compresses the envelope and builds the
      // request (about 70 µs each, up to `concurrency` of them).
      state.batches.push(written.batch);
      state.batchJobs += written.batch.described.length;
      this.admitWritten(true);
      // The caller's loop may go on for a long time: the thread sends these meanwhile.
      this.burst?.offer(written.batch.described);
    }
    return state.intakeLength() < state.config.bufferSize;
  }

  /**
   * For the process 'exit' event, where no callback runs again: writes what is still in memory
   * and finishes deletes of delivered files, synchronously. Cheap: at most the intake and the
   * writes under way.
   */
  persistSync(): void {
    const state = this.state;
    const store = state.config.store;
    if (!store) return;
    for (const name of state.removing) store.removeSync(name);
    // Nothing is written asynchronously from here on: no file is kept open or kept for reuse.
    store.releaseFiles();
    if (state.mode !== 'disk') return;
    // Writes under way may never finish (at exit no callback runs): write the same files now.
    // The batches leave this outbox; their files are let go once nothing writes them any more.
    for (const batch of state.batches) {
      batch.abandoned = true;
      if (batch.written) {
        this.letGo(batch);
        continue;
      }
      try {
        store.writeSync(batch.name, batch.content);
      } catch (err) {
        debugLog.error('could not save envelopes at exit', err);
      }
    }
    // The intake as one segment file, like a spill; it is not admitted here, so it is let go at
    // once, like the batches.
    const written = state.intakeLength() > 0 ? this.writeIntakeSync(store, Infinity) : undefined;
    if (written?.batch) this.letGo(written.batch);
    // The writer will never resume: everything it held is on disk now.
    state.clearIntake();
    state.batches.length = 0;
    state.batchBytes = 0;
    state.batchJobs = 0;
  }

  /**
   * What waits in the intake (up to `budget` bytes of it) as one segment file, written
   * synchronously, and taken off the intake. `batch` is undefined when none of it could be
   * serialized (those are counted); the result is undefined when nothing fitted or the write
   * failed, and then the intake is left as it was.
   */
  private writeIntakeSync(store: DiskStore, budget: number): { batch: WriteBatch | undefined } | undefined {
    const state = this.state;
    const { blobs, described, consumed } = this.serialize(state.intake.slice(state.intakeHead), budget);
    if (consumed === 0) return undefined;
    let batch: WriteBatch | undefined;
    if (blobs.length > 0) {
      const name = newSegmentName();
      hold(name);
      try {
        const { chunks, byteLength, records } = segmentChunks(blobs);
        store.writeSync(name, chunks);
        batch = { name, segment: true, blobs, described, records, content: chunks, byteLength, written: true, failed: false };
      } catch (err) {
        release(name);
        debugLog.warn('outbox: could not write the queue to disk', err);
        return undefined;
      }
    }
    for (let i = 0; i < consumed; i++) state.shiftIntake();
    return { batch };
  }

  // ---- writing ---------------------------------------------------------------------------------------

  scheduleWrite(): void {
    if (this.writeScheduled || !this.folderReady || this.state.intakeLength() === 0) return;
    this.writeScheduled = true;
    // Not unref'd on purpose: writing a few files to local disk is part of taking the envelope,
    // and a script that captures and ends should leave it on disk. The network never holds exit.
    setImmediate(() => {
      this.writeScheduled = false;
      this.writeAll();
    });
  }

  /** Takes what waits, in batches, and starts each batch's write. */
  private writeAll(): void {
    const state = this.state;
    let taken = 0;
    // Bytes being written are held in memory until their write ends: bounded, or a disk slower
    // than the captures would let them pile up. Past the bound the intake fills and spills.
    while (state.intakeLength() > 0 && taken < PER_RUN && state.batchBytes < state.config.maxMemoryBytes) {
      const count = state.intakeLength() === 1 ? 1 : Math.min(SEGMENT_BATCH, state.intakeLength());
      const jobs = state.intake.slice(state.intakeHead, state.intakeHead + count);
      for (let i = 0; i < count; i++) state.shiftIntake();
      taken += count;
      this.startBatch(jobs);
    }
    if (state.intakeLength() > 0 && state.batchBytes < state.config.maxMemoryBytes) this.scheduleWrite();
    state.checkIdle();
  }

  /**
   * One lone envelope gets a file of its own (the usual single capture); several get one segment
   * file (segment.ts): a file is a few thread-pool round trips, and a burst of 10,000 would take
   * seconds that way.
   */
  private startBatch(jobs: Envelope[]): void {
    const state = this.state;
    const { blobs, described } = this.serialize(jobs);
    // Nothing could be serialized (already counted): nothing to write.
    if (blobs.length === 0) return;
    const segment = blobs.length > 1;
    const name = segment ? newSegmentName() : newEnvelopeName();
    const memoryOnly = state.mode !== 'disk';
    let content: FileContent = blobs[0]!;
    let byteLength = blobs[0]!.byteLength;
    let records: SegmentRecord[] | undefined;
    // The segment's pieces go to one vectored write: its envelopes are never copied into one array.
    if (segment && !memoryOnly) ({ chunks: content, byteLength, records } = segmentChunks(blobs));
    const batch: WriteBatch = { name, segment, blobs, described, records, content, byteLength, written: memoryOnly, failed: memoryOnly };
    state.batches.push(batch);
    state.batchJobs += described.length;
    if (memoryOnly) {
      this.admitWritten();
      return;
    }
    hold(name);
    state.writing.add(name);
    state.batchBytes += byteLength;
    void state.config
      .store!.write(name, content)
      .catch((err: unknown) => {
        batch.failed = true;
        state.fallBackToMemory(err);
      })
      .then(() => {
        state.writing.delete(name);
        // persistSync (close, exit) took the batch over and wrote it itself.
        if (batch.abandoned) return this.letGo(batch);
        state.batchBytes -= byteLength;
        batch.written = true;
        this.admitWritten();
        // Room again for what waited behind the bound.
        this.scheduleWrite();
      });
  }

  /**
   * A batch persistSync took over: its file stays for whoever sends next, the folder's live outbox
   * if there is one (`init()` again: ownership.ts), or else the next outbox that loads the folder.
   * Not the next load alone: a live outbox may have loaded the folder before this file was there.
   */
  private letGo(batch: WriteBatch): void {
    const store = this.state.config.store;
    if (store && !batch.failed) handOver(store.directory, batch.name);
    else release(batch.name);
  }

  /** Admits the written batches at the head of the queue: the order they were taken in. */
  private admitWritten(onCallersTick = false): void {
    const state = this.state;
    let admitted = false;
    while (state.batches.length > 0 && state.batches[0]!.written) {
      const batch = state.batches.shift()!;
      state.batchJobs -= batch.described.length;
      this.admitBatch(batch);
      admitted = true;
    }
    if (!admitted) return;
    // Send while the rest of a burst is still being written.
    if (onCallersTick) queueMicrotask(() => this.sender.pump());
    else this.sender.pump();
    state.checkIdle();
  }

  private admitBatch(batch: WriteBatch): void {
    const state = this.state;
    const onDisk = !batch.failed;
    if (onDisk && batch.segment) state.segments.set(batch.name, batch.described.length);
    for (let i = 0; i < batch.described.length; i++) {
      const entry = batch.described[i]!;
      if (onDisk && batch.segment) placeInSegment(entry, batch.name, i, batch.records![i]!, batch.byteLength);
      else {
        // A file of its own, or (memory only) a name for the entry that keeps its own bytes.
        entry.name = batch.segment ? segmentEntryName(batch.name, i) : batch.name;
        entry.createdAt = createdAtOf(batch.name);
      }
      if (onDisk) state.cache(entry, batch.blobs[i]!);
      else entry.bytes = batch.blobs[i];
      state.admit(entry, true);
    }
    if (!onDisk) release(batch.name);
  }

  /**
   * The envelopes' bytes and entries, in order, stopping before the one that would pass `budget`
   * bytes; `consumed` counts the envelopes gone through. One that cannot be serialized is counted
   * and left out: it would fail the same way every time, and an empty record in a segment file
   * would make the next start's loader take the whole file for damaged.
   */
  private serialize(envelopes: Envelope[], budget = Infinity): { blobs: Uint8Array[]; described: OutboxEntry[]; consumed: number } {
    const blobs: Uint8Array[] = [];
    const described: OutboxEntry[] = [];
    let bytes = 0;
    let consumed = 0;
    for (const envelope of envelopes) {
      try {
        const blob = serializeEnvelope(envelope);
        if (bytes + blob.byteLength > budget) break;
        blobs.push(blob);
        described.push(describeEnvelope('', 0, blob.byteLength, envelope));
        bytes += blob.byteLength;
      } catch (err) {
        // E.g. a payload JSON cannot represent.
        debugLog.error('could not serialize an envelope', err);
        for (const item of envelope.items) this.state.record('internal_sdk_error', itemOutcomes(item));
      }
      consumed++;
    }
    return { blobs, described, consumed };
  }
}

/** The entry is envelope `index` of segment file `name` (`fileLength` bytes), lying at `record` in it. */
function placeInSegment(entry: OutboxEntry, name: string, index: number, record: SegmentRecord, fileLength: number): void {
  entry.name = segmentEntryName(name, index);
  entry.createdAt = createdAtOf(name);
  entry.segment = { name, offset: record.offset, length: record.length, fileLength };
}
