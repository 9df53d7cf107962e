import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createEventEnvelope,
  itemCategory,
  itemOutcomes,
  itemQuantity,
  parseEnvelope,
  payloadJson,
  serializeEnvelope,
  utf8Length,
  type Envelope,
} from '../../src/core/envelope.js';
import { parseDsn } from '../../src/core/dsn.js';
import type { Event } from '../../src/core/types.js';

const KIT = path.resolve(process.cwd(), '../shared/protocol');
const { checkEnvelope } = (await import(path.join(KIT, 'check.mjs'))) as {
  checkEnvelope(bytes: Uint8Array): { ok: boolean; errors: string[]; envelope: { header: Record<string, unknown>; items: Array<{ header: Record<string, unknown>; payload: Buffer }> } };
};

const ID = '9ec79c33ec9942ab8353589fcb2e04dc';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function event(extra: Partial<Event> = {}): Event {
  return { event_id: ID, timestamp: 1732615200, platform: 'node', level: 'error', logentry: { message: 'hi' }, ...extra };
}

test('reproduces the kit example minimal.envelope byte for byte', () => {
  const expected = readFileSync(path.join(KIT, 'examples/minimal.envelope'));
  const bytes = serializeEnvelope(createEventEnvelope(event()), Date.parse('2024-11-26T10:00:00.000Z'));
  assert.deepEqual(Buffer.from(bytes), expected);
});

test('sent_at is the serialization time in UTC and never duplicated', () => {
  const env: Envelope = { header: { event_id: ID, sent_at: '2000-01-01T00:00:00.000Z' }, items: [] };
  const out = text(serializeEnvelope(env, Date.UTC(2025, 0, 2, 3, 4, 5, 678)));
  assert.equal(out, `{"event_id":"${ID}","sent_at":"2025-01-02T03:04:05.678Z"}\n`);
  assert.equal(env.header.sent_at, '2000-01-01T00:00:00.000Z', 'the envelope itself is not changed');
});

test('multi-byte text: length counts UTF-8 bytes, and the kit accepts it', () => {
  const message = 'héllo 🌍 — 日本';
  const bytes = serializeEnvelope(createEventEnvelope(event({ logentry: { formatted: message } })));
  const r = checkEnvelope(bytes);
  assert.deepEqual(r.errors, []);
  const item = r.envelope.items[0]!;
  assert.equal(item.header.length, item.payload.byteLength);
  assert.ok(item.payload.byteLength > JSON.stringify(payloadJson({ header: { type: 'event' }, payload: item.payload })).length);
  assert.equal(utf8Length(message), Buffer.byteLength(message));
  assert.equal(utf8Length('a\ud800b'), Buffer.byteLength('a\ud800b'), 'lone surrogate counted as its replacement');
});

test('string, bytes and object payloads; newlines inside payloads survive', () => {
  const env: Envelope = {
    header: { event_id: ID },
    items: [
      { header: { type: 'event' }, payload: event() },
      { header: { type: 'attachment', filename: 'a.txt', content_type: 'text/plain' }, payload: 'hello\n' },
      { header: { type: 'attachment', filename: 'blob' }, payload: new Uint8Array([0, 1, 0x0a, 0xff]) },
      { header: { type: 'attachment', filename: 'empty' }, payload: '' },
    ],
  };
  const bytes = serializeEnvelope(env);
  const r = checkEnvelope(bytes);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.envelope.items.map((i) => i.header.length), [132, 6, 4, 0]);
  assert.deepEqual([...r.envelope.items[2]!.payload], [0, 1, 0x0a, 0xff]);
  assert.equal(text(bytes.subarray(bytes.length - 1)), '\n', 'a newline after the last payload');

  const parsed = parseEnvelope(bytes);
  assert.equal(parsed.items.length, 4);
  assert.deepEqual(payloadJson(parsed.items[0]!), event());
  assert.equal(text(parsed.items[1]!.payload as Uint8Array), 'hello\n');
  assert.equal(parsed.items[1]!.header.length, undefined, 'length is not kept: it is rewritten on serialization');
  // Re-serializing a parsed envelope gives the same bytes (the outbox reloads envelopes this way).
  const sentAt = Date.parse(parsed.header.sent_at as string);
  assert.deepEqual(serializeEnvelope(parsed, sentAt), bytes);
});

test('parseEnvelope reads the kit examples and items without length', () => {
  const manifest = JSON.parse(readFileSync(path.join(KIT, 'examples/MANIFEST.json'), 'utf8')) as {
    files: Array<{ file: string; items: Array<{ type: string; payload_bytes: number }> }>;
  };
  for (const f of manifest.files) {
    const parsed = parseEnvelope(readFileSync(path.join(KIT, 'examples', f.file)));
    assert.deepEqual(
      parsed.items.map((i) => [i.header.type, (i.payload as Uint8Array).byteLength]),
      f.items.map((i) => [i.type, i.payload_bytes]),
      f.file,
    );
  }
  const noLength = new TextEncoder().encode('{}\n{"type":"session"}\n{"a":1}\n{"type":"attachment"}\nhelloworld');
  const parsed = parseEnvelope(noLength);
  assert.deepEqual(payloadJson(parsed.items[0]!), { a: 1 });
  assert.equal(text(parsed.items[1]!.payload as Uint8Array), 'helloworld');
});

test('parseEnvelope rejects broken framing', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.throws(() => parseEnvelope(enc('{}\n{"type":"event","length":10}\n{}\n')), /shorter/);
  assert.throws(() => parseEnvelope(enc('{}\n{"type":"event","length":1}\nab\n')), /newline/);
  assert.throws(() => parseEnvelope(enc('{}\n{"length":0}\n\n')), /type/);
  assert.throws(() => parseEnvelope(enc('[]\n')), /object/);
  assert.throws(() => parseEnvelope(enc('{"a":\n')));
});

test('createEventEnvelope: header event_id + sdk, DSC moved into trace, attachments', () => {
  const dsn = parseDsn('https://e12d836b15bb49d7bbf99e64295d995b@o1.ingest.sentry.io/42');
  assert.ok('dsn' in dsn);
  const trace = { trace_id: 'e757e289e4f74aa5870fe3eb545d75c1', span_id: '8ee6241bc34a96d9' };
  const input = event({
    contexts: { trace: { ...trace, dynamic_sampling_context: { trace_id: trace.trace_id, environment: 'prod' } } },
  });
  const env = createEventEnvelope(input, {
    sdk: { name: 'faultline.node', version: '0.1.0' },
    dsn: dsn.dsn,
    attachments: [{ filename: 'a.txt', data: 'hello', contentType: 'text/plain' }, { filename: 'b.bin', data: new Uint8Array([1, 2]) }],
  });
  assert.deepEqual(env.header, {
    event_id: ID,
    sdk: { name: 'faultline.node', version: '0.1.0' },
    trace: { trace_id: trace.trace_id, environment: 'prod', public_key: 'e12d836b15bb49d7bbf99e64295d995b' },
  });
  assert.deepEqual((env.items[0]!.payload as Event).contexts, { trace });
  assert.ok('dynamic_sampling_context' in input.contexts!.trace!, "the caller's event is not mutated");
  assert.deepEqual(env.items.map((i) => i.header), [
    { type: 'event' },
    { type: 'attachment', filename: 'a.txt', content_type: 'text/plain' },
    { type: 'attachment', filename: 'b.bin' },
  ]);
  assert.deepEqual(checkEnvelope(serializeEnvelope(env)).errors, []);
});

test('createEventEnvelope: no trace header without a DSC; transactions get their item type', () => {
  assert.deepEqual(createEventEnvelope(event()).header, { event_id: ID });
  const tx = createEventEnvelope(event({ type: 'transaction', sdk: { name: 'x', version: '1', integrations: [] } }));
  assert.equal(tx.items[0]!.header.type, 'transaction');
  assert.deepEqual(tx.header.sdk, { name: 'x', version: '1' });
});

test('item categories follow the SPEC-python.md §3 table', () => {
  const table: Record<string, string> = {
    event: 'error', transaction: 'transaction', attachment: 'attachment', session: 'session', sessions: 'session',
    client_report: 'internal', check_in: 'monitor', profile: 'profile', profile_chunk: 'profile_chunk', span: 'span',
    log: 'log_item', feedback: 'feedback', replay_event: 'replay', whatever: 'default', toString: 'default',
  };
  for (const [type, category] of Object.entries(table)) assert.equal(itemCategory(type), category, type);
});

test('quantities: attachments count bytes (min 1), transactions add spans + 1, logs add bytes', () => {
  assert.equal(itemQuantity({ header: { type: 'attachment' }, payload: 'héllo' }), 6);
  assert.equal(itemQuantity({ header: { type: 'attachment' }, payload: new Uint8Array(11) }), 11);
  assert.equal(itemQuantity({ header: { type: 'attachment' }, payload: '' }), 1);
  assert.equal(itemQuantity({ header: { type: 'event' }, payload: event() }), 1);
  assert.deepEqual(itemOutcomes({ header: { type: 'transaction' }, payload: { spans: [{}, {}] } }), [
    { category: 'transaction', quantity: 1 },
    { category: 'span', quantity: 3 },
  ]);
  assert.deepEqual(itemOutcomes({ header: { type: 'log' }, payload: '{"items":[]}' }), [
    { category: 'log_item', quantity: 1 },
    { category: 'log_byte', quantity: 12 },
  ]);
});

test('serializeEnvelope encodes JSON items through its scratch buffer: several, large and non-ASCII all come back exact', () => {
  const big = 'é→'.repeat(50_000); // past the scratch buffer's limit: encoded on its own
  const mid = 'x'.repeat(40_000); // makes the scratch buffer grow with an item already in it
  const envelope: Envelope = {
    header: { event_id: ID },
    items: [
      { header: { type: 'event' }, payload: event({ extra: { note: 'first – ünïcode' } }) },
      { header: { type: 'attachment', filename: 'a.txt' }, payload: new Uint8Array([1, 2, 3]) },
      { header: { type: 'event' }, payload: { message: mid } },
      { header: { type: 'event' }, payload: { message: big } },
    ],
  };
  const parsed = parseEnvelope(serializeEnvelope(envelope));
  assert.equal(parsed.items.length, 4);
  assert.equal((payloadJson(parsed.items[0]!) as any).extra.note, 'first – ünïcode');
  assert.deepEqual([...(parsed.items[1]!.payload as Uint8Array)], [1, 2, 3]);
  assert.equal((payloadJson(parsed.items[2]!) as any).message, mid);
  assert.equal((payloadJson(parsed.items[3]!) as any).message, big);
  // A second envelope reuses the scratch buffer: the first one's bytes must not change.
  const first = serializeEnvelope({ header: {}, items: [{ header: { type: 'event' }, payload: { n: 1 } }] });
  const copy = first.slice();
  serializeEnvelope({ header: {}, items: [{ header: { type: 'event' }, payload: { n: 2222 } }] });
  assert.deepEqual(first, copy);
});

test('serialized envelopes share no bytes: writing into one (as restamping does) leaves the others exact', () => {
  const envelopeOf = (n: number): Envelope => ({ header: { event_id: ID }, items: [{ header: { type: 'event' }, payload: { n, pad: 'p'.repeat(n) } }] });
  // Small and large, in and past the scratch buffer's sizes.
  const sizes = [0, 1, 7, 100, 5_000, 12_000, 16_000, 16_500, 20_000, 3, 40_000, 300_000, 9_999];
  const made = sizes.map((n) => serializeEnvelope(envelopeOf(n), 0));
  const expected = made.map((bytes) => bytes.slice());
  for (let i = 0; i < made.length; i++) {
    made[i]!.fill(0xff);
    for (let j = i + 1; j < made.length; j++) assert.deepEqual(made[j], expected[j], `envelope ${j} after overwriting ${i}`);
  }
  // And each was whole: exactly what a fresh serialization gives.
  for (let i = 0; i < sizes.length; i++) assert.deepEqual(expected[i], serializeEnvelope(envelopeOf(sizes[i]!), 0).slice());
});
