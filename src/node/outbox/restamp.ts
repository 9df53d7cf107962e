// A stored envelope goes out with a fresh `sent_at` (PROTOCOL.md §4: when it was sent, not when
// it was written), and sometimes with a client report riding along. Both touch only the header
// line and the end: the items in between are sent as the bytes on disk, never parsed and
// serialized again (that was a third of the outbox's CPU per event).

import { serializeEnvelope, type EnvelopeItem } from '../../core/envelope.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;

/** The envelope header of stored bytes (first line). Throws when it is not a JSON object. */
export function headerOf(bytes: Uint8Array): Record<string, unknown> {
  let end = bytes.indexOf(NEWLINE);
  if (end === -1) end = bytes.length;
  const header: unknown = JSON.parse(decoder.decode(bytes.subarray(0, end)));
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error('envelope header is not a JSON object');
  return header as Record<string, unknown>;
}

/** The same envelope with `sent_at` = now and `extra` items appended. */
export function restamp(bytes: Uint8Array, extra: EnvelopeItem[] = [], now: number = Date.now()): Uint8Array {
  let end = bytes.indexOf(NEWLINE);
  if (end === -1) end = bytes.length;
  const header = headerOf(bytes);
  header['sent_at'] = new Date(now).toISOString();
  const head = encoder.encode(JSON.stringify(header));
  const rest = bytes.subarray(Math.min(end + 1, bytes.length));
  // A stored envelope always ends with a newline (serializeEnvelope writes one after each item).
  const needsNewline = rest.byteLength > 0 && rest[rest.byteLength - 1] !== NEWLINE;
  // The extra items, serialized as a headerless envelope: drop its `{...}\n` header line.
  let tail: Uint8Array = new Uint8Array(0);
  if (extra.length) {
    const serialized = serializeEnvelope({ header: {}, items: extra }, now);
    tail = serialized.subarray(serialized.indexOf(NEWLINE) + 1);
  }
  const out = new Uint8Array(head.byteLength + 1 + rest.byteLength + (needsNewline ? 1 : 0) + tail.byteLength);
  let offset = 0;
  out.set(head, offset);
  offset += head.byteLength;
  out[offset++] = NEWLINE;
  out.set(rest, offset);
  offset += rest.byteLength;
  if (needsNewline) out[offset++] = NEWLINE;
  out.set(tail, offset);
  return out;
}
