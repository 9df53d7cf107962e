// gzip for request bodies (SPEC.md decision 12), with the part that repeats compressed once.
//
// An error event ends with its stack trace (the normalizer puts `exception` last), and an app in
// trouble sends the same error again and again: the frames and their source lines, nine tenths of
// the body, are then the same bytes each time. The second time a body ends with the same stack
// trace, that end is compressed on its own and kept; from then on a body with that end is sent as
// one gzip stream made of the body's own beginning (the envelope and event headers, the message,
// the contexts) followed by the kept compressed end. Measured on the benchmark's error event:
// about 12 µs a body instead of about 70 µs for compressing it whole, for 2.2 kB on the wire
// instead of 1.4 kB (10.4 kB uncompressed).
//
// How the stream is put together (RFC 1951 and 1952): a deflate stream is a series of blocks, and
// a block may be "stored" (raw bytes with their length), which ends on a byte boundary. The
// beginning goes as a stored block, or, when it is long (many breadcrumbs), as deflate output
// flushed to a byte boundary (Z_SYNC_FLUSH); the kept end is a complete raw deflate stream
// with the final block, which only refers back into itself. The gzip trailer is the CRC-32 and
// the length of the whole body. Any body that does not fit this (no stack trace at its end, a
// Node.js without `zlib.crc32`) is compressed whole as before.

import type * as Zlib from 'node:zlib';
import { loadZlib } from './builtins.js';

/** Bodies up to this size are compressed in place (see `compressBody`); larger ones on the thread pool. */
const INLINE_GZIP_MAX = 16 * 1024;
/** Where a body's repeated end begins: the last stack trace (core/event-json.ts keeps it last). */
const TAIL_MARKER = new TextEncoder().encode('"stacktrace":');
/** Shorter ends are not worth keeping. */
const MIN_TAIL = 1024;
/** Beginnings up to this size go stored; longer ones are compressed (a stored beginning costs its size in bytes). */
const STORED_HEAD_MAX = 2048;
/** Ends remembered, most recent first: a few error sites at once. At most about 18 kB each. */
const MAX_TAILS = 8;
/** gzip member header: deflate, no name or time, unknown OS (RFC 1952 §2.3). */
const GZIP_HEADER = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

interface KnownTail {
  bytes: Uint8Array;
  /** Its raw deflate stream, made the second time the end is seen. */
  deflated?: Uint8Array;
}

/** Compresses request bodies for one transport; remembers the stack-trace ends it has seen. */
export class BodyCompressor {
  private readonly tails: KnownTail[] = [];

  /** The gzip stream of `body` (a promise for bodies compressed on the thread pool). */
  compress(body: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const zlib = loadZlib();
    if (body.byteLength > INLINE_GZIP_MAX) return gzipOnThreadPool(zlib, body);
    const split = typeof zlib.crc32 === 'function' ? lastIndexOf(body, TAIL_MARKER) : -1;
    if (split === -1 || body.byteLength - split < MIN_TAIL) return gzipInPlace(zlib, body);
    const tail = body.subarray(split);
    const known = this.find(tail);
    if (!known) {
      this.remember({ bytes: tail.slice() });
      return gzipInPlace(zlib, body);
    }
    known.deflated ??= zlib.deflateRawSync(tail, { level: 1, windowBits: windowBitsFor(tail.byteLength) });
    return joinGzip(zlib, body, split, known.deflated);
  }

  private find(tail: Uint8Array): KnownTail | undefined {
    for (let i = 0; i < this.tails.length; i++) {
      const known = this.tails[i]!;
      if (!sameBytes(known.bytes, tail)) continue;
      if (i > 0) {
        this.tails.splice(i, 1);
        this.tails.unshift(known);
      }
      return known;
    }
    return undefined;
  }

  private remember(tail: KnownTail): void {
    this.tails.unshift(tail);
    if (this.tails.length > MAX_TAILS) this.tails.pop();
  }
}

/**
 * Level 1: on event-sized JSON it is about 10% larger than the default level 6 and takes 60% of
 * its CPU. Small bodies (an error event is about 10 kB) are compressed synchronously, in the
 * transport's own callback, never on a capture call: about 50 µs, where a round trip through
 * libuv's thread pool costs 200–300 µs of CPU per call in stream and thread hand-over overhead
 * (measured: that alone was as much CPU as the raw protocol floor spends per event). Larger bodies
 * go to the thread pool, so the event loop is never held for long.
 */
function gzipInPlace(zlib: typeof Zlib, body: Uint8Array): Uint8Array {
  return zlib.gzipSync(body, { level: 1, windowBits: windowBitsFor(body.byteLength) });
}

function gzipOnThreadPool(zlib: typeof Zlib, body: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => zlib.gzip(body, { level: 1 }, (err, out) => (err ? reject(err) : resolve(out))));
}

/** One gzip member: `body`'s first `split` bytes, then `tailDeflated` (the rest, compressed alone). */
function joinGzip(zlib: typeof Zlib, body: Uint8Array, split: number, tailDeflated: Uint8Array): Uint8Array {
  const head = body.subarray(0, split);
  const headBlocks =
    split <= STORED_HEAD_MAX
      ? storedBlock(head)
      : zlib.deflateRawSync(head, { level: 1, windowBits: windowBitsFor(split), finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const out = new Uint8Array(GZIP_HEADER.length + headBlocks.byteLength + tailDeflated.byteLength + 8);
  out.set(GZIP_HEADER, 0);
  let offset = GZIP_HEADER.length;
  out.set(headBlocks, offset);
  offset += headBlocks.byteLength;
  out.set(tailDeflated, offset);
  offset += tailDeflated.byteLength;
  const trailer = new DataView(out.buffer, out.byteOffset + offset, 8);
  trailer.setUint32(0, zlib.crc32(body), true);
  trailer.setUint32(4, body.byteLength >>> 0, true);
  return out;
}

/** A non-final stored block holding `data` (at most 65,535 bytes; STORED_HEAD_MAX is far below). */
function storedBlock(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + data.byteLength);
  out[0] = 0; // BFINAL 0, BTYPE 00, then padding to the byte boundary
  out[1] = data.byteLength & 0xff;
  out[2] = data.byteLength >>> 8;
  out[3] = ~data.byteLength & 0xff;
  out[4] = (~data.byteLength >>> 8) & 0xff;
  out.set(data, 5);
  return out;
}

/**
 * The smallest deflate window that still reaches back over the whole body (a match can never be
 * farther back than that), so the output is the same as with the default 32 KiB window; zlib
 * allocates and clears the window on every call, and for an event-sized body that was a third
 * of the compression's CPU.
 */
function windowBitsFor(length: number): number {
  let bits = 9;
  while (bits < 15 && (1 << bits) - 262 < length) bits++;
  return bits;
}

function lastIndexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).lastIndexOf(needle);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
