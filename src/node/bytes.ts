// Byte work on the request path done with typed-array built-ins and plain loops, not with
// Buffer's helpers (allocUnsafe, write, writeUInt32LE, compare with offsets, indexOf, toString,
// subarray). Those are JavaScript inside Node, with argument checks and pooling, and a process
// that calls them for every request has V8's optimizing compiler compile them too: in the
// benchmark's CPU scenario they were 16 of faultline's 113 compile jobs, about 35 ms, for a few
// hundred bytes of HTTP head and a few bytes of gzip trailer per request (bench/FINDINGS.md).

/** Writes `text`, whose characters are all below 256, as latin1 bytes into `out` at `at`. */
export function writeLatin1(out: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
}

/** `bytes[start, end)` read as latin1. */
export function readLatin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  // In slices: fromCharCode takes its arguments on the stack.
  for (let from = start; from < end; from += 4096) {
    const slice = view(bytes, from, Math.min(end - from, 4096));
    text += String.fromCharCode.apply(null, slice as unknown as number[]);
  }
  return text;
}

/** Where `needle` first occurs in `bytes` at or after `from`, or -1. For short texts: a plain scan. */
export function indexOfBytes(bytes: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = bytes.length - needle.length;
  outer: for (let i = from; i <= last; i++) {
    if (bytes[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** `value` as four little-endian bytes at `at`. */
export function writeUint32LE(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = (value >>> 24) & 0xff;
}

/** `value` as two little-endian bytes at `at`. */
export function writeUint16LE(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
}

/**
 * `length` bytes of `bytes` from `start`, as a plain Uint8Array view. Not `subarray`: on a Buffer
 * that is Node's JavaScript (its offset checks, then a Buffer made by hand).
 */
export function view(bytes: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
}

/** The slab small requests are cut from; replaced, never reused, when it runs out. */
let slab = new ArrayBuffer(0);
let slabUsed = 0;
const SLAB_BYTES = 64 * 1024;
/** Larger ones get their own memory: a slab is kept alive by any piece of it still in use. */
const SLAB_PIECE_MAX = 16 * 1024;

/**
 * `length` bytes to write over entirely (their content is left as it was). As Buffer.allocUnsafe
 * does for small sizes, pieces are cut one after another from a larger block: a typed array of
 * its own costs a separate allocation, three times the time for a request-sized piece.
 */
export function allocBytes(length: number): Uint8Array {
  if (length > SLAB_PIECE_MAX) return new Uint8Array(length);
  if (slabUsed + length > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const piece = new Uint8Array(slab, slabUsed, length);
  // The next piece starts 8-aligned, as Node's pool does.
  slabUsed = (slabUsed + length + 7) & ~7;
  return piece;
}
