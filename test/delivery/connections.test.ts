// How many requests the durable outbox keeps in flight from the application's thread while it
// has a backlog: 4 by default (transportOptions.concurrency), each on its own keep-alive
// connection, and never more. (A burst spilled to disk goes out from the burst thread, with 16 by
// default: burst-thread.test.ts.) Replies are held back long enough that every request the outbox
// was willing to start has arrived before the first answer could free a slot.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { resetScopesForTests } from '../../src/core/async-context.js';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { countById, durableTransport, initDurable, sleep, storedFiles, tempCacheDir } from './helpers.js';

const REPLY_DELAY_MS = 500;

let server: TestServer;
let cacheDir: string;

before(async () => {
  server = await startSentryServer();
});
after(() => server.close());
beforeEach(() => {
  resetScopesForTests();
  server.envelopes.length = 0;
  server.requests = 0;
  server.fallback = { status: 200, delayMs: REPLY_DELAY_MS };
  cacheDir = tempCacheDir();
});
afterEach(async () => {
  await faultline.close(0);
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
});

/** Captures `count` messages at once, and returns how many requests arrived before any answer. */
async function inFlightBeforeFirstAnswer(count: number, transportOptions: faultline.Options['transportOptions'] = {}): Promise<{ started: number; ids: string[] }> {
  initDurable(server.dsn, cacheDir, { transportOptions: { timeout: 10_000, ...transportOptions } });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(faultline.captureMessage(`backlog ${i}`)!);
  await server.waitFor(() => server.requests > 0);
  // Well before the first answer (REPLY_DELAY_MS after the first request arrived).
  await sleep(REPLY_DELAY_MS / 2);
  return { started: server.requests, ids };
}

async function assertAllDeliveredOnce(ids: string[]): Promise<void> {
  assert.equal(await faultline.flush(15_000), true);
  const counts = countById(server.events());
  assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), 'none lost');
  assert.ok([...counts.values()].every((n) => n === 1), 'none twice');
  assert.equal(durableTransport().stats().inFlight, 0);
  assert.deepEqual(storedFiles(cacheDir), [], 'delivered envelopes are deleted');
}

test('a backlog goes out 4 requests at a time by default', async () => {
  const { started, ids } = await inFlightBeforeFirstAnswer(20);
  assert.equal(started, 4);
  await assertAllDeliveredOnce(ids);
});

test('transportOptions.concurrency bounds it', async () => {
  const { started, ids } = await inFlightBeforeFirstAnswer(6, { concurrency: 2 });
  assert.equal(started, 2);
  await assertAllDeliveredOnce(ids);
});
