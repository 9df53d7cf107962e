// The durable outbox against a real server that goes away and comes back: nothing captured is
// lost, nothing is delivered twice, and the store is empty once everything went out.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as faultline from '../../src/index.js';
import { resetScopesForTests } from '../../src/core/async-context.js';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { startSwitchProxy, type SwitchProxy } from './switch-proxy.js';
import { countById, durableTransport, initDurable, sleep, storedFiles, tempCacheDir } from './helpers.js';

let server: TestServer;
let proxy: SwitchProxy;
let cacheDir: string;
const appErrors: unknown[] = [];
const onAppError = (e: unknown) => appErrors.push(e);

before(async () => {
  server = await startSentryServer();
  proxy = await startSwitchProxy(server.port);
  process.on('uncaughtException', onAppError);
  process.on('unhandledRejection', onAppError);
});
after(async () => {
  process.off('uncaughtException', onAppError);
  process.off('unhandledRejection', onAppError);
  await proxy.close();
  await server.close();
});
beforeEach(async () => {
  resetScopesForTests();
  server.envelopes.length = 0;
  server.fallback = { status: 200 };
  cacheDir = tempCacheDir();
  await proxy.up();
});
afterEach(async () => {
  await faultline.close(0);
  assert.deepEqual(appErrors, [], 'the application never saw an error');
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
});

test('an outage: every event captured while the port is closed arrives exactly once', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  await proxy.down();
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    ids.push(faultline.captureMessage(`during outage ${i}`)!);
    if (i % 5 === 0) await sleep(20); // spread over several retry rounds
  }
  await durableTransport().persisted();
  assert.equal(storedFiles(cacheDir).length, 30, 'all of them wait on disk');
  assert.equal(await faultline.flush(300), false, 'flush is honest while the server is down');
  await proxy.up();
  assert.equal(await faultline.flush(5000), true);
  const counts = countById(server.events());
  assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), 'none lost');
  assert.ok([...counts.values()].every((n) => n === 1), 'none twice');
  assert.deepEqual(storedFiles(cacheDir), [], 'delivered envelopes are deleted');
  assert.equal(server.discarded()['network_error:error'], undefined, 'a retried event is not a drop');
});

test('sent_at is stamped when the envelope is sent, not when it was written', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  await proxy.down();
  faultline.captureMessage('late');
  await durableTransport().persisted();
  await sleep(400);
  const backUp = Date.now();
  await proxy.up();
  assert.equal(await faultline.flush(3000), true);
  const [envelope] = server.envelopes;
  const sentAt = Date.parse(String(envelope!.header['sent_at']));
  const eventTime = server.events()[0].timestamp * 1000;
  assert.ok(sentAt >= backUp - 5, `sent_at ${sentAt} is after the server came back (${backUp})`);
  assert.ok(sentAt - eventTime >= 390, 'and well after the capture');
});

test('a restart sends what the previous run left on disk, exactly once', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  await proxy.down();
  const ids = Array.from({ length: 10 }, (_, i) => faultline.captureMessage(`left behind ${i}`)!);
  await durableTransport().persisted();
  assert.equal(await faultline.close(100), false);
  assert.equal(storedFiles(cacheDir).length, 10);

  await proxy.up();
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  assert.equal(await faultline.flush(3000), true);
  const counts = countById(server.events());
  assert.deepEqual([...counts.keys()].sort(), ids.sort());
  assert.ok([...counts.values()].every((n) => n === 1));
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('each DSN gets its own folder: another project never sends these envelopes', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  await proxy.down();
  faultline.captureMessage('for project 42');
  const first = durableTransport();
  await first.persisted();
  await faultline.close(100);
  // A retry started just before close may still be connecting: let it fail on the closed port.
  await server.waitFor(() => first.stats().inFlight === 0);
  await proxy.up();
  initDurable(proxy.dsnFor(server.dsn).replace('/42', '/43'), cacheDir);
  assert.equal(await faultline.flush(1000), true);
  assert.equal(server.events().length, 0);
  assert.equal(storedFiles(cacheDir).length, 1);
});

test('the store is bounded by count: the oldest are dropped and counted as cache_overflow', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir, { transportOptions: { outbox: { maxEntries: 5, retryInitialDelayMs: 20, retryMaxDelayMs: 100 } } });
  await proxy.down();
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    ids.push(faultline.captureMessage(`bounded ${i}`)!);
    await durableTransport().persisted();
  }
  assert.equal(storedFiles(cacheDir).length, 5);
  await proxy.up();
  assert.equal(await faultline.flush(3000), true);
  // Oldest first, except that an envelope in flight is never dropped (it may be delivered a
  // moment later). While the server fails only one request is in flight, so the three dropped
  // are three of the four oldest, and the four newest always survive.
  const delivered = server.events().map((e) => e.event_id);
  assert.equal(delivered.length, 5, 'five kept and delivered');
  assert.equal(new Set(delivered).size, 5, 'each exactly once');
  const dropped = ids.filter((id) => !delivered.includes(id));
  assert.equal(dropped.length, 3);
  assert.ok(dropped.every((id) => ids.indexOf(id) < 4), `dropped the oldest: ${dropped.map((id) => ids.indexOf(id))}`);
  assert.equal(server.discarded()['cache_overflow:error'], 3);
});

test('the store is bounded by bytes', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir, { transportOptions: { outbox: { maxBytes: 6000, retryInitialDelayMs: 20 } } });
  await proxy.down();
  for (let i = 0; i < 6; i++) {
    faultline.captureMessage(`bytes ${i} ${'x'.repeat(1500)}`);
    await durableTransport().persisted();
  }
  const stats = durableTransport().stats();
  assert.ok(stats.bytes <= 6000, `${stats.bytes} bytes kept`);
  const dropped = 6 - stats.entries;
  assert.ok(dropped >= 2, `${dropped} dropped`);
  await proxy.up();
  assert.equal(await faultline.flush(3000), true);
  assert.equal(server.events().length, stats.entries);
  assert.equal(server.discarded()['cache_overflow:error'], dropped);
});

test('envelopes older than maxAgeMs are dropped, not sent, and counted', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir, { transportOptions: { outbox: { maxAgeMs: 100, retryInitialDelayMs: 20 } } });
  await proxy.down();
  faultline.captureMessage('stale');
  await durableTransport().persisted();
  await sleep(250);
  await proxy.up();
  assert.equal(await faultline.flush(3000), true);
  assert.equal(server.events().length, 0);
  assert.equal(server.discarded()['cache_overflow:error'], 1);
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('a damaged file and a stray temp file in the store are swept, the rest is sent', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  await proxy.down();
  const id = faultline.captureMessage('good one')!;
  await durableTransport().persisted();
  await faultline.close(0);
  const folder = path.dirname(storedFiles(cacheDir)[0]!);
  fs.writeFileSync(path.join(folder, `${String(Date.now()).padStart(13, "0")}-9999999-1-beef.envelope`), '{"event_id":');
  fs.writeFileSync(path.join(folder, '.half-written.1.tmp'), '{"event_id"');
  const old = new Date(Date.now() - 3_600_000);
  fs.utimesSync(path.join(folder, '.half-written.1.tmp'), old, old);

  await proxy.up();
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  assert.equal(await faultline.flush(3000), true);
  assert.deepEqual(server.events().map((e) => e.event_id), [id]);
  assert.equal(durableTransport().stats().corrupt, 1);
  assert.deepEqual(fs.readdirSync(folder), [], 'nothing left behind');
});

test('a cache folder that cannot be written: memory only, still retried and delivered', async () => {
  const blocker = path.join(cacheDir, 'a-file');
  fs.writeFileSync(blocker, 'not a folder');
  initDurable(proxy.dsnFor(server.dsn), blocker);
  server.reply({ status: 503 });
  const id = faultline.captureMessage('no disk')!;
  assert.equal(await faultline.flush(3000), true);
  assert.equal(durableTransport().stats().mode, 'memory');
  assert.deepEqual(server.events().map((e) => e.event_id), [id, id], 'the 503 one, then the retry');
  assert.equal(server.requests >= 2, true);
});

test('offline: false is the plain transport: no folder, a 500 is counted and not retried', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir, { offline: false });
  assert.equal(typeof (durableTransport() as any).stats, 'undefined');
  server.reply({ status: 500 });
  faultline.captureMessage('once');
  assert.equal(await faultline.flush(2000), false);
  await sleep(100);
  assert.equal(server.events().length, 1);
  assert.deepEqual(fs.readdirSync(cacheDir), []);
  faultline.captureMessage('carrier');
  assert.equal(await faultline.flush(2000), true);
  assert.equal(server.discarded()['send_error:error'], 1);
});

test('a burst spilled to disk as a segment survives a restart: every event arrives exactly once', async () => {
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  await proxy.down();
  // A tight loop: the writer cannot run, so past 100 the queue spills to one segment file.
  const ids = Array.from({ length: 350 }, (_, i) => faultline.captureMessage(`burst ${i}`)!);
  assert.equal(ids.filter(Boolean).length, 350, 'the burst was absorbed, not dropped');
  await durableTransport().persisted();
  const files = storedFiles(cacheDir);
  assert.ok(files.some((f) => /\.segment#\d+$/.test(f)), `a segment file holds the burst: ${files.map((f) => path.basename(f)).join(', ')}`);
  assert.equal(await faultline.close(100), false);

  await proxy.up();
  initDurable(proxy.dsnFor(server.dsn), cacheDir);
  assert.equal(await faultline.flush(10_000), true);
  const counts = countById(server.events());
  assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), 'none lost');
  assert.ok([...counts.values()].every((n) => n === 1), 'none twice');
  assert.deepEqual(storedFiles(cacheDir), [], 'the segment is deleted once all of it is delivered');
});
