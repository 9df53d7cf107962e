// When the outbox's small file operations run synchronously instead of on libuv's thread pool.
//
// An event captured on its own (an error in one request of a server, a transaction per request)
// gets a file of its own: written, renamed into place, and after delivery renamed to a spare.
// On the thread pool each of those three or four calls is a hand-over to another thread and a
// wake-up of the event loop for its callback: measured about 200 µs of CPU per envelope in all,
// as much as the rest of its delivery, where the same calls made directly cost the kernel
// 10-15 µs each. So on a local file system they are made directly, from the writer's and the
// sender's callbacks (never on a capture call), for files up to SYNC_MAX_BYTES.
//
// A file system this list does not know may be a network one, where a call can wait for a
// server: it keeps the thread pool. A local disk can still stall (a journal commit under heavy
// I/O): a few direct calls slower than SLOW_CALL_MS turn them off for good. Not the first one:
// on a busy machine the thread can lose its core for a few milliseconds in any call.

import * as fs from 'node:fs';
import { debugLog } from '../../core/debug-log.js';

/**
 * Files up to this size are written directly: a segment of about 100 events. Measured on ext4,
 * writing 1 MiB over a kept file and renaming it took about 50 µs, and 250 µs as a new file: less
 * than serializing the events in it, which the writer does on the event loop anyway.
 */
export const SYNC_MAX_BYTES = 1024 * 1024;
/** Direct calls slower than this, SLOW_CALLS_TO_STOP times, send every later one to the thread pool. */
const SLOW_CALL_MS = 10;
const SLOW_CALLS_TO_STOP = 3;

/**
 * Linux `statfs` magic numbers of local file systems: ext2/3/4, tmpfs, xfs, btrfs, overlayfs
 * (containers), f2fs, zfs, ramfs. Others (nfs, cifs, fuse, and every other platform) keep the
 * thread pool.
 */
const LOCAL_FILE_SYSTEMS = new Set([0xef53, 0x01021994, 0x58465342, 0x9123683e, 0x794c7630, 0xf2f52010, 0x2fc12fc1, 0x858458f6]);

export class SyncIo {
  private allowed = false;
  private slowCalls = 0;

  /**
   * @param mode `auto`: direct calls once `decide` finds a local file system; `never`: the
   *   thread pool always (fsync on, where each call waits for the device); `always`: tests.
   */
  constructor(
    private readonly mode: 'auto' | 'never' | 'always' = 'auto',
    private readonly slowCallMs: number = SLOW_CALL_MS,
    private readonly slowCallsToStop: number = SLOW_CALLS_TO_STOP,
  ) {
    this.allowed = mode === 'always';
  }

  /** Looks at the folder's file system (after it exists). Never rejects. */
  decide(directory: string): Promise<void> {
    if (this.mode !== 'auto' || process.platform !== 'linux' || typeof fs.statfs !== 'function') return Promise.resolve();
    return new Promise((resolve) =>
      fs.statfs(directory, (err, stats) => {
        if (!err) this.allowed = LOCAL_FILE_SYSTEMS.has(stats.type);
        resolve();
      }),
    );
  }

  /** Whether an operation on `byteLength` bytes may be made directly. */
  allows(byteLength: number): boolean {
    return this.allowed && byteLength <= SYNC_MAX_BYTES;
  }

  /** Runs `call` directly, timing it: repeatedly slow calls turn direct calls off. */
  timed<T>(call: () => T): T {
    const started = performance.now();
    try {
      return call();
    } finally {
      const took = performance.now() - started;
      if (took > this.slowCallMs && this.allowed && ++this.slowCalls >= this.slowCallsToStop) {
        this.allowed = false;
        debugLog.warn(
          `outbox: ${this.slowCalls} file operations took over ${this.slowCallMs} ms (the last ${took.toFixed(1)} ms); its files go through the thread pool from now on`,
        );
      }
    }
  }
}
