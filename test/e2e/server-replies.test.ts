// How the SDK reacts to what a server answers: rate limits obeyed, failures counted, flush
// honest, and never an error surfacing in the application.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';

const appErrors: unknown[] = [];
const onAppError = (e: unknown) => appErrors.push(e);
// No closing of the client at the end: afterEach closes every test's own.
const server = useSentryServer({
  setup: watchAppErrors,
  beforeEach: ['clearEnvelopes', 'resetReplies'],
  closeAtEnd: false,
  teardown: () => {
    process.off('uncaughtException', onAppError);
    process.off('unhandledRejection', onAppError);
  },
});

function watchAppErrors(): void {
  process.on('uncaughtException', onAppError);
  process.on('unhandledRejection', onAppError);
}

beforeEach(() => {
  // The in-memory transport's answers to each reply; the durable outbox (the Node default), which
  // keeps and retries instead, is tested against the same faults in test/delivery/.
  faultline.init({ dsn: server.dsn, offline: false, transportOptions: { timeout: 300 } });
});
afterEach(async () => {
  await faultline.close(50);
  assert.deepEqual(appErrors, [], 'the application never saw an error');
});

const ID = /^[0-9a-f]{32}$/;

test('429 with only Retry-After limits every category for that long', async () => {
  server.reply({ status: 429, headers: { 'retry-after': '1' } });
  assert.match(faultline.captureMessage('first')!, ID);
  await faultline.flush(1000);
  const requestsBefore = server.requests;
  assert.equal(faultline.captureMessage('during'), undefined);
  assert.equal(faultline.captureException(new Error('during')), undefined);
  await new Promise((r) => setTimeout(r, 1100));
  assert.match(faultline.captureMessage('after')!, ID);
  assert.equal(await faultline.flush(1000), true);
  const messages = server.events().map((e) => e.logentry.formatted);
  assert.deepEqual(messages, ['first', 'after']);
  assert.ok(server.requests > requestsBefore);
  assert.equal(server.discarded()['ratelimit_backoff:error'], 2);
});

test('X-Sentry-Rate-Limits limits only its categories, and is read on a 200 too', async () => {
  server.reply({ status: 200, headers: { 'x-sentry-rate-limits': '60:transaction:key, 60:error;default:organization:quota' } });
  assert.match(faultline.captureMessage('accepted')!, ID);
  await faultline.flush(1000);
  assert.equal(faultline.captureMessage('limited'), undefined);
  const transport = faultline.getClient()!.getTransport()!;
  assert.equal(transport.isRateLimited('error'), true);
  assert.equal(transport.isRateLimited('session'), false);
});

test('500 is counted and flush reports failure honestly', async () => {
  server.reply({ status: 500 });
  assert.match(faultline.captureMessage('lost to a 500')!, ID);
  assert.equal(await faultline.flush(1000), false);
  assert.equal(await faultline.flush(1000), true, 'the next flush delivers the client report');
  const d = server.discarded();
  assert.equal((d['send_error:error'] ?? 0) + (d['network_error:error'] ?? 0), 1);
});

test('a slow reply past the timeout and a dropped connection count as network errors', async () => {
  server.reply({ status: 200, delayMs: 1500 }, { destroy: true });
  faultline.captureMessage('slow');
  faultline.captureMessage('dropped');
  const started = Date.now();
  assert.equal(await faultline.flush(2000), false);
  assert.ok(Date.now() - started < 2500, 'flush returns within its timeout');
  await faultline.flush(2000);
  assert.equal(server.discarded()['network_error:error'], 2);
});

test('flush returns false at its timeout when the server never answers', async () => {
  server.fallback = { hang: true };
  faultline.init({ dsn: server.dsn, offline: false, transportOptions: { timeout: 30_000 } });
  faultline.captureMessage('into the void');
  const started = Date.now();
  assert.equal(await faultline.flush(300), false);
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 1000, `flush took ${took} ms`);
});
