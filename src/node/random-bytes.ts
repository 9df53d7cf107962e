// Random bytes for event, trace and span ids (core/ids.ts), read from /dev/urandom.
//
// The fallback, WebCrypto's getRandomValues, made Node load WebCrypto at the first id of every
// process: 6 ms on the caller's tick of its first capture (median 12.4 ms instead of 6.1,
// measured), or of a server's first traced request. /dev/urandom is the kernel's generator, the
// one WebCrypto reads too, and `node:fs` is loaded anyway: an open, a read and a close per refill
// of 256 ids, about 30 µs. Where there is none (Windows, a chroot without /dev), ids fall back to
// WebCrypto.

import * as fs from 'node:fs';

let unavailable = process.platform === 'win32';

/** Fills `array` from /dev/urandom; false, and not tried again, when that fails. */
export function fillFromUrandom(array: Uint8Array): boolean {
  if (unavailable) return false;
  let fd: number | undefined;
  try {
    fd = fs.openSync('/dev/urandom', 'r');
    let filled = 0;
    while (filled < array.length) {
      const read = fs.readSync(fd, array, filled, array.length - filled, null);
      if (read <= 0) throw new Error('/dev/urandom gave no bytes');
      filled += read;
    }
    return true;
  } catch {
    unavailable = true;
    return false;
  } finally {
    // In the background: the bytes are read, and the caller's tick need not wait for a close.
    if (fd !== undefined) fs.close(fd, () => {});
  }
}
