// The normalizer's optimized code must survive a full garbage collection.
//
// A Walker lives for one event, and V8 holds the hidden class of an object's fields only while
// some object has it. When no Walker was alive at a full collection, the class went, and with it
// every optimized function that reads a Walker's fields: about twenty of the normalizer's hot
// functions, compiled again for the events after. This runs a child Node with V8's test
// intrinsics to watch one of them (`Walker.prototype.raw`) across two full collections. The fix
// hands the last Walker to the next pass; the second test checks that a pass started inside a
// running one never gets the running one's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runV8Script, srcModule } from '../helpers/v8-script.js';
import { normalize, normalizeEvent, OBJECT_CUT } from '../../src/core/normalize/index.js';

test("a full garbage collection leaves the normalizer's optimized code in place", async () => {
  const out = await runV8Script(
    `import { Walker } from ${srcModule('core/normalize/walker.ts')};
import { normalizeEvent } from ${srcModule('core/normalize/index.ts')};
const opts = { depth: 5, breadth: 100, isDenied: () => false, sendDefaultPii: false };
function oneEvent(i: number): void {
  normalizeEvent({ event_id: 'a'.repeat(32), message: 'event ' + i, tags: { n: String(i) }, extra: { i, list: [1, 'two'] } }, opts);
}
const raw = Walker.prototype.raw;
prepare(raw);
oneEvent(1);
oneEvent(2);
optimizeOnNextCall(raw);
oneEvent(3);
console.log('optimized before', optimized(raw));
// No event, and so no Walker of one, is alive now.
(globalThis as unknown as { gc(): void }).gc();
(globalThis as unknown as { gc(): void }).gc();
console.log('optimized after', optimized(raw));
`,
    ['--expose-gc'],
  );
  assert.equal(out, 'optimized before true\noptimized after true');
});

test("a pass started inside another (an app's toJSON that normalizes) gets a Walker of its own", () => {
  // The last Walker is handed to the next pass; one taken while a pass runs must not be the
  // running pass's own, or the inner pass would reset its path, limits and size count.
  const nested: unknown[] = [];
  const app = {
    toJSON() {
      nested.push(normalize({ deep: { er: 1 } }, { depth: 1 }));
      return 'from toJSON';
    },
  };
  const plain = normalize({ list: [1, { app }, { after: { x: [1, 2] } }], tail: 'end' }, { depth: 5 });
  assert.deepEqual(plain, { list: [1, { app: 'from toJSON' }, { after: { x: [1, 2] } }], tail: 'end' });
  const event = normalizeEvent(
    { event_id: 'a'.repeat(32), extra: { app, later: { a: { b: 'c' } } }, tags: { t: 'v' } },
    { depth: 5, breadth: 100, isDenied: () => false, sendDefaultPii: false },
  );
  assert.deepEqual(event.extra, { app: 'from toJSON', later: { a: { b: 'c' } } });
  assert.deepEqual(event.tags, { t: 'v' });
  assert.deepEqual(nested, [{ deep: OBJECT_CUT }, { deep: OBJECT_CUT }]);
});
