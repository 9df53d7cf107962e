// gzip for request bodies (SPEC.md decision 12), with the part that repeats compressed once.
//
// An error event ends with its stack trace and the app's package list (the normalizer puts
// `exception` and then `modules` last), and an app in trouble sends the same error again and
// again: the frames with their source lines, and the list, most of the body, are then the same
// bytes each time; a message event ends with the list alone. The second time a body ends with
// the same bytes from there, that end is compressed on its own and kept; from then on a body with
// that end is sent as one gzip stream made of the body's own beginning (the envelope and event
// headers, the message, the contexts) followed by the kept compressed end. Measured on the
// benchmark's error event: about 10 µs a body instead of 70–90 µs for compressing it whole, for
// 2.2 kB on the wire instead of 1.4 kB (10.4 kB uncompressed).
//
// How the stream is put together (RFC 1951 and 1952): a deflate stream is a series of blocks, and
// a block may be "stored" (raw bytes with their length), which ends on a byte boundary. The
// beginning goes as a stored block, or, when it is long (many breadcrumbs), as deflate output
// flushed to a byte boundary (Z_SYNC_FLUSH); the kept end is a complete raw deflate stream
// with the final block, which only refers back into itself. The gzip trailer is the CRC-32 and
// the length of the whole body; the CRC is combined from the beginning's and the kept end's
// (crc32-combine.ts), so the end is not read again. Any body that does not fit this (neither a
// stack trace nor a package list at its end, a Node.js without `zlib.crc32`) is compressed whole.

import type * as Zlib from 'node:zlib';
import { loadZlib } from './builtins.js';
import { combineCrc32, shiftFor } from './crc32-combine.js';
import { RecentList } from '../core/recent-list.js';
import { allocBytes, view, writeUint16LE, writeUint32LE } from './bytes.js';

/**
 * Bodies up to this size are compressed in place (see `gzipInPlace`); larger ones on the thread
 * pool, unless all but this much of the body is a remembered end. 64 KiB takes about 170 µs at
 * level 1 here; the thread pool costs 300–400 µs of CPU for any body from 16 to 64 KiB (the hand-
 * over, not the compression), and an event with a full trail of breadcrumbs is 20–30 kB.
 */
const INLINE_GZIP_MAX = 64 * 1024;
/**
 * Where a body's repeated end begins: the last stack trace (the normalizer puts `exception` last
 * but for the package list, which repeats too), or, in an event without one, the package list.
 */
const TAIL_MARKER = Buffer.from('"stacktrace":');
const MODULES_MARKER = Buffer.from('"modules":');
/** Shorter ends are not worth keeping. */
const MIN_TAIL = 1024;
/**
 * Longer ends are not kept: each is compressed once on the event loop (level 1, about 0.3 ms for
 * the longest) and held as long as it is among the recent ones.
 */
const MAX_TAIL = 64 * 1024;
/** Beginnings up to this size go stored; longer ones are compressed (a stored beginning costs its size in bytes). */
const STORED_HEAD_MAX = 2048;
/** Ends remembered, most recent first: a few error sites at once. At most MAX_TAIL each. */
const MAX_TAILS = 8;
/** gzip member header: deflate, no name or time, unknown OS (RFC 1952 §2.3). */
const GZIP_HEADER = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/** A stored block's header bytes: the block type byte, LEN and NLEN. */
const STORED_BLOCK_HEADER = 5;

interface KnownTail {
  bytes: Uint8Array;
  /** It begins with the package list, not a stack trace (a message event's end). */
  listOnly: boolean;
  /** Made the second time the end is seen: its raw deflate stream, CRC-32 and CRC shift. */
  deflated?: { bytes: Uint8Array; crc: number; shift: number };
}

/** Compresses request bodies for one transport; remembers the ends it has seen. */
export class BodyCompressor {
  private readonly tails = new RecentList<KnownTail>(MAX_TAILS);

  /** The gzip stream of `body` (a promise for bodies compressed on the thread pool). */
  compress(body: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const zlib = loadZlib();
    if (typeof zlib.crc32 === 'function') {
      // Before the size check: a large body (many breadcrumbs, long source lines) whose end
      // repeats is joined here at the cost of its beginning alone.
      let known = this.tails.find(isEndOf, body);
      let split = known ? body.byteLength - known.bytes.byteLength : tailStart(body);
      if (known?.listOnly) {
        // A message event's end (the package list alone) is also the end of an error event with
        // the same list; for that one, the end from its stack trace on is the one to use or keep.
        const stackAt = asBuffer(body).lastIndexOf(TAIL_MARKER, split);
        if (stackAt !== -1) {
          known = this.tails.find(isStackEndOf, body);
          split = known ? body.byteLength - known.bytes.byteLength : stackAt;
        }
      }
      if (known && split <= INLINE_GZIP_MAX) {
        known.deflated ??= {
          // Copied to its own size: zlib's output can be a view of a larger chunk, kept as long as this.
          bytes: Uint8Array.prototype.slice.call(zlib.deflateRawSync(known.bytes, { level: 1, windowBits: windowBitsFor(known.bytes.byteLength) })),
          crc: zlib.crc32(known.bytes),
          shift: shiftFor(known.bytes.byteLength),
        };
        return joinGzip(zlib, body, split, known.deflated);
      }
      const tailLength = body.byteLength - split;
      // A copy: the body may be a view of a larger buffer (a read-ahead window) that must not be kept.
      if (!known && split !== -1 && tailLength >= MIN_TAIL && tailLength <= MAX_TAIL) {
        const bytes: Uint8Array = Uint8Array.prototype.slice.call(body, split);
        this.tails.add({ bytes, listOnly: startsWith(bytes, MODULES_MARKER) });
      }
    }
    return body.byteLength > INLINE_GZIP_MAX ? gzipOnThreadPool(zlib, body) : gzipInPlace(zlib, body);
  }
}

/** Where the end worth keeping would begin, or -1. */
function tailStart(body: Uint8Array): number {
  const bytes = asBuffer(body);
  const at = bytes.lastIndexOf(TAIL_MARKER);
  return at !== -1 ? at : bytes.lastIndexOf(MODULES_MARKER);
}

/** The same bytes as a Buffer, for its searches (only on a body whose end is not known yet). */
function asBuffer(body: Uint8Array): Buffer {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function startsWith(bytes: Uint8Array, marker: Buffer): boolean {
  return marker.compare(bytes, 0, marker.length) === 0;
}

function isStackEndOf(known: KnownTail, body: Uint8Array): boolean {
  return !known.listOnly && isEndOf(known, body);
}

/** `body` ends with the known end (compared where it would be: no search). */
function isEndOf(known: KnownTail, body: Uint8Array): boolean {
  const length = known.bytes.byteLength;
  if (length > body.byteLength) return false;
  // Buffer.compare on plain views rather than compare with offsets: the same memcmp, without the
  // JavaScript argument checks V8 would compile for it (node/bytes.ts). One memcmp of an event's
  // end is well under a microsecond, wherever the first difference is.
  return Buffer.compare(view(body, body.byteLength - length, length), known.bytes) === 0;
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

/** One gzip member: `body`'s first `split` bytes, then the rest as `tail` (compressed alone). */
function joinGzip(zlib: typeof Zlib, body: Uint8Array, split: number, tail: NonNullable<KnownTail['deflated']>): Uint8Array {
  const head = view(body, 0, split);
  const deflatedHead =
    split <= STORED_HEAD_MAX
      ? undefined
      : zlib.deflateRawSync(head, { level: 1, windowBits: windowBitsFor(split), finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const headSize = deflatedHead ? deflatedHead.byteLength : STORED_BLOCK_HEADER + split;
  const out = allocBytes(GZIP_HEADER.length + headSize + tail.bytes.byteLength + 8);
  out.set(GZIP_HEADER, 0);
  let at = GZIP_HEADER.length;
  if (deflatedHead) {
    out.set(deflatedHead, at);
  } else {
    // A non-final stored block (RFC 1951 §3.2.4): BFINAL 0, BTYPE 00, padding to the byte
    // boundary, then LEN and its complement, little-endian. STORED_HEAD_MAX is below its 65,535.
    out[at] = 0;
    writeUint16LE(out, at + 1, split);
    writeUint16LE(out, at + 3, ~split & 0xffff);
    out.set(head, at + STORED_BLOCK_HEADER);
  }
  at += headSize;
  out.set(tail.bytes, at);
  at += tail.bytes.byteLength;
  writeUint32LE(out, at, combineCrc32(zlib.crc32(head), tail.crc, tail.shift));
  writeUint32LE(out, at + 4, body.byteLength >>> 0);
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
