// Request-mode release health end to end: real node:http and Express servers on 127.0.0.1, the
// `sessions` items the local server receives, errored and crashed requests, the periodic flush,
// rate limits, and a process that crashes in a real child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import express from 'express';
import * as faultline from '../../src/index.js';
import { httpServerIntegration } from '../../src/integrations/http-server.js';
import { setupExpressErrorHandler } from '../../src/integrations/express.js';
import { sessionsIntegration, type SessionsIntegrationOptions } from '../../src/integrations/sessions.js';
import type { Options } from '../../src/core/types.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { closeApp, localUrl } from '../helpers/local-app.js';
import { flushChecked } from '../helpers/flushed.js';
import { itemsOfType } from '../logs/received.js';

let app: http.Server;
let base: string;
const sentry = useSentryServer({
  setup: startApp,
  beforeEach: ['closeClient', 'resetScopes', 'clearEnvelopes'],
  teardown: () => closeApp(app),
});

function init(options: Options = {}, sessions: SessionsIntegrationOptions = {}): void {
  faultline.init({
    dsn: sentry.dsn,
    release: 'api@1.0.0',
    defaultIntegrations: false,
    integrations: [httpServerIntegration(), sessionsIntegration(sessions)],
    ...options,
  });
}

/** Aggregate counts summed over every bucket of every `sessions` item received. */
function totals(): { exited: number; errored: number; crashed: number; items: number } {
  const out = { exited: 0, errored: 0, crashed: 0, items: 0 };
  for (const item of itemsOfType(sentry, 'sessions')) {
    out.items++;
    for (const a of item.json.aggregates) {
      out.exited += a.exited ?? 0;
      out.errored += a.errored ?? 0;
      out.crashed += a.crashed ?? 0;
    }
  }
  return out;
}

const flushed = () => flushChecked(sentry, 5000);

async function get(url: string): Promise<number> {
  const reply = await fetch(`${base}${url}`);
  await reply.arrayBuffer();
  return reply.status;
}

async function startApp(): Promise<void> {
  app = http.createServer((req, res) => {
    if (req.url?.startsWith('/fail')) {
      faultline.captureException(new Error(`failed ${req.url}`));
      res.statusCode = 500;
    }
    res.end('done');
  }).listen(0, '127.0.0.1');
  base = await localUrl(app);
}

test('1000 requests with 10 failing add up exactly: 990 exited, 10 errored', async () => {
  // The test Sentry server runs in this process: its envelope posts must not count as sessions
  // (http-server emits requestStart only for requests without Sentry auth; see own-requests.ts).
  init({ environment: 'load-test' });
  const urls = Array.from({ length: 1000 }, (_, i) => (i % 100 === 7 ? `/fail/${i}` : `/ok/${i}`));
  for (let i = 0; i < urls.length; i += 50) await Promise.all(urls.slice(i, i + 50).map(get));
  await flushed();
  const t = totals();
  assert.deepEqual({ exited: t.exited, errored: t.errored, crashed: t.crashed }, { exited: 990, errored: 10, crashed: 0 });
  assert.equal(t.exited + t.errored + t.crashed, 1000, 'every request started one session');
  assert.equal(sentry.events().length, 10);
  for (const item of itemsOfType(sentry, 'sessions')) {
    assert.deepEqual(item.json.attrs, { release: 'api@1.0.0', environment: 'load-test' });
    for (const a of item.json.aggregates) assert.match(a.started, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/, 'a minute bucket');
  }
});

test('ignoreRequest leaves requests out (a health check, say)', async () => {
  init({}, { ignoreRequest: (req) => req.url === '/healthz' });
  for (const url of ['/ok/1', '/healthz', '/fail/2', '/healthz', '/ok/3']) await get(url);
  await flushed();
  const t = totals();
  assert.deepEqual({ exited: t.exited, errored: t.errored, crashed: t.crashed }, { exited: 2, errored: 1, crashed: 0 });
});

test('Express: an unhandled error marks its request crashed, a captured one errored; sent periodically', async () => {
  init({}, { flushIntervalMs: 200 });
  const ex = express();
  ex.set('env', 'test'); // finalhandler prints errors outside the test env
  ex.get('/ok', (_req, res) => void res.send('ok'));
  ex.get('/handled', (_req, res) => {
    faultline.captureException(new Error('handled'));
    faultline.captureException(new Error('handled twice')); // still one errored session
    res.status(500).send('handled');
  });
  ex.get('/boom', () => {
    throw new Error('unhandled in a route');
  });
  ex.get('/message', (_req, res) => {
    faultline.captureMessage('a message is not an error');
    res.send('ok');
  });
  setupExpressErrorHandler(ex);
  const server = ex.listen(0, '127.0.0.1');
  const exBase = await localUrl(server);
  try {
    for (const url of ['/ok', '/handled', '/boom', '/message', '/ok']) await (await fetch(`${exBase}${url}`)).arrayBuffer();
    // No flush: the aggregator's own timer sends them.
    await sentry.waitFor(() => totals().exited + totals().errored + totals().crashed === 5, 10_000);
  } finally {
    await closeApp(server);
  }
  assert.deepEqual(sentry.errors(), []);
  const t = totals();
  assert.deepEqual({ exited: t.exited, errored: t.errored, crashed: t.crashed }, { exited: 3, errored: 1, crashed: 1 });
});

test('no sessions without a release, or with autoSessionTracking: false', async () => {
  init({ release: undefined });
  await get('/ok');
  await flushed();
  init({ autoSessionTracking: false });
  await get('/ok');
  await flushed();
  assert.equal(itemsOfType(sentry, 'sessions').length, 0);
});

test('a session rate limit: no sessions item during the window, drops counted as ratelimit_backoff', async () => {
  // The in-memory transport: the durable outbox would hold the 429'd envelope for a later retry.
  init({ offline: false });
  sentry.reply({ status: 429, headers: { 'X-Sentry-Rate-Limits': '60:session:organization' } });
  await get('/ok');
  await flushed();
  assert.equal(itemsOfType(sentry, 'sessions').length, 1);
  sentry.envelopes.length = 0;

  await get('/ok');
  await get('/fail/1');
  await flushed();
  await get('/ok');
  await flushed();
  assert.equal(itemsOfType(sentry, 'sessions').length, 0);
  assert.equal(sentry.events().length, 1, 'errors are not limited');
  assert.equal(sentry.discarded()['ratelimit_backoff:session'], 2, 'one sessions item per flush');
});

test('a process that crashes while handling a request reports the crash before it ends', async () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const env: Record<string, string | undefined> = { ...process.env, FAULTLINE_DSN: sentry.dsn };
  delete env['NODE_TEST_CONTEXT'];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/sessions/fixtures/crash-server.ts')], {
    env,
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('close', () => reject(new Error(`the app ended early: ${stderr}`)));
  });
  for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
  await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
  const code = await exited;
  clearTimeout(killer);

  assert.equal(code, 1, stderr);
  assert.deepEqual(sentry.errors(), []);
  const t = totals();
  assert.deepEqual({ exited: t.exited, errored: t.errored, crashed: t.crashed }, { exited: 3, errored: 0, crashed: 1 });
  assert.deepEqual(itemsOfType(sentry, 'sessions')[0]?.json.attrs, { release: 'crashy@1.0.0', environment: 'crash-test' });
  assert.ok(sentry.events().some((e) => e.level === 'fatal'));
});
