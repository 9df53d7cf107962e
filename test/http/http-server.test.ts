// node:http servers without any framework: per-request isolation (also across body chunks that
// arrive later), and the request data rules (PII, body size, query scrubbing, transaction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as faultline from '../../src/index.js';
import { httpServerIntegration } from '../../src/integrations/http-server.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { closeApp, localUrl } from '../helpers/local-app.js';
import { sentEvents } from '../helpers/flushed.js';

let app: http.Server;
let base: string;
const sentry = useSentryServer({ setup: startApp, beforeEach: ['clearEnvelopes'], teardown: () => closeApp(app) });
/** What the current test's handler does; the server is shared. */
let handle: (req: http.IncomingMessage & { body?: unknown }, res: http.ServerResponse) => void;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function init(options: faultline.Options = {}) {
  faultline.init({ dsn: sentry.dsn, integrations: [httpServerIntegration()], transportOptions: { bufferSize: 1000 }, ...options });
}

async function sent(count: number): Promise<any[]> {
  await sentry.waitFor(() => sentry.events().length >= count, 5000);
  return sentEvents(sentry);
}

/** Sends a body in two chunks with a pause, so the second arrives in a later socket read. */
function postInTwoChunks(path: string, first: string, second: string, headers: http.OutgoingHttpHeaders = {}) {
  return new Promise<number>((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.write(first);
    setTimeout(() => req.end(second), 20);
  });
}

async function startApp(): Promise<void> {
  app = http.createServer((req, res) => handle(req, res)).listen(0, '127.0.0.1');
  base = await localUrl(app);
}

test('the isolation scope holds across awaits and across body chunks read later, under concurrency', async () => {
  init();
  handle = (req, res) => {
    const id = String(req.headers['x-id']);
    faultline.setUser({ id });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      faultline.addBreadcrumb({ category: 'app', message: `chunk ${id}` });
      chunks.push(c);
    });
    req.on('end', async () => {
      await pause(Math.random() * 20);
      faultline.setTag('body', Buffer.concat(chunks).toString());
      faultline.captureException(new Error(`failed for ${id}`));
      res.end('ok');
    });
  };
  await Promise.all(
    Array.from({ length: 30 }, (_, i) => postInTwoChunks('/upload', `part1-${i};`, `part2-${i}`, { 'x-id': String(i) })),
  );
  const events = await sent(30);
  assert.equal(events.length, 30);
  for (const event of events) {
    const id = event.user.id;
    assert.equal(event.exception.values[0].value, `failed for ${id}`);
    assert.equal(event.tags.body, `part1-${id};part2-${id}`);
    const crumbs = event.breadcrumbs.values.filter((c: any) => c.category === 'app');
    assert.ok(crumbs.length >= 2, 'both chunks were seen in the request scope');
    for (const c of crumbs) assert.equal(c.message, `chunk ${id}`);
    assert.equal(event.transaction, 'POST /upload');
  }
});

test('request data: headers without credentials, scrubbed query, body within the medium limit, no IP', async () => {
  init();
  handle = (req, res) => {
    req.body = { name: 'widget', password: 'hunter2' }; // as a framework's body parser would
    faultline.captureMessage('inside');
    res.end();
  };
  await fetch(`${base}/items/7?q=lamp&api_key=abc123#top`, {
    headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'x-api-key': 'k', 'x-trace': 't1' },
  });
  const [event] = await sent(1);
  const request = event.request;
  assert.equal(request.method, 'GET');
  assert.equal(request.url, `${base}/items/7`);
  assert.equal(request.query_string, 'q=lamp&api_key=[Filtered]');
  assert.equal(request.headers['x-trace'], 't1');
  assert.equal(request.headers.authorization, undefined);
  assert.equal(request.headers.cookie, undefined);
  assert.equal(request.cookies, undefined);
  assert.equal(request.headers['x-api-key'], '[Filtered]', 'the core scrubber still applies to headers');
  assert.equal(request.data.name, 'widget');
  assert.equal(request.data.password, '[Filtered]');
  assert.equal(event.user?.ip_address, undefined);
  assert.equal(event.transaction, 'GET /items/7');
});

test('sendDefaultPii adds cookies, authorization and the client IP', async () => {
  init({ sendDefaultPii: true });
  handle = (_req, res) => {
    faultline.captureMessage('inside');
    res.end();
  };
  await fetch(`${base}/me`, { headers: { cookie: 'theme=dark', 'x-custom': 'v' } });
  const [event] = await sent(1);
  assert.equal(event.request.cookies.theme, 'dark');
  assert.equal(event.request.headers['x-custom'], 'v');
  assert.equal(event.user.ip_address, '127.0.0.1');
});

test('maxRequestBodySize: small drops a 2 kB body, always keeps it, never drops even a tiny one', async () => {
  const big = 'x'.repeat(2000);
  handle = (req, res) => {
    req.body = req.headers['x-size'] === 'big' ? { big } : 'tiny';
    faultline.captureMessage(String(req.headers['x-size']));
    res.end();
  };
  init({ maxRequestBodySize: 'small' });
  await fetch(`${base}/a`, { headers: { 'x-size': 'big' } });
  await fetch(`${base}/a`, { headers: { 'x-size': 'tiny' } });
  let events = await sent(2);
  // Two envelopes travel in parallel: find each by its message, not by arrival order.
  const bySize = (size: string) => events.find((e: any) => e.logentry?.formatted === size);
  assert.equal(bySize('big').request.data, undefined);
  assert.equal(bySize('tiny').request.data, 'tiny');

  sentry.envelopes.length = 0;
  init({ maxRequestBodySize: 'always' });
  await fetch(`${base}/a`, { headers: { 'x-size': 'big' } });
  events = await sent(1);
  assert.equal(events[0].request.data.big.length, 2000);

  sentry.envelopes.length = 0;
  init({ maxRequestBodySize: 'never' });
  await fetch(`${base}/a`, { headers: { 'x-size': 'tiny' } });
  events = await sent(1);
  assert.equal(events[0].request.data, undefined);
});

test('events outside any request carry no request data', async () => {
  init();
  faultline.captureMessage('outside');
  const [event] = await sent(1);
  assert.equal(event.request, undefined);
  assert.equal(event.transaction, undefined);
});
