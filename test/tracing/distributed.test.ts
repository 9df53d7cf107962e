// One trace across two services: an Express app in this process calls a second Express service
// (a child process with its own faultline) with fetch. The second service's root span is a
// child of the first one's http.client span, its error carries the same trace, and the first
// service's sampling decision holds downstream whatever the downstream's own rate says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type * as http from 'node:http';
import express from 'express';
import { setupExpressErrorHandler } from '../../src/integrations/express.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { closeApp, localUrl } from '../helpers/local-app.js';
import { errorEvents, flushAndCheck, initTracing, transactions } from './helpers.js';

let app: http.Server;
let base: string;
const sentry = useSentryServer({ setup: startApp, closeTimeoutMs: 1000, teardown: () => closeApp(app) });

interface Downstream {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

function startDownstream(rate: number): Promise<Downstream> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'downstream.ts')], {
    env: { ...process.env, FAULTLINE_DSN: sentry.dsn, TRACES_SAMPLE_RATE: String(rate), NODE_TEST_CONTEXT: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}`, exited });
    });
    child.on('exit', (code) => reject(new Error(`downstream exited early (${code})`)));
  });
}

async function stop(d: Downstream): Promise<void> {
  d.child.kill('SIGTERM');
  assert.equal(await d.exited, 0);
}

let downstreamUrl = '';

async function startApp(): Promise<void> {
  // The upstream samples checkout requests and never browse requests.
  initTracing(sentry, { tracesSampler: (ctx) => !String(ctx['name']).startsWith('GET /browse') });
  const ex = express();
  ex.set('env', 'test');
  ex.get('/checkout/:id', async (req, res) => {
    const item = await (await fetch(`${downstreamUrl}/items/${req.params.id}`)).json();
    const failed = await fetch(`${downstreamUrl}/fail`);
    res.json({ item, failedStatus: failed.status });
  });
  ex.get('/browse/:id', async (req, res) => {
    const item = await (await fetch(`${downstreamUrl}/items/${req.params.id}`)).json();
    await fetch(`${downstreamUrl}/fail`);
    res.json({ item });
  });
  setupExpressErrorHandler(ex);
  app = ex.listen(0, '127.0.0.1');
  base = await localUrl(app);
}

test('one trace spans both services; the downstream root is a child of the upstream http.client span', async () => {
  sentry.envelopes.length = 0;
  // Rate 0 downstream: whatever it sends, it sends because the upstream sampled the trace.
  const downstream = await startDownstream(0);
  downstreamUrl = downstream.url;
  const reply = (await (await fetch(`${base}/checkout/7`)).json()) as any;
  assert.equal(reply.failedStatus, 500);
  assert.equal(reply.item.recording, true, 'the downstream span records: the upstream decision was inherited');
  await stop(downstream);
  await flushAndCheck(sentry);

  const all = transactions(sentry);
  const upstream = all.find((t) => t.payload.transaction === 'GET /checkout/:id');
  assert.ok(upstream, 'the upstream transaction, named by its Express route');
  assert.equal(upstream.payload.transaction_info.source, 'route');
  const traceId = upstream.payload.contexts.trace.trace_id;
  const clientSpans = upstream.payload.spans.filter((s: any) => s.op === 'http.client');
  assert.equal(clientSpans.length, 2);
  const itemsSpan = clientSpans.find((s: any) => s.description.endsWith('/items/7'));
  const failSpan = clientSpans.find((s: any) => s.description.endsWith('/fail'));
  assert.equal(itemsSpan.status, 'ok');
  assert.equal(failSpan.status, 'internal_error');
  assert.equal(failSpan.data['http.response.status_code'], 500);
  for (const s of clientSpans) assert.equal(s.parent_span_id, upstream.payload.contexts.trace.span_id);

  const items = all.find((t) => t.payload.transaction === 'GET /items/:id');
  assert.ok(items, 'the downstream transaction');
  assert.equal(items.payload.release, 'downstream@1.0.0');
  assert.equal(items.payload.contexts.trace.trace_id, traceId);
  assert.equal(items.payload.contexts.trace.parent_span_id, itemsSpan.span_id);
  assert.equal(reply.item.span.traceId, traceId);
  assert.equal(reply.item.span.spanId, items.payload.contexts.trace.span_id);

  const failTx = all.find((t) => t.payload.transaction === 'GET /fail');
  assert.ok(failTx);
  assert.equal(failTx.payload.contexts.trace.parent_span_id, failSpan.span_id);
  assert.equal(failTx.payload.contexts.trace.status, 'internal_error');

  const [error] = errorEvents(sentry);
  assert.equal(error!.payload.exception.values[0].value, 'downstream failure');
  assert.equal(error!.payload.contexts.trace.trace_id, traceId, 'the error joins the trace');
  assert.equal(error!.payload.contexts.trace.span_id, failTx.payload.contexts.trace.span_id);
  assert.equal(error!.header['trace'].trace_id, traceId);

  // The head's dynamic sampling context travels unchanged to every envelope of the trace.
  for (const t of [upstream, items, failTx]) {
    assert.equal(t.header['trace'].sampled, 'true');
    assert.equal(t.header['trace'].sample_rate, '1');
    assert.equal(t.header['trace'].sample_rand, upstream.header['trace'].sample_rand);
    assert.equal(t.header['trace'].release, 'app@1.0.0', 'the release of the service that started the trace');
  }
});

test('a trace the upstream did not sample is not recorded downstream, and its errors still join it', async () => {
  sentry.envelopes.length = 0;
  // Rate 1 downstream: it sends nothing only because the upstream decided so.
  const downstream = await startDownstream(1);
  downstreamUrl = downstream.url;
  const reply = (await (await fetch(`${base}/browse/3`)).json()) as any;
  assert.equal(reply.item.recording, false);
  await stop(downstream);
  await flushAndCheck(sentry);

  assert.deepEqual(transactions(sentry), [], 'no transaction from either service');
  const [error] = errorEvents(sentry);
  assert.equal(error!.payload.contexts.trace.trace_id, reply.item.span.traceId);
  assert.equal(reply.item.span.traceFlags, 0);
  assert.equal(error!.header['trace'].sampled, 'false');
  const discarded = sentry.discarded();
  // Upstream: its root; downstream: /items and /fail roots (inherited "no").
  assert.equal(discarded['sample_rate:transaction'], 3);
  assert.ok(discarded['sample_rate:span']! >= 3);
});
