// Thousands of hostile inputs to every public function: nothing may throw into the caller, and
// every event that reaches the server must be valid JSON that passes the official schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as faultline from '../../src/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';

const server = useSentryServer();
// Random unless FUZZ_SEED is set; a failure names the seed that repeats it.
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

function hostileObjects(): unknown[] {
  const cyclic: Record<string, unknown> = { name: 'cycle' };
  cyclic['self'] = cyclic;
  const getter = Object.defineProperty({}, 'boom', {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
  const trap = new Proxy({}, {
    get() {
      throw new Error('proxy get');
    },
    ownKeys() {
      throw new Error('proxy keys');
    },
    getPrototypeOf() {
      throw new Error('proxy proto');
    },
  });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 1000; i++) deep = (deep['next'] = {}) as Record<string, unknown>;
  const badError = new Error('bad');
  Object.defineProperty(badError, 'stack', { get() { throw new Error('no stack'); } });
  Object.defineProperty(badError, 'message', { get() { throw new Error('no message'); } });
  const loopCause = new Error('loop');
  (loopCause as { cause?: unknown }).cause = loopCause;
  return [
    cyclic, getter, trap, revoked, root, badError, loopCause,
    new Map<unknown, unknown>([[cyclic, cyclic]]), new Set([cyclic]), new Date(NaN), 10n, Symbol('s'),
    () => 1, Buffer.alloc(64), new Uint8Array(8), 'x'.repeat(200_000), NaN, -Infinity,
    Object.create(null), new (class Custom { a = 1; })(),
  ];
}

// Values are wrapped in thunks: fast-check itself must not touch a revoked Proxy.
const objects = hostileObjects();
const hostile = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true,
    withSparseArray: true, withNullPrototype: true, withBoxedValues: true, maxDepth: 4 }).map((v) => () => v),
  fc.nat(objects.length - 1).map((i) => () => objects[i]),
);

test('no public function throws, whatever it is given', async () => {
  // The in-memory transport with a large queue: this test is about the pipeline, not delivery.
  faultline.init({ dsn: server.dsn, offline: false, transportOptions: { bufferSize: 10_000 }, maxBreadcrumbs: 20 });
  const calls: Array<(a: any, b: any, c: any) => unknown> = [
    (a, b) => faultline.captureException(a, b),
    (a, b, c) => faultline.captureMessage(a, b, c),
    (a, b, c) => faultline.captureEvent(a, b, c),
    (a, b) => faultline.addBreadcrumb(a, b),
    (a, b) => faultline.setTag(a, b),
    (a) => faultline.setTags(a),
    (a, b) => faultline.setExtra(a, b),
    (a) => faultline.setExtras(a),
    (a) => faultline.setUser(a),
    (a, b) => faultline.setContext(a, b),
    (a) => faultline.setLevel(a),
    (a) => faultline.setFingerprint(a),
    (a) => faultline.getCurrentScope().setTags(a),
    (a) => new faultline.Scope().update(a),
  ];
  fc.assert(
    fc.property(fc.nat(calls.length - 1), hostile, hostile, hostile, (which, a, b, c) => {
      const result = calls[which]!(a(), b(), c());
      assert.ok(result === undefined || typeof result === 'string' || typeof result === 'object');
    }),
    { numRuns: 3000, seed },
  );
  // Each shape of event once more with hostile data in every databag.
  fc.assert(
    fc.property(hostile, hostile, hostile, (ta, tb, tc) => {
      const [a, b, c] = [ta(), tb(), tc()];
      faultline.withScope((scope) => {
        scope.setExtra('a', a).setContext('c', { b } as any).setUser({ id: 'u', data: c } as any);
        scope.addBreadcrumb({ message: 'm', data: { a } as any });
        faultline.captureException(a, { extra: { b } as any, tags: { t: c } as any });
        faultline.captureEvent({ message: 'e', extra: { c } as any, exception: { values: [{ type: 'T', value: String(typeof b) }] } });
      });
    }),
    { numRuns: 500, seed: seed + 1 },
  );
  // Every event queued must be delivered. The deadline is generous on purpose: this test is about
  // throwing and schema validity, not speed. Some of its events carry 200 kB strings, and the test
  // server (in this process) parses and schema-checks each one; on a loaded 2-core machine the
  // drain took 4.5-5.4 s with two test files running side by side, and once more than 20 s in CI.
  assert.equal(await faultline.flush(120_000), true, `FUZZ_SEED=${seed}`);
  const events = server.events();
  // Seen once in CI (79 events, 2026-11-29, not reproduced in 108 seeds since): say where they went.
  const where = `FUZZ_SEED=${seed}; ${server.envelopes.length} envelopes; discarded ${JSON.stringify(server.discarded())}; errors ${JSON.stringify(server.errors().slice(0, 3))}`;
  assert.ok(events.length > 500, `many events arrived (${events.length}); ${where.slice(0, 2000)}`);
  assert.deepEqual(server.errors().slice(0, 5), [], 'every envelope and event passed the schema');
});

test('calls before init and after close never throw', async () => {
  faultline.getGlobalScope().setClient(undefined);
  assert.equal(faultline.captureException(new Error('early')), undefined);
  assert.equal(faultline.lastEventId(), faultline.lastEventId());
  faultline.init({ dsn: server.dsn });
  await faultline.close(1000);
  assert.equal(faultline.captureMessage('late'), undefined);
  assert.equal(await faultline.flush(10), true);
});
