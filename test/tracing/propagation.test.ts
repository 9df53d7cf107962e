// The trace headers on their own: sentry-trace, W3C traceparent and baggage, parsed strictly
// where ids are concerned and leniently elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseBaggage,
  parseSentryTrace,
  parseTraceparent,
  propagationContextFromHeaders,
  sentryTraceHeader,
  serializeBaggage,
} from '../../src/core/tracing/propagation.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

test('sentry-trace: ids with an optional flag; anything else is ignored', () => {
  assert.deepEqual(parseSentryTrace(`${T}-${S}-1`), { traceId: T, parentSpanId: S, sampled: true });
  assert.deepEqual(parseSentryTrace(`${T}-${S}-0`), { traceId: T, parentSpanId: S, sampled: false });
  assert.deepEqual(parseSentryTrace(` ${T.toUpperCase()}-${S} `), { traceId: T, parentSpanId: S, sampled: undefined });
  for (const bad of [undefined, '', 'x', `${T}`, `${T}-${S}-2`, `${T}x-${S}`, 42, `${T}-${S}-1-extra`]) {
    assert.equal(parseSentryTrace(bad), undefined, String(bad));
  }
  assert.equal(sentryTraceHeader(T, S, undefined), `${T}-${S}`);
  assert.equal(sentryTraceHeader(T, S, false), `${T}-${S}-0`);
});

test('traceparent: version 00, non-zero ids; flag 01 is a decision, 00 is none', () => {
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-01`), { traceId: T, parentSpanId: S, sampled: true });
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-00`), { traceId: T, parentSpanId: S, sampled: undefined });
  for (const bad of [`ff-${T}-${S}-01`, `00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${'0'.repeat(16)}-01`, `00-${T}-${S}`]) {
    assert.equal(parseTraceparent(bad), undefined, bad);
  }
});

test('baggage: sentry members decoded, other vendors ignored, several headers merged', () => {
  assert.deepEqual(parseBaggage(['a=1, sentry-release=app%401.0;prop=x', 'sentry-sampled=true,sentry-=x,=y,junk']), {
    release: 'app@1.0',
    sampled: 'true',
  });
  assert.equal(parseBaggage('other=1'), undefined);
  assert.equal(parseBaggage('sentry-x=%E0%A4%A'), undefined, 'an undecodable value is dropped');
  assert.equal(serializeBaggage({ release: 'a@1 b', transaction: undefined }), 'sentry-release=a%401%20b');
  assert.equal(serializeBaggage({ trace_id: T }, 'vendor=1'), `vendor=1,sentry-trace_id=${T}`);
  assert.equal(serializeBaggage({ trace_id: T }, 'sentry-trace_id=other'), 'sentry-trace_id=other', 'the app\'s own sentry members win');
  assert.ok(serializeBaggage({ big: 'x'.repeat(9000), small: 'y' }).length <= 8192);
});

test('a propagation context continues valid headers and keeps a consistent sample_rand', () => {
  const ctx = propagationContextFromHeaders({ sentryTrace: `${T}-${S}-1`, baggage: `sentry-trace_id=${T},sentry-sample_rand=0.42` });
  assert.equal(ctx.traceId, T);
  assert.equal(ctx.parentSpanId, S);
  assert.equal(ctx.sampled, true);
  assert.equal(ctx.sampleRand, 0.42);
  assert.deepEqual(ctx.dsc, { trace_id: T, sample_rand: '0.42' });
  // A DSC of another trace is not passed on; baggage alone joins no trace.
  assert.equal(propagationContextFromHeaders({ sentryTrace: `${T}-${S}`, baggage: 'sentry-trace_id=ffff' }).dsc, undefined);
  assert.notEqual(propagationContextFromHeaders({ baggage: `sentry-trace_id=${T}` }).traceId, T);
  // Decided upstream with a rate but no sample_rand: a number consistent with the decision.
  for (let i = 0; i < 200; i++) {
    const yes = propagationContextFromHeaders({ sentryTrace: `${T}-${S}-1`, baggage: 'sentry-sample_rate=0.2' });
    const no = propagationContextFromHeaders({ sentryTrace: `${T}-${S}-0`, baggage: 'sentry-sample_rate=0.2' });
    assert.ok(yes.sampleRand! < 0.2 && no.sampleRand! >= 0.2);
  }
  assert.equal(propagationContextFromHeaders({ sentryTrace: `${T}-${S}`, traceparent: `00-${'a'.repeat(32)}-${S}-01` }).traceId, T, 'sentry-trace first');
});
