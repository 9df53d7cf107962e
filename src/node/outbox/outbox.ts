// The durable outbox: envelopes go to disk first and are sent from there, oldest first.
//
//   send()  → intake (bounded, in memory; the capture path stops here)
//   writer  → one file per envelope (DiskStore, atomic) → entries (bounded by count, bytes, age)
//   pump    → requests, at most `concurrency` at once, one while the server is failing
//
// A file is deleted only after a 2xx or a definitive 4xx, so delivery is at-least-once: a crash
// between the 2xx and the delete resends that envelope once on the next start (Sentry drops the
// duplicate by its event_id). Network errors, 5xx and 429 keep the envelope: 5xx and network
// errors start an exponential backoff, 429 and X-Sentry-Rate-Limits hold the envelopes of the
// limited categories until the window ends; no request is made into either.

import { debugLog } from '../../core/debug-log.js';
import { discardedEventsOf, type ClientReports, type DiscardedEvents } from '../../core/client-reports.js';
import { itemCategory, itemOutcomes, parseEnvelope, serializeEnvelope, type Envelope, type EnvelopeItem, type ItemOutcome } from '../../core/envelope.js';
import type { RateLimits } from '../../core/rate-limits.js';
import { classifyResponse, type MakeRequest, type SendResult } from '../../core/transport.js';
import type { DataCategory, DiscardReason } from '../../core/types.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { createdAtOf, newEnvelopeName, newSegmentName, type DiskStore } from './disk-store.js';
import { describeEnvelope, type OutboxEntry } from './entry.js';
import { headerOf, restamp } from './restamp.js';
import { decodeSegment, encodeSegment, isSegmentName, type SegmentRecord } from './segment.js';
import { handOver, hold, mayAdopt, registerLive, release, unregisterLive, type Adopter } from './ownership.js';

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
}

interface IntakeJob {
  envelope: Envelope;
  name?: string;
  bytes?: Uint8Array;
  /** The writer has taken it (a write is under way); a spill leaves it alone. */
  taken?: boolean;
  /** The segment being written with it, so that an exit mid-write can write the same file. */
  segment?: { name: string; bytes: Uint8Array };
}

/** The transport's MakeRequest may look at the envelope; stored ones are sent as bytes only. */
const EMPTY_ENVELOPE: Envelope = { header: {}, items: [] };
/** `<segment file>#<index>`, the index padded so that names sort in file order. */
const segmentEntryName = (segment: string, index: number): string => `${segment}#${String(index).padStart(6, '0')}`;
/** Most envelopes the writer puts in one segment file. */
const SEGMENT_BATCH = 256;
/** Files written at once by the writer. */
const WRITE_BATCH = 16;

export class Outbox implements Adopter {
  private mode: 'disk' | 'memory';
  private intake: IntakeJob[] = [];
  /** Index of the oldest job in `intake` (a head index: shift() is O(n) on a 10,000-job burst). */
  private intakeHead = 0;
  /** Bytes of stored envelopes also kept in memory, so that sending them needs no read. */
  private cachedBytes = 0;
  /** Segment files of this outbox → how many of their envelopes are still to send. */
  private readonly segments = new Map<string, number>();
  /** Oldest first (names sort by creation time). */
  private entries: OutboxEntry[] = [];
  private readonly byName = new Map<string, OutboxEntry>();
  /** Names our writer has picked but not yet admitted: the loader must not take them. */
  private readonly writing = new Set<string>();
  /** Delivered or dropped entries whose file delete is still running. */
  private readonly removing = new Set<string>();
  private readonly backoff: Backoff;
  private totalBytes = 0;
  private inFlight = 0;
  private loaded = false;
  private writerRunning = false;
  private writeScheduled = false;
  private closed = false;
  /** flush() asked for a request even during a backoff (one probe per flush). */
  private probe = false;
  /** flush() asked for pending client reports to go out even without an envelope to ride on. */
  private reportRequested = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeTime = 0;
  private idleWaiters: Array<() => void> = [];
  private corrupt = 0;
  private readonly ready: Promise<void>;

  constructor(private readonly config: OutboxConfig) {
    this.mode = config.store ? 'disk' : 'memory';
    this.backoff = new Backoff(config.backoff);
    if (config.store) registerLive(config.store.directory, this);
    this.ready = this.load();
  }

  /** Takes over a file a closed outbox of this process still had (ownership.ts); the name stays held. */
  adopt(name: string): void {
    void this.adoptFile(name);
  }

  private async adoptFile(name: string): Promise<void> {
    const store = this.config.store;
    try {
      if (!store || this.closed || this.byName.has(name)) return;
      const bytes = await store.read(name);
      const entry = describeEnvelope(name, createdAtOf(name), bytes.byteLength, parseEnvelope(bytes));
      this.admit(entry, true);
    } catch (err) {
      // Gone (delivered meanwhile) or unreadable: the next start's loader deals with what is left.
      release(name);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') debugLog.warn(`outbox: could not adopt ${name}`, err);
    } finally {
      this.pump();
      this.checkIdle();
    }
  }

  // ---- the capture path ---------------------------------------------------------------------------

  /** Enqueues and returns at once; false (already counted) when full or entirely rate limited. */
  send(envelope: Envelope): boolean {
    try {
      if (this.closed) return false;
      const items = this.dropRateLimited(envelope.items);
      if (items.length === 0) return false;
      const job: IntakeJob = { envelope: items === envelope.items ? envelope : { header: envelope.header, items } };
      if (this.intakeLength() >= this.config.bufferSize && !this.spillSync()) {
        for (const item of items) this.record('queue_overflow', itemOutcomes(item));
        return false;
      }
      this.intake.push(job);
      this.scheduleWrite();
      return true;
    } catch (err) {
      debugLog.error('outbox send failed', err);
      return false;
    }
  }

  isRateLimited(category: DataCategory): boolean {
    try {
      return this.config.rateLimits.isLimited(category);
    } catch {
      return false;
    }
  }

  // ---- flush, close, exit ---------------------------------------------------------------------------

  /** True once everything accepted (and found on disk at start) is delivered or refused. */
  flush(timeout?: number): Promise<boolean> {
    try {
      this.probe = true;
      this.scheduleWrite();
      this.pump();
      // Asked after the pump: it may just have dropped expired envelopes, and their count must
      // leave with this flush too.
      if (this.config.clientReports.hasPending()) {
        this.reportRequested = true;
        this.pump();
      }
      if (this.isIdle()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          resolve(true);
        };
        this.idleWaiters.push(done);
        if (timeout !== undefined) {
          timer = setTimeout(() => {
            this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
            resolve(false);
          }, Math.max(0, timeout));
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
    const flushed = await this.flush(timeout);
    this.closed = true;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.persistSync();
    // What is left on disk goes to the next outbox of this process, or to the next start. An
    // envelope in flight follows once its request has ended (onResult).
    if (this.config.store) {
      unregisterLive(this.config.store.directory, this);
      if (this.mode === 'disk') {
        for (const entry of this.entries) if (!entry.sending && !entry.segment) handOver(this.config.store.directory, entry.name);
      }
      // Segments are not handed over piecemeal: whoever loads the folder next adopts them whole.
      for (const name of this.segments.keys()) release(name);
    }
    return flushed;
  }

  /**
   * The intake is full: write it now, synchronously, as one segment file (segment.ts), and admit
   * its envelopes as stored. Only in disk mode and while the store has room (a full store drops
   * the newest capture as queue_overflow instead of evicting what it holds, so a tight loop of
   * 100,000 captures writes at most `maxEntries` envelopes). One write of the whole queue: a few
   * microseconds per capture, paid by the captures of a burst only; a single capture never waits
   * for the disk. Jobs the async writer has already taken (named, at the head) stay with it.
   */
  private spillSync(): boolean {
    const store = this.config.store;
    // Before load() has run (a burst right after init), the folder may not exist yet: writeSync
    // creates it, and load() skips the names this outbox holds.
    if (!store || this.mode !== 'disk') return false;
    if (this.entries.length + this.intakeLength() + 1 > this.config.maxEntries) return false;
    let first = this.intakeHead;
    while (first < this.intake.length && this.intake[first]!.taken) first++;
    const blobs: Uint8Array[] = [];
    const described: Array<OutboxEntry | undefined> = [];
    let bytes = 0;
    for (let i = first; i < this.intake.length; i++) {
      const job = this.intake[i]!;
      try {
        const blob = serializeEnvelope(job.envelope);
        if (this.totalBytes + bytes + blob.byteLength > this.config.maxBytes) break;
        blobs.push(blob);
        described.push(describeEnvelope('', 0, blob.byteLength, job.envelope));
        bytes += blob.byteLength;
      } catch (err) {
        debugLog.error('could not serialize an envelope', err);
        for (const item of job.envelope.items) this.record('internal_sdk_error', itemOutcomes(item));
        blobs.push(new Uint8Array(0));
        described.push(undefined);
      }
    }
    if (blobs.length === 0) return false;
    const name = newSegmentName();
    const createdAt = createdAtOf(name);
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
      entry.name = segmentEntryName(name, i);
      entry.createdAt = createdAt;
      entry.segment = { name, offset: records[i]!.offset, length: records[i]!.length };
      this.cache(entry, blobs[i]!);
      this.admit(entry, false);
      admitted++;
    }
    this.segments.set(name, admitted);
    if (admitted === 0) this.segmentDone(name);
    // The spilled jobs leave the queue; what did not fit (the store filled up) stays for the writer.
    this.intake.splice(first, blobs.length);
    if (this.intakeLength() === 0) this.clearIntake();
    this.pump();
    return this.intakeLength() < this.config.bufferSize;
  }

  /** One envelope of a segment is done with; the file goes when all of them are. */
  private segmentDone(name: string): void {
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
   * For the process 'exit' event, where no callback runs again: writes what is still in memory
   * and finishes deletes of delivered files, synchronously. Cheap: at most `bufferSize` files.
   */
  persistSync(): void {
    const store = this.config.store;
    if (!store) return;
    for (const name of this.removing) store.removeSync(name);
    if (this.mode !== 'disk') return;
    const segmentsWritten = new Set<string>();
    for (let i = this.intakeHead; i < this.intake.length; i++) {
      const job = this.intake[i]!;
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
    this.clearIntake();
  }

  /** Resolves once every envelope accepted so far has been written (or kept in memory). */
  async persisted(): Promise<void> {
    await this.ready;
    // Deletes too: once this resolves, the folder holds exactly the envelopes still to send.
    while (this.intakeLength() > 0 || this.writerRunning || this.removing.size > 0) {
      this.scheduleWrite();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  stats(): OutboxStats {
    return {
      mode: this.mode,
      directory: this.config.store?.directory,
      intake: this.intakeLength(),
      entries: this.entries.length,
      bytes: this.totalBytes,
      inFlight: this.inFlight,
      corrupt: this.corrupt,
    };
  }

  // ---- loading what a previous run left --------------------------------------------------------------

  private async load(): Promise<void> {
    const store = this.config.store;
    try {
      if (!store) return;
      try {
        await store.open();
      } catch (err) {
        this.fallBackToMemory(err);
        return;
      }
      const now = Date.now();
      for (const found of await store.list(now)) {
        if (this.isKnown(found) || !mayAdopt(found)) continue;
        // Adopt it under a name of our own, so that no other process sends it too.
        const segment = isSegmentName(found);
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
        if (segment) {
          await this.loadSegment(name, bytes, now);
          continue;
        }
        let envelope: Envelope;
        try {
          envelope = parseEnvelope(bytes);
        } catch (err) {
          // Only a power loss can do this (writes are atomic); nothing in it can be recovered.
          this.corrupt++;
          debugLog.warn(`outbox: removed unreadable file ${name}`, err);
          await store.remove(name).catch(() => {});
          release(name);
          continue;
        }
        const entry = describeEnvelope(name, createdAtOf(name), bytes.byteLength, envelope);
        if (now - entry.createdAt > this.config.maxAgeMs) {
          this.record('cache_overflow', entry.outcomes);
          await store.remove(name).catch(() => {});
          release(name);
          continue;
        }
        this.admit(entry, false);
      }
      this.entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.enforceBounds();
      if (this.entries.length) debugLog.log(`outbox: ${this.entries.length} envelope(s) from an earlier run to send`);
    } catch (err) {
      debugLog.error('outbox: could not read the cache folder', err);
    } finally {
      this.loaded = true;
      this.pump();
      this.checkIdle();
    }
  }

  /** The envelopes of an adopted segment file, each an entry of its own. */
  private async loadSegment(name: string, bytes: Uint8Array, now: number): Promise<void> {
    const store = this.config.store!;
    let admitted = 0;
    try {
      const records = decodeSegment(bytes);
      for (let i = 0; i < records.length; i++) {
        const record = records[i]!;
        const entry = describeEnvelope(segmentEntryName(name, i), createdAtOf(name), record.byteLength, parseEnvelope(record));
        if (now - entry.createdAt > this.config.maxAgeMs) {
          this.record('cache_overflow', entry.outcomes);
          continue;
        }
        entry.segment = { name, offset: record.byteOffset - bytes.byteOffset, length: record.byteLength };
        this.cache(entry, record.slice());
        this.admit(entry, false);
        admitted++;
      }
    } catch (err) {
      // Only a power loss can do this (writes are atomic); nothing in it can be recovered.
      this.corrupt++;
      debugLog.warn(`outbox: removed unreadable segment ${name}`, err);
      await store.remove(name).catch(() => {});
      release(name);
      return;
    }
    this.segments.set(name, admitted);
    if (admitted === 0) this.segmentDone(name);
  }

  private isKnown(name: string): boolean {
    return this.byName.has(name) || this.writing.has(name) || this.removing.has(name);
  }

  private fallBackToMemory(err: unknown): void {
    if (this.mode === 'memory') return;
    this.mode = 'memory';
    debugLog.warn(`outbox: cannot write ${this.config.store?.directory}; keeping envelopes in memory only`, err);
  }

  // ---- writing ---------------------------------------------------------------------------------------

  private scheduleWrite(): void {
    if (this.writeScheduled || this.writerRunning || this.intakeLength() === 0) return;
    this.writeScheduled = true;
    // Not unref'd on purpose: writing a few files to local disk is part of taking the envelope,
    // and a script that captures and ends should leave it on disk. The network never holds exit.
    setImmediate(() => {
      this.writeScheduled = false;
      void this.writeAll();
    });
  }

  private async writeAll(): Promise<void> {
    if (this.writerRunning) return;
    this.writerRunning = true;
    try {
      // The folder is created by load(); a write before that would fail and wrongly send the
      // outbox to memory-only mode for good.
      await this.ready;
      while (this.intakeLength() > 0) {
        // Several files at once: each write is a few thread-pool round trips (write, rename), and
        // one at a time a burst of 10,000 would take seconds to reach the disk.
        if (this.mode === 'disk' && this.intakeLength() > 1) {
          // Several waiting: one segment file for all of them (segment.ts).
          if (!(await this.writeSegment(this.intake.slice(this.intakeHead, this.intakeHead + SEGMENT_BATCH)))) return;
          this.pump();
          continue;
        }
        const batch = this.intake.slice(this.intakeHead, this.intakeHead + WRITE_BATCH);
        const entries = batch.map((job) => this.prepare(job));
        if (this.mode === 'disk') {
          await Promise.all(
            batch.map((job, i) =>
              entries[i] ? this.config.store!.write(job.name!, job.bytes!).catch((err: unknown) => this.fallBackToMemory(err)) : undefined,
            ),
          );
        }
        for (let i = 0; i < batch.length; i++) {
          const job = batch[i]!;
          const entry = entries[i];
          if (job.name) this.writing.delete(job.name);
          // persistSync or spillSync ran while we waited: they wrote these jobs themselves.
          if (this.intake[this.intakeHead] !== job) {
            for (const rest of batch.slice(i)) if (rest.name) this.writing.delete(rest.name);
            return;
          }
          this.shiftIntake();
          if (!entry) continue;
          if (this.mode === 'memory') entry.bytes = job.bytes;
          else this.cache(entry, job.bytes!);
          this.admit(entry, true);
        }
        // Send while the rest of a burst is still being written.
        this.pump();
      }
    } finally {
      this.writerRunning = false;
      // Captures that came while a spill cut this run short still need writing.
      this.scheduleWrite();
      this.pump();
      this.checkIdle();
    }
  }

  /**
   * Writes the jobs as one segment and admits them; false when a spill or the exit hook took
   * them over meanwhile (the writer then stops).
   */
  private async writeSegment(batch: IntakeJob[]): Promise<boolean> {
    const store = this.config.store!;
    const blobs: Uint8Array[] = [];
    const described: Array<OutboxEntry | undefined> = [];
    for (const job of batch) {
      job.taken = true;
      try {
        job.bytes ??= serializeEnvelope(job.envelope);
        blobs.push(job.bytes);
        described.push(describeEnvelope('', 0, job.bytes.byteLength, job.envelope));
      } catch (err) {
        debugLog.error('could not serialize an envelope', err);
        for (const item of job.envelope.items) this.record('internal_sdk_error', itemOutcomes(item));
        blobs.push(new Uint8Array(0));
        described.push(undefined);
      }
    }
    const name = newSegmentName();
    const createdAt = createdAtOf(name);
    hold(name);
    this.writing.add(name);
    const { bytes, records } = encodeSegment(blobs);
    for (const job of batch) job.segment = { name, bytes };
    try {
      await store.write(name, bytes);
    } catch (err) {
      this.fallBackToMemory(err);
    }
    this.writing.delete(name);
    // Counted before admitting: admitting may evict (cache_overflow) one of these at once.
    if (this.mode === 'disk') this.segments.set(name, described.filter(Boolean).length);
    let admitted = 0;
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i]!;
      // The exit hook wrote this segment itself and cleared the queue: nothing more to do.
      if (this.intake[this.intakeHead] !== job) return false;
      this.shiftIntake();
      const entry = described[i];
      if (!entry) continue;
      entry.name = segmentEntryName(name, i);
      entry.createdAt = createdAt;
      if (this.mode === 'memory') entry.bytes = blobs[i];
      else {
        entry.segment = { name, offset: records[i]!.offset, length: records[i]!.length };
        this.cache(entry, blobs[i]!);
      }
      this.admit(entry, true);
      admitted++;
    }
    if (this.mode !== 'disk') release(name);
    else if (admitted === 0) {
      this.segments.set(name, 1);
      this.segmentDone(name);
    }
    return true;
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
      this.writing.add(job.name);
      const createdAt = createdAtOf(job.name);
      return describeEnvelope(job.name, createdAt, job.bytes.byteLength, job.envelope);
    } catch (err) {
      // E.g. a payload JSON cannot represent; it would fail the same way every time.
      debugLog.error('could not serialize an envelope', err);
      for (const item of job.envelope.items) this.record('internal_sdk_error', itemOutcomes(item));
      return undefined;
    }
  }

  private intakeLength(): number {
    return this.intake.length - this.intakeHead;
  }

  private shiftIntake(): void {
    const job = this.intake[this.intakeHead];
    this.intake[this.intakeHead++] = undefined as unknown as IntakeJob;
    if (this.intakeHead === this.intake.length) this.clearIntake();
    else if (this.intakeHead > 1024 && this.intakeHead * 2 > this.intake.length) {
      this.intake = this.intake.slice(this.intakeHead);
      this.intakeHead = 0;
    }
  }

  private clearIntake(): void {
    this.intake = [];
    this.intakeHead = 0;
  }

  /** Keeps a written envelope's bytes for sending while the cache stays under its bound. */
  private cache(entry: OutboxEntry, bytes: Uint8Array): void {
    if (this.cachedBytes + bytes.byteLength > this.config.maxMemoryBytes) return;
    entry.cached = bytes;
    this.cachedBytes += bytes.byteLength;
  }

  private uncache(entry: OutboxEntry): void {
    if (!entry.cached) return;
    this.cachedBytes -= entry.cached.byteLength;
    entry.cached = undefined;
  }

  private admit(entry: OutboxEntry, fresh: boolean): void {
    this.entries.push(entry);
    this.byName.set(entry.name, entry);
    this.totalBytes += entry.size;
    if (fresh) this.enforceBounds();
  }

  /** Oldest first; an envelope being sent is never dropped (it may be delivered a moment later). */
  private enforceBounds(): void {
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

  private drop(entry: OutboxEntry, reason: DiscardReason): void {
    this.forget(entry);
    this.record(reason, entry.outcomes);
    this.deleteFile(entry);
  }

  private forget(entry: OutboxEntry): void {
    const index = this.entries.indexOf(entry);
    if (index !== -1) this.entries.splice(index, 1);
    this.byName.delete(entry.name);
    this.totalBytes -= entry.size;
    this.uncache(entry);
    // Still held: deleteFile (or giveUp) releases the name once the file is gone.
  }

  // ---- sending ---------------------------------------------------------------------------------------

  private pump(): void {
    try {
      if (this.closed) return;
      const now = Date.now();
      let limit = this.backoff.isFailing() ? 1 : this.config.concurrency;
      const retryAt = this.backoff.waitUntil();
      if (now < retryAt) {
        this.wakeAt(retryAt);
        if (!this.probe || this.inFlight > 0) return;
        limit = 1;
      }
      let heldUntil = Infinity;
      while (this.inFlight < limit) {
        const { entry, until } = this.nextEntry(now);
        heldUntil = Math.min(heldUntil, until);
        if (entry) {
          this.probe = false;
          this.start(entry);
          continue;
        }
        if (this.reportDue()) {
          this.probe = false;
          this.startReport();
        }
        break;
      }
      if (heldUntil !== Infinity) this.wakeAt(heldUntil);
    } catch (err) {
      debugLog.error('outbox pump failed', err);
    }
  }

  /** The oldest entry that may go now, dropping expired ones; `until` = when a held one may go. */
  private nextEntry(now: number): { entry?: OutboxEntry; until: number } {
    let until = Infinity;
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.sending) continue;
      if (now - entry.createdAt > this.config.maxAgeMs) {
        this.drop(entry, 'cache_overflow');
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
    return { until };
  }

  /** A held envelope waits for the longest limit among its categories (0 when none applies). */
  private limitedUntil(entry: OutboxEntry, now: number): number {
    let until = 0;
    for (const category of entry.categories) {
      if (this.config.rateLimits.isLimited(category, now)) until = Math.max(until, this.config.rateLimits.limitedUntil(category));
    }
    return until;
  }

  private start(entry: OutboxEntry): void {
    entry.sending = true;
    this.inFlight++;
    void this.sendEntry(entry);
  }

  private async sendEntry(entry: OutboxEntry): Promise<void> {
    let report: DiscardedEvents[] | undefined;
    let result: SendResult;
    try {
      let stored: Uint8Array;
      try {
        const store = this.config.store!;
        stored =
          entry.bytes ??
          entry.cached ??
          (entry.segment
            ? await store.readRange(entry.segment.name, entry.segment.offset, entry.segment.length)
            : await store.read(entry.name));
        if (!entry.bytes && !entry.cached) headerOf(stored); // damaged on disk: fail here, not at the server
      } catch (err) {
        // Gone from disk (another process sharing the folder delivered it), or damaged by a
        // power loss: neither gets better by retrying.
        this.giveUp(entry, err);
        return;
      }
      const reportItem = this.takeReport();
      if (reportItem) report = discardedEventsOf(reportItem);
      // Stamped now, not when written: `sent_at` must say when it was sent.
      result = await this.request(restamp(stored, reportItem ? [reportItem] : []));
    } catch (err) {
      debugLog.error('outbox: could not send a stored envelope', err);
      result = 'failed';
    }
    this.onResult(entry, result, report);
  }

  private onResult(entry: OutboxEntry, result: SendResult, report: DiscardedEvents[] | undefined): void {
    try {
      entry.sending = false;
      this.inFlight--;
      if (result === 'network_error' || result === 'failed') {
        debugLog.warn(`outbox: envelope kept for retry (${result})`);
        this.backoff.fail();
        if (report) this.config.clientReports.merge(report);
        this.letGoIfClosed(entry);
        return;
      }
      this.backoff.succeed();
      if (result === 'rate_limited') {
        if (report) this.config.clientReports.merge(report);
        this.letGoIfClosed(entry);
        return; // kept; held until the limit the 429 set has passed
      }
      if (result === 'rejected') this.record('send_error', entry.outcomes);
      this.forget(entry);
      this.deleteFile(entry);
    } catch (err) {
      debugLog.error('outbox response handling failed', err);
    } finally {
      this.pump();
      this.checkIdle();
    }
  }

  /** A request that ended after close: the envelope stays on disk for whoever sends next. */
  private letGoIfClosed(entry: OutboxEntry): void {
    const store = this.config.store;
    if (!this.closed || !store || entry.bytes) return;
    this.forget(entry);
    if (!entry.segment) handOver(store.directory, entry.name);
  }

  private giveUp(entry: OutboxEntry, err: unknown): void {
    entry.sending = false;
    this.inFlight--;
    this.forget(entry);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      this.corrupt++;
      debugLog.warn(`outbox: dropped unreadable envelope ${entry.name}`, err);
      this.record('internal_sdk_error', entry.outcomes);
      this.deleteFile(entry);
    } else if (entry.segment) {
      this.segmentDone(entry.segment.name);
    } else {
      release(entry.name);
    }
    this.pump();
    this.checkIdle();
  }

  private deleteFile(entry: OutboxEntry): void {
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

  /** Drop counts on their own (header `{}`), for flush when no envelope is there to carry them. */
  private startReport(): void {
    const reportItem = this.takeReport();
    this.reportRequested = false;
    if (!reportItem) return;
    const report = discardedEventsOf(reportItem);
    this.inFlight++;
    void this.request(serializeEnvelope({ header: {}, items: [reportItem] }))
      .catch((): SendResult => 'failed')
      .then((result) => {
        this.inFlight--;
        if (result === 'network_error' || result === 'failed') this.backoff.fail();
        else this.backoff.succeed();
        // Relay counted nothing unless it took the report; a 4xx would refuse it again.
        if (result === 'network_error' || result === 'failed' || result === 'rate_limited') {
          this.config.clientReports.merge(report);
          this.reportRequested = true;
        }
        this.pump();
        this.checkIdle();
      });
  }

  private reportDue(): boolean {
    return this.reportRequested && this.config.clientReports.hasPending() && !this.config.rateLimits.isLimited('internal');
  }

  private takeReport(): EnvelopeItem | undefined {
    if (!this.config.clientReports.hasPending() || this.config.rateLimits.isLimited('internal')) return undefined;
    return this.config.clientReports.take();
  }

  /** One request; every response teaches the rate limits, whatever its status. */
  private async request(body: Uint8Array): Promise<SendResult> {
    try {
      const response = await this.config.makeRequest(body, EMPTY_ENVELOPE);
      try {
        this.config.rateLimits.update(response.statusCode, { retryAfter: response.retryAfter, rateLimits: response.rateLimits });
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
    if (this.closed) return;
    if (this.wakeTimer !== undefined && this.wakeTime <= at && this.wakeTime > Date.now()) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTime = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, Math.max(0, at - Date.now()) + 1);
    this.wakeTimer.unref();
  }

  // ---- bookkeeping -----------------------------------------------------------------------------------

  private isIdle(): boolean {
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

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Limited items are counted (client reports are kept for later, not counted as drops). */
  private dropRateLimited(items: EnvelopeItem[]): EnvelopeItem[] {
    const now = Date.now();
    let kept: EnvelopeItem[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (!this.config.rateLimits.isLimited(itemCategory(item.header.type), now)) {
        kept?.push(item);
        continue;
      }
      kept ??= items.slice(0, i);
      if (item.header.type === 'client_report') this.config.clientReports.merge(discardedEventsOf(item));
      else this.record('ratelimit_backoff', itemOutcomes(item));
    }
    return kept ?? items;
  }

  private record(reason: DiscardReason, outcomes: ItemOutcome[]): void {
    try {
      for (const o of outcomes) this.config.recordDroppedEvent(reason, o.category, o.quantity);
    } catch (err) {
      debugLog.warn('could not record a dropped item', err);
    }
  }
}
