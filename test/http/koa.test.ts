// Koa under 50 concurrent failing requests, each with its own user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import Koa from 'koa';
import * as faultline from '../../src/index.js';
import { httpServerIntegration } from '../../src/integrations/http-server.js';
import { koaErrorHandler } from '../../src/integrations/koa.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { closeApp, localUrl } from '../helpers/local-app.js';
import { checkEvents, failingHandler, fireConcurrentFailures } from './concurrent-apps.js';

let server: http.Server;
let base: string;
const sentry = useSentryServer({ setup: startApp, teardown: () => closeApp(server) });
const appErrors: unknown[] = [];

async function startApp(): Promise<void> {
  faultline.init({ dsn: sentry.dsn, integrations: [httpServerIntegration()], transportOptions: { bufferSize: 1000 } });
  const app = new Koa();
  app.on('error', (err) => appErrors.push(err)); // replaces Koa's stderr logging, proves the rethrow
  app.use(koaErrorHandler());
  app.use(async (ctx, next) => {
    faultline.setUser({ id: String(ctx.get('x-user')) });
    await next();
  });
  app.use(async (ctx) => {
    const match = /^\/users\/(\d+)$/.exec(ctx.path);
    if (ctx.path === '/forbidden') ctx.throw(403, 'no');
    if (!match) ctx.throw(404);
    (ctx as any)._matchedRoute = '/users/:id'; // what @koa/router sets
    await failingHandler(match![1]!);
  });
  server = app.listen(0, '127.0.0.1');
  base = await localUrl(server);
}

test('each of 50 concurrent Koa requests reports its own request, user and route; errors are rethrown', async () => {
  await fireConcurrentFailures(base);
  await checkEvents(sentry, { transaction: 'POST /users/:id', mechanism: 'auto.middleware.koa', body: false });
  assert.equal(appErrors.length, 50, 'Koa still sees every error');
});

test('a 4xx thrown with ctx.throw is not reported', async () => {
  sentry.envelopes.length = 0;
  assert.equal((await fetch(`${base}/forbidden`)).status, 403);
  assert.equal(await faultline.flush(1000), true);
  assert.equal(sentry.events().length, 0);
});
