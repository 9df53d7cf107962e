// Shared by the tracing tests: init with the tracing integrations, reading what the test server
// received, and checking transaction payloads against the official event schema with ajv.
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { Ajv, type ErrorObject } from 'ajv';
import * as faultline from '../../src/index.js';
import { httpServerIntegration } from '../../src/integrations/http-server.js';
import { httpServerTracingIntegration } from '../../src/integrations/tracing-http-server.js';
import { httpClientTracingIntegration } from '../../src/integrations/tracing-http-client.js';
import type { TestServer } from '../helpers/sentry-server.js';

/** The integrations under test, beside no defaults (so nothing else varies between tests). */
export function tracingIntegrations() {
  return [httpServerIntegration(), httpServerTracingIntegration(), httpClientTracingIntegration()];
}

export function initTracing(server: TestServer, extra: faultline.Options = {}) {
  return faultline.init({
    dsn: server.dsn,
    release: 'app@1.0.0',
    environment: 'test',
    offline: false,
    defaultIntegrations: false,
    integrations: tracingIntegrations(),
    transportOptions: { bufferSize: 1000 },
    ...extra,
  });
}

export interface ReceivedTransaction {
  header: Record<string, any>;
  payload: any;
}

export function transactions(server: TestServer): ReceivedTransaction[] {
  const out: ReceivedTransaction[] = [];
  for (const env of server.envelopes) {
    for (const item of env.items) if (item.header['type'] === 'transaction') out.push({ header: env.header, payload: item.json });
  }
  return out;
}

export function errorEvents(server: TestServer): Array<{ header: Record<string, any>; payload: any }> {
  const out: Array<{ header: Record<string, any>; payload: any }> = [];
  for (const env of server.envelopes) {
    for (const item of env.items) if (item.header['type'] === 'event') out.push({ header: env.header, payload: item.json });
  }
  return out;
}

// ---- the official event schema, for transaction payloads ---------------------------------------

const SCHEMA_PATH = path.resolve(process.cwd(), '../shared/protocol/event.schema.json');
const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8'));
const UINT64_MAX = 18446744073709551615;
// The same formats as the kit (check.mjs): Sentry ids are 32 hex without dashes.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  formats: {
    uuid: /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/,
    double: { type: 'number', validate: (n: number) => Number.isFinite(n) },
    int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
    uint64: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= UINT64_MAX },
  },
});
ajv.addSchema(schema, 'event');
const validateEvent = ajv.getSchema('event')!;

/**
 * The fields a transaction has and an error event has not. event.schema.json describes error
 * events only (its README says so) and forbids unknown top-level keys, so these three cannot pass
 * it; they are checked below against the schema's own definitions instead.
 */
export const TRANSACTION_ONLY_FIELDS = ['start_timestamp', 'spans', 'measurements'] as const;

const ref = (name: string) => ({ $ref: `event#/definitions/${name}` });
// A span, from the schema's definitions: the same types the trace context uses, plus
// `description` and the two timestamps.
const validateSpan = ajv.compile({
  $id: 'faultline-test-span',
  type: 'object',
  required: ['span_id', 'trace_id', 'start_timestamp', 'timestamp'],
  additionalProperties: false,
  properties: {
    span_id: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    parent_span_id: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    trace_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    op: { type: 'string' },
    description: { type: 'string' },
    status: ref('SpanStatus'),
    origin: { type: 'string' },
    start_timestamp: { type: 'number' },
    timestamp: { type: 'number' },
    data: { type: 'object' },
  },
});
// The trace context: the schema's TraceContext fields with their types. `data` is checked as an
// object only: the schema lists 50 known SpanData keys and forbids others, while Relay keeps any
// key (SpanData has an `other` catch-all in Relay), and user attributes are arbitrary.
const traceDef = schema.definitions.TraceContext.anyOf[0];
const validateTrace = ajv.compile({
  $id: 'faultline-test-trace-context',
  type: 'object',
  required: ['trace_id', 'span_id', 'status'],
  additionalProperties: false,
  properties: {
    ...Object.fromEntries(
      Object.entries(traceDef.properties as Record<string, unknown>)
        .filter(([k]) => k !== 'data')
        .map(([k, v]) => [k, JSON.parse(JSON.stringify(v).replace(/"#\/definitions\//g, '"event#/definitions/'))]),
    ),
    trace_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    span_id: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    data: { type: 'object' },
  },
});
const validateMeasurements = ajv.compile({
  $id: 'faultline-test-measurements',
  type: 'object',
  additionalProperties: {
    type: 'object', required: ['value'], additionalProperties: false,
    properties: { value: { type: 'number' }, unit: { type: 'string' } },
  },
});

/**
 * Asserts a transaction payload is what Sentry accepts: everything but the transaction-only
 * fields passes event.schema.json unchanged; the full payload fails it for exactly those fields
 * and nothing else; spans, the trace context and measurements pass the checks above.
 */
export function assertValidTransaction(payload: any): void {
  const shared = { ...payload };
  for (const key of TRANSACTION_ONLY_FIELDS) delete shared[key];
  assert.ok(validateEvent(shared), `schema: ${ajv.errorsText(validateEvent.errors)}`);
  validateEvent(payload);
  const unknown = (validateEvent.errors ?? [])
    .filter((e: ErrorObject) => e.keyword === 'additionalProperties')
    .map((e: ErrorObject) => (e.params as { additionalProperty: string }).additionalProperty);
  const others = (validateEvent.errors ?? []).filter((e: ErrorObject) => e.keyword !== 'additionalProperties' && e.keyword !== 'anyOf');
  assert.deepEqual(others, [], 'the full payload fails the schema only for unknown top-level fields');
  for (const key of unknown) assert.ok((TRANSACTION_ONLY_FIELDS as readonly string[]).includes(key), `unexpected field ${key}`);

  assert.equal(payload.type, 'transaction');
  assert.equal(typeof payload.start_timestamp, 'number');
  assert.equal(typeof payload.timestamp, 'number');
  assert.ok(payload.timestamp >= payload.start_timestamp);
  assert.ok(validateTrace(payload.contexts?.trace), `trace context: ${ajv.errorsText(validateTrace.errors)}`);
  assert.ok(Array.isArray(payload.spans));
  for (const span of payload.spans) {
    assert.ok(validateSpan(span), `span: ${ajv.errorsText(validateSpan.errors)}`);
    assert.equal(span.trace_id, payload.contexts.trace.trace_id);
    assert.ok(span.timestamp >= span.start_timestamp);
  }
  if (payload.measurements !== undefined) {
    assert.ok(validateMeasurements(payload.measurements), `measurements: ${ajv.errorsText(validateMeasurements.errors)}`);
  }
}

/** Flush, then: the kit found no error in any envelope, and every transaction validates. */
export async function flushAndCheck(server: TestServer): Promise<void> {
  assert.equal(await faultline.flush(5000), true, 'flush delivers everything');
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
  for (const tx of transactions(server)) {
    assertValidTransaction(tx.payload);
    assert.equal(tx.header['trace']?.trace_id, tx.payload.contexts.trace.trace_id, 'the DSC belongs to the trace');
    assert.equal(tx.header['event_id'], tx.payload.event_id);
  }
}
