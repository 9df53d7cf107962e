// Incoming requests as transactions on real Express, Fastify and Koa apps: the route pattern
// names the transaction, the status code sets the span status, the request data and the
// request's scope data are on it, and an incoming sentry-trace / traceparent is continued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import * as faultline from '../../src/index.js';
import { startSpan } from '../../src/core/tracing/index.js';
import { koaErrorHandler } from '../../src/integrations/koa.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { closeApp, localUrl } from '../helpers/local-app.js';
import { flushAndCheck, initTracing, transactions } from './helpers.js';

const servers: http.Server[] = [];
const sentry = useSentryServer({
  setup: initClient,
  beforeEach: ['flushClient', 'clearEnvelopes'],
  teardown: async () => {
    for (const s of servers) await closeApp(s);
  },
});
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

function listen(server: http.Server): Promise<string> {
  servers.push(server);
  return localUrl(server);
}

function initClient(): void {
  // The test's own fetch calls must not carry this process's trace headers to the apps.
  initTracing(sentry, { tracesSampleRate: 1, tracePropagationTargets: [] });
}

test('Express: the route names the transaction; status, request data and scope data are on it', async () => {
  const app = express();
  const users = express.Router();
  users.get('/:id', (req, res) => {
    faultline.setTag('user', req.params.id);
    startSpan({ name: 'load user', op: 'db' }, () => undefined);
    res.json({ id: req.params.id });
  });
  app.use('/users', users);
  app.get('/missing', (_req, res) => void res.status(404).end());
  const base = await listen(app.listen(0, '127.0.0.1'));
  await (await fetch(`${base}/users/42?token=abc`)).text();
  await (await fetch(`${base}/missing`)).text();
  await (await fetch(`${base}/nowhere/1`)).text();
  await flushAndCheck(sentry);
  const byName = Object.fromEntries(transactions(sentry).map((t) => [t.payload.transaction, t.payload]));
  const user = byName['GET /users/:id'];
  assert.ok(user, Object.keys(byName).join(', '));
  assert.equal(user.transaction_info.source, 'route');
  assert.equal(user.contexts.trace.op, 'http.server');
  assert.equal(user.contexts.trace.status, 'ok');
  assert.equal(user.contexts.trace.data['http.response.status_code'], 200);
  assert.equal(user.contexts.trace.data['http.route'], '/users/:id');
  assert.equal(user.tags.user, '42', 'the request\'s isolation scope');
  assert.equal(user.request.method, 'GET');
  assert.match(user.request.url, /\/users\/42$/);
  assert.equal(user.request.query_string, 'token=[Filtered]');
  assert.deepEqual(user.spans.map((s: any) => s.description), ['load user']);
  assert.equal(byName['GET /missing'].contexts.trace.status, 'not_found');
  // No route matched: the URL path names it, and the DSC leaves such names out.
  assert.equal(byName['GET /nowhere/1'].transaction_info.source, 'url');
});

test('Fastify: the route from its diagnostics channel, with no faultline setup in the app', async () => {
  const app = Fastify();
  app.get('/orders/:orderId', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('fastify failure');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = await listen(app.server);
  await (await fetch(`${base}/orders/9`)).text();
  await (await fetch(`${base}/boom`)).text();
  await flushAndCheck(sentry);
  const byName = Object.fromEntries(transactions(sentry).map((t) => [t.payload.transaction, t.payload]));
  assert.equal(byName['GET /orders/:orderId']?.transaction_info.source, 'route', Object.keys(byName).join(', '));
  assert.equal(byName['GET /boom']?.contexts.trace.status, 'internal_error');
});

test('Koa: the route a router matched (ctx._matchedRoute, as @koa/router sets it), through koaErrorHandler', async () => {
  const app = new Koa();
  app.use(koaErrorHandler());
  // A minimal router in the shape of @koa/router (not installed here): it records the pattern.
  app.use(async (ctx, next) => {
    const m = /^\/articles\/([^/]+)$/.exec(ctx.path);
    if (!m) return next();
    (ctx as unknown as { _matchedRoute: string })._matchedRoute = '/articles/:slug';
    ctx.body = { slug: m[1] };
  });
  const base = await listen(app.listen(0, '127.0.0.1'));
  await (await fetch(`${base}/articles/hello`)).text();
  await flushAndCheck(sentry);
  const [tx] = transactions(sentry);
  assert.equal(tx!.payload.transaction, 'GET /articles/:slug');
  assert.equal(tx!.payload.transaction_info.source, 'route');
});

test('an incoming sentry-trace + baggage, or a W3C traceparent, is continued by the request\'s root span', async () => {
  const app = express();
  app.get('/ping', (_req, res) => void res.send('pong'));
  const base = await listen(app.listen(0, '127.0.0.1'));
  await (await fetch(`${base}/ping`, {
    headers: { 'sentry-trace': `${TRACE}-${PARENT}-1`, baggage: `other=1,sentry-trace_id=${TRACE},sentry-public_key=k,sentry-sample_rate=0.5,sentry-sampled=true,sentry-sample_rand=0.1` },
  })).text();
  await (await fetch(`${base}/ping`, { headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` } })).text();
  await flushAndCheck(sentry);
  const all = transactions(sentry);
  assert.equal(all.length, 2);
  const sentryTx = all.find((t) => t.payload.contexts.trace.trace_id === TRACE);
  const w3cTx = all.find((t) => t.payload.contexts.trace.trace_id === 'a'.repeat(32));
  assert.equal(sentryTx!.payload.contexts.trace.parent_span_id, PARENT);
  assert.deepEqual(sentryTx!.header['trace'], {
    trace_id: TRACE, public_key: 'k', sample_rate: '0.5', sampled: 'true', sample_rand: '0.1',
  }, 'the upstream DSC travels on unchanged');
  assert.equal(w3cTx!.payload.contexts.trace.trace_id, 'a'.repeat(32));
  assert.equal(w3cTx!.payload.contexts.trace.parent_span_id, 'b'.repeat(16));
});
