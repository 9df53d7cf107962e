import { randomUUID } from 'node:crypto';
import { groupingHash } from '../grouping/fingerprint.js';
import { summarize } from '../grouping/summary.js';
import type { Json } from '../grouping/event-shape.js';
import type { WriteRecord } from '../store/records.js';
import type { Envelope, EnvelopeItem } from './envelope.js';
import { badRequest, tooLarge } from './errors.js';
import { exceedsDepth } from './json-depth.js';
import type { IngestLimits } from './limits.js';

/** Item types whose payload is JSON and is checked as such; anything else is stored as bytes. */
const JSON_TYPES = new Set(['event', 'transaction', 'session', 'sessions', 'client_report', 'check_in', 'log', 'span', 'user_report', 'feedback']);
const EVENT_ID = /^[0-9a-f]{32}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** Container items carry `item_count`, which must match the `items` array (Relay rejects the item otherwise). */
const CONTAINER_TYPES = new Set(['log', 'span', 'trace_metric']);

export interface IngestResult {
  /** The event id to answer with, when the envelope held an event-like item. */
  id?: string;
  records: WriteRecord[];
}

/**
 * Turns a parsed envelope into store records: events grouped and summarized, everything else kept as
 * sent. Applies the per-item limits of PROTOCOL.md §9 (413) and rejects malformed items (400).
 */
export function recordsFromEnvelope(envelope: Envelope, projectId: number, limits: IngestLimits, receivedAt: number): IngestResult {
  const headerEventId = normalizeEventId(envelope.header['event_id'], 'envelope header event_id');
  const sentAt = envelope.header['sent_at'];
  if (sentAt !== undefined && (typeof sentAt !== 'string' || !RFC3339.test(sentAt) || Number.isNaN(Date.parse(sentAt)))) {
    throw badRequest('envelope header sent_at must be an RFC 3339 date-time with a time zone, e.g. 2024-11-26T10:00:00.000Z');
  }
  checkCounts(envelope.items, limits);

  const records: WriteRecord[] = [];
  let responseId: string | undefined;
  envelope.items.forEach((item, index) => {
    const label = `item #${index + 1} (${item.header.type})`;
    checkItemSize(item, label, limits);
    if (JSON_TYPES.has(item.header.type)) checkJson(item, label, limits);
    if (item.header.type === 'event') {
      // checkJson already parsed nothing for events: eventRecord parses once and keeps the value.
      const record = eventRecord(item, label, projectId, headerEventId, receivedAt);
      responseId = record.eventId;
      records.push(record);
      return;
    }
    const eventId = item.header.type === 'transaction' ? headerEventId ?? eventIdInside(item) ?? randomUUID().replace(/-/g, '') : headerEventId;
    if (item.header.type === 'transaction') responseId = eventId;
    records.push({
      kind: 'item',
      projectId,
      eventId,
      type: item.header.type,
      receivedAt,
      headers: JSON.stringify(item.header),
      payload: Buffer.from(item.payload), // a copy: the request buffer is released after the reply
    });
  });
  return { id: responseId, records };
}

function eventRecord(item: EnvelopeItem, label: string, projectId: number, headerEventId: string | undefined, receivedAt: number): WriteRecord {
  const text = item.payload.toString('utf8');
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw badRequest(`${label}: payload is not valid JSON (is "length" right?)`);
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) throw badRequest(`${label}: the event payload must be a JSON object`);
  const json = event as Json;
  const ownId = typeof json['event_id'] === 'string' ? normalizeEventIdLenient(json['event_id']) : undefined;
  // The envelope header wins over the payload (PROTOCOL.md §4); an event without any id gets one.
  const eventId = headerEventId ?? ownId ?? randomUUID().replace(/-/g, '');
  let payload = text;
  if (json['event_id'] !== eventId) {
    json['event_id'] = eventId;
    payload = JSON.stringify(json);
  }
  return {
    kind: 'event',
    projectId,
    eventId,
    eventType: json['exception'] ? 'error' : 'default',
    hash: groupingHash(json),
    summary: summarize(json, receivedAt),
    receivedAt,
    payload,
  };
}

function checkCounts(items: EnvelopeItem[], limits: IngestLimits): void {
  let eventLike = 0;
  let attachments = 0;
  let sessions = 0;
  for (const item of items) {
    const type = item.header.type;
    if (type === 'event' || type === 'transaction') eventLike++;
    else if (type === 'attachment') attachments++;
    else if (type === 'session' || type === 'sessions') sessions++;
  }
  if (eventLike > 1) throw badRequest('an envelope may hold at most one event or transaction item');
  if (attachments > limits.maxAttachmentCount) throw tooLarge(`${attachments} attachments exceed the limit of ${limits.maxAttachmentCount}`);
  if (sessions > limits.maxSessionCount) throw tooLarge(`${sessions} session items exceed the limit of ${limits.maxSessionCount}`);
}

function checkItemSize(item: EnvelopeItem, label: string, limits: IngestLimits): void {
  const size = item.payload.length;
  const limit = limitFor(item.header.type, limits);
  if (limit !== undefined && size > limit) throw tooLarge(`${label} is ${size} bytes, over the limit of ${limit} bytes`);
}

function limitFor(type: string, limits: IngestLimits): number | undefined {
  switch (type) {
    case 'event':
    case 'transaction':
      return limits.maxEventBytes;
    case 'attachment':
      return limits.maxAttachmentBytes;
    case 'client_report':
      return limits.maxClientReportBytes;
    case 'check_in':
      return limits.maxCheckInBytes;
    case 'log':
      return limits.maxLogBytes;
    default:
      return undefined; // the envelope limit still applies
  }
}

function checkJson(item: EnvelopeItem, label: string, limits: IngestLimits): void {
  if (exceedsDepth(item.payload, limits.maxJsonDepth)) throw badRequest(`${label}: JSON nested deeper than ${limits.maxJsonDepth} levels`);
  if (item.header.type === 'event') return; // parsed once, in eventRecord
  let value: unknown;
  try {
    value = JSON.parse(item.payload.toString('utf8'));
  } catch {
    throw badRequest(`${label}: payload is not valid JSON (is "length" right?)`);
  }
  const declared = item.header['item_count'];
  if (CONTAINER_TYPES.has(item.header.type) && declared !== undefined) {
    const items = value !== null && typeof value === 'object' ? (value as Json)['items'] : undefined;
    if (!Array.isArray(items) || items.length !== declared) {
      throw badRequest(`${label}: item_count ${String(declared)} does not match ${Array.isArray(items) ? items.length : 'missing'} items`);
    }
  }
}

function eventIdInside(item: EnvelopeItem): string | undefined {
  try {
    const value = JSON.parse(item.payload.toString('utf8')) as Json;
    return typeof value['event_id'] === 'string' ? normalizeEventIdLenient(value['event_id']) : undefined;
  } catch {
    return undefined;
  }
}

/** A malformed envelope-header event_id fails the envelope, as in Relay. */
function normalizeEventId(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const id = typeof value === 'string' ? normalizeEventIdLenient(value) : undefined;
  if (!id) throw badRequest(`${what} must be a UUID (32 hex digits)`);
  return id;
}

function normalizeEventIdLenient(value: string): string | undefined {
  const id = value.replace(/-/g, '').toLowerCase();
  return EVENT_ID.test(id) ? id : undefined;
}
