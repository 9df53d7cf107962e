// Sampling: tracesSampleRate over many independent traces, tracesSampler, and the decision
// inherited by children and taken over from upstream services (sentry-trace flag, baggage
// sentry-sampled / sentry-sample_rand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import {
  continueTrace,
  getTraceData,
  startInactiveSpan,
  startNewTrace,
  startSpan,
  type SamplingContext,
} from '../../src/core/tracing/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { flushAndCheck, initTracing, transactions } from './helpers.js';

const sentry = useSentryServer({ beforeEach: ['flushClient', 'resetScopes', 'clearEnvelopes'] });
const ROOTS = 2000;
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

/** `ROOTS` root spans, each in a trace of its own, each with one child. */
async function runRoots(options: faultline.Options): Promise<{ sent: number; flags: number[] }> {
  initTracing(sentry, { ...options, transportOptions: { bufferSize: ROOTS + 10 } });
  const flags: number[] = [];
  for (let i = 0; i < ROOTS; i++) {
    startNewTrace(() =>
      startSpan({ name: `job ${i}`, op: 'task' }, (root) => {
        startSpan({ name: 'step' }, (child) => {
          assert.equal(child.spanContext().traceFlags, root.spanContext().traceFlags, 'a child keeps its root\'s decision');
          assert.equal(child.isRecording(), root.isRecording());
        });
        flags.push(root.spanContext().traceFlags);
      }),
    );
  }
  await flushAndCheck(sentry);
  const sent = transactions(sentry);
  for (const t of sent) assert.equal(t.payload.spans.length, 1);
  return { sent: sent.length, flags };
}

test('tracesSampleRate 0 sends no transaction and counts every root as sample_rate', async () => {
  const { sent, flags } = await runRoots({ tracesSampleRate: 0 });
  assert.equal(sent, 0);
  assert.ok(flags.every((f) => f === 0));
  await faultline.flush(2000);
  assert.equal(sentry.discarded()['sample_rate:transaction'], ROOTS);
  assert.equal(sentry.discarded()['sample_rate:span'], ROOTS * 2, 'each root and its child');
});

test('tracesSampleRate 1 sends every transaction', async () => {
  const { sent, flags } = await runRoots({ tracesSampleRate: 1 });
  assert.equal(sent, ROOTS);
  assert.ok(flags.every((f) => f === 1));
});

test('tracesSampleRate 0.3 keeps about 30% of 2000 independent traces', async () => {
  const { sent, flags } = await runRoots({ tracesSampleRate: 0.3 });
  // Binomial(2000, 0.3): mean 600, sd 20.5; ±5 sd fails about once in 1.7 million runs.
  assert.ok(sent >= 497 && sent <= 703, `sent ${sent}`);
  assert.equal(flags.filter((f) => f === 1).length, sent, 'exactly the sampled roots were sent');
  await faultline.flush(2000);
  assert.equal(sentry.discarded()['sample_rate:transaction'], ROOTS - sent);
});

test('tracesSampler decides per root, sees the name and attributes, and its decision reaches children and headers', async () => {
  const seen: SamplingContext[] = [];
  initTracing(sentry, {
    tracesSampler: (ctx) => {
      seen.push(ctx as SamplingContext);
      return ctx['name'] === 'keep';
    },
  });
  startSpan({ name: 'keep', attributes: { tier: 'gold' } }, () => {
    startSpan({ name: 'kept child' }, (child) => assert.equal(child.isRecording(), true));
    assert.match(getTraceData()['sentry-trace']!, /-1$/);
    assert.match(getTraceData().baggage!, /sentry-sampled=true/);
  });
  startNewTrace(() =>
    startSpan({ name: 'drop' }, () => {
      const child = startInactiveSpan({ name: 'dropped child' });
      assert.equal(child.isRecording(), false);
      assert.equal(child.spanContext().traceFlags, 0);
      child.end();
      assert.match(getTraceData()['sentry-trace']!, /-0$/);
      assert.match(getTraceData().baggage!, /sentry-sampled=false/);
    }),
  );
  await flushAndCheck(sentry);
  assert.deepEqual(seen.map((c) => c.name), ['keep', 'drop'], 'called once per root, never for children');
  assert.deepEqual(seen[0]!.attributes, { tier: 'gold' });
  assert.equal(seen[0]!.parentSampled, undefined);
  const sent = transactions(sentry);
  assert.deepEqual(sent.map((t) => t.payload.transaction), ['keep']);
  assert.deepEqual(sent[0]!.payload.spans.map((s: any) => s.description), ['kept child']);
});

test('an upstream decision (sentry-trace flag) wins over this service\'s rate', () => {
  initTracing(sentry, { tracesSampleRate: 0 });
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}-1` }, () =>
    startSpan({ name: 'inherited yes' }, (span) => {
      assert.equal(span.isRecording(), true);
      assert.equal(span.traceId, TRACE);
      assert.equal(span.parentSpanId, PARENT);
    }),
  );
  initTracing(sentry, { tracesSampleRate: 1 });
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}-0` }, () =>
    startSpan({ name: 'inherited no' }, (span) => assert.equal(span.isRecording(), false)),
  );
  // The W3C flag 01 counts as a decision too.
  initTracing(sentry, { tracesSampleRate: 0 });
  continueTrace({ traceparent: `00-${TRACE}-${PARENT}-01` }, () =>
    startSpan({ name: 'w3c' }, (span) => {
      assert.equal(span.isRecording(), true);
      assert.equal(span.traceId, TRACE);
    }),
  );
});

test('without a flag, baggage sentry-sampled decides; without either, the shared sample_rand does', () => {
  initTracing(sentry, { tracesSampleRate: 0 });
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}`, baggage: `sentry-trace_id=${TRACE},sentry-sampled=true,sentry-sample_rand=0.9` }, () =>
    startSpan({ name: 'baggage yes' }, (span) => assert.equal(span.isRecording(), true)),
  );
  initTracing(sentry, { tracesSampleRate: 0.3 });
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}`, baggage: 'sentry-sample_rand=0.25' }, () =>
    startSpan({ name: 'below the rate' }, (span) => {
      assert.equal(span.isRecording(), true);
      assert.match(getTraceData().baggage!, /sentry-sample_rand=0\.25/, 'the same number travels on');
    }),
  );
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}`, baggage: 'sentry-sample_rand=0.35' }, () =>
    startSpan({ name: 'above the rate' }, (span) => assert.equal(span.isRecording(), false)),
  );
});

test('tracesSampler sees the upstream decision and can inherit it', () => {
  const parents: Array<boolean | undefined> = [];
  initTracing(sentry, {
    tracesSampler: (ctx) => {
      parents.push(ctx['parentSampled'] as boolean | undefined);
      return (ctx as SamplingContext).inheritOrSampleWith(0);
    },
  });
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}-1` }, () =>
    startSpan({ name: 'a' }, (span) => assert.equal(span.isRecording(), true)),
  );
  continueTrace({ sentryTrace: `${TRACE}-${PARENT}-0` }, () =>
    startSpan({ name: 'b' }, (span) => assert.equal(span.isRecording(), false)),
  );
  startNewTrace(() => startSpan({ name: 'c' }, (span) => assert.equal(span.isRecording(), false)));
  assert.deepEqual(parents, [true, false, undefined]);
});

test('a sampler that throws or answers nonsense samples out, without throwing into the app', () => {
  initTracing(sentry, { tracesSampler: () => { throw new Error('sampler bug'); } });
  assert.equal(startSpan({ name: 'x' }, (span) => span.isRecording()), false);
  initTracing(sentry, { tracesSampler: () => 7 as unknown as number });
  assert.equal(startSpan({ name: 'y' }, (span) => span.isRecording()), false);
});
