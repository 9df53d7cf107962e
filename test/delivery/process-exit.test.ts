// How a process ends, and what faultline delivers before it does, in real child processes:
// the script ending, SIGTERM/SIGINT with and without the app's own handler, process.exit() and an
// uncaught exception right after a capture.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { storedFiles, tempCacheDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixtures', 'exit-app.ts');
const DOWN_DSN = 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/42'; // discard port: refused

let server: TestServer;
let cacheDir: string;

before(async () => {
  server = await startSentryServer();
});
after(() => server.close());
beforeEach(() => {
  server.envelopes.length = 0;
  server.fallback = { status: 200 };
  cacheDir = tempCacheDir();
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  captured: string[];
  stdout: string;
  stderr: string;
}

function run(env: Record<string, string>, onReady?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: path.resolve(here, '../..'),
      env: { ...process.env, CACHE_DIR: cacheDir, DSN: server.dsn, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
      if (onReady && stdout.includes('ready\n')) {
        const ready = onReady;
        onReady = undefined;
        ready(child);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const captured = [...stdout.matchAll(/^captured ([0-9a-f]{32})$/gm)].map((m) => m[1]!);
      resolve({ code, signal, captured, stdout, stderr });
    });
  });
}

const receivedIds = () => server.events().map((e) => e.event_id).sort();

test('the script ends: beforeExit flushes everything, then the process exits normally', async () => {
  server.fallback = { status: 200, delayMs: 150 }; // only a flush that waits can see these
  const r = await run({ MODE: 'natural' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.captured.length, 3);
  assert.deepEqual(receivedIds(), [...r.captured].sort());
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('beforeExit with the server down: bounded by shutdownTimeout, the rest stays on disk', async () => {
  const started = Date.now();
  const r = await run({ MODE: 'natural', DSN: DOWN_DSN, SHUTDOWN_TIMEOUT: '300' });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - started < 5000);
  assert.equal(storedFiles(cacheDir).length, 3);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} without an app handler: flushed, then the process dies by ${signal} as Node would`, async () => {
    server.fallback = { status: 200, delayMs: 150 };
    const r = await run({ MODE: signal.toLowerCase() }, (child) => child.kill(signal));
    assert.equal(r.signal, signal, `died by the signal (code ${r.code}) ${r.stderr}`);
    assert.deepEqual(receivedIds(), [...r.captured].sort());
  });
}

test('SIGTERM with an app handler: flushed, the app decides, the process is not killed', async () => {
  server.fallback = { status: 200, delayMs: 150 };
  const r = await run({ MODE: 'sigterm-handled' }, (child) => child.kill('SIGTERM'));
  assert.equal(r.signal, null);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /app handler ran/);
  assert.deepEqual(receivedIds(), [...r.captured].sort());
});

for (const mode of ['exit', 'uncaught'] as const) {
  test(`${mode === 'exit' ? 'process.exit()' : 'an uncaught exception'} right after capturing: on disk, sent by the next start`, async () => {
    const r = await run({ MODE: mode, DSN: server.dsn, COUNT: '5' });
    assert.equal(r.code, mode === 'exit' ? 3 : 1, r.stderr);
    assert.equal(r.captured.length, 5);
    assert.equal(storedFiles(cacheDir).length + server.events().length, 5, 'each one is on disk or delivered');
    const restart = await run({ MODE: 'drain', COUNT: '0' });
    assert.equal(restart.code, 0, restart.stderr);
    assert.deepEqual(receivedIds(), [...r.captured].sort());
    assert.deepEqual(storedFiles(cacheDir), []);
  });
}
