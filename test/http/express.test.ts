// Express 5 under 50 concurrent failing requests, each with its own user: per-request isolation
// (HttpServer integration) and the error middleware.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import express from 'express';
import * as faultline from '../../src/index.js';
import { httpServerIntegration } from '../../src/integrations/http-server.js';
import { setupExpressErrorHandler } from '../../src/integrations/express.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { closeApp, localUrl } from '../helpers/local-app.js';
import { checkEvents, failingHandler, fireConcurrentFailures } from './concurrent-apps.js';

let app: http.Server;
let base: string;
const sentry = useSentryServer({ setup: startApp, teardown: () => closeApp(app) });

async function startApp(): Promise<void> {
  faultline.init({ dsn: sentry.dsn, integrations: [httpServerIntegration()], transportOptions: { bufferSize: 1000 } });
  const ex = express();
  ex.set('env', 'test'); // finalhandler prints errors outside the test env
  ex.use(express.json());
  ex.use((req, _res, next) => {
    faultline.setUser({ id: String(req.headers['x-user']) });
    next();
  });
  ex.post('/users/:id', async (req) => failingHandler(req.params.id));
  ex.get('/not-found', () => {
    throw Object.assign(new Error('missing'), { status: 404 });
  });
  setupExpressErrorHandler(ex);
  app = ex.listen(0, '127.0.0.1');
  base = await localUrl(app);
}

test('each of 50 concurrent Express requests reports its own request, user and route', async () => {
  await fireConcurrentFailures(base);
  await checkEvents(sentry, { transaction: 'POST /users/:id', mechanism: 'auto.middleware.express', body: true });
});

test('a 4xx error is passed on but not reported', async () => {
  sentry.envelopes.length = 0;
  const reply = await fetch(`${base}/not-found`);
  assert.equal(reply.status, 404);
  assert.equal(await faultline.flush(1000), true);
  assert.equal(sentry.events().length, 0);
});

test('without the HttpServer integration the error handler still attaches the request', async () => {
  faultline.init({ dsn: sentry.dsn });
  sentry.envelopes.length = 0;
  const reply = await fetch(`${base}/users/7`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user': '7' },
    body: '{"n":7}',
  });
  assert.equal(reply.status, 500);
  await sentry.waitFor(() => sentry.events().length === 1);
  const [event] = sentry.events();
  assert.equal(event.transaction, 'POST /users/:id');
  assert.match(event.request.url, /\/users\/7$/);
  assert.deepEqual(event.request.data, { n: 7 });
  assert.deepEqual(sentry.errors(), []);
});
