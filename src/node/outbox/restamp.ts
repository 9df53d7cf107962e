// A stored envelope goes out with a fresh `sent_at` (PROTOCOL.md §4: when it was sent, not when
// it was written), and sometimes with a client report riding along. Both touch only the header
// line and the end: the items in between are sent as the bytes on disk, never parsed and
// serialized again (that was a third of the outbox's CPU per event).

import { serializeEnvelope, type EnvelopeItem } from '../../core/envelope.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;

/**
 * The same envelope with `sent_at` = now. Throws when the header line is not a JSON object
 * (a file damaged on disk): the caller gives such an envelope up instead of sending it.
 */
export function restamp(bytes: Uint8Array, now: number = Date.now()): Uint8Array {
  let end = bytes.indexOf(NEWLINE);
  if (end === -1) end = bytes.length;
  const header: unknown = JSON.parse(decoder.decode(bytes.subarray(0, end)));
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error('envelope header is not a JSON object');
  (header as Record<string, unknown>)['sent_at'] = new Date(now).toISOString();
  const head = encoder.encode(JSON.stringify(header));
  const rest = bytes.subarray(Math.min(end + 1, bytes.length));
  const out = new Uint8Array(head.byteLength + 1 + rest.byteLength);
  out.set(head, 0);
  out[head.byteLength] = NEWLINE;
  out.set(rest, head.byteLength + 1);
  return out;
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
