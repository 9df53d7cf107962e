// The burst sender thread (src/node/outbox/burst-sender.ts): what a tight loop of captures spills
// to disk is sent from a worker thread while the loop still runs, and every answer that is not a
// plain 2xx hands the rest back to the main thread's sender, which settles them as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as https from 'node:https';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { tempCacheDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixtures', 'burst-app.ts');

interface BurstResult {
  total: number;
  accepted: number;
  loopStart: number;
  loopEnd: number;
  reinitAt?: number;
  flushed: boolean;
  stats: { entries: number; inFlight: number; burstThread: { starts: number; sent: number } };
}

let server: TestServer;
before(async () => {
  server = await startSentryServer();
});
after(() => server.close());

async function runBurst(env: Record<string, string>, cacheDir = tempCacheDir()): Promise<BurstResult & { stderr: string }> {
  server.envelopes.length = 0;
  env = { DSN: server.dsn, ...env };
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: path.resolve(here, '../..'),
    env: { ...process.env, CACHE_DIR: cacheDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
  return { ...(JSON.parse(stdout.trim().split('\n').pop()!) as BurstResult), stderr };
}

/** Client report counts in envelopes the server took (2xx), keyed `reason:category`. */
function reportedDrops(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const env of server.envelopes) {
    if (env.status < 200 || env.status >= 300) continue;
    for (const item of env.items) {
      if (item.header['type'] !== 'client_report') continue;
      for (const d of item.json.discarded_events) out[`${d.reason}:${d.category}`] = (out[`${d.reason}:${d.category}`] ?? 0) + d.quantity;
    }
  }
  return out;
}

/** Event ids the server took (2xx), and how many of those arrived before `until`. */
function deliveredEvents(until = Infinity): { ids: string[]; early: number } {
  const ids: string[] = [];
  let early = 0;
  for (const env of server.envelopes) {
    if (env.status < 200 || env.status >= 300) continue;
    for (const item of env.items) {
      if (item.header['type'] !== 'event') continue;
      ids.push(item.json.event_id);
      if (env.receivedAt < until) early++;
    }
  }
  return { ids, early };
}

for (const build of ['ESM', 'CJS'] as const) {
  test(`${build} build: a burst is sent from the thread while the loop that captured it still runs; each event once`, async () => {
    server.fallback = { status: 200 };
    // An application's preload (NODE_OPTIONS) runs in its worker threads too, unless told not to:
    // an instrumentation file there would init a second SDK inside the burst thread.
    const spy = path.join(here, 'fixtures', 'thread-spy.cjs');
    const result = await runBurst({ N: '2000', LOOP_MS: '3000', CJS: build === 'CJS' ? '1' : '0', NODE_OPTIONS: `--require ${spy}` });
    assert.doesNotMatch(result.stderr, /preload ran in the burst thread/);
    const { ids, early } = deliveredEvents(result.loopEnd);
    console.log(`# burst (${build}): ${early} of ${ids.length} delivered before the loop ended; ${JSON.stringify(result.stats.burstThread)}`);
    assert.equal(result.accepted, 2000);
    assert.equal(result.flushed, true);
    assert.equal(ids.length, 2000);
    assert.equal(new Set(ids).size, 2000, 'no event sent twice');
    assert.equal(result.stats.burstThread.starts, 1);
    // All but the last partial intake (under 100, written and sent by the main thread) was spilled.
    assert.ok(result.stats.burstThread.sent >= 1900, `the thread sent the spilled envelopes (${result.stats.burstThread.sent})`);
    assert.ok(early >= 1000, `most were delivered while the main thread was still busy (${early})`);
    assert.deepEqual([result.stats.entries, result.stats.inFlight], [0, 0]);
  });
}

test('without the thread, nothing leaves before the loop ends (what the thread changes)', async () => {
  server.fallback = { status: 200 };
  const result = await runBurst({ N: '2000', LOOP_MS: '1500', BURST_THREAD: '0' });
  const { ids, early } = deliveredEvents(result.loopEnd);
  assert.equal(ids.length, 2000);
  assert.equal(new Set(ids).size, 2000);
  assert.equal(early, 0);
  assert.deepEqual(result.stats.burstThread, { starts: 0, sent: 0 });
});

/**
 * Requests of the burst that arrived before any could have been answered: each connection carries
 * one request at a time, and every answer is held back `delayMs`, so no connection can bring a
 * second request before the first request's `receivedAt` plus that. What arrived until then is
 * what the thread started at once.
 */
function startedAtOnce(delayMs: number): number {
  const times = server.envelopes.map((e) => e.receivedAt).sort((a, b) => a - b);
  return times.filter((t) => t < times[0]! + delayMs).length;
}

test('the thread sends 16 requests at once by default, and `concurrency` when it is set', async () => {
  // The first answers are held back, so every request the thread starts at once arrives before
  // any connection is free again; the rest are answered at once.
  const delayMs = 400;
  let requests = 0;
  server.fallback = { status: 200 };
  server.decide = () => (++requests <= 40 ? { status: 200, delayMs } : undefined);
  try {
    for (const [env, expected] of [[{}, 16], [{ CONCURRENCY: '3' }, 3]] as const) {
      requests = 0;
      const result = await runBurst({ N: '1000', LOOP_MS: '1000', ...env });
      // All but the last partial intake (under 100, sent by the main thread) was spilled.
      assert.ok(result.stats.burstThread.sent >= 900, `the thread sent the burst (${result.stats.burstThread.sent})`);
      assert.equal(startedAtOnce(delayMs), expected);
      assert.equal(new Set(deliveredEvents().ids).size, 1000);
    }
  } finally {
    server.decide = undefined;
  }
});

test('a backlog an earlier run left: 256 envelopes or more go out through the thread, 16 at once; fewer from the main thread, 4 at once', async () => {
  const delayMs = 400;
  let requests = 0;
  try {
    // In segment files (a burst), or each in a file of its own (a trickle of captures).
    for (const [count, trickle, threads, atOnce] of [[1000, '0', 1, 16], [300, '1', 1, 16], [200, '0', 0, 4]] as const) {
      // The earlier run: the server fails throughout, so what it captured stays on disk when it
      // exits (no thread, so nothing is in flight from one at exit).
      const cacheDir = tempCacheDir();
      server.fallback = { status: 503 };
      const earlier = await runBurst({ N: String(count), LOOP_MS: '0', BURST_THREAD: '0', FLUSH_MS: '300', TRICKLE: trickle }, cacheDir);
      assert.equal(earlier.flushed, false);
      assert.equal(earlier.stats.entries, count, 'all of it still waits on disk');
      const files = fs.readdirSync(cacheDir, { recursive: true }).length;
      // A writer's turn now and then finds two captures waiting: nearly a file each.
      if (trickle === '1') assert.ok(files >= count * 0.9, `about a file for each envelope (${files} files)`);
      else assert.ok(files < count / 50, `segment files (${files})`);
      // The next run captures nothing: it only adopts the backlog. The first answers are held
      // back, so what is started at once arrives before any connection is free again.
      requests = 0;
      server.fallback = { status: 200 };
      server.decide = () => (++requests <= 40 ? { status: 200, delayMs } : undefined);
      const next = await runBurst({ N: '0', LOOP_MS: '0' }, cacheDir);
      console.log(`# backlog of ${count}${trickle === '1' ? ' in files of their own' : ''}: thread ${JSON.stringify(next.stats.burstThread)}, ${startedAtOnce(delayMs)} started at once`);
      assert.equal(next.flushed, true);
      assert.equal(new Set(deliveredEvents().ids).size, count, 'each once');
      assert.equal(deliveredEvents().ids.length, count);
      assert.equal(next.stats.burstThread.starts, threads);
      if (threads > 0) assert.equal(next.stats.burstThread.sent, count, 'the thread sent all of it');
      assert.equal(startedAtOnce(delayMs), atOnce);
      server.decide = undefined;
    }
  } finally {
    server.decide = undefined;
  }
});

test('after an outage, what piled up goes out through the thread once the server answers again', async () => {
  // The burst is spilled while the server is down: the thread meets the first failures and gives
  // everything back; the main thread's sender backs off and probes, one request at a time, until
  // the server answers 200. Then the backlog goes to a second thread.
  server.fallback = { status: 200 };
  server.reply(...Array.from({ length: 20 }, () => ({ status: 503 })));
  const result = await runBurst({ N: '1000', LOOP_MS: '0' });
  const { ids } = deliveredEvents();
  console.log(`# outage then back: ${ids.length} delivered, thread ${JSON.stringify(result.stats.burstThread)}`);
  assert.equal(server.envelopes.filter((e) => e.status === 503).length, 20);
  assert.equal(result.flushed, true);
  assert.equal(ids.length, 1000);
  assert.equal(new Set(ids).size, 1000, 'each delivered once');
  assert.equal(result.stats.burstThread.starts, 2, 'a second thread for the backlog');
  // The 503s the first thread met count as sent (they were answered); the second sent the rest.
  assert.ok(result.stats.burstThread.sent >= 900, `the thread sent the backlog (${result.stats.burstThread.sent})`);
  assert.deepEqual([result.stats.entries, result.stats.inFlight], [0, 0]);
});

test('envelopes that expire during an outage are not handed to the thread when the server is back; each is counted', async () => {
  server.fallback = { status: 200 };
  // The thread meets the first 503s at once; the main thread's probes meet the other four, with
  // the backoff between them (well under 1.8 s in all), then one that the server answers only
  // 2 s later. By then every other envelope is older than maxAgeMs: the main thread's sender
  // drops and counts them, and none may go to a thread.
  server.reply(...Array.from({ length: 20 }, () => ({ status: 503 })), { status: 200, delayMs: 2000 });
  const result = await runBurst({ N: '1000', LOOP_MS: '0', MAX_AGE_MS: '1800' });
  const { ids } = deliveredEvents();
  assert.equal(result.flushed, true);
  assert.equal(ids.length, 1, 'only the probe, sent before it expired');
  assert.deepEqual(reportedDrops(), { 'cache_overflow:error': 999 });
  assert.equal(result.stats.burstThread.starts, 1, 'only the spill started a thread');
  assert.deepEqual([result.stats.entries, result.stats.inFlight], [0, 0]);
});

test('a rate limit mid-burst: the thread stops, the rest is dropped as ratelimit_backoff and counted', async () => {
  server.fallback = { status: 200 };
  // 300 events go through, then the error category is limited for a minute (as Relay does it:
  // envelopes with events are refused, the client reports are taken).
  let events = 0;
  server.decide = (env) =>
    env.items.some((i) => i.header['type'] === 'event') && ++events > 300
      ? { status: 429, headers: { 'X-Sentry-Rate-Limits': '60:error:organization' } }
      : undefined;
  // Four requests at once, so "under way" is a tight bound: at most four on the thread and four
  // on the main thread's sender can be in flight when the first 429 comes back.
  const result = await runBurst({ N: '2000', LOOP_MS: '3000', CONCURRENCY: '4' }).finally(() => (server.decide = undefined));
  const { ids } = deliveredEvents();
  const answered429 = server.envelopes.filter((e) => e.status === 429 && e.items.some((i) => i.header['type'] === 'event')).length;
  const discarded = reportedDrops();
  console.log(`# rate limited burst: ${ids.length} delivered, ${answered429} answered 429, ${JSON.stringify(discarded)}`);
  assert.equal(result.accepted, 2000);
  assert.equal(ids.length, 300);
  assert.ok(answered429 >= 1 && answered429 <= 8, `only the requests already under way met the 429 (${answered429})`);
  // Delivered, refused by the server (Relay counts those itself), or counted by the SDK: all 2000.
  assert.equal(ids.length + answered429 + (discarded['ratelimit_backoff:error'] ?? 0), 2000, JSON.stringify(discarded));
  assert.deepEqual([result.stats.entries, result.stats.inFlight], [0, 0]);
});

test('the server fails mid-burst: the thread gives the rest back, the main thread retries, all arrive once', async () => {
  server.fallback = { status: 200 };
  server.reply(...Array.from({ length: 200 }, () => ({ status: 200 })), ...Array.from({ length: 5 }, () => ({ status: 503 })));
  const result = await runBurst({ N: '1500', LOOP_MS: '2500' });
  const { ids } = deliveredEvents();
  const failed = server.envelopes.filter((e) => e.status === 503).length;
  assert.equal(failed, 5);
  assert.equal(result.flushed, true);
  assert.equal(ids.length, 1500, `${ids.length} delivered`);
  assert.equal(new Set(ids).size, 1500, 'each delivered once');
  assert.ok(result.stats.burstThread.sent >= 200);
  assert.deepEqual([result.stats.entries, result.stats.inFlight], [0, 0]);
});

test('close() during a burst, init() again once its requests ended: the new outbox sends the rest, nothing twice', async () => {
  server.fallback = { status: 200, delayMs: 10 };
  const result = await runBurst({ N: '1500', LOOP_MS: '500', CLOSE_MS: '100' });
  server.fallback = { status: 200 };
  const before = deliveredEvents(result.reinitAt).early;
  const { ids } = deliveredEvents();
  console.log(`# close mid-burst: ${before} delivered before init() again, ${ids.length} in all`);
  assert.ok(before > 0 && before < 1500, `close() cut the burst short (${before} delivered before)`);
  assert.equal(result.flushed, true);
  assert.equal(ids.length, 1500, `${ids.length} delivered`);
  assert.equal(new Set(ids).size, 1500, 'nothing delivered twice');
  assert.deepEqual([result.stats.entries, result.stats.inFlight], [0, 0]);
});

test('init() again during a burst: the new outbox takes the old one\'s envelopes over, and its own thread sends them', async () => {
  server.fallback = { status: 200 };
  const result = await runBurst({ N: '1000', LOOP_MS: '0', REINIT: '1' });
  const { ids } = deliveredEvents();
  console.log(`# init() again mid-burst: ${ids.length} delivered; the new outbox's thread ${JSON.stringify(result.stats.burstThread)}`);
  assert.equal(result.flushed, true);
  assert.equal(ids.length, 1000);
  assert.equal(new Set(ids).size, 1000, 'nothing delivered twice');
  assert.equal(result.stats.burstThread.starts, 1, 'the new outbox started a thread');
  // The first files come over before there is a backlog worth a thread: the main thread sends those.
  assert.ok(result.stats.burstThread.sent >= 500, `it sent at least half of what was handed over (${result.stats.burstThread.sent})`);
  assert.deepEqual([result.stats.entries, result.stats.inFlight], [0, 0]);
});

/** The ESM build copied into a package of its own, under `name`; `edit` changes its code. */
function copyOfBuild(name: string, edit: (code: string) => string = (code) => code): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-build-copy-'));
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module' }));
  const code = fs.readFileSync(path.resolve(here, '../../dist/index.js'), 'utf8');
  const edited = edit(code);
  assert.notEqual(edited.length, 0);
  fs.writeFileSync(path.join(dir, 'dist', 'index.js'), edited);
  return path.join(dir, 'dist', 'index.js');
}

test('the thread fails: what it had comes back, the main thread sends all of it, each once', async () => {
  server.fallback = { status: 200 };
  const marker = 'function runBurstWorker() {';
  const entry = copyOfBuild('faultline', (code) => {
    assert.ok(code.includes(marker), 'the build still has the thread entry this test breaks');
    return code.replace(marker, `${marker} throw new Error('a thread that fails, for the test');`);
  });
  const result = await runBurst({ N: '2000', LOOP_MS: '1000', FAULTLINE_ENTRY: entry });
  const { ids } = deliveredEvents();
  assert.deepEqual(result.stats.burstThread, { starts: 1, sent: 0 }, 'started once, sent nothing, not started again');
  assert.equal(result.flushed, true);
  assert.equal(ids.length, 2000);
  assert.equal(new Set(ids).size, 2000);
});

test("inside an application's bundle (not the faultline package) the thread is never started", async () => {
  server.fallback = { status: 200 };
  const result = await runBurst({ N: '2000', LOOP_MS: '1000', FAULTLINE_ENTRY: copyOfBuild('my-app') });
  const { ids } = deliveredEvents();
  assert.deepEqual(result.stats.burstThread, { starts: 0, sent: 0 });
  assert.equal(ids.length, 2000);
  assert.equal(new Set(ids).size, 2000);
});

test('https: the thread verifies the server against the same trusted CAs, and sends the burst over TLS', async () => {
  const tls = path.join(here, '../fixtures/tls');
  const eventIds: string[] = [];
  const secure = https.createServer(
    { key: fs.readFileSync(path.join(tls, 'localhost.key')), cert: fs.readFileSync(path.join(tls, 'localhost.crt')) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        for (const line of body.toString('utf8').split('\n')) {
          const id = /^\{"event_id":"([0-9a-f]{32})"/.exec(line)?.[1];
          if (id && line.includes('"exception"')) eventIds.push(id);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    },
  );
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  try {
    const port = (secure.address() as AddressInfo).port;
    const result = await runBurst({
      N: '1000',
      LOOP_MS: '2500',
      DSN: `https://0123456789abcdef0123456789abcdef@localhost:${port}/42`,
      NODE_EXTRA_CA_CERTS: path.join(tls, 'localhost.crt'),
    });
    console.log(`# https burst: ${eventIds.length} events, thread ${JSON.stringify(result.stats.burstThread)}`);
    assert.equal(result.flushed, true);
    assert.equal(eventIds.length, 1000);
    assert.equal(new Set(eventIds).size, 1000);
    assert.ok(result.stats.burstThread.sent >= 900, `the thread sent the spilled envelopes over TLS (${result.stats.burstThread.sent})`);
  } finally {
    secure.closeAllConnections();
    await new Promise((resolve) => secure.close(resolve));
  }
});
