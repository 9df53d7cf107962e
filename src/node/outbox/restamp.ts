// A stored envelope goes out with a fresh `sent_at` (PROTOCOL.md §4: when it was sent, not when
// it was written), and sometimes with a client report riding along. Both touch only the header
// line and the end: the items in between are sent as the bytes on disk, never parsed and
// serialized again (that was a third of the outbox's CPU per event).

import { serializeEnvelope, type EnvelopeItem } from '../../core/envelope.js';
import { isoTimestamp } from '../../core/iso-time.js';
import { writeLatin1 } from '../bytes.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;

/** serializeEnvelope ends every header line with this key and a 24-character ISO timestamp. */
const SENT_AT_TAIL = encoder.encode('"sent_at":"2000-01-01T00:00:00.000Z"}');
const STAMP_LENGTH = 24;

/**
 * The same envelope with `sent_at` = now. Throws when the header line is not a JSON object
 * (a file damaged on disk): the caller gives such an envelope up instead of sending it.
 *
 * An envelope this SDK wrote is stamped in place: the bytes are the outbox's own copy (its
 * memory cache, a read-ahead window, a memory-only entry), never written to disk again and never
 * sent twice at once, and a copy of each was measurable per event.
 */
export function restamp(bytes: Uint8Array, now: number = Date.now()): Uint8Array {
  // Uint8Array's own indexOf: on a Buffer (a segment read back from disk) `bytes.indexOf` is
  // Node's JavaScript one, with its argument checks, and this runs for every envelope sent
  // (node/bytes.ts).
  let end = Uint8Array.prototype.indexOf.call(bytes, NEWLINE);
  if (end === -1) end = bytes.length;
  const stamp = isoTimestamp(now);
  // The usual case, an envelope this SDK wrote: overwrite the timestamp's bytes, with no parse
  // (under 1 µs instead of 10). Anything else takes the parsing way below.
  if (bytes[0] === 0x7b && stamp.length === STAMP_LENGTH && endsWithSentAt(bytes, end)) {
    writeLatin1(bytes, end - 2 - STAMP_LENGTH, stamp);
    return bytes;
  }
  const header: unknown = JSON.parse(decoder.decode(bytes.subarray(0, end)));
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error('envelope header is not a JSON object');
  (header as Record<string, unknown>)['sent_at'] = stamp;
  const head = encoder.encode(JSON.stringify(header));
  const rest = bytes.subarray(Math.min(end + 1, bytes.length));
  const out = new Uint8Array(head.byteLength + 1 + rest.byteLength);
  out.set(head, 0);
  out[head.byteLength] = NEWLINE;
  out.set(rest, head.byteLength + 1);
  return out;
}

/**
 * The header line (bytes before `end`) ends with `"sent_at":"<24 characters>"}` and has a `,` or
 * `{` before it, so it is a JSON object whose last key is sent_at. A line damaged elsewhere would
 * still pass: the server rejects it, as it would any damaged payload.
 */
function endsWithSentAt(bytes: Uint8Array, end: number): boolean {
  const start = end - SENT_AT_TAIL.byteLength;
  if (start < 1) return false;
  const before = bytes[start - 1];
  if (before !== 0x2c && before !== 0x7b) return false;
  for (let i = 0; i < SENT_AT_TAIL.byteLength; i++) {
    const expected = SENT_AT_TAIL[i]!;
    const inStamp = i >= 11 && i < 11 + STAMP_LENGTH;
    if (inStamp ? !isStampByte(bytes[start + i]!) : bytes[start + i] !== expected) return false;
  }
  return true;
}

/** Digits and the separators of an ISO timestamp; never a quote or a backslash. */
function isStampByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x3a) || b === 0x2d || b === 0x2e || b === 0x54 || b === 0x5a;
}

/** The envelope with `items` appended (a client report riding along). */
export function withItems(bytes: Uint8Array, items: EnvelopeItem[]): Uint8Array {
  // The items serialized as a headerless envelope: drop its `{...}\n` header line.
  const serialized = serializeEnvelope({ header: {}, items });
  const tail = serialized.subarray(serialized.indexOf(NEWLINE) + 1);
  // A stored envelope always ends with a newline (serializeEnvelope writes one after each item).
  const needsNewline = bytes.byteLength > 0 && bytes[bytes.byteLength - 1] !== NEWLINE;
  const out = new Uint8Array(bytes.byteLength + (needsNewline ? 1 : 0) + tail.byteLength);
  out.set(bytes, 0);
  if (needsNewline) out[bytes.byteLength] = NEWLINE;
  out.set(tail, out.byteLength - tail.byteLength);
  return out;
}
