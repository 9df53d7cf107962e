// The outbox against every way a server can fail: 500, 503, 429 with Retry-After and with
// X-Sentry-Rate-Limits, a connection reset mid-request, a server that never answers. Nothing is
// lost, the backoff and the limits are obeyed (no request inside a window), the app sees nothing.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { resetScopesForTests } from '../../src/core/async-context.js';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { countById, durableTransport, initDurable, sleep, storedFiles, tempCacheDir } from './helpers.js';
import { warningsDuring } from '../helpers/process-warnings.js';

let server: TestServer;
let cacheDir: string;
const appErrors: unknown[] = [];
const onAppError = (e: unknown) => appErrors.push(e);

before(async () => {
  server = await startSentryServer();
  process.on('uncaughtException', onAppError);
  process.on('unhandledRejection', onAppError);
});
after(async () => {
  process.off('uncaughtException', onAppError);
  process.off('unhandledRejection', onAppError);
  await server.close();
});
beforeEach(() => {
  resetScopesForTests();
  server.envelopes.length = 0;
  server.requests = 0;
  server.fallback = { status: 200 };
  cacheDir = tempCacheDir();
});
afterEach(async () => {
  await faultline.close(0);
  assert.deepEqual(appErrors, [], 'the application never saw an error');
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
});

/** Times at which the server's request count went up (polled every 2 ms). */
function watchRequests(): { times: number[]; stop(): void } {
  const times: number[] = [];
  let seen = server.requests;
  const catchUp = () => {
    while (seen < server.requests) {
      seen++;
      times.push(Date.now());
    }
  };
  const timer = setInterval(catchUp, 2);
  return {
    times,
    stop: () => {
      clearInterval(timer);
      catchUp();
    },
  };
}

test('500 and 503 are retried with a growing backoff until accepted; nothing is counted as lost', async () => {
  initDurable(server.dsn, cacheDir, { transportOptions: { outbox: { retryInitialDelayMs: 100, retryMaxDelayMs: 1000 } } });
  server.reply({ status: 500 }, { status: 503 }, { status: 500 });
  const watch = watchRequests();
  const id = faultline.captureMessage('eventually')!;
  assert.equal(await faultline.flush(5000), true);
  watch.stop();
  assert.deepEqual([...countById(server.events()).keys()], [id]);
  assert.equal(server.events().length, 4, 'three refusals, one success');
  const gaps = watch.times.slice(1).map((t, i) => t - watch.times[i]!);
  // Equal jitter: step n waits between half and all of 100·2ⁿ ms (minus polling slack).
  assert.ok(gaps[0]! >= 40, `first retry after ${gaps[0]} ms`);
  assert.ok(gaps[1]! >= 85, `second retry after ${gaps[1]} ms`);
  assert.ok(gaps[2]! >= 180, `third retry after ${gaps[2]} ms`);
  assert.deepEqual(server.discarded(), {});
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('429 with Retry-After: no request during the window, the held event is sent after it', async () => {
  initDurable(server.dsn, cacheDir);
  server.reply({ status: 429, headers: { 'retry-after': '1' } });
  const watch = watchRequests();
  const id = faultline.captureMessage('limited')!;
  await server.waitFor(() => durableTransport().isRateLimited('error'));
  const limitedAt = Date.now();
  assert.equal(faultline.captureMessage('during the window'), undefined, 'new events are refused at once');
  await faultline.flush(300); // a flush is no reason to break the window
  await sleep(300);
  assert.equal(server.requests, 1, 'no request during the window');
  assert.equal(await faultline.flush(3000), true);
  watch.stop();
  assert.ok(watch.times[1]! - limitedAt >= 950, `next request ${watch.times[1]! - limitedAt} ms after the 429`);
  const counts = countById(server.events());
  assert.equal(counts.get(id), 2, 'the refused copy and the accepted one');
  assert.equal(server.discarded()['ratelimit_backoff:error'], 1);
});

test('a Retry-After of months: the sender waits quietly, no timer overflow, no request', async () => {
  // 2^31 ms is about 24.8 days: past that, setTimeout fires after 1 ms with a process warning,
  // and the sender woke every millisecond to find the limit still on.
  const warnings = await warningsDuring(async () => {
    initDurable(server.dsn, cacheDir);
    server.reply({ status: 429, headers: { 'retry-after': String(90 * 24 * 3600) } });
    faultline.captureMessage('limited for a season');
    await server.waitFor(() => durableTransport().isRateLimited('error'));
    await sleep(200);
  });
  assert.deepEqual(warnings, []);
  assert.equal(server.requests, 1, 'nothing more was sent');
  assert.equal(storedFiles(cacheDir).length, 1, 'the event waits on disk for the window to end');
});

test('flush(Infinity) waits for delivery instead of giving up at once', async () => {
  let id = '';
  const warnings = await warningsDuring(async () => {
    initDurable(server.dsn, cacheDir);
    server.reply({ status: 503 }); // the first attempt fails; the retry (20 ms later) is accepted
    id = faultline.captureMessage('flushed without a deadline')!;
    assert.equal(await faultline.flush(Infinity), true);
  });
  assert.equal(countById(server.events()).get(id), 2, 'the refused copy and the accepted one');
  assert.deepEqual(warnings, []);
});

test('X-Sentry-Rate-Limits holds only the limited categories', async () => {
  initDurable(server.dsn, cacheDir);
  server.reply({ status: 429, headers: { 'x-sentry-rate-limits': '1:error:organization' } });
  const transport = durableTransport();
  faultline.captureMessage('an error event');
  await server.waitFor(() => transport.isRateLimited('error'));
  assert.equal(transport.isRateLimited('error'), true);
  assert.equal(transport.isRateLimited('monitor'), false);
  // A check-in (category monitor) goes straight through while errors wait.
  transport.send({ header: {}, items: [{ header: { type: 'check_in' }, payload: { check_in_id: '0'.repeat(32), monitor_slug: 'job', status: 'ok' } }] });
  await server.waitFor(() => server.requests === 2);
  await sleep(200);
  assert.equal(server.requests, 2, 'the error waits for its window');
  assert.equal(await faultline.flush(3000), true);
  assert.equal(server.requests, 3);
});

test('a connection reset mid-request: retried, every event arrives (at least once)', async () => {
  initDurable(server.dsn, cacheDir);
  server.reply({ destroy: true }, { destroy: true });
  const ids = Array.from({ length: 5 }, (_, i) => faultline.captureMessage(`reset ${i}`)!);
  assert.equal(await faultline.flush(5000), true);
  const counts = countById(server.events());
  assert.deepEqual([...counts.keys()].sort(), ids.sort());
  // The server had read the reset requests: those two may arrive twice (same event_id, deduped by Sentry).
  const extra = [...counts.values()].reduce((a, b) => a + b, 0) - ids.length;
  assert.ok(extra <= 2, `${extra} duplicates`);
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('a server that never answers: the request times out, the event is kept and sent later', async () => {
  initDurable(server.dsn, cacheDir, { transportOptions: { timeout: 200 } });
  server.reply({ hang: true }, { hang: true });
  const id = faultline.captureMessage('patient')!;
  assert.equal(await faultline.flush(5000), true);
  assert.equal(countById(server.events()).get(id), 3);
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('a definitive 4xx deletes the envelope and counts send_error', async () => {
  initDurable(server.dsn, cacheDir);
  server.reply({ status: 400 });
  faultline.captureMessage('refused');
  assert.equal(await faultline.flush(2000), true, 'refused is final');
  assert.deepEqual(storedFiles(cacheDir), []);
  faultline.captureMessage('carrier');
  assert.equal(await faultline.flush(2000), true);
  assert.equal(server.discarded()['send_error:error'], 1);
});

test('a long outage: the backoff caps, retries stay sparse, all arrive once the server heals', async () => {
  initDurable(server.dsn, cacheDir, { transportOptions: { outbox: { retryInitialDelayMs: 10, retryMaxDelayMs: 80 } } });
  server.fallback = { status: 503 };
  const ids = Array.from({ length: 20 }, (_, i) => faultline.captureMessage(`outage ${i}`)!);
  await sleep(800);
  // While failing, one request at a time, at most one per ~40 ms (half the 80 ms cap).
  assert.ok(server.requests <= 800 / 40 + 6, `${server.requests} requests in 800 ms`);
  assert.ok(server.requests >= 5, 'but it keeps trying');
  server.fallback = { status: 200 };
  assert.equal(await faultline.flush(5000), true);
  const accepted = new Set<string>();
  for (const e of server.events()) accepted.add(e.event_id);
  assert.deepEqual([...accepted].sort(), ids.sort());
  assert.deepEqual(storedFiles(cacheDir), []);
});
