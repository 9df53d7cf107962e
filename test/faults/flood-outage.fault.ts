// The heavy flood (npm run test:faults): 100,000 captures that yield to the event loop, during a
// 3 s outage, with the default store bound of 1000 envelopes. Every capture is accounted for.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { tempCacheDir } from '../delivery/helpers.js';
import { runFlood } from '../delivery/flood-harness.js';

let server: TestServer;
before(async () => {
  server = await startSentryServer();
});
after(() => server.close());

test('100,000 spread captures during an outage: delivered + counted drops = 100,000', async () => {
  const { result, delivered, discarded } = await runFlood(server, tempCacheDir(), { total: 100_000, spread: true, outageMs: 3000 });
  console.log(`# flood outage 100k: ${JSON.stringify({ ...result, deliveredEvents: delivered, discarded })}`);
  assert.equal(result.delivered, true);
  const dropped = (discarded['queue_overflow:error'] ?? 0) + (discarded['cache_overflow:error'] ?? 0);
  assert.equal(delivered + dropped, 100_000);
  assert.ok(result.rssPeak - result.rssBefore < 64);
});
