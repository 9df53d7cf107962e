// Delivered outbox files are written over instead of deleted and created anew. On ext4 the
// metadata work of a new file (create the inode, allocate its blocks, free them all again at the
// delete) cost more than the bytes themselves: reuse took 15-25 µs off the disk's 35-70 µs share of
// the CPU per event in the benchmark (README, Performance). So the store keeps the
// descriptors of the files it wrote, and a delivered file is renamed to a temp name (a spare)
// rather than deleted; the next write fills it from offset 0, cuts what is left of the longer
// content before, and renames it into place: whole or absent, as any outbox file.
//
// Bounded: descriptors for the newest few files only (a backlog of thousands during an outage
// must not use up the process's descriptors), and two spares. Spares hold delivered envelopes
// until written over, under the temp names every loader skips and sweeps once stale; the store
// deletes them when its outbox closes or the process exits.

import * as fs from 'node:fs';

/** Files whose descriptors are kept open (the newest written); the others are closed at once. */
const MAX_KEPT_OPEN = 8;
/** Delivered files kept for the next writes. */
const MAX_SPARES = 2;

export interface OpenFile {
  fd: number;
  /** The file's size as last written: a shorter content must cut the rest. */
  size: number;
}

export interface SpareFile extends OpenFile {
  path: string;
}

export class FileReuse {
  private readonly kept = new Map<string, OpenFile>();
  private readonly spares: SpareFile[] = [];
  private released = false;

  /** Keeps the descriptor of the file just written as `name`, while there is room. */
  keep(name: string, file: OpenFile): void {
    if (this.released || this.kept.size >= MAX_KEPT_OPEN) closeQuietly(file.fd);
    else this.kept.set(name, file);
  }

  /** The descriptor kept for `name`, given up by the store (the file is being removed). */
  take(name: string): OpenFile | undefined {
    const file = this.kept.get(name);
    if (file) this.kept.delete(name);
    return file;
  }

  /** Whether a file being removed should become a spare instead. */
  wantsSpare(): boolean {
    return !this.released && this.spares.length < MAX_SPARES;
  }

  /** A file renamed to a spare name. After release it is deleted instead. */
  addSpare(spare: SpareFile): void {
    if (this.released || this.spares.length >= MAX_SPARES) discard(spare);
    else this.spares.push(spare);
  }

  /** A spare to write over, if any. */
  takeSpare(): SpareFile | undefined {
    return this.spares.pop();
  }

  /**
   * The outbox closes or the process exits: descriptors closed, spares deleted, nothing kept from
   * now on. Synchronous, for the 'exit' event.
   */
  release(): void {
    this.released = true;
    for (const file of this.kept.values()) closeNow(file.fd);
    this.kept.clear();
    for (const spare of this.spares.splice(0)) {
      closeNow(spare.fd);
      try {
        fs.unlinkSync(spare.path);
      } catch {
        // Swept by another process already.
      }
    }
  }
}

/** A spare that cannot be used: closed and deleted, in the background. */
export function discard(spare: SpareFile): void {
  closeQuietly(spare.fd);
  fs.unlink(spare.path, () => {});
}

/** Closes in the background: on a network file system a close can wait for the server. */
export function closeQuietly(fd: number): void {
  fs.close(fd, () => {});
}

function closeNow(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Closed already.
  }
}
