import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli.js';
import { envelopeUrl, eventEnvelope, getJson, post, startTestCollector } from './helpers.js';

async function captureLog(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    return { code: await run(), out: lines.join('\n') };
  } finally {
    console.log = original;
  }
}

test('a file database survives restarts; --add-project creates a second project with its own key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-store-'));
  const dbPath = join(dir, 'nested', 'collector.db');
  try {
    const first = await startTestCollector({ dbPath });
    assert.match(first.key, /^[0-9a-f]{32}$/);
    assert.equal((await post(envelopeUrl(first), eventEnvelope({ message: 'before restart' }))).status, 200);
    await first.close();

    const { code, out } = await captureLog(() => main(['--add-project', 'shop', '--db', dbPath, '--port', '9999']));
    assert.equal(code, 0);
    const dsn = /DSN: (\S+)/.exec(out)?.[1];
    assert.match(dsn ?? '', /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:9999\/2$/);

    const second = await startTestCollector({ dbPath });
    assert.equal(second.key, first.key, 'the default key is kept');
    const shopKey = new URL(dsn!).username;
    assert.equal((await post(`${second.url}api/2/envelope/?sentry_key=${shopKey}`, eventEnvelope({ message: 'for the shop' }))).status, 200);
    assert.equal((await post(`${second.url}api/1/envelope/?sentry_key=${shopKey}`, eventEnvelope({ message: 'wrong project' }))).status, 401);
    const all = (await getJson(second, '/api/issues')).body.issues.map((i: { title: string; projectId: number }) => `${i.projectId}:${i.title}`).sort();
    assert.deepEqual(all, ['1:before restart', '2:for the shop']);
    assert.equal((await getJson(second, '/api/issues?project=2')).body.total, 1);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help and bad flags', async () => {
  const help = await captureLog(() => main(['--help']));
  assert.equal(help.code, 0);
  assert.match(help.out, /--port N/);
  const original = console.error;
  console.error = () => {};
  try {
    assert.equal(await main(['--port', 'abc']), 2);
    assert.equal(await main(['--nope']), 2);
  } finally {
    console.error = original;
  }
});

test('retention: events per issue are capped (counts kept), total size is bounded', async () => {
  const collector = await startTestCollector({ retention: { maxEventsPerIssue: 3, maxTotalBytes: 20_000 } });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await post(envelopeUrl(collector), eventEnvelope({ message: 'repeated' }))).status, 200);
    const issue = (await getJson(collector, '/api/issues')).body.issues[0];
    assert.equal(issue.count, 5);
    assert.equal(issue.storedEvents, 3);
    assert.equal((await getJson(collector, `/api/issues/${issue.id}/events`)).body.events.length, 3);

    const padding = 'x'.repeat(2000);
    for (let i = 0; i < 30; i++) await post(envelopeUrl(collector), eventEnvelope({ message: `big ${i}`, fingerprint: [`big-${i}`], extra: { padding } }));
    const stats = (await getJson(collector, '/api/stats')).body;
    assert.ok(stats.storedBytes <= 20_000, `stored ${stats.storedBytes} bytes`);
    assert.ok(stats.events < 30);
    const newest = (await getJson(collector, '/api/issues?q=big%2029')).body.issues[0];
    assert.equal(newest.storedEvents, 1, 'the newest event is kept');
  } finally {
    await collector.close();
  }
});
