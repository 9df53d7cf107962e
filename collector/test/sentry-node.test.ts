import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getJson, startTestCollector } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/sentry-node-child.mjs', import.meta.url));

function runChild(dsn: string): Promise<{ flushed: boolean; ids: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fixture, dsn], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`child failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

test('@sentry/node (the official SDK) sends errors, messages and fingerprints; they are stored and grouped as Sentry would', async () => {
  const collector = await startTestCollector();
  try {
    const { flushed, ids } = await runChild(collector.dsn);
    assert.equal(flushed, true);
    const events: Record<string, any> = {};
    for (const [name, id] of Object.entries(ids)) {
      assert.match(id, /^[0-9a-f]{32}$/, name);
      const reply = await getJson(collector, `/api/events/${id}`);
      assert.equal(reply.status, 200, `${name} stored`);
      events[name] = reply.body;
    }
    // Stored as sent by the SDK.
    assert.equal(events.twoLinesA.event.sdk.name, 'sentry.javascript.node');
    assert.equal(events.twoLinesA.event.environment, 'sentry-test');
    assert.equal(events.message.event.level, 'warning');
    assert.equal(events.message.title, 'payment provider slow');

    // Grouping: one function, two lines → one issue; a TypeError elsewhere → another.
    assert.equal(events.twoLinesA.issueId, events.twoLinesB.issueId);
    assert.notEqual(events.typeError.issueId, events.twoLinesA.issueId);
    // A fingerprint overrides: an exception and a message share an issue.
    assert.equal(events.fingerprintA.issueId, events.fingerprintB.issueId);
    assert.notEqual(events.fingerprintA.issueId, events.twoLinesA.issueId);
    // {{ default }} extends: same error as twoLines, but its own issue.
    assert.notEqual(events.defaultExtended.issueId, events.twoLinesA.issueId);
    assert.notEqual(events.defaultExtended.issueId, events.fingerprintA.issueId);

    const checkoutIssue = (await getJson(collector, `/api/issues/${events.twoLinesA.issueId}`)).body;
    assert.equal(checkoutIssue.count, 2);
    assert.match(checkoutIssue.title, /^Error: checkout failed for order \d$/);
    assert.match(checkoutIssue.culprit, /^checkout \(/, 'culprit names the crashing in-app function');
    assert.deepEqual(checkoutIssue.releases.map((r: { value: string }) => r.value), ['fixture@1.0.0']);
    const fingerprintIssue = (await getJson(collector, `/api/issues/${events.fingerprintA.issueId}`)).body;
    assert.equal(fingerprintIssue.userCount, 2);
    assert.equal((await getJson(collector, '/api/issues')).body.total, 5);
  } finally {
    await collector.close();
  }
});
