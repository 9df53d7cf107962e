// The SDK's own stack traces are kept by normalization instead of copied when only the SDK's own
// code touched the event (normalize/built-parts.ts); the SDK's description is copied by its shape.
// What is sent must be exactly what the copy would have sent, and any foreign processor must
// bring the copy back.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as faultline from '../../src/index.js';
import { normalizeEvent, type NormalizeEventOptions } from '../../src/core/normalize/index.js';
import { createKeyMatcher } from '../../src/core/scrub.js';
import { isOwn } from '../../src/core/own-code.js';
import { jsonByteLength } from '../../src/core/json-size.js';
import { getDefaultIntegrations } from '../../src/node/default-integrations.js';
import { requestDataProcessor } from '../../src/node/request-data.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { Event, Exception, StackFrame } from '../../src/core/types.js';

const DSN = `http://${'a'.repeat(32)}@127.0.0.1:9/1`;

function options(overrides: Partial<NormalizeEventOptions> = {}): NormalizeEventOptions {
  return { depth: 5, breadth: 10, isDenied: createKeyMatcher({ sendDefaultPii: false }), sendDefaultPii: false, ...overrides };
}

function sdkFrame(i: number): StackFrame {
  return {
    filename: `src/app/file${i}.ts`,
    abs_path: `/srv/app/src/app/file${i}.ts`,
    function: `handler${i}`,
    module: `app.file${i}`,
    lineno: 10 + i,
    colno: 3,
    in_app: true,
    context_line: `  doWork(${i});`,
    pre_context: ['function handler() {', '  const x = 1;'],
    post_context: ['}', ''],
  };
}

function sdkException(message = 'boom'): { values: Exception[] } {
  return {
    values: [{ type: 'TypeError', value: message, mechanism: { type: 'generic', handled: true }, stacktrace: { frames: [0, 1, 2].map(sdkFrame) } }],
  };
}

function event(exception: unknown, extra: Partial<Event> = {}): Event {
  return { event_id: '0123456789abcdef0123456789abcdef', timestamp: 1_700_000_000.5, level: 'error', exception, ...extra } as Event;
}

describe('normalizeEvent with ownPipeline', () => {
  test('keeps the exception the SDK built, and sends the same JSON as the copy', () => {
    const exception = sdkException();
    const kept = normalizeEvent(event(exception), options({ ownPipeline: true }));
    const copied = normalizeEvent(event(sdkException()), options());
    assert.equal(kept.exception, exception);
    assert.notEqual(copied.exception, exception);
    assert.equal(JSON.stringify(kept), JSON.stringify(copied));
  });

  test('any SDK-shaped exception, whatever its values, gives the JSON of the copy', () => {
    const text = fc.string({ maxLength: 30 });
    const anyValue = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 2 }));
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof(arb, anyValue), { nil: undefined, freq: 3 });
    const lines = fc.array(text, { maxLength: 120 });
    const frame = fc.record(
      {
        filename: maybe(text),
        abs_path: maybe(text),
        function: maybe(text),
        raw_function: maybe(text),
        module: maybe(text),
        lineno: maybe(fc.integer({ min: 1, max: 1e6 })),
        colno: maybe(fc.integer({ min: 1, max: 1e4 })),
        in_app: maybe(fc.boolean()),
        context_line: maybe(text),
        pre_context: maybe(lines),
        post_context: maybe(lines),
        vars: fc.option(fc.dictionary(text, anyValue, { maxKeys: 12 }), { nil: undefined, freq: 5 }),
      },
      { requiredKeys: [] },
    );
    const mechanism = fc.dictionary(fc.constantFrom('type', 'handled', 'synthetic', 'exception_id', 'parent_id', 'source', 'data'), anyValue);
    const rare = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 8 });
    const entry = fc.record(
      {
        type: maybe(text),
        value: maybe(text),
        mechanism: maybe(mechanism),
        stacktrace: fc.option(fc.record({ frames: fc.array(frame, { maxLength: 4 }) }), { nil: undefined }),
        // Fields the SDK never sets: the copy keeps one and drops the other.
        thread_id: rare(anyValue),
        not_a_field: rare(anyValue),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 3 }), (values) => {
        const a = structuredClone(values);
        const b = structuredClone(values);
        const kept = normalizeEvent(event({ values: a }), options({ ownPipeline: true }));
        const copied = normalizeEvent(event({ values: b }), options());
        assert.equal(JSON.stringify(kept), JSON.stringify(copied));
      }),
      { numRuns: 2000 },
    );
  });

  test('frames with local variables are copied, with the databag limits', () => {
    const exception = sdkException();
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } }, password: 'hunter2' };
    exception.values[0]!.stacktrace!.frames[1]!.vars = deep;
    const out = normalizeEvent(event(exception), options({ ownPipeline: true }));
    assert.notEqual(out.exception, exception);
    const vars = (out.exception as { values: Exception[] }).values[0]!.stacktrace!.frames[1]!.vars as Record<string, any>;
    assert.equal(vars.password, '[Filtered]');
    assert.equal(vars.a.b.c.d.e, '[Object]');
  });

  test('a frame or entry that JSON would write through its own toJSON is copied', () => {
    for (const where of ['frame', 'entry'] as const) {
      const exception = sdkException();
      const target = (where === 'frame' ? exception.values[0]!.stacktrace!.frames[0]! : exception.values[0]!) as object;
      Object.defineProperty(target, 'toJSON', { value: () => ({ replaced: true }), enumerable: false });
      const kept = normalizeEvent(event(exception), options({ ownPipeline: true }));
      assert.notEqual(kept.exception, exception, where);
      assert.equal(JSON.stringify(kept), JSON.stringify(normalizeEvent(event(sdkException()), options())), where);
    }
  });

  test('with maxValueLength, the text is cut as before (nothing is kept)', () => {
    const exception = sdkException('x'.repeat(500));
    const out = normalizeEvent(event(exception), options({ ownPipeline: true, maxValueLength: 50 }));
    assert.notEqual(out.exception, exception);
    assert.equal((out.exception as { values: Exception[] }).values[0]!.value, `${'x'.repeat(47)}...`);
  });

  test('a kept exception still counts toward the 1 MiB bound', () => {
    const huge = 'é'.repeat(600_000);
    const kept = normalizeEvent(event(sdkException(huge)), options({ ownPipeline: true }));
    const copied = normalizeEvent(event(sdkException(huge)), options());
    assert.ok(jsonByteLength(kept) <= 1024 * 1024, `kept: ${jsonByteLength(kept)} bytes`);
    assert.equal(JSON.stringify(kept), JSON.stringify(copied));
  });

  test("the SDK's description is copied (shared only when frozen, shared-parts.test.ts); an unknown field takes the generic walk", () => {
    const sdk = { name: 'faultline.node', version: '1.0.0', integrations: ['Dedupe', 'Modules'], packages: [{ name: 'npm:faultline', version: '1.0.0' }] };
    const out = normalizeEvent(event(undefined, { sdk }), options());
    assert.deepEqual(out.sdk, sdk);
    assert.notEqual(out.sdk, sdk);
    assert.notEqual(out.sdk!.integrations, sdk.integrations);
    assert.notEqual(out.sdk!.packages![0], sdk.packages[0]);
    const odd = { ...sdk, features: ['x'], packages: [{ name: 'a', version: '1', extra: { deep: true } }] };
    assert.deepEqual(normalizeEvent(event(undefined, { sdk: odd as never }), options()).sdk, odd);
  });
});

describe('the client decides what is its own', () => {
  afterEach(async () => {
    await faultline.close(0);
  });

  function initCapturing(extra: Partial<faultline.Options> = {}): Envelope[] {
    const sent: Envelope[] = [];
    faultline.init({ dsn: DSN, transport: (() => ({ send: (e: Envelope) => void sent.push(e), flush: async () => true })) as never, ...extra });
    return sent;
  }

  function framesOf(envelope: Envelope): StackFrame[] {
    const payload = envelope.items[0]!.payload as Event;
    return payload.exception!.values!.at(-1)!.stacktrace!.frames;
  }

  test("the default integrations and the request processor are the SDK's own", () => {
    for (const integration of getDefaultIntegrations()) {
      if (typeof integration.processEvent === 'function') assert.ok(isOwn(integration), integration.name);
    }
    assert.ok(isOwn(requestDataProcessor({} as never)));
    assert.equal(isOwn(() => null), false);
  });

  test('after a foreign scope processor, the sent frames are a copy it cannot reach', () => {
    const sent = initCapturing();
    let seen: StackFrame[] | undefined;
    faultline.withScope((scope) => {
      scope.addEventProcessor((e) => {
        seen = e.exception!.values![0]!.stacktrace!.frames;
        (seen[0] as Record<string, unknown>).unknown_key = 'dropped by the copy';
        return e;
      });
      faultline.captureException(new Error('seen by a foreign processor'));
    });
    assert.equal(sent.length, 1);
    const frames = framesOf(sent[0]!);
    assert.notEqual(frames, seen);
    assert.equal('unknown_key' in frames[0]!, false);
    seen![1]!.filename = 'changed afterwards';
    assert.notEqual(frames[1]!.filename, 'changed afterwards');
  });

  test('with a foreign integration processor, the same', () => {
    let seen: StackFrame[] | undefined;
    const sent = initCapturing({
      integrations: (defaults: faultline.Integration[]) => [
        ...defaults,
        {
          name: 'Foreign',
          processEvent(e: Event) {
            seen = e.exception?.values?.[0]?.stacktrace?.frames;
            return e;
          },
        },
      ],
    });
    faultline.captureException(new Error('seen by a foreign integration'));
    assert.equal(sent.length, 1);
    assert.ok(seen);
    assert.notEqual(framesOf(sent[0]!), seen);
  });

  test('captureEvent: frames handed in by the caller are always copied', () => {
    const sent = initCapturing();
    const frames = [sdkFrame(0), { ...sdkFrame(1), unknown_key: 1 } as StackFrame];
    faultline.captureEvent({ exception: { values: [{ type: 'E', value: 'handed in', stacktrace: { frames } }] } });
    assert.equal(sent.length, 1);
    const out = framesOf(sent[0]!);
    assert.notEqual(out, frames);
    assert.equal('unknown_key' in out[1]!, false);
  });

  test('with only its own processors, the frames sent are the ones the SDK built, source lines and all', () => {
    const sent = initCapturing();
    faultline.captureException(new Error('own pipeline'));
    assert.equal(sent.length, 1);
    const frames = framesOf(sent[0]!);
    const here = frames.at(-1)!;
    assert.equal(here.function, 'TestContext.<anonymous>');
    assert.match(here.context_line ?? '', /own pipeline/);
    // The copy would have sent the same (its keys in another order, which JSON does not mind).
    const payload = sent[0]!.items[0]!.payload as Event;
    assert.deepEqual(JSON.parse(JSON.stringify(normalizeEvent(payload, options()))), JSON.parse(JSON.stringify(payload)));
  });
});
