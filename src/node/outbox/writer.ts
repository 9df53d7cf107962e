// The outbox's writing side: moves envelopes from the in-memory intake queue to disk and admits
// them as entries the sender can send. Three ways, by urgency:
//
// - writeAll: the asynchronous writer, off the capture path. Each time it runs it takes every
//   envelope waiting (a file for a lone one, a segment file for several) and starts their writes
//   without waiting for the previous ones: while the disk or the thread pool is slow, captures
//   keep finding an empty intake instead of a full one;
// - spillSync: the intake is full anyway (a tight loop that never yields), so it goes to disk on
//   the caller's tick, as one segment file;
// - persistSync: the process is exiting and no callback will run again.
//
// Writes may finish in any order; their envelopes are admitted in the order they were taken
// (the batches queue, `state.batches`), so the sender still sees the oldest first.
//
// Kept apart from the sender and the loader because it is the only part that creates files.

import { debugLog } from '../../core/debug-log.js';
import { itemOutcomes, serializeEnvelope } from '../../core/envelope.js';
import { createdAtOf, newEnvelopeName, newSegmentName } from './disk-store.js';
import { describeEnvelope, type OutboxEntry } from './entry.js';
import { handOver, hold, release } from './ownership.js';
import { encodeSegment, type SegmentRecord } from './segment.js';
import type { OutboxSender } from './sender.js';
import { segmentEntryName, type IntakeJob, type OutboxState, type WriteBatch } from './state.js';

/** Most envelopes the writer puts in one segment file. */
const SEGMENT_BATCH = 256;
/** Most envelopes one run of the writer serializes before it lets the event loop go on. */
const PER_RUN = 4 * SEGMENT_BATCH;

export class OutboxWriter {
  private writeScheduled = false;
  private loaded = false;

  constructor(
    private readonly state: OutboxState,
    private readonly sender: OutboxSender,
    /** The loader's run: the writer waits for it (see writeAll). */
    ready: Promise<void>,
  ) {
    // The folder is created by load(); a write before that would fail and wrongly send the
    // outbox to memory-only mode for good.
    void ready.then(() => {
      this.loaded = true;
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
    const jobs = state.intake.slice(state.intakeHead);
    const { blobs, described } = this.serialize(jobs, state.config.maxBytes - state.totalBytes);
    if (blobs.length === 0) return false;
    const name = newSegmentName();
    hold(name);
    let encoded: { bytes: Uint8Array; records: SegmentRecord[] };
    try {
      encoded = encodeSegment(blobs);
      store.writeSync(name, encoded.bytes);
    } catch (err) {
      release(name);
      debugLog.warn('outbox: could not spill the queue to disk', err);
      return false;
    }
    for (let i = 0; i < blobs.length; i++) state.shiftIntake();
    // Admitted behind the batches still being written (they are older).
    state.batches.push({ name, segment: true, blobs, described, records: encoded.records, bytes: encoded.bytes, written: true, failed: false });
    state.batchJobs += blobs.length;
    // Requests start after the caller's code, not on its tick: starting one compresses the
    // envelope and builds the request (about 70 µs each, up to `concurrency` of them).
    this.admitWritten(true);
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
        store.writeSync(batch.name, batch.bytes);
      } catch (err) {
        debugLog.error('could not save envelopes at exit', err);
      }
    }
    for (let i = state.intakeHead; i < state.intake.length; i++) {
      const job = state.intake[i]!;
      try {
        const bytes = serializeEnvelope(job.envelope);
        store.writeSync(newEnvelopeName(), bytes);
      } catch (err) {
        debugLog.error('could not save an envelope at exit', err);
      }
    }
    // The writer will never resume: everything it held is on disk now.
    state.clearIntake();
    state.batches.length = 0;
    state.batchBytes = 0;
    state.batchJobs = 0;
  }

  // ---- writing ---------------------------------------------------------------------------------------

  scheduleWrite(): void {
    if (this.writeScheduled || !this.loaded || this.state.intakeLength() === 0) return;
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
  private startBatch(jobs: IntakeJob[]): void {
    const state = this.state;
    const { blobs, described } = this.serialize(jobs);
    const segment = jobs.length > 1;
    const name = segment ? newSegmentName() : newEnvelopeName();
    let bytes: Uint8Array;
    let records: SegmentRecord[] | undefined;
    if (segment) ({ bytes, records } = encodeSegment(blobs));
    else bytes = blobs[0]!;
    // Nothing could be serialized (already counted): nothing to write.
    if (described.every((d) => d === undefined)) return;
    const batch: WriteBatch = { name, segment, blobs, described, records, bytes, written: false, failed: false };
    state.batches.push(batch);
    state.batchJobs += jobs.length;
    if (state.mode !== 'disk') {
      batch.failed = true;
      batch.written = true;
      this.admitWritten();
      return;
    }
    hold(name);
    state.writing.add(name);
    state.batchBytes += bytes.byteLength;
    void state.config
      .store!.write(name, bytes)
      .catch((err: unknown) => {
        batch.failed = true;
        state.fallBackToMemory(err);
      })
      .then(() => {
        state.writing.delete(name);
        // persistSync (close, exit) took the batch over and wrote it itself.
        if (batch.abandoned) return this.letGo(batch);
        state.batchBytes -= bytes.byteLength;
        batch.written = true;
        this.admitWritten();
        // Room again for what waited behind the bound.
        this.scheduleWrite();
      });
  }

  /**
   * A batch persistSync took over: its file stays for whoever sends next. A single envelope goes
   * to the folder's live outbox if there is one (ownership.ts); a segment is adopted whole by the
   * next outbox that loads the folder.
   */
  private letGo(batch: WriteBatch): void {
    const store = this.state.config.store;
    if (store && !batch.failed && !batch.segment) handOver(store.directory, batch.name);
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
    if (onDisk && batch.segment) state.segments.set(batch.name, batch.described.filter(Boolean).length);
    let admitted = 0;
    for (let i = 0; i < batch.described.length; i++) {
      const entry = batch.described[i];
      if (!entry) continue;
      if (batch.segment) placeInSegment(entry, batch.name, i, batch.records![i]!);
      else {
        entry.name = batch.name;
        entry.createdAt = createdAtOf(batch.name);
      }
      if (onDisk) state.cache(entry, batch.blobs[i]!);
      else {
        // Memory only: the entry keeps its own bytes and no file.
        entry.bytes = batch.blobs[i];
        entry.segment = undefined;
      }
      state.admit(entry, true);
      admitted++;
    }
    if (!onDisk) release(batch.name);
    else if (batch.segment && admitted === 0) {
      state.segments.set(batch.name, 1);
      state.segmentDone(batch.name);
    }
  }

  /**
   * Each job's bytes and entry, in order: an empty blob and no entry (counted) for a job that
   * cannot be serialized. Stops before the job that would pass `budget` bytes.
   */
  private serialize(jobs: IntakeJob[], budget = Infinity): { blobs: Uint8Array[]; described: Array<OutboxEntry | undefined> } {
    const blobs: Uint8Array[] = [];
    const described: Array<OutboxEntry | undefined> = [];
    let bytes = 0;
    for (const job of jobs) {
      try {
        const blob = serializeEnvelope(job.envelope);
        if (bytes + blob.byteLength > budget) break;
        blobs.push(blob);
        described.push(describeEnvelope('', 0, blob.byteLength, job.envelope));
        bytes += blob.byteLength;
      } catch (err) {
        // E.g. a payload JSON cannot represent; it would fail the same way every time.
        debugLog.error('could not serialize an envelope', err);
        for (const item of job.envelope.items) this.state.record('internal_sdk_error', itemOutcomes(item));
        blobs.push(new Uint8Array(0));
        described.push(undefined);
      }
    }
    return { blobs, described };
  }
}

/** The entry is envelope `index` of segment file `name`, lying at `record` in it. */
function placeInSegment(entry: OutboxEntry, name: string, index: number, record: SegmentRecord): void {
  entry.name = segmentEntryName(name, index);
  entry.createdAt = createdAtOf(name);
  entry.segment = { name, offset: record.offset, length: record.length };
}
