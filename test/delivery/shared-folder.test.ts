// Several processes on one outbox folder (the folder is per DSN, so workers of one app share it):
// each envelope is sent by exactly one of them. A live process keeps its own envelopes; those of
// a dead one are adopted by exactly one survivor (src/node/outbox/ownership.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { countById, storedFiles, tempCacheDir } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/shared-app.ts', import.meta.url));
const crashFixture = fileURLToPath(new URL('./fixtures/crash-app.ts', import.meta.url));

let server: TestServer;
before(async () => {
  server = await startSentryServer();
});
after(() => server.close());

interface Child {
  /** Resolves with the first ids printed as persisted. */
  persisted: Promise<string[]>;
  /** Every id printed as persisted so far. */
  persistedSoFar(): string[];
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(): void;
}

function run(file: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let resolvePersisted!: (ids: string[]) => void;
  const persisted = new Promise<string[]>((r) => (resolvePersisted = r));
  const persistedSoFar = () => [...stdout.matchAll(/persisted ([0-9a-f ]+)/g)].flatMap((m) => m[1]!.trim().split(' '));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const ids = persistedSoFar();
    if (ids.length) resolvePersisted(ids);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { persisted, persistedSoFar, exit, kill: () => child.kill('SIGKILL') };
}

test('two live processes on one folder: every event arrives exactly once', async () => {
  const cacheDir = tempCacheDir();
  server.envelopes.length = 0;
  // Slow replies keep each process's files on disk while the other starts and scans the folder.
  server.fallback = { delayMs: 150 };
  try {
    const first = run(fixture, { DSN: server.dsn, CACHE_DIR: cacheDir, COUNT: '15', NAME: 'first' });
    const firstIds = await first.persisted;
    const second = run(fixture, { DSN: server.dsn, CACHE_DIR: cacheDir, COUNT: '15', NAME: 'second' });
    const [a, b] = await Promise.all([first.exit, second.exit]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(a.stdout, /flushed true/);
    assert.match(b.stdout, /flushed true/);
    const secondIds = await second.persisted;
    const counts = countById(server.events());
    for (const id of [...firstIds, ...secondIds]) assert.equal(counts.get(id), 1, `event ${id} delivered once`);
    assert.equal(server.events().length, 30);
    assert.deepEqual(storedFiles(cacheDir), []);
    assert.deepEqual(server.errors(), []);
  } finally {
    server.fallback = {};
  }
});

test('a dead process\'s envelopes are adopted by exactly one of two processes starting together', async () => {
  const cacheDir = tempCacheDir();
  server.envelopes.length = 0;
  // The server refuses for now, so the first process's envelopes stay on disk; then it is killed.
  server.fallback = { status: 503 };
  const doomed = run(crashFixture, { DSN: server.dsn, CACHE_DIR: cacheDir, ROUND: 'doomed' });
  // crash-app prints each burst once it is on disk; wait for a few bursts.
  await doomed.persisted;
  while (doomed.persistedSoFar().length < 12) await new Promise((r) => setTimeout(r, 20));
  doomed.kill();
  await doomed.exit;
  const doomedIds = new Set(doomed.persistedSoFar());
  const onDisk = storedFiles(cacheDir).length;
  assert.ok(onDisk >= 12, `envelopes left on disk: ${onDisk}`);
  // What the server saw while it answered 503 was not accepted; count only what follows.
  server.envelopes.length = 0;
  server.fallback = {};
  const [a, b] = await Promise.all([
    run(crashFixture, { DSN: server.dsn, CACHE_DIR: cacheDir, COUNT: '0' }).exit,
    run(crashFixture, { DSN: server.dsn, CACHE_DIR: cacheDir, COUNT: '0' }).exit,
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const counts = countById(server.events());
  for (const id of doomedIds) assert.equal(counts.get(id), 1, `event ${id} delivered once`);
  for (const [id, n] of counts) assert.equal(n, 1, `event ${id} delivered ${n} times`);
  assert.equal(server.events().length, onDisk, 'every stored envelope delivered, once');
  assert.deepEqual(storedFiles(cacheDir), []);
  assert.deepEqual(server.errors(), []);
});
