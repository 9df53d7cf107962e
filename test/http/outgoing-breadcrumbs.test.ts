// Outgoing node:http and fetch requests made while handling a request become breadcrumbs of that
// request only: URL without credentials or secret query values, status, level, duration.
// Requests to the DSN (an app's own, e.g. a custom transport's) never appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as faultline from '../../src/index.js';
import { httpServerIntegration } from '../../src/integrations/http-server.js';
import { httpBreadcrumbsIntegration } from '../../src/integrations/http-breadcrumbs.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { postEnvelopeAsApp } from '../helpers/sentry-server.js';
import { closeApp, localUrl } from '../helpers/local-app.js';

let upstream: http.Server;
let app: http.Server;
let upstreamBase: string;
let appBase: string;
const sentry = useSentryServer({
  setup: startApps,
  teardown: async () => {
    for (const s of [app, upstream]) await closeApp(s);
  },
});

const listen = (server: http.Server) => localUrl(server.listen(0, '127.0.0.1'));

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

async function startApps(): Promise<void> {
  faultline.init({
    dsn: sentry.dsn,
    integrations: [httpServerIntegration(), httpBreadcrumbsIntegration()],
    transportOptions: { bufferSize: 1000 },
  });
  upstream = http.createServer((req, res) => {
    const status = Number(/status=(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
    setTimeout(() => {
      res.statusCode = status;
      res.end('upstream');
    }, 5);
  });
  upstreamBase = await listen(upstream);
  app = http.createServer(async (req, res) => {
    const id = String(req.headers['x-id']);
    const withCredentials = upstreamBase.replace('http://', 'http://alice:s3cret@');
    await httpGet(`${withCredentials}/http/${id}?token=tok-${id}&page=1`);
    await fetch(`${upstreamBase}/fetch/${id}?api_key=key-${id}&status=404`).then((r) => r.text());
    await fetch(`${upstreamBase}/fetch/${id}?status=503`).then((r) => r.text());
    await fetch('http://127.0.0.1:1/refused').catch(() => undefined);
    await new Promise<void>((resolve) => http.get('http://127.0.0.1:1/refused-http').on('error', () => resolve()));
    faultline.captureException(new Error(`failed for ${id}`));
    res.end();
  });
  appBase = await listen(app);
}

test('http and fetch calls from concurrent handlers are recorded on their own request, scrubbed', async () => {
  // Through the agent's keep-alive sockets, responses of one request may arrive on a socket
  // another request opened: the breadcrumbs must still go to the request that made the call.
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => fetch(appBase, { headers: { 'x-id': String(i) } }).then((r) => r.text())),
  );
  await sentry.waitFor(() => sentry.events().length >= 10);
  // A second round after the SDK has already talked to the DSN: that traffic must not show up.
  await fetch(appBase, { headers: { 'x-id': 'late' } }).then((r) => r.text());
  await sentry.waitFor(() => sentry.events().length >= 11);
  assert.equal(await faultline.flush(2000), true);
  assert.deepEqual(sentry.errors(), []);

  const events = sentry.events();
  assert.equal(events.length, 11);
  for (const event of events) {
    const id = /failed for (\w+)/.exec(event.exception.values[0].value)![1];
    const crumbs = event.breadcrumbs.values.filter((c: any) => c.category === 'http' && c.data.url.startsWith(upstreamBase));
    assert.deepEqual(
      crumbs.map((c: any) => c.data.url),
      [`${upstreamBase}/http/${id}`, `${upstreamBase}/fetch/${id}`, `${upstreamBase}/fetch/${id}`],
      `request ${id} sees exactly its own three upstream calls`,
    );
    const [viaHttp, notFound, unavailable] = crumbs;
    assert.equal(viaHttp.type, 'http');
    assert.deepEqual(
      { method: viaHttp.data['http.method'], query: viaHttp.data['http.query'], status: viaHttp.data.status_code },
      { method: 'GET', query: 'token=[Filtered]&page=1', status: 200 },
    );
    assert.equal(viaHttp.level, undefined);
    assert.equal(typeof viaHttp.data.duration_ms, 'number');
    assert.ok(viaHttp.data.duration_ms >= 0);
    assert.equal(notFound.data['http.query'], 'api_key=[Filtered]&status=404');
    assert.equal(notFound.data.status_code, 404);
    assert.equal(notFound.level, 'warning');
    assert.equal(unavailable.data.status_code, 503);
    assert.equal(unavailable.level, 'error');

    const refused = event.breadcrumbs.values.find((c: any) => c.data?.url === 'http://127.0.0.1:1/refused-http');
    assert.equal(refused?.level, 'error', 'a failed node:http request is recorded as an error');
    assert.equal(refused?.data.error, 'ECONNREFUSED');

    // Source context quotes this test file, whose code holds the literals; look at the data only.
    const sourceLines = new Set(['pre_context', 'context_line', 'post_context']);
    const text = JSON.stringify(event, (key, value) => (sourceLines.has(key) ? undefined : value));
    for (const secret of ['tok-', 'key-', 's3cret', 'alice']) assert.equal(text.includes(secret), false, secret);
    const own = event.breadcrumbs.values.filter((c: any) => c.data?.url?.includes(`:${sentry.port}/`));
    assert.deepEqual(own, [], 'requests to the DSN are never recorded');
  }
});

test('requests to the DSN, the SDK’s or an app’s own (a custom transport), are not recorded', async () => {
  sentry.envelopes.length = 0;
  await faultline.withIsolationScope(async (scope) => {
    scope.clearBreadcrumbs(); // the first test's calls to the app were recorded outside any request
    faultline.captureMessage('first');
    assert.equal(await faultline.flush(2000), true, 'the first event went to the DSN from this scope');
    // The SDK's transport does not go through node:http or fetch; code that posts to the DSN
    // through them (a custom transport) does, and is left out by the DSN's address.
    assert.equal(await postEnvelopeAsApp(sentry, 'posted by the app with fetch', 'fetch'), 200);
    assert.equal(await postEnvelopeAsApp(sentry, 'posted by the app with node:http', 'http'), 200);
    await httpGet(`${upstreamBase}/after`);
    faultline.captureMessage('second');
  });
  assert.equal(await faultline.flush(2000), true);
  const second = sentry.events().find((e) => e.logentry?.formatted === 'second');
  const urls = second.breadcrumbs.values.map((c: any) => c.data?.url);
  assert.deepEqual(urls, [`${upstreamBase}/after`], 'only the app’s own call, not the envelope POST');
});
