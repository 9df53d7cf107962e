import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseEnvelope } from '../src/ingest/envelope.js';
import { IngestError } from '../src/ingest/errors.js';
import { recordsFromEnvelope } from '../src/ingest/items.js';
import { defaultLimits } from '../src/ingest/limits.js';

interface WireCase { name: string; bytes_base64: string; relay_behaviour: string }
const cases = (JSON.parse(readFileSync('/work/shared/protocol/envelope-cases.json', 'utf8')) as { cases: WireCase[] }).cases;

/** Parse + item checks, as the endpoint does; returns the IngestError or undefined when accepted. */
function verdict(bytes: Buffer): IngestError | undefined {
  try {
    recordsFromEnvelope(parseEnvelope(bytes, 128), 1, defaultLimits, Date.now() / 1000);
    return undefined;
  } catch (error) {
    if (error instanceof IngestError) return error;
    throw error; // anything else is a bug
  }
}

test('every wire vector of the protocol kit gets Relay\'s verdict', () => {
  assert.ok(cases.length >= 15);
  for (const wire of cases) {
    const relayAccepts = /^(parses|accepted)/.test(wire.relay_behaviour);
    const relayRejects = /^(rejects|container rejected)/.test(wire.relay_behaviour) || /kit rejects/.test(wire.relay_behaviour);
    const error = verdict(Buffer.from(wire.bytes_base64, 'base64'));
    if (relayAccepts) assert.equal(error, undefined, `${wire.name}: ${error?.message}`);
    else if (relayRejects) {
      assert.ok(error, `${wire.name} must be rejected`);
      assert.equal(error.status, 400, wire.name);
    }
  }
});

test('the example envelopes parse with byte-exact payloads', () => {
  const minimal = readFileSync('/work/shared/protocol/examples/minimal.envelope');
  const parsed = parseEnvelope(minimal, 128);
  assert.equal(parsed.header['event_id'], '9ec79c33ec9942ab8353589fcb2e04dc');
  assert.equal(parsed.items.length, 1);
  assert.equal(parsed.items[0]!.payload.length, 132);
  const message = parseEnvelope(readFileSync('/work/shared/protocol/examples/message-event.envelope'), 128);
  assert.equal(message.items[0]!.payload.length, 450, 'length counts bytes, not characters');
});

test('error messages name the problem', () => {
  const wrongLength = Buffer.from('{}\n{"type":"event","length":5}\n{"a":1}\n');
  assert.match(verdict(wrongLength)!.message, /missing newline after payload/);
  const truncated = Buffer.from('{}\n{"type":"event","length":500}\n{"a":1}');
  assert.match(verdict(truncated)!.message, /unexpected end of file/);
  assert.match(verdict(Buffer.from('not json\n'))!.message, /envelope header at byte 0 is not valid JSON/);
  assert.match(verdict(Buffer.from('{}\n{"length":1}\nx\n'))!.message, /has no "type"/);
  assert.match(verdict(Buffer.from('[]\n'))!.message, /must be a JSON object/);
  assert.match(verdict(Buffer.from(''))!.message, /empty envelope/);
});

test('items: two events are refused, item limits give 413, unknown types are kept', () => {
  const two = Buffer.from('{}\n{"type":"event"}\n{}\n{"type":"event"}\n{}\n');
  assert.equal(verdict(two)?.status, 400);
  const bigEvent = Buffer.concat([Buffer.from(`{}\n{"type":"event","length":${2 * 1024 * 1024}}\n`), Buffer.alloc(2 * 1024 * 1024, 0x20)]);
  assert.equal(verdict(bigEvent)?.status, 413);
  const sessions = `{}\n${Array.from({ length: 101 }, () => '{"type":"session"}\n{"sid":"x"}').join('\n')}\n`;
  assert.equal(verdict(Buffer.from(sessions))?.status, 413);
  const unknown = recordsFromEnvelope(parseEnvelope(Buffer.from('{}\n{"type":"future_thing","x":1}\n\x00\x01binary\n'), 128), 1, defaultLimits, 0);
  assert.equal(unknown.records.length, 1);
  assert.equal(unknown.records[0]!.kind, 'item');
});
