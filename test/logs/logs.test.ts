// Structured logs end to end: the logger API and logger.fmt, the SDK's attributes, the trace id
// shared with errors, beforeSendLog, batching by count and by time, the buffer cap, and rate
// limits, all checked on what the local Sentry server received (protocol kit included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { logger } from '../../src/core/logs/index.js';
import type { Options } from '../../src/core/types.js';
import { SDK_NAME, SDK_VERSION } from '../../src/core/version.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { flushChecked } from '../helpers/flushed.js';
import { attr, itemsOfType, logsOf } from './received.js';

const sentry = useSentryServer({ beforeEach: ['closeClient', 'resetScopes', 'clearEnvelopes', 'resetReplies'] });

function init(options: Options = {}): void {
  faultline.init({ dsn: sentry.dsn, defaultIntegrations: false, enableLogs: true, ...options });
}

const flushed = () => flushChecked(sentry, 3000);

test('each level becomes a record with its severity, typed attributes and the SDK attributes', async () => {
  init({ release: 'shop@1.2.3', environment: 'staging', serverName: 'web-1' });
  faultline.setUser({ id: 42, email: 'jane@example.com' });
  const attributes = { orderId: 'A-1', count: 3, ratio: 0.5, paid: true, cart: { items: [1, 2] }, password: 'hunter2', none: null };
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) logger[level](`${level} line`, attributes);
  await flushed();

  const [item] = itemsOfType(sentry, 'log');
  assert.ok(item);
  assert.equal(item.header['item_count'], 6);
  assert.equal(item.header['content_type'], 'application/vnd.sentry.items.log+json');
  const records = logsOf(sentry);
  assert.deepEqual(
    records.map((r) => [r.level, r.severity_number, r.body]),
    [
      ['trace', 1, 'trace line'],
      ['debug', 5, 'debug line'],
      ['info', 9, 'info line'],
      ['warn', 13, 'warn line'],
      ['error', 17, 'error line'],
      ['fatal', 21, 'fatal line'],
    ],
  );
  const [first] = records;
  assert.match(first.trace_id, /^[0-9a-f]{32}$/);
  assert.equal(typeof first.timestamp, 'number');
  assert.ok(Math.abs(first.timestamp - Date.now() / 1000) < 60, 'timestamp in seconds');
  assert.deepEqual(first.attributes.orderId, { value: 'A-1', type: 'string' });
  assert.deepEqual(first.attributes.count, { value: 3, type: 'integer' });
  assert.deepEqual(first.attributes.ratio, { value: 0.5, type: 'double' });
  assert.deepEqual(first.attributes.paid, { value: true, type: 'boolean' });
  assert.deepEqual(first.attributes.cart, { value: '{"items":[1,2]}', type: 'string' });
  assert.deepEqual(first.attributes.password, { value: '[Filtered]', type: 'string' }, 'scrubbed like extra data');
  assert.equal(first.attributes.none, undefined);
  assert.equal(attr(first, 'sentry.release'), 'shop@1.2.3');
  assert.equal(attr(first, 'sentry.environment'), 'staging');
  assert.equal(attr(first, 'sentry.sdk.name'), SDK_NAME);
  assert.equal(attr(first, 'sentry.sdk.version'), SDK_VERSION);
  assert.equal(attr(first, 'server.address'), 'web-1');
  assert.equal(attr(first, 'user.id'), '42');
  assert.equal(attr(first, 'user.email'), 'jane@example.com');
});

test('logger.fmt keeps the template and its values as attributes', async () => {
  init();
  const user = 42;
  logger.info(logger.fmt`user ${user} paid ${9.5} for ${'socks'}`, { channel: 'web' });
  await flushed();
  const [record] = logsOf(sentry);
  assert.equal(record.body, 'user 42 paid 9.5 for socks');
  assert.equal(attr(record, 'sentry.message.template'), 'user %s paid %s for %s');
  assert.deepEqual(record.attributes['sentry.message.parameter.0'], { value: 42, type: 'integer' });
  assert.deepEqual(record.attributes['sentry.message.parameter.1'], { value: 9.5, type: 'double' });
  assert.deepEqual(record.attributes['sentry.message.parameter.2'], { value: 'socks', type: 'string' });
  assert.equal(attr(record, 'channel'), 'web');
});

test('logs share the trace id of the errors of their unit of work, or of the active span', async () => {
  init();
  faultline.withIsolationScope(() => {
    logger.info('in request one');
    faultline.captureMessage('error in request one');
  });
  faultline.withIsolationScope(() => logger.info('in request two'));
  const span = { spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }) };
  faultline.withScope((scope) => {
    scope._span = span;
    logger.info('in a span');
  });
  await flushed();
  const [one, two, inSpan] = logsOf(sentry);
  const [event] = sentry.events();
  assert.equal(one.trace_id, event.contexts.trace.trace_id);
  assert.notEqual(two.trace_id, one.trace_id, 'another unit of work, another trace');
  assert.equal(one.span_id, undefined);
  assert.equal(inSpan.trace_id, 'a'.repeat(32));
  assert.equal(inSpan.span_id, 'b'.repeat(16));
  assert.equal(attr(inSpan, 'sentry.trace.parent_span_id'), 'b'.repeat(16));
});

test('beforeSendLog changes or drops records; drops are counted as before_send / log_item', async () => {
  init({
    beforeSendLog(log) {
      if (log['message'] === 'drop me') return null;
      if (log['message'] === 'throw') throw new Error('hook bug');
      return { ...log, message: `changed: ${String(log['message'])}`, level: 'error', attributes: { ...(log['attributes'] as object), added: 1 } };
    },
  });
  logger.info('keep me');
  logger.info('drop me');
  logger.info('throw');
  await flushed();
  const records = logsOf(sentry);
  assert.equal(records.length, 1);
  assert.equal(records[0].body, 'changed: keep me');
  assert.equal(records[0].level, 'error');
  assert.equal(records[0].severity_number, 17);
  assert.equal(attr(records[0], 'added'), 1);
  assert.equal(sentry.discarded()['before_send:log_item'], 2);
});

test('without enableLogs, or with bad input, nothing is sent and nothing throws', async () => {
  init({ enableLogs: false });
  logger.info('not sent');
  await flushed();
  assert.equal(logsOf(sentry).length, 0);

  init();
  (logger.info as (...a: unknown[]) => void)(12345, 'not an object');
  (logger.warn as (...a: unknown[]) => void)(undefined, [1, 2]);
  (logger.fmt as unknown as (...a: unknown[]) => unknown)('not a tag');
  await flushed();
  assert.deepEqual(logsOf(sentry).map((r) => r.body), ['12345', 'undefined']);
});

test('records leave in batches of at most 100, without waiting for a flush once 100 are there', async () => {
  init();
  for (let i = 0; i < 100; i++) logger.info(`record ${i}`);
  await sentry.waitFor(() => logsOf(sentry).length === 100, 10_000);
  assert.equal(itemsOfType(sentry, 'log').length, 1);

  sentry.envelopes.length = 0;
  for (let i = 0; i < 250; i++) logger.info(`record ${i}`);
  await flushed();
  // Envelopes travel in parallel, so they may arrive in any order.
  const counts = itemsOfType(sentry, 'log').map((i) => i.header['item_count'] as number);
  assert.deepEqual(counts.sort((a, b) => b - a), [100, 100, 50]);
  const bodies = logsOf(sentry).map((r) => r.body);
  assert.equal(new Set(bodies).size, 250);
  for (const item of itemsOfType(sentry, 'log')) {
    const n = item.json.items.map((r: any) => Number(r.body.split(' ')[1]));
    assert.deepEqual(n, [...n].sort((a, b) => a - b), 'records keep their order inside a batch');
  }
});

test('a lone record is sent by the batch timer, without a flush', async () => {
  init();
  logger.info('on its own');
  await sentry.waitFor(() => logsOf(sentry).length === 1, 15_000);
  assert.deepEqual(sentry.errors(), []);
});

test('at most 1000 records wait; the rest of a burst is counted as queue_overflow / log_item', async () => {
  init();
  for (let i = 0; i < 1500; i++) logger.debug(`burst ${i}`);
  await flushed();
  assert.equal(logsOf(sentry).length, 1000);
  assert.equal(sentry.discarded()['queue_overflow:log_item'], 500);
});

/** During a log limit: five logs and an error; only the error goes, the logs are counted. */
async function assertLogsLimited(): Promise<void> {
  sentry.envelopes.length = 0;
  for (let i = 0; i < 5; i++) logger.info(`limited ${i}`);
  faultline.captureMessage('errors still go out');
  await flushed();
  assert.equal(logsOf(sentry).length, 0, 'no log item during the window');
  assert.equal(sentry.events().length, 1);
  assert.equal(sentry.discarded()['ratelimit_backoff:log_item'], 5);
}

test('a log_item rate limit stops logs (counted as ratelimit_backoff) but not errors', async () => {
  // The in-memory transport; the durable outbox's own case is the log_byte test below.
  init({ offline: false });
  sentry.reply({ status: 429, headers: { 'X-Sentry-Rate-Limits': '60:log_item:organization' } });
  logger.info('answered with 429');
  await flushed();
  assert.equal(logsOf(sentry).length, 1);

  await assertLogsLimited();
});

test('a log_byte rate limit stops logs too (counted like a log_item one), with the durable outbox', async () => {
  // A log item counts in log_item and log_byte (PROTOCOL.md §7): Relay refuses logs when either
  // quota is spent. A 200 carrying the limit, so nothing waits for a retry.
  init();
  sentry.reply({ status: 200, headers: { 'X-Sentry-Rate-Limits': '60:log_byte:organization' } });
  faultline.captureMessage('answered with the limit');
  await flushed();
  assert.equal(sentry.events().length, 1);

  await assertLogsLimited();
});
