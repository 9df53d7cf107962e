// The span API end to end (real client, real transport, the test server): what a transaction
// holds, how callbacks end spans, which trace errors join, and how every drop is counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { getCurrentScope, resetScopesForTests } from '../../src/core/async-context.js';
import {
  continueTrace,
  getActiveSpan,
  getTraceData,
  setMeasurement,
  startInactiveSpan,
  startNewTrace,
  startSpan,
  startSpanManual,
  withActiveSpan,
} from '../../src/core/tracing/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { errorEvents, flushAndCheck, initTracing, transactions } from './helpers.js';

const sentry = useSentryServer({ beforeEach: ['flushClient', 'resetScopes', 'clearEnvelopes', 'resetReplies'] });
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

test('startSpan nests spans, keeps attributes, status, name and measurements, and returns the callback value', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  faultline.setTag('tier', 'gold');
  faultline.setUser({ id: '42' });
  const value = startSpan({ name: 'checkout', op: 'function', attributes: { items: 3 } }, (root) => {
    assert.equal(getActiveSpan(), root);
    startSpan({ name: 'load cart', op: 'db', attributes: { 'db.system': 'postgresql' } }, (child) => {
      assert.equal(getActiveSpan(), child);
      child.setAttributes({ rows: 3, cached: false });
      startSpan({ name: 'parse' }, () => undefined);
    });
    root.setStatus('ok');
    root.updateName('checkout v2');
    setMeasurement('cart.size', 3, 'none');
    return 'done';
  });
  assert.equal(value, 'done');
  assert.equal(getActiveSpan(), undefined, 'nothing stays active after the callback');
  await flushAndCheck(sentry);
  const [tx] = transactions(sentry);
  const p = tx!.payload;
  assert.equal(p.transaction, 'checkout v2');
  assert.equal(p.transaction_info.source, 'custom');
  assert.deepEqual(p.contexts.trace.data, { items: 3 });
  assert.equal(p.contexts.trace.op, 'function');
  assert.equal(p.tags.tier, 'gold');
  assert.equal(p.user.id, '42');
  assert.equal(p.release, 'app@1.0.0');
  assert.deepEqual(p.measurements, { 'cart.size': { value: 3, unit: 'none' } });
  assert.equal(p.breadcrumbs, undefined);
  const load = p.spans.find((s: any) => s.description === 'load cart');
  const parse = p.spans.find((s: any) => s.description === 'parse');
  assert.equal(load.parent_span_id, p.contexts.trace.span_id);
  assert.equal(parse.parent_span_id, load.span_id);
  assert.deepEqual(load.data, { 'db.system': 'postgresql', rows: 3, cached: false });
  assert.equal(load.op, 'db');
  assert.ok(load.start_timestamp >= p.start_timestamp && load.timestamp <= p.timestamp);
  assert.equal(tx!.header['trace'].transaction, 'checkout v2');
  assert.equal(tx!.header['trace'].public_key, '0123456789abcdef0123456789abcdef');
  assert.equal(tx!.header['trace'].environment, 'test');
});

test('an async callback ends its span when the promise settles; a rejection or throw sets internal_error and passes through', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  const result = await startSpan({ name: 'async ok' }, async () => {
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(getActiveSpan()?._name, 'async ok', 'active across awaits');
    return 7;
  });
  assert.equal(result, 7);
  const boom = new Error('async boom');
  await assert.rejects(startSpan({ name: 'async fail' }, async () => { throw boom; }), (e) => e === boom);
  const sync = new TypeError('sync boom');
  assert.throws(() => startSpan({ name: 'sync fail' }, () => { throw sync; }), (e) => e === sync);
  await flushAndCheck(sentry);
  const byName = Object.fromEntries(transactions(sentry).map((t) => [t.payload.transaction, t.payload]));
  assert.equal(byName['async ok'].contexts.trace.status, 'ok');
  assert.ok(byName['async ok'].timestamp - byName['async ok'].start_timestamp >= 0.004);
  assert.equal(byName['async fail'].contexts.trace.status, 'internal_error');
  assert.equal(byName['sync fail'].contexts.trace.status, 'internal_error');
});

test('startSpanManual leaves the span open; startInactiveSpan, withActiveSpan and parentSpan build the tree by hand', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  let manual: ReturnType<typeof startInactiveSpan> | undefined;
  startSpanManual({ name: 'manual root' }, (span, finish) => {
    manual = span;
    const inactive = startInactiveSpan({ name: 'inactive' });
    assert.equal(getActiveSpan(), span, 'an inactive span does not become active');
    withActiveSpan(inactive, () => startSpan({ name: 'under inactive' }, () => undefined));
    startInactiveSpan({ name: 'explicit parent', parentSpan: inactive }).end();
    inactive.end();
    withActiveSpan(null, () => assert.equal(getActiveSpan(), undefined));
    setTimeout(finish, 5);
  });
  assert.equal(manual!.isRecording(), true, 'still open after the callback');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(manual!.isRecording(), false);
  await flushAndCheck(sentry);
  const [tx] = transactions(sentry);
  const spans = Object.fromEntries(tx!.payload.spans.map((s: any) => [s.description, s]));
  assert.equal(spans['inactive'].parent_span_id, tx!.payload.contexts.trace.span_id);
  assert.equal(spans['under inactive'].parent_span_id, spans['inactive'].span_id);
  assert.equal(spans['explicit parent'].parent_span_id, spans['inactive'].span_id);
});

test('forceTransaction makes a second transaction in the same trace', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  startSpan({ name: 'outer' }, (outer) => {
    startSpan({ name: 'inner tx', forceTransaction: true }, (inner) => {
      assert.equal(inner.traceId, outer.traceId);
      assert.equal(inner.parentSpanId, outer.spanId);
    });
  });
  await flushAndCheck(sentry);
  const names = transactions(sentry).map((t) => t.payload.transaction).sort();
  assert.deepEqual(names, ['inner tx', 'outer']);
});

test('errors carry the active span, else the scope\'s trace, else the continued trace', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  let ids: { traceId: string; spanId: string } | undefined;
  startSpan({ name: 'with error' }, () =>
    startSpan({ name: 'inner' }, (span) => {
      ids = span.spanContext();
      faultline.captureException(new Error('inside a span'));
    }),
  );
  faultline.captureException(new Error('outside'));
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}-1`, baggage: `sentry-trace_id=${TRACE},sentry-public_key=abc,sentry-sampled=true` }, () =>
    faultline.captureException(new Error('continued')),
  );
  await flushAndCheck(sentry);
  const errors = Object.fromEntries(errorEvents(sentry).map((e) => [e.payload.exception.values[0].value, e]));
  const inside = errors['inside a span']!;
  assert.equal(inside.payload.contexts.trace.trace_id, ids!.traceId);
  assert.equal(inside.payload.contexts.trace.span_id, ids!.spanId);
  assert.ok(inside.payload.contexts.trace.parent_span_id);
  assert.equal(inside.payload.contexts.trace.dynamic_sampling_context, undefined, 'moved to the envelope header');
  assert.equal(inside.header['trace'].trace_id, ids!.traceId);
  assert.equal(inside.header['trace'].transaction, 'with error');
  const outside = errors['outside']!;
  assert.match(outside.payload.contexts.trace.trace_id, /^[0-9a-f]{32}$/);
  assert.equal(outside.payload.contexts.trace.trace_id, ids!.traceId, 'the scope\'s trace, which the root span continued');
  const continued = errors['continued']!;
  assert.equal(continued.payload.contexts.trace.trace_id, TRACE);
  assert.equal(continued.payload.contexts.trace.parent_span_id, PARENT);
});

test('getTraceData gives the active span\'s headers, or the scope\'s trace without a span', () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}` }, () => {
    const bare = getTraceData();
    assert.match(bare['sentry-trace']!, new RegExp(`^${TRACE}-[0-9a-f]{16}$`), 'no decision yet: no flag');
    startSpan({ name: 'op' }, (span) => {
      const data = getTraceData();
      assert.equal(data['sentry-trace'], `${TRACE}-${span.spanId}-1`);
      assert.match(data.baggage!, new RegExp(`sentry-trace_id=${TRACE}`));
      assert.match(data.baggage!, /sentry-environment=test/);
      assert.match(data.baggage!, /sentry-release=app%401\.0\.0/);
    });
  });
});

test('drops are counted per reason as transaction and span (spans + the root)', async () => {
  const twoChildren = (name: string) =>
    startNewTrace(() => startSpan({ name }, () => {
      startSpan({ name: 'a' }, () => undefined);
      startSpan({ name: 'b' }, () => undefined);
    }));
  initTracing(sentry, {
    tracesSampleRate: 1,
    ignoreTransactions: ['healthcheck', /^GET \/metrics/],
    beforeSendTransaction: (event) => (event.transaction === 'secret' ? null : event),
    beforeSendSpan: (span) => (span['description'] === 'b' ? null : { ...span, data: { touched: true } }),
  });
  twoChildren('healthcheck');
  twoChildren('GET /metrics');
  twoChildren('secret');
  twoChildren('kept');
  startNewTrace(() => withScopeDropping(() => twoChildren('processed away')));
  await flushAndCheck(sentry);
  const sent = transactions(sentry);
  assert.deepEqual(sent.map((t) => t.payload.transaction), ['kept']);
  assert.deepEqual(sent[0]!.payload.spans.map((s: any) => [s.description, s.data]), [['a', { touched: true }]]);
  assert.deepEqual(sent[0]!.payload.contexts.trace.data, { touched: true }, 'beforeSendSpan also sees the root');
  const d = sentry.discarded();
  assert.equal(d['ignored:transaction'], 2);
  assert.equal(d['ignored:span'], 6);
  assert.equal(d['before_send:transaction'], 1);
  // Span b of "kept" and of "secret" (beforeSendSpan), then "secret" itself: span a + its root.
  assert.equal(d['before_send:span'], 1 + 1 + 2);
  assert.equal(d['event_processor:transaction'], 1);
  assert.equal(d['event_processor:span'], 3, 'beforeSendSpan never saw a dropped transaction');
});

function withScopeDropping(fn: () => void): void {
  faultline.withScope((scope) => {
    scope.addEventProcessor((event) => (event.type === 'transaction' ? null : event));
    fn();
  });
}

test('a rate-limited transaction category is counted as ratelimit_backoff and errors still go out', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  sentry.reply({ status: 200, headers: { 'x-sentry-rate-limits': '60:transaction:key' } });
  startSpan({ name: 'first' }, () => undefined);
  await faultline.flush(2000);
  startSpan({ name: 'limited' }, () => {
    startSpan({ name: 'child' }, () => undefined);
  });
  faultline.captureException(new Error('errors are not limited'));
  await flushAndCheck(sentry);
  assert.deepEqual(transactions(sentry).map((t) => t.payload.transaction), ['first']);
  assert.equal(errorEvents(sentry).length, 1);
  assert.equal(sentry.discarded()['ratelimit_backoff:transaction'], 1);
  assert.equal(sentry.discarded()['ratelimit_backoff:span'], 2);
});

test('a full queue counts queue_overflow for the transaction and its spans', async () => {
  initTracing(sentry, { tracesSampleRate: 1, transportOptions: { bufferSize: 1 } });
  for (let i = 0; i < 4; i++) {
    startNewTrace(() => startSpan({ name: `tx ${i}` }, () => startSpan({ name: 'child' }, () => undefined)));
  }
  await flushAndCheck(sentry);
  assert.equal(transactions(sentry).length, 1);
  assert.equal(sentry.discarded()['queue_overflow:transaction'], 3);
  assert.equal(sentry.discarded()['queue_overflow:span'], 6);
});

test('a transaction keeps at most 1000 spans; the rest are counted', async () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  startSpan({ name: 'big' }, () => {
    for (let i = 0; i < 1005; i++) startInactiveSpan({ name: `s${i}` }).end();
  });
  await flushAndCheck(sentry);
  const [tx] = transactions(sentry);
  assert.equal(tx!.payload.spans.length, 1000);
  assert.equal(sentry.discarded()['buffer_overflow:span'], 5);
});

test('bad input never throws: the callback still runs, with a span that records nothing', () => {
  initTracing(sentry, { tracesSampleRate: 1 });
  assert.equal(startSpan(null as never, (span) => span.isRecording()), false);
  assert.equal(startSpan({ name: 5 } as never, (span) => span.isRecording()), false);
  startSpan({ name: 'ok' }, (span) => {
    span.setStatus('not-a-status' as never);
    span.setAttribute('', 1);
    span.setAttributes(null as never);
    span.end('yesterday' as never);
    span.end(); // a second end is ignored
  });
  assert.equal(withActiveSpan({} as never, () => getActiveSpan()), undefined);
  assert.deepEqual(continueTrace(null as never, () => 'ran'), 'ran');
});

test('before init, the API runs callbacks and returns empty trace data', async () => {
  await faultline.close(100);
  resetScopesForTests();
  getCurrentScope().setClient(undefined);
  faultline.getGlobalScope().setClient(undefined);
  assert.equal(startSpan({ name: 'no client' }, (span) => span.isRecording()), false);
  assert.deepEqual(getTraceData(), {});
});
