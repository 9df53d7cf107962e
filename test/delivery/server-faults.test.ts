// The outbox against every way a server can fail: 500, 503, 429 with Retry-After and with
// X-Sentry-Rate-Limits, a connection reset mid-request, a server that never answers. Nothing is
// lost to a failure, the backoff and the limits are obeyed (no request inside a window, a 429'd
// envelope never sent again, what a limit drops counted), the app sees nothing.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { resetScopesForTests } from '../../src/core/async-context.js';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { createEventEnvelope } from '../../src/core/envelope.js';
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

// PROTOCOL.md §7 step 5 and §8: a 429 is final (Relay counted it), so the envelope is deleted like
// a delivered one, never sent again, and nothing is recorded for it.
test('429 with Retry-After: the event is not sent again, nothing counted for it, no request during the window', async () => {
  initDurable(server.dsn, cacheDir);
  server.reply({ status: 429, headers: { 'retry-after': '1' } });
  const watch = watchRequests();
  const id = faultline.captureMessage('limited')!;
  await server.waitFor(() => durableTransport().isRateLimited('error'));
  const limitedAt = Date.now();
  assert.equal(faultline.captureMessage('during the window'), undefined, 'new events are refused at once');
  assert.equal(await faultline.flush(300), true, 'a 429 is a definitive answer: nothing is left to send');
  assert.deepEqual(storedFiles(cacheDir), [], "the 429'd envelope is deleted");
  await sleep(1100 - (Date.now() - limitedAt)); // to the window's end
  await sleep(200);
  assert.equal(server.requests, 1, 'no request during the window, none when it ends');
  const after = faultline.captureMessage('after the window')!;
  assert.equal(await faultline.flush(3000), true);
  watch.stop();
  assert.ok(watch.times[1]! - limitedAt >= 950, `next request ${watch.times[1]! - limitedAt} ms after the 429`);
  const counts = countById(server.events());
  assert.equal(counts.get(id), 1, "the 429'd event arrived once");
  assert.equal(counts.get(after), 1);
  // The event refused at capture; nothing for the 429'd one.
  assert.deepEqual(server.discarded(), { 'ratelimit_backoff:error': 1 });
});

test('429 with neither header: flush resolves true at once, the event is not kept for the 60 s limit', async () => {
  initDurable(server.dsn, cacheDir);
  server.reply({ status: 429 });
  faultline.captureMessage('limited for a minute');
  const started = Date.now();
  assert.equal(await faultline.flush(2000), true, 'refused for good: flush has nothing left to wait for');
  assert.ok(Date.now() - started < 1000, `flush took ${Date.now() - started} ms`);
  assert.equal(server.requests, 1);
  assert.deepEqual(storedFiles(cacheDir), []);
  assert.equal(durableTransport().stats().entries, 0);
});

test('a Retry-After of months: no timer overflow, no request, nothing kept waiting', async () => {
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
  assert.deepEqual(storedFiles(cacheDir), [], "the 429'd event is not kept for the window's end");
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

test('X-Sentry-Rate-Limits limits only the named categories; the 429\'d error is not sent again', async () => {
  initDurable(server.dsn, cacheDir);
  server.reply({ status: 429, headers: { 'x-sentry-rate-limits': '1:error:organization' } });
  const transport = durableTransport();
  const id = faultline.captureMessage('an error event')!;
  await server.waitFor(() => transport.isRateLimited('error'));
  assert.equal(transport.isRateLimited('error'), true);
  assert.equal(transport.isRateLimited('monitor'), false);
  // A check-in (category monitor) goes straight through while errors are limited.
  transport.send({ header: {}, items: [{ header: { type: 'check_in' }, payload: { check_in_id: '0'.repeat(32), monitor_slug: 'job', status: 'ok' } }] });
  await server.waitFor(() => server.requests === 2);
  assert.equal(await faultline.flush(3000), true);
  await sleep(1200); // past the error window
  assert.equal(server.requests, 2, 'the error is not sent again when its window ends');
  assert.equal(countById(server.events()).get(id), 1);
  assert.deepEqual(server.discarded(), {});
});

// PROTOCOL.md §7 step 5: envelopes already stored when a limit is learned are not held until it
// ends; when their turn comes their limited items are dropped and counted.
test('errors stored before an error limit was learned are dropped when their turn comes, counted as ratelimit_backoff', async () => {
  initDurable(server.dsn, cacheDir, { transportOptions: { concurrency: 1 } });
  server.reply({ status: 200, delayMs: 300, headers: { 'x-sentry-rate-limits': '60:error:organization' } });
  const first = faultline.captureMessage('accepted')!;
  await server.waitFor(() => server.requests === 1);
  // Stored while the first request waits for its answer, which brings the limit.
  faultline.captureMessage('stored 1');
  faultline.captureMessage('stored 2');
  await durableTransport().persisted();
  assert.equal(storedFiles(cacheDir).length, 3);
  assert.equal(await faultline.flush(3000), true, 'dropped is done with: nothing waits for the window');
  assert.deepEqual([...countById(server.events()).keys()], [first]);
  assert.deepEqual(storedFiles(cacheDir), []);
  assert.equal(server.requests, 2, 'the event, then one report for both drops');
  assert.deepEqual(server.discarded(), { 'ratelimit_backoff:error': 2 });
});

test('a stored event whose attachment category is limited goes without its attachment', async () => {
  initDurable(server.dsn, cacheDir, { transportOptions: { concurrency: 1 } });
  server.reply({ status: 200, delayMs: 300, headers: { 'x-sentry-rate-limits': '60:attachment:organization' } });
  faultline.captureMessage('accepted');
  await server.waitFor(() => server.requests === 1);
  const eventId = 'a'.repeat(32);
  const envelope = createEventEnvelope(
    { event_id: eventId, timestamp: Date.now() / 1000, platform: 'node', level: 'error', logentry: { formatted: 'with an attachment' } },
    { attachments: [{ filename: 'a.txt', data: 'hello' }] },
  );
  durableTransport().send(envelope);
  assert.equal(await faultline.flush(3000), true);
  const second = server.envelopes[1]!;
  assert.deepEqual(second.items.map((i) => i.header['type']), ['event']);
  assert.equal(second.items[0]!.json.event_id, eventId);
  // Counted once the envelope is done with (a retry would decide afresh), so in a later report.
  assert.deepEqual(server.discarded(), { 'ratelimit_backoff:attachment': 5 });
  assert.deepEqual(storedFiles(cacheDir), []);
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
