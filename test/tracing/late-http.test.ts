// node:http is not loaded by faultline at init unless something loaded it already or tracing is
// on (about 5 ms of every app's start-up): each case runs in a fresh process (test/tracing/
// fixtures/late-http.ts), since whether a built-in is loaded is per process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNode } from '../helpers/run-node.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'late-http.ts');
const TRACE_HEADER = /^[0-9a-f]{32}-[0-9a-f]{16}(-[01])?$/;

interface Outcome {
  httpLoadedBeforeInit: boolean;
  httpLoadedByInit: boolean;
  received: Array<string | null>;
}

async function run(env: Record<string, string>): Promise<Outcome> {
  // The DSN is only there to enable the client, and nothing listens on it: what the fixture would
  // send (the transactions of its own server, with tracing on) stays in an outbox folder of this
  // run's own, removed after it, not in the OS temp folder where the next run would retry it.
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-late-http-'));
  try {
    const result = await runNode(FIXTURE, {
      env: { ...process.env, FAULTLINE_DSN: 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1', FAULTLINE_CACHE_DIR: cacheDir, ...env },
      cwd: path.resolve(import.meta.dirname, '../..'),
      timeoutMs: 20_000,
    });
    assert.equal(result.code, 0, `the fixture failed:\n${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as Outcome;
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

test('tracing off, node:http loaded after init: init does not load it; its first request goes without trace headers, the next ones carry them', async () => {
  const out = await run({ HTTP_LOAD: 'after' });
  assert.equal(out.httpLoadedBeforeInit, false);
  assert.equal(out.httpLoadedByInit, false, 'init left node:http unloaded');
  assert.equal(out.received.length, 3);
  assert.equal(out.received[0], null, 'the request that revealed node:http was already written');
  assert.match(out.received[1] ?? '', TRACE_HEADER, 'the module object\'s get is wrapped from then on');
  assert.match(out.received[2] ?? '', TRACE_HEADER, 'and so is the ESM namespace\'s live get export');
});

test('tracing off, node:http loaded before init: every request carries trace headers', async () => {
  const out = await run({ HTTP_LOAD: 'before' });
  assert.equal(out.httpLoadedBeforeInit, true);
  assert.equal(out.received.length, 3);
  for (const header of out.received) assert.match(header ?? '', TRACE_HEADER);
});

test('tracing on: init loads and wraps node:http, so even the first request carries trace headers', async () => {
  const out = await run({ HTTP_LOAD: 'after', TRACING: '1' });
  assert.equal(out.httpLoadedBeforeInit, false);
  assert.equal(out.httpLoadedByInit, true);
  assert.equal(out.received.length, 3);
  for (const header of out.received) assert.match(header ?? '', TRACE_HEADER);
});
