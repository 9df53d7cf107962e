// Envelopes: the in-memory shape, building one for an event, and the exact bytes on the wire
// (PROTOCOL.md §3–5, SPEC-python.md §9). Core code: TextEncoder only, no Buffer.

import type { Attachment, DataCategory, Event } from './types.js';
import type { Dsn } from './dsn.js';
import { isoTimestamp } from './iso-time.js';
import { eventJson, type SplicedJson } from './event-json.js';

export interface EnvelopeItem {
  header: { type: string; [k: string]: unknown };
  /** An object is sent as JSON, a string as UTF-8, a Uint8Array as raw bytes. */
  payload: unknown;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;

/**
 * The envelope as bytes: compact one-line JSON headers, every item header carrying the exact
 * byte `length` of its payload, a `\n` after each payload. `sent_at` is stamped here because
 * serialization happens right before the request (the header must say when it was sent).
 *
 * Every event passes through here, so it makes one allocation of the final size: a JSON payload
 * is encoded once into a reused scratch buffer (which also gives its byte length for the item
 * header) and copied into place. Encoding each part on its own and joining them cost about as
 * much again as the JSON.stringify itself. An event's frames seen before are not serialized
 * again (event-json.ts).
 */
export function serializeEnvelope(env: Envelope, now: number = Date.now()): Uint8Array {
  const header = encoder.encode(JSON.stringify({ ...env.header, sent_at: isoTimestamp(now) }));
  const parts: Uint8Array[] = [header];
  let size = header.byteLength + 1;
  let scratchUsed = 0;
  for (const item of env.items) {
    const payload = payloadBytes(item.payload, scratchUsed, item.header.type === 'event');
    if (payload.buffer === scratch.buffer) scratchUsed += payload.byteLength;
    const itemHeader = encoder.encode(JSON.stringify({ ...item.header, length: payload.byteLength }));
    parts.push(itemHeader, payload);
    size += itemHeader.byteLength + 1 + payload.byteLength + 1;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
    out[offset++] = NEWLINE;
  }
  return out;
}

/** Reused by serializeEnvelope for JSON payloads; grows to the largest payload up to SCRATCH_MAX. */
let scratch = new Uint8Array(16 * 1024);
const SCRATCH_MAX = 256 * 1024;

/**
 * A payload's bytes. JSON is encoded into `scratch` from byte `from` on when it fits (the result
 * is a view, valid until the next serializeEnvelope call), otherwise into a fresh array.
 */
function payloadBytes(payload: unknown, from = 0, isEvent = false): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (payload === undefined) return new Uint8Array(0);
  if (typeof payload === 'string') return encodeText(payload, from);
  const json = (isEvent ? eventJson(payload) : JSON.stringify(payload)) ?? '';
  return typeof json === 'string' ? encodeText(json, from) : encodeSpliced(json, from);
}

function encodeText(text: string, from: number): Uint8Array {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const worst = from + text.length * 3;
  if (worst > SCRATCH_MAX) return encoder.encode(text);
  const { written } = encoder.encodeInto(text, scratchFor(worst).subarray(from));
  return scratch.subarray(from, from + written);
}

/** An event whose frames were seen before: its two own parts encoded, the frames' bytes copied between. */
function encodeSpliced(json: SplicedJson, from: number): Uint8Array {
  const worst = from + (json.head.length + json.rest.length) * 3 + json.frames.byteLength;
  if (worst > SCRATCH_MAX) return encoder.encode(json.head + decoder.decode(json.frames) + json.rest);
  const target = scratchFor(worst);
  let at = from + encoder.encodeInto(json.head, target.subarray(from)).written;
  target.set(json.frames, at);
  at += json.frames.byteLength;
  at += encoder.encodeInto(json.rest, target.subarray(at)).written;
  return target.subarray(from, at);
}

/** `scratch`, grown to hold `bytes` first if needed. */
function scratchFor(bytes: number): Uint8Array {
  // A bigger buffer needs no copy: payloads already in the old one keep it alive as their views.
  if (bytes > scratch.byteLength) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(bytes, scratch.byteLength * 2)));
  return scratch;
}

/**
 * Parses the wire format (the reverse of serializeEnvelope, and Relay's reading of items without
 * `length`). Payloads come back as raw bytes, so re-serializing reproduces them exactly; use
 * `payloadJson` to read one. Throws on malformed input: callers are internal.
 */
export function parseEnvelope(bytes: Uint8Array): Envelope {
  let pos = 0;
  const readHeaderLine = (what: string): Record<string, unknown> => {
    let end = bytes.indexOf(NEWLINE, pos);
    if (end === -1) end = bytes.length;
    const text = decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} is not a JSON object`);
    return value as Record<string, unknown>;
  };

  const header = readHeaderLine('envelope header');
  const items: EnvelopeItem[] = [];
  while (pos < bytes.length) {
    const itemHeader = readHeaderLine(`item ${items.length} header`);
    if (typeof itemHeader.type !== 'string') throw new Error(`item ${items.length} has no type`);
    const start = Math.min(pos, bytes.length);
    let end: number;
    if (itemHeader.length !== undefined && itemHeader.length !== null) {
      const length = itemHeader.length;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) throw new Error(`item ${items.length} has a bad length`);
      end = start + length;
      if (end > bytes.length) throw new Error(`item ${items.length} is shorter than its length`);
      if (end < bytes.length && bytes[end] !== NEWLINE) throw new Error(`item ${items.length} payload is not followed by a newline`);
    } else {
      end = bytes.indexOf(NEWLINE, start);
      if (end === -1) end = bytes.length;
    }
    pos = end + 1;
    // `length` describes these bytes only; serializeEnvelope writes it afresh.
    const { length: _length, ...rest } = itemHeader;
    items.push({ header: rest as EnvelopeItem['header'], payload: bytes.slice(start, end) });
  }
  return { header, items };
}

/** Reads a payload as JSON whatever form it is held in (object, string, bytes). */
export function payloadJson(item: EnvelopeItem): unknown {
  const { payload } = item;
  if (payload instanceof Uint8Array) return JSON.parse(decoder.decode(payload));
  if (typeof payload === 'string') return JSON.parse(payload);
  return payload;
}

const CATEGORY_BY_TYPE: Record<string, DataCategory> = {
  event: 'error',
  transaction: 'transaction',
  attachment: 'attachment',
  session: 'session',
  sessions: 'session',
  client_report: 'internal',
  check_in: 'monitor',
  profile: 'profile',
  profile_chunk: 'profile_chunk',
  span: 'span',
  log: 'log_item',
  replay_event: 'replay',
  replay_recording: 'replay',
  replay_video: 'replay',
  feedback: 'feedback',
};

/** Rate-limit / client-report category of an item type (SPEC-python.md §3); unknown → `default`. */
export function itemCategory(type: string): DataCategory {
  return Object.prototype.hasOwnProperty.call(CATEGORY_BY_TYPE, type) ? CATEGORY_BY_TYPE[type]! : 'default';
}

/**
 * How much one item counts in its category: attachments count bytes (at least 1), containers
 * (logs, span v2) their `item_count`, the rest 1.
 */
export function itemQuantity(item: EnvelopeItem): number {
  const count = item.header['item_count'];
  if (typeof count === 'number' && Number.isInteger(count) && count > 0) return count;
  if (item.header.type !== 'attachment') return 1;
  return Math.max(1, payloadByteLength(item.payload));
}

export interface ItemOutcome {
  category: DataCategory;
  quantity: number;
}

/**
 * Everything a dropped item counts for: its own category, plus `span` × (spans + 1) for a
 * transaction and `log_byte` for a log held as bytes or text (an object log payload is not
 * stringified just to count it; drops happen under load).
 */
export function itemOutcomes(item: EnvelopeItem): ItemOutcome[] {
  const outcomes: ItemOutcome[] = [{ category: itemCategory(item.header.type), quantity: itemQuantity(item) }];
  if (item.header.type === 'transaction') {
    const spans = (item.payload as { spans?: unknown } | null)?.spans;
    outcomes.push({ category: 'span', quantity: (Array.isArray(spans) ? spans.length : 0) + 1 });
  } else if (item.header.type === 'log' && (typeof item.payload === 'string' || item.payload instanceof Uint8Array)) {
    outcomes.push({ category: 'log_byte', quantity: payloadByteLength(item.payload) });
  }
  return outcomes;
}

function payloadByteLength(payload: unknown): number {
  if (payload instanceof Uint8Array) return payload.byteLength;
  if (typeof payload === 'string') return utf8Length(payload);
  if (payload === undefined) return 0;
  return utf8Length(JSON.stringify(payload) ?? '');
}

/** UTF-8 size of a string without allocating the encoded bytes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3; // lone high surrogate: TextEncoder writes U+FFFD (3 bytes)
    } else bytes += 3;
  }
  return bytes;
}

export interface EventEnvelopeOptions {
  sdk?: { name: string; version: string };
  /** Fills `trace.public_key` when the sampling context lacks it (Relay requires it). */
  dsn?: Dsn;
  attachments?: Attachment[];
}

/**
 * One `event` (or `transaction`) item plus one item per attachment. The header carries
 * `event_id`, `sdk` and, when the event holds a dynamic sampling context in
 * `contexts.trace.dynamic_sampling_context`, that context as `trace` (moved, not copied: the
 * event schema has no such field). The caller's event is not mutated.
 */
export function createEventEnvelope(event: Event, opts: EventEnvelopeOptions = {}): Envelope {
  const header: Record<string, unknown> = {};
  if (event.event_id !== undefined) header.event_id = event.event_id;
  const sdk = opts.sdk ?? (event.sdk ? { name: event.sdk.name, version: event.sdk.version } : undefined);
  if (sdk) header.sdk = { name: sdk.name, version: sdk.version };

  let payload = event;
  const traceContext = event.contexts?.trace;
  if (traceContext && 'dynamic_sampling_context' in traceContext) {
    const { dynamic_sampling_context: dsc, ...restOfTrace } = traceContext;
    payload = { ...event, contexts: { ...event.contexts, trace: restOfTrace } };
    if (dsc && typeof dsc === 'object') {
      const trace = { ...(dsc as Record<string, unknown>) };
      if (trace.public_key === undefined && opts.dsn) trace.public_key = opts.dsn.publicKey;
      header.trace = trace;
    }
  }

  const items: EnvelopeItem[] = [{ header: { type: event.type === 'transaction' ? 'transaction' : 'event' }, payload }];
  for (const attachment of opts.attachments ?? []) items.push(attachmentItem(attachment));
  return { header, items };
}

export function attachmentItem(attachment: Attachment): EnvelopeItem {
  const header: EnvelopeItem['header'] = { type: 'attachment', filename: attachment.filename };
  if (attachment.contentType) header.content_type = attachment.contentType;
  if (attachment.attachmentType) header.attachment_type = attachment.attachmentType;
  return { header, payload: attachment.data };
}
