// The heavy version of test/delivery/crash.test.ts: 50 random SIGKILLs (npm run test:faults; named .fault.ts so `npm test` does not pick it up).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { tempCacheDir } from '../delivery/helpers.js';
import { runCrashRounds } from '../delivery/crash-harness.js';

let server: TestServer;
before(async () => {
  server = await startSentryServer();
});
after(() => server.close());

test('50 random SIGKILLs: nothing stored is lost, the store is never corrupt', async () => {
  const report = await runCrashRounds(server, tempCacheDir(), 50);
  assert.ok(report.persisted > 0);
  assert.deepEqual(server.errors(), []);
  console.log(`# crash: ${JSON.stringify(report)}`);
});
