// Paths taken now and then (once a second, once per pool of ids) must not throw away the
// optimized code they are part of.
//
// V8 records type feedback for a function only after its first calls, and its optimizing
// compiler turns every operation it has no feedback for into an exit back to the interpreter.
// A refresh that ran only on the very first call had no feedback, so the first refresh after
// optimization left the optimized code, which was then compiled again: for the timestamp, inlined
// into the envelope code, 20–35 ms of compiling once per process. Each of these paths now also
// runs on the first calls (src/core/rare-paths.ts). This runs a child Node with V8's test
// intrinsics: it lets the functions run as an app would, optimizes them, takes the rare path, and
// asks V8 whether the optimized code is still in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runV8Script, srcModule } from '../helpers/v8-script.js';

// Optimizing on the main thread (no concurrent compiles) keeps V8's own timing out of it.
const run = (body: string) => runV8Script(body, ['--no-concurrent-recompilation']);

test('the timestamp of a new second does not throw away the optimized isoTimestamp', async () => {
  const out = await run(
    `import { isoTimestamp } from ${srcModule('core/iso-time.ts')};
const start = Date.UTC(2026, 10, 27, 12, 0, 0, 0);
// An app's first events: all within one second.
for (let i = 0; i < 200; i++) isoTimestamp(start + (i % 900));
prepare(isoTimestamp);
isoTimestamp(start + 1);
optimizeOnNextCall(isoTimestamp);
isoTimestamp(start + 2);
console.log('optimized', optimized(isoTimestamp));
const next = isoTimestamp(start + 1500);
console.log('still optimized', optimized(isoTimestamp), next === new Date(start + 1500).toISOString());
`,
  );
  assert.equal(out, 'optimized true\nstill optimized true true');
});

test('refilling the pool of random bytes does not throw away the optimized uuid4', async () => {
  const out = await run(
    `import { uuid4 } from ${srcModule('core/ids.ts')};
const seen = new Set<string>();
for (let i = 0; i < 200; i++) seen.add(uuid4());
prepare(uuid4);
seen.add(uuid4());
optimizeOnNextCall(uuid4);
seen.add(uuid4());
console.log('optimized', optimized(uuid4));
// Past several refills, watching after each id: V8 would optimize it again later.
let kept = true;
for (let i = 0; i < 1000; i++) {
  seen.add(uuid4());
  if (!optimized(uuid4)) kept = false;
}
console.log('still optimized', kept, seen.size === 1202);
`,
  );
  assert.equal(out, 'optimized true\nstill optimized true true');
});

test("the memory numbers of a new second do not throw away the contexts integration's optimized code", async () => {
  const out = await run(
    `import { nodeContextIntegration } from ${srcModule('integrations/contexts.ts')};
const integration = nodeContextIntegration();
integration.setup!({} as never);
const processEvent = integration.processEvent!.bind(integration) as unknown as (e: object) => any;
const target = integration.processEvent!;
for (let i = 0; i < 200; i++) processEvent({});
prepare(target);
processEvent({});
optimizeOnNextCall(target);
const before = processEvent({});
console.log('optimized', optimized(target));
// The next reading of free memory is due a second after the last.
await new Promise((resolve) => setTimeout(resolve, 1100));
const after = processEvent({});
console.log('still optimized', optimized(target), typeof after.contexts.device.free_memory === 'number', after.contexts.device !== before.contexts.device);
`,
  );
  assert.equal(out, 'optimized true\nstill optimized true true true');
});
