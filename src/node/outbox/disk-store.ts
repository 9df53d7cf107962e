// The outbox's files: one envelope per file, made visible only by an atomic rename, so a process
// killed at any moment leaves either a whole envelope or nothing (plus a stray temp file that
// the next start sweeps away). No index file exists: the directory listing is the index, so there
// is nothing that a crash could leave half-updated.
//
// fsync policy: off by default. A process crash (SIGKILL, OOM, uncaught exception) cannot lose a
// file that was renamed into place: the data is in the kernel's page cache. Only a power loss or a
// kernel panic can, and then the loader drops what it cannot parse. `fsync: true` flushes each file
// to the device before the rename, for hosts where that matters more than ~1 ms per envelope.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeQuietly, discard, FileReuse, type OpenFile } from './file-reuse.js';
import { isSegmentName, joinChunks, SEGMENT_SUFFIX } from './segment.js';
import { SyncIo } from './sync-io.js';

export const ENVELOPE_SUFFIX = '.envelope';
const TMP_SUFFIX = '.tmp';
/** Temp files younger than this may belong to a live writer (another process on the same folder). */
const STALE_TMP_MS = 60_000;

/**
 * A file's content: one array, or pieces written in order with one vectored write (a segment's
 * header, lengths and envelopes, never joined in memory).
 */
export type FileContent = Uint8Array | readonly Uint8Array[];

/** Most pieces given to one vectored write (the system's limit is 1,024). */
const MAX_PIECES = 512;

let sequence = 0;
let spareSequence = 0;

/**
 * A callback-style fs call as a promise. Not `fs.promises`: loading it costs every process about
 * 0.4 MiB at start-up, for the handful of calls the store makes.
 */
function call<T = void>(run: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

/**
 * `<ms since epoch, 13 digits>-<pid>-<seq>-<random>.envelope`: names sort by age, and two
 * processes (or two restarts of one pid) never pick the same name.
 */
export function newEnvelopeName(now: number = Date.now()): string {
  sequence = (sequence + 1) % 1_000_000_000;
  const random = Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0');
  // Fixed widths, so that the names' text order is their creation order.
  const pid = String(process.pid).padStart(7, '0');
  return `${String(now).padStart(13, '0')}-${pid}-${String(sequence).padStart(9, '0')}-${random}${ENVELOPE_SUFFIX}`;
}

/** A segment's name: the same scheme, so it sorts by age with single envelopes. */
export function newSegmentName(now: number = Date.now()): string {
  return newEnvelopeName(now).slice(0, -ENVELOPE_SUFFIX.length) + SEGMENT_SUFFIX;
}

/** When the envelope was written, read back from its name (NaN for foreign names). */
export function createdAtOf(name: string): number {
  return Number(name.slice(0, name.indexOf('-')));
}

export function isEnvelopeName(name: string): boolean {
  return (name.endsWith(ENVELOPE_SUFFIX) || isSegmentName(name)) && !name.startsWith('.') && Number.isFinite(createdAtOf(name));
}

export class DiskStore {
  /** Descriptors of the files written here, and delivered files kept to be written over. */
  private readonly files = new FileReuse();
  /** Whether small files are written and removed directly rather than on the thread pool (sync-io.ts). */
  private readonly direct: SyncIo;
  /**
   * The folder's absolute path and a separator: a file's path is this plus its name. Not
   * path.join per call: it normalizes the whole path each time, about 5 µs an envelope.
   */
  private readonly prefix: string;

  constructor(
    readonly directory: string,
    private readonly fsync: boolean = false,
    direct?: SyncIo,
  ) {
    // With fsync each call waits for the device: never on the event loop.
    this.direct = fsync ? new SyncIo('never') : (direct ?? new SyncIo('auto'));
    const folder = path.resolve(directory);
    this.prefix = folder.endsWith(path.sep) ? folder : folder + path.sep;
  }

  /** The path of `name` in the folder (a plain name: the store's own, or one read from its listing). */
  private pathOf(name: string): string {
    return this.prefix + name;
  }

  /** Creates the folder; rejects when it cannot be written (read-only disk, a file in the way). */
  async open(): Promise<void> {
    await call((done) => fs.mkdir(this.directory, { recursive: true }, (err) => done(err)));
    await call((done) => fs.access(this.directory, fs.constants.W_OK, done));
    await this.direct.decide(this.directory);
  }

  /**
   * Write to a temp name, then rename: the envelope appears whole or not at all. The temp file is
   * a delivered one when there is one to write over (file-reuse.ts), else a new one. A small file
   * on a local disk is written before this returns (sync-io.ts).
   */
  async write(name: string, content: FileContent): Promise<void> {
    const pieces = piecesOf(content);
    const byteLength = contentLength(content);
    const target = this.pathOf(name);
    if (this.direct.allows(byteLength)) return this.direct.timed(() => this.writeNow(target, name, pieces, byteLength));
    const spare = this.files.takeSpare();
    if (spare) {
      try {
        await this.fill(spare.fd, pieces, byteLength, spare.size);
        await call((done) => fs.rename(spare.path, target, done));
        this.files.keep(name, { fd: spare.fd, size: byteLength });
        return;
      } catch {
        // Swept by another process's loader, or the disk failed it: a new file, as usual.
        discard(spare);
      }
    }
    const tmp = this.pathOf(`.${name}.${process.pid}${TMP_SUFFIX}`);
    const fd = await call<number>((done) => fs.open(tmp, 'w', done));
    try {
      await this.fill(fd, pieces, byteLength, 0);
      await call((done) => fs.rename(tmp, target, done));
    } catch (err) {
      discard({ fd, size: 0, path: tmp });
      throw err;
    }
    this.files.keep(name, { fd, size: byteLength });
  }

  /** `write`, made directly. */
  private writeNow(target: string, name: string, pieces: readonly Uint8Array[], byteLength: number): void {
    const spare = this.files.takeSpare();
    if (spare) {
      try {
        fillNow(spare.fd, pieces, byteLength, spare.size);
        fs.renameSync(spare.path, target);
        this.files.keep(name, { fd: spare.fd, size: byteLength });
        return;
      } catch {
        discard(spare);
      }
    }
    const tmp = this.pathOf(`.${name}.${process.pid}${TMP_SUFFIX}`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fillNow(fd, pieces, byteLength, 0);
      fs.renameSync(tmp, target);
    } catch (err) {
      discard({ fd, size: 0, path: tmp });
      throw err;
    }
    this.files.keep(name, { fd, size: byteLength });
  }

  /** The pieces from offset 0 of an open file, cutting what a longer earlier content left after them. */
  private async fill(fd: number, pieces: readonly Uint8Array[], byteLength: number, oldSize: number): Promise<void> {
    let written = await call<number>((done) => fs.writev(fd, pieces, 0, done));
    // A short write (a full disk, a signal): the rest from one array.
    if (written < byteLength) {
      const rest = joinChunks(pieces, byteLength);
      while (written < byteLength) {
        written += await call<number>((done) => fs.write(fd, rest, written, byteLength - written, written, done));
      }
    }
    if (oldSize > byteLength) await call((done) => fs.ftruncate(fd, byteLength, done));
    if (this.fsync) await call((done) => fs.fsync(fd, done));
  }

  /**
   * The same, synchronously, for the process 'exit' event where no callback will ever run again.
   * A different temp name from the async path, and the same final name: if an async write of the
   * same envelope did reach its rename, this one replaces it with identical bytes.
   */
  writeSync(name: string, content: FileContent): void {
    // At exit the asynchronous open() may not have run yet.
    fs.mkdirSync(this.directory, { recursive: true });
    const tmp = this.pathOf(`.${name}.${process.pid}.sync${TMP_SUFFIX}`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fillNow(fd, piecesOf(content), contentLength(content), 0);
      if (this.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.pathOf(name));
  }

  /**
   * Takes an envelope over by renaming it (ownership.ts). False when it is gone: another process
   * adopted or delivered it first.
   */
  async claim(name: string, newName: string): Promise<boolean> {
    try {
      await call((done) => fs.rename(this.pathOf(name), this.pathOf(newName), done));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  read(name: string): Promise<Uint8Array> {
    return call<Uint8Array>((done) => fs.readFile(this.pathOf(name), done));
  }

  /** `length` bytes at `offset` of a file (one envelope of a segment). */
  readRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    return this.readAt(name, offset, length, length);
  }

  /**
   * At least `minLength` and up to `maxLength` bytes at `offset` (fewer than `maxLength` where the
   * file ends): one read for a run of a segment's envelopes (read-ahead.ts).
   */
  readAt(name: string, offset: number, minLength: number, maxLength: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      fs.open(this.pathOf(name), 'r', (err, fd) => {
        if (err) return reject(err);
        const buffer = new Uint8Array(maxLength);
        fs.read(fd, buffer, 0, maxLength, offset, (readErr, bytesRead) => {
          fs.close(fd, () => {});
          if (readErr) reject(readErr);
          else if (bytesRead < minLength) reject(new Error(`short read of ${name}`));
          else resolve(bytesRead === maxLength ? buffer : buffer.subarray(0, bytesRead));
        });
      });
    });
  }

  /**
   * Already gone counts as removed (another process, or a retry of the same delete). A file this
   * store wrote and still holds open becomes a spare instead, while fewer than two are kept.
   */
  remove(name: string): Promise<void> {
    const file = this.pathOf(name);
    const open = this.files.take(name);
    if (open && this.files.wantsSpare()) {
      const spare = this.pathOf(`.spare-${process.pid}-${++spareSequence}${TMP_SUFFIX}`);
      if (this.direct.allows(0)) return this.spareNow(file, spare, open);
      return new Promise<void>((resolve, reject) =>
        fs.rename(file, spare, (err) => {
          if (!err) {
            this.files.addSpare({ ...open, path: spare });
            return resolve();
          }
          closeQuietly(open.fd);
          if (err.code === 'ENOENT') return resolve();
          // A system that will not rename an open file: deleted the usual way.
          unlink(file).then(resolve, reject);
        }),
      );
    }
    if (open) closeQuietly(open.fd);
    return unlink(file);
  }

  /** `remove`'s rename to a spare, made directly. */
  private async spareNow(file: string, spare: string, open: OpenFile): Promise<void> {
    try {
      this.direct.timed(() => fs.renameSync(file, spare));
    } catch (err) {
      closeQuietly(open.fd);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      return unlink(file);
    }
    this.files.addSpare({ ...open, path: spare });
  }

  removeSync(name: string): void {
    const open = this.files.take(name);
    if (open) closeQuietly(open.fd);
    try {
      fs.unlinkSync(this.pathOf(name));
    } catch {
      // Gone already, or the disk went away: the next start resends it at worst.
    }
  }

  /** The outbox closes or the process exits: open files closed, spares deleted (synchronous). */
  releaseFiles(): void {
    this.files.release();
  }

  /** Envelope file names, oldest first. Stale temp files from crashed writers are deleted. */
  async list(now: number = Date.now()): Promise<string[]> {
    const names = await call<string[]>((done) => fs.readdir(this.directory, done));
    const envelopes: string[] = [];
    for (const name of names) {
      if (isEnvelopeName(name)) envelopes.push(name);
      else if (name.endsWith(TMP_SUFFIX)) await this.sweepTemp(name, now);
    }
    return envelopes.sort();
  }

  private async sweepTemp(name: string, now: number): Promise<void> {
    try {
      const file = this.pathOf(name);
      const stat = await call<fs.Stats>((done) => fs.stat(file, done));
      if (now - stat.mtimeMs > STALE_TMP_MS) await call((done) => fs.unlink(file, done));
    } catch {
      // Raced with its writer or another sweeper: nothing to do.
    }
  }
}

/** Already gone counts as removed (another process, or a retry of the same delete). */
function unlink(file: string): Promise<void> {
  return new Promise<void>((resolve, reject) => fs.unlink(file, (err) => (err && err.code !== 'ENOENT' ? reject(err) : resolve())));
}

/** The pieces from offset 0 of an open file, synchronously; cuts what a longer earlier content left. */
function fillNow(fd: number, pieces: readonly Uint8Array[], byteLength: number, oldSize: number): void {
  let written = fs.writevSync(fd, pieces, 0);
  // A short write (a full disk, a signal): the rest from one array.
  if (written < byteLength) {
    const rest = joinChunks(pieces, byteLength);
    while (written < byteLength) written += fs.writeSync(fd, rest, written, byteLength - written, written);
  }
  if (oldSize > byteLength) fs.ftruncateSync(fd, byteLength);
}

/** The content as at most MAX_PIECES pieces for one vectored write. */
function piecesOf(content: FileContent): readonly Uint8Array[] {
  if (content instanceof Uint8Array) return [content];
  return content.length <= MAX_PIECES ? content : [joinChunks(content, contentLength(content))];
}

function contentLength(content: FileContent): number {
  if (content instanceof Uint8Array) return content.byteLength;
  let length = 0;
  for (const piece of content) length += piece.byteLength;
  return length;
}
