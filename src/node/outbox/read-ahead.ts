// Reading a segment's envelopes back when they are not in the memory cache (a flood larger than
// the cache, or segments a dead process left behind). Read one by one, each envelope cost an
// open, a read and a close through the thread pool: in a 10,000-event flood that was more main-
// thread time than the request itself. The sender takes entries oldest first, so the envelopes
// of a segment are wanted in file order: one read of a window of up to 1 MiB serves the next
// several, and two windows cover the requests in flight across a segment boundary. A window stops
// at the end of its file: a 1 MiB buffer for the last 200 kB of a segment was allocated and
// zero-filled whole on the main thread (on this project's VM 0.4 ms against 0.2, medians, and up
// to 3 ms when its pages came fresh from the kernel).

import type { DiskStore } from './disk-store.js';
import type { SegmentPlace } from './segment.js';

/** How far one read reaches ahead of the envelope asked for. */
const WINDOW_BYTES = 1024 * 1024;
/** Windows kept: the one being used and the one before it (requests in flight overlap them). */
const WINDOWS_KEPT = 2;

interface Window {
  name: string;
  offset: number;
  bytes: Promise<Uint8Array>;
}

export class SegmentReadAhead {
  private windows: Window[] = [];

  constructor(private readonly store: DiskStore) {}

  /** The envelope's bytes, from a window already read or from a new one starting at it. */
  async read({ name, offset, length, fileLength }: SegmentPlace): Promise<Uint8Array> {
    for (const window of this.windows) {
      if (window.name !== name || offset < window.offset) continue;
      const start = offset - window.offset;
      if (start >= WINDOW_BYTES) continue;
      const bytes = await window.bytes.catch(() => undefined);
      if (bytes && start + length <= bytes.byteLength) return bytes.subarray(start, start + length);
    }
    // An envelope larger than a window is read alone, and not kept.
    if (length >= WINDOW_BYTES) return this.store.readRange(name, offset, length);
    const reach = Math.max(length, Math.min(WINDOW_BYTES, fileLength - offset));
    const window: Window = { name, offset, bytes: this.store.readAt(name, offset, length, reach) };
    this.windows.push(window);
    if (this.windows.length > WINDOWS_KEPT) this.windows.shift();
    const bytes = await window.bytes;
    return bytes.subarray(0, length);
  }

  /** Nothing left to send: the windows would only hold memory. */
  clear(): void {
    if (this.windows.length > 0) this.windows = [];
  }
}
