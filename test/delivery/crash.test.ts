// SIGKILL at random moments (10 rounds here; `npm run test:faults` runs 50): the store is never
// corrupt and every event that reached the disk is delivered after a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { tempCacheDir } from './helpers.js';
import { runCrashRounds } from './crash-harness.js';

let server: TestServer;
before(async () => {
  server = await startSentryServer();
});
after(() => server.close());

test('10 random SIGKILLs: nothing stored is lost, nothing is delivered twice without cause', async () => {
  const report = await runCrashRounds(server, tempCacheDir(), 10);
  assert.ok(report.persisted > 0, 'the child did capture');
  assert.deepEqual(server.errors(), []);
  console.log(`# crash: ${JSON.stringify(report)}`);
});
