// A flood of captures: memory stays bounded and every capture is accounted for, exactly —
// delivered, or counted in a client report with the reason it was dropped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { tempCacheDir } from './helpers.js';
import { runFlood } from './flood-harness.js';

/** Documented bound (README "Delivery guarantees"): measured growth is ~17 MB. */
const RSS_GROWTH_BOUND_MB = 64;

let server: TestServer;
before(async () => {
  server = await startSentryServer();
});
after(() => server.close());

test('100,000 captures in one tight loop: the full queue spills to disk until the store is full, the rest is queue_overflow, RSS bounded', async () => {
  const { result, delivered, discarded } = await runFlood(server, tempCacheDir(), { total: 100_000, maxEntries: 1000 });
  console.log(`# flood tight: ${JSON.stringify(result)}`);
  assert.equal(result.delivered, true);
  assert.equal(result.accepted, 1000, 'the store (maxEntries) absorbs the burst, not just the 100-envelope queue');
  assert.equal(delivered, 1000);
  assert.deepEqual(discarded, { 'queue_overflow:error': 99_000 });
  assert.ok(result.rssPeak - result.rssBefore < RSS_GROWTH_BOUND_MB, `RSS grew ${result.rssPeak - result.rssBefore} MB`);
});

test('20,000 captures yielding to the loop during an outage: the store bound holds, every drop is counted', async () => {
  const { result, delivered, discarded } = await runFlood(server, tempCacheDir(), {
    total: 20_000,
    spread: true,
    maxEntries: 50,
    outageMs: 1500,
  });
  console.log(`# flood outage: ${JSON.stringify(result)}`);
  assert.equal(result.delivered, true);
  const dropped = (discarded['queue_overflow:error'] ?? 0) + (discarded['cache_overflow:error'] ?? 0);
  assert.equal(delivered + dropped, 20_000, `${delivered} delivered + ${JSON.stringify(discarded)}`);
  assert.equal(result.accepted, delivered + (discarded['cache_overflow:error'] ?? 0));
  assert.ok(delivered <= 50 + 4, 'no more than the store (plus what was in flight) survived the outage');
  assert.ok(result.longestStallMs < 250, `the app stayed responsive (longest stall ${result.longestStallMs} ms)`);
  assert.ok(result.rssPeak - result.rssBefore < RSS_GROWTH_BOUND_MB);
});
