// The outbox's writing side: moves envelopes from the in-memory intake queue to disk and admits
// them as entries the sender can send. Three ways, by urgency:
//
// - writeAll: the asynchronous writer, off the capture path (a file per envelope, or a segment
//   file for several waiting at once);
// - spillSync: the intake is full in the middle of a burst, so it goes to disk on the caller's
//   tick, as one segment file;
// - persistSync: the process is exiting and no callback will run again.
//
// Kept apart from the sender and the loader because it is the only part that creates files.

import { debugLog } from '../../core/debug-log.js';
import { itemOutcomes, serializeEnvelope } from '../../core/envelope.js';
import { createdAtOf, newEnvelopeName, newSegmentName } from './disk-store.js';
import { describeEnvelope, type OutboxEntry } from './entry.js';
import { hold, release } from './ownership.js';
import { encodeSegment, type SegmentRecord } from './segment.js';
import type { OutboxSender } from './sender.js';
import { segmentEntryName, type IntakeJob, type OutboxState } from './state.js';

/** Most envelopes the writer puts in one segment file. */
const SEGMENT_BATCH = 256;

export class OutboxWriter {
  private writeScheduled = false;

  constructor(
    private readonly state: OutboxState,
    private readonly sender: OutboxSender,
    /** The loader's run: the writer waits for it (see writeAll). */
    private readonly ready: Promise<void>,
  ) {}

  /**
   * The intake is full: write it now, synchronously, as one segment file (segment.ts), and admit
   * its envelopes as stored. Only in disk mode and while the store has room (a full store drops
   * the newest capture as queue_overflow instead of evicting what it holds, so a tight loop of
   * 100,000 captures writes at most `maxEntries` envelopes). One write of the whole queue: a few
   * microseconds per capture, paid by the captures of a burst only; a single capture never waits
   * for the disk. Jobs the async writer has already taken (named, at the head) stay with it.
   */
  spillSync(): boolean {
    const state = this.state;
    const store = state.config.store;
    // Before load() has run (a burst right after init), the folder may not exist yet: writeSync
    // creates it, and load() skips the names this outbox holds.
    if (!store || state.mode !== 'disk') return false;
    if (state.entries.length + state.intakeLength() + 1 > state.config.maxEntries) return false;
    let first = state.intakeHead;
    while (first < state.intake.length && state.intake[first]!.taken) first++;
    // What still fits the store's byte bound; the rest stays queued for the writer.
    const { blobs, described } = this.serialize(state.intake.slice(first), state.config.maxBytes - state.totalBytes);
    if (blobs.length === 0) return false;
    const name = newSegmentName();
    hold(name);
    let records: SegmentRecord[];
    try {
      const encoded = encodeSegment(blobs);
      records = encoded.records;
      store.writeSync(name, encoded.bytes);
    } catch (err) {
      release(name);
      debugLog.warn('outbox: could not spill the queue to disk', err);
      return false;
    }
    let admitted = 0;
    for (let i = 0; i < blobs.length; i++) {
      const entry = described[i];
      if (!entry) continue;
      placeInSegment(entry, name, i, records[i]!);
      state.cache(entry, blobs[i]!);
      state.admit(entry, false);
      admitted++;
    }
    state.segments.set(name, admitted);
    if (admitted === 0) state.segmentDone(name);
    // The spilled jobs leave the queue; what did not fit (the store filled up) stays for the writer.
    state.intake.splice(first, blobs.length);
    if (state.intakeLength() === 0) state.clearIntake();
    this.sender.pump();
    return state.intakeLength() < state.config.bufferSize;
  }

  /**
   * For the process 'exit' event, where no callback runs again: writes what is still in memory
   * and finishes deletes of delivered files, synchronously. Cheap: at most `bufferSize` files.
   */
  persistSync(): void {
    const state = this.state;
    const store = state.config.store;
    if (!store) return;
    for (const name of state.removing) store.removeSync(name);
    if (state.mode !== 'disk') return;
    const segmentsWritten = new Set<string>();
    for (let i = state.intakeHead; i < state.intake.length; i++) {
      const job = state.intake[i]!;
      try {
        if (job.segment) {
          // Its segment's asynchronous write will never finish: write the same file now.
          if (!segmentsWritten.has(job.segment.name)) store.writeSync(job.segment.name, job.segment.bytes);
          segmentsWritten.add(job.segment.name);
          continue;
        }
        job.bytes ??= serializeEnvelope(job.envelope);
        job.name ??= newEnvelopeName();
        store.writeSync(job.name, job.bytes);
      } catch (err) {
        debugLog.error('could not save an envelope at exit', err);
      }
    }
    // The writer will never resume: everything it held is on disk now.
    state.clearIntake();
  }

  // ---- writing ---------------------------------------------------------------------------------------

  scheduleWrite(): void {
    if (this.writeScheduled || this.state.writerRunning || this.state.intakeLength() === 0) return;
    this.writeScheduled = true;
    // Not unref'd on purpose: writing a few files to local disk is part of taking the envelope,
    // and a script that captures and ends should leave it on disk. The network never holds exit.
    setImmediate(() => {
      this.writeScheduled = false;
      void this.writeAll();
    });
  }

  private async writeAll(): Promise<void> {
    const state = this.state;
    if (state.writerRunning) return;
    state.writerRunning = true;
    try {
      // The folder is created by load(); a write before that would fail and wrongly send the
      // outbox to memory-only mode for good.
      await this.ready;
      while (state.intakeLength() > 0) {
        if (state.intakeLength() > 1) {
          // Several waiting: one segment file for all of them (segment.ts), not a file each (a
          // file is a few thread-pool round trips: a burst of 10,000 would take seconds).
          if (!(await this.writeSegment(state.intake.slice(state.intakeHead, state.intakeHead + SEGMENT_BATCH)))) return;
          this.sender.pump();
          continue;
        }
        // One waiting (the usual single capture): a file of its own.
        const job = state.intake[state.intakeHead]!;
        const entry = this.prepare(job);
        if (entry && state.mode === 'disk') {
          await state.config.store!.write(job.name!, job.bytes!).catch((err: unknown) => state.fallBackToMemory(err));
        }
        if (job.name) state.writing.delete(job.name);
        // persistSync or spillSync ran while we waited: they wrote this job themselves.
        if (state.intake[state.intakeHead] !== job) return;
        state.shiftIntake();
        if (entry) {
          if (state.mode === 'memory') entry.bytes = job.bytes;
          else state.cache(entry, job.bytes!);
          state.admit(entry, true);
        }
        // Send while the rest of a burst is still being written.
        this.sender.pump();
      }
    } finally {
      state.writerRunning = false;
      // Captures that came while a spill cut this run short still need writing.
      this.scheduleWrite();
      this.sender.pump();
      state.checkIdle();
    }
  }

  /**
   * Writes the jobs as one segment and admits them; false when a spill or the exit hook took
   * them over meanwhile (the writer then stops).
   */
  private async writeSegment(batch: IntakeJob[]): Promise<boolean> {
    const state = this.state;
    const store = state.config.store;
    for (const job of batch) job.taken = true;
    const { blobs, described } = this.serialize(batch);
    const name = newSegmentName();
    hold(name);
    state.writing.add(name);
    const { bytes, records } = encodeSegment(blobs);
    if (state.mode === 'disk') {
      for (const job of batch) job.segment = { name, bytes };
      try {
        await store!.write(name, bytes);
      } catch (err) {
        state.fallBackToMemory(err);
      }
    }
    state.writing.delete(name);
    // Counted before admitting: admitting may evict (cache_overflow) one of these at once.
    if (state.mode === 'disk') state.segments.set(name, described.filter(Boolean).length);
    let admitted = 0;
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i]!;
      // The exit hook wrote this segment itself and cleared the queue: nothing more to do.
      if (state.intake[state.intakeHead] !== job) return false;
      state.shiftIntake();
      const entry = described[i];
      if (!entry) continue;
      placeInSegment(entry, name, i, records[i]!);
      if (state.mode === 'memory') {
        entry.bytes = blobs[i];
        entry.segment = undefined;
      } else {
        state.cache(entry, blobs[i]!);
      }
      state.admit(entry, true);
      admitted++;
    }
    if (state.mode !== 'disk') release(name);
    else if (admitted === 0) {
      state.segments.set(name, 1);
      state.segmentDone(name);
    }
    return true;
  }

  /**
   * Each job's bytes and entry, in order, for a segment: an empty blob and no entry (counted) for
   * a job that cannot be serialized. Stops before the job that would pass `budget` bytes.
   */
  private serialize(jobs: IntakeJob[], budget = Infinity): { blobs: Uint8Array[]; described: Array<OutboxEntry | undefined> } {
    const blobs: Uint8Array[] = [];
    const described: Array<OutboxEntry | undefined> = [];
    let bytes = 0;
    for (const job of jobs) {
      try {
        job.bytes ??= serializeEnvelope(job.envelope);
        if (bytes + job.bytes.byteLength > budget) break;
        blobs.push(job.bytes);
        described.push(describeEnvelope('', 0, job.bytes.byteLength, job.envelope));
        bytes += job.bytes.byteLength;
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

  /** Serializes and names a job; undefined (counted) when it cannot be serialized. */
  private prepare(job: IntakeJob): OutboxEntry | undefined {
    job.taken = true;
    try {
      job.bytes ??= serializeEnvelope(job.envelope);
      if (job.name === undefined) {
        job.name = newEnvelopeName();
        hold(job.name);
      }
      this.state.writing.add(job.name);
      const createdAt = createdAtOf(job.name);
      return describeEnvelope(job.name, createdAt, job.bytes.byteLength, job.envelope);
    } catch (err) {
      // E.g. a payload JSON cannot represent; it would fail the same way every time.
      debugLog.error('could not serialize an envelope', err);
      for (const item of job.envelope.items) this.state.record('internal_sdk_error', itemOutcomes(item));
      return undefined;
    }
  }
}

/** The entry is envelope `index` of segment file `name`, lying at `record` in it. */
function placeInSegment(entry: OutboxEntry, name: string, index: number, record: SegmentRecord): void {
  entry.name = segmentEntryName(name, index);
  entry.createdAt = createdAtOf(name);
  entry.segment = { name, offset: record.offset, length: record.length };
}
