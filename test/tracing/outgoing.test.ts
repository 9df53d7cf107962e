// Outgoing requests (node:http, node:https's wrapper, fetch) and tracing switched off: with no
// rate and no sampler nothing is recorded and no span channel is subscribed, yet errors and
// outgoing requests still carry the trace ("tracing without performance").
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as http from 'node:http';
import { get as esmGet } from 'node:http';
import * as faultline from '../../src/index.js';
import { getActiveSpan, startSpan } from '../../src/core/tracing/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { postEnvelopeAsApp } from '../helpers/sentry-server.js';
import { closeApp, localUrl } from '../helpers/local-app.js';
import { errorEvents, flushAndCheck, initTracing, transactions } from './helpers.js';

let target: http.Server;
let targetUrl: string;
const sentry = useSentryServer({
  setup: startTarget,
  beforeEach: ['flushClient', 'clearEnvelopes'],
  teardown: () => closeApp(target),
});
/** Headers of every request the target received, in order. */
let seen: http.IncomingHttpHeaders[] = [];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

const SPAN_CHANNELS = ['http.client.response.finish', 'http.client.request.error', 'undici:request:headers', 'undici:request:error', 'tracing:fastify.request.handler:start'];

function nodeGet(url: string, headers: Record<string, string> = {}, viaEsmImport = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = viaEsmImport ? esmGet : http.get;
    get(url, { headers }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}

async function startTarget(): Promise<void> {
  target = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/fail') faultline.captureException(new Error('target failure'));
    res.end('ok');
  }).listen(0, '127.0.0.1');
  targetUrl = await localUrl(target);
}

beforeEach(() => {
  seen = [];
});

test('tracing off: no span channel subscribed, no span recorded, nothing active', async () => {
  initTracing(sentry);
  for (const name of SPAN_CHANNELS) assert.equal(diagnosticsChannel.channel(name).hasSubscribers, false, name);
  const result = startSpan({ name: 'not recorded' }, (span) => {
    assert.equal(getActiveSpan(), undefined, 'nothing was made active (no scope fork)');
    return span.isRecording();
  });
  assert.equal(result, false);
  await fetch(`${targetUrl}/fail`, { headers: { 'sentry-trace': `${TRACE}-00f067aa0ba902b7-1` } });
  await flushAndCheck(sentry);
  assert.deepEqual(transactions(sentry), []);
  assert.equal(sentry.discarded()['sample_rate:transaction'], undefined, 'nothing was sampled, so nothing is counted');
  const [error] = errorEvents(sentry);
  assert.equal(error!.payload.contexts.trace.trace_id, TRACE, 'the error joins the incoming trace');
  assert.equal(error!.payload.contexts.trace.parent_span_id, '00f067aa0ba902b7');
});

test('tracing off: outgoing fetch and node:http requests still carry the scope\'s trace', async () => {
  initTracing(sentry);
  await faultline.withIsolationScope(async () => {
    await fetch(`${targetUrl}/a`);
    await nodeGet(`${targetUrl}/b`);
    await nodeGet(`${targetUrl}/c`, {}, true);
  });
  assert.equal(seen.length, 3);
  const traceIds = seen.map((h) => String(h['sentry-trace']).split('-')[0]);
  assert.match(String(seen[0]!['sentry-trace']), /^[0-9a-f]{32}-[0-9a-f]{16}$/, 'no decision was made: no flag');
  assert.equal(new Set(traceIds).size, 1, 'one unit of work, one trace');
  for (const h of seen) {
    assert.match(String(h['baggage']), new RegExp(`sentry-trace_id=${traceIds[0]}`));
    assert.match(String(h['baggage']), /sentry-public_key=0123456789abcdef0123456789abcdef/);
  }
});

test('tracing on: node:http and fetch requests under a span are http.client spans whose ids go downstream', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  await startSpan({ name: 'calls', op: 'task' }, async () => {
    await nodeGet(`${targetUrl}/one?secret=1`);
    await nodeGet(`${targetUrl}/two`, {}, true);
    await fetch(`${targetUrl}/three`, { method: 'POST', body: 'x' });
  });
  await fetch(`${targetUrl}/outside`); // no active span: headers from the scope, no span
  await flushAndCheck(sentry);
  // The target is in this process too: its own transactions arrive beside this one.
  const tx = transactions(sentry).find((t) => t.payload.transaction === 'calls');
  const spans = tx!.payload.spans;
  assert.deepEqual(spans.map((s: any) => s.description), [
    `GET ${targetUrl}/one`, `GET ${targetUrl}/two`, `POST ${targetUrl}/three`,
  ]);
  for (let i = 0; i < 3; i++) {
    assert.equal(spans[i].op, 'http.client');
    assert.equal(spans[i].data['http.response.status_code'], 200);
    assert.equal(seen[i]!['sentry-trace'], `${tx!.payload.contexts.trace.trace_id}-${spans[i].span_id}-1`);
    assert.match(String(seen[i]!['baggage']), /sentry-sampled=true/);
  }
  assert.match(String(seen[3]!['sentry-trace']), /^[0-9a-f]{32}-[0-9a-f]{16}$/);
});

test('the app\'s own sentry-trace is kept, its baggage extended, and tracePropagationTargets respected', async () => {
  initTracing(sentry, { tracesSampleRate: 1, tracePropagationTargets: [/\/allowed/] });
  await startSpan({ name: 'calls' }, async () => {
    await fetch(`${targetUrl}/allowed/1`, { headers: { baggage: 'vendor=1' } });
    await nodeGet(`${targetUrl}/allowed/2`, { 'sentry-trace': `${TRACE}-00f067aa0ba902b7-0` });
    await fetch(`${targetUrl}/other`);
    await nodeGet(`${targetUrl}/other`);
  });
  await flushAndCheck(sentry);
  assert.match(String(seen[0]!['baggage']), /^vendor=1,sentry-trace_id=/);
  assert.equal(seen[1]!['sentry-trace'], `${TRACE}-00f067aa0ba902b7-0`);
  assert.equal(seen[2]!['sentry-trace'], undefined);
  assert.equal(seen[3]!['sentry-trace'], undefined);
  assert.equal(seen[3]!['baggage'], undefined);
  const tx = transactions(sentry).find((t) => t.payload.transaction === 'calls');
  assert.equal(tx!.payload.spans.length, 4, 'spans are recorded whatever the propagation targets');
});

test('requests to the DSN (faultline\'s, or an app\'s custom transport\'s) are neither traced nor given headers', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  await startSpan({ name: 'capture inside' }, async () => {
    faultline.captureMessage('hello');
    await faultline.flush(2000);
    // faultline's transport does not go through node:http or fetch; an app's code posting to the
    // DSN through them does, and is left alone by the DSN's address.
    assert.equal(await postEnvelopeAsApp(sentry, 'posted by the app with fetch', 'fetch'), 200);
    assert.equal(await postEnvelopeAsApp(sentry, 'posted by the app with node:http', 'http'), 200);
  });
  await flushAndCheck(sentry);
  for (const env of sentry.envelopes) assert.equal(env.requestHeaders['sentry-trace'], undefined);
  const [tx] = transactions(sentry);
  assert.equal(tx!.payload.transaction, 'capture inside');
  assert.deepEqual(tx!.payload.spans, []);
});
