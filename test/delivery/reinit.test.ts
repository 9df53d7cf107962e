// init() again for the same DSN while requests are in flight: the old outbox is closed and a new
// one takes over the same folder. What the old one is still sending must not be sent again by
// the new one (the old code released a segment file whole, and cut its requests off at close,
// so the new outbox resent every envelope of it), and what it could not deliver must not be lost.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { countById, durableTransport, initDurable, sleep, storedFiles, tempCacheDir } from './helpers.js';

const server = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes'] });
let cacheDir: string;

beforeEach(() => {
  cacheDir = tempCacheDir();
  // Every reply comes late, so requests are still in flight when init() runs again; the second
  // request (one of the burst, as the lone envelope goes first) is refused with a 503, so one
  // envelope of a segment has to be retried by whoever sends next.
  server.fallback = { status: 200, delayMs: 300 };
  server.reply({ status: 200, delayMs: 300 }, { status: 503, delayMs: 300 });
});
afterEach(async () => {
  await faultline.close(0);
  server.fallback = { status: 200 };
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
});

/** A lone envelope file, then a burst the writer puts in one segment file. */
async function captureSome(prefix: string): Promise<string[]> {
  const ids = [faultline.captureMessage(`${prefix} lone`)!];
  await durableTransport().persisted();
  for (let i = 0; i < 3; i++) ids.push(faultline.captureMessage(`${prefix} burst ${i}`)!);
  await durableTransport().persisted();
  assert.equal(storedFiles(cacheDir).filter((f) => f.includes('#')).length, 3, 'the burst is one segment');
  return ids;
}

/** Event ids the server accepted: all it received but the second request, which got the 503. */
function accepted(): Map<string, number> {
  const refused = server.envelopes[1]!.items.filter((i) => i.header['type'] === 'event').map((i) => i.json.event_id);
  const counts = countById(server.events());
  for (const id of refused) counts.set(id, counts.get(id)! - 1);
  for (const [id, n] of counts) if (n === 0) counts.delete(id);
  return counts;
}

function assertExactlyOnce(ids: string[]): void {
  const counts = accepted();
  assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), 'none lost');
  assert.deepEqual([...counts.values()], ids.map(() => 1), 'none accepted twice');
  assert.equal(server.events().length, ids.length + 1, 'only the refused one was sent again');
  assert.deepEqual(storedFiles(cacheDir), [], 'nothing left on disk');
}

test('init again while replies are delayed: every event arrives exactly once', async () => {
  initDurable(server.dsn, cacheDir);
  const ids = await captureSome('first');
  await sleep(50);
  assert.equal(durableTransport().stats().inFlight, 4, 'all four are in flight');
  initDurable(server.dsn, cacheDir);
  ids.push(faultline.captureMessage('after init')!);
  await server.waitFor(() => server.events().length >= ids.length + 1, 5000);
  assert.equal(await faultline.flush(5000), true);
  await sleep(400); // a duplicate would come now, if at all
  assertExactlyOnce(ids);
});

test('close, then init again once the old requests ended: only the undelivered one is sent', async () => {
  initDurable(server.dsn, cacheDir);
  const ids = await captureSome('closed');
  await sleep(50);
  await faultline.close(0);
  await sleep(500); // the old requests end with no outbox open on the folder
  initDurable(server.dsn, cacheDir);
  assert.equal(await faultline.flush(5000), true);
  await sleep(400);
  assertExactlyOnce(ids);
});
