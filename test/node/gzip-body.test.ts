// BodyCompressor: every output must be a gzip stream of exactly its body, whichever way it was
// put together. Each is checked with two inflaters: zlib's one-shot gunzip and a streaming
// DecompressionStream fed in small pieces.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { BodyCompressor } from '../../src/node/gzip-body.js';

const encoder = new TextEncoder();

/** An envelope-like body ending with a stack trace, like serializeEnvelope writes for an error. */
function body(opts: { id?: number; site?: string; frames?: number; breadcrumbs?: number; lineLength?: number; modules?: number } = {}): Uint8Array {
  const { id = 0, site = 'app.js', frames = 10, breadcrumbs = 0, lineLength = 0, modules = 0 } = opts;
  // lineLength: source lines as long as a minified bundle's, once cut to the SDK's 140 characters.
  const long = (text: string) => (lineLength > text.length ? text + ' '.repeat(lineLength - text.length - 1) + ';' : text);
  const stack = Array.from({ length: frames }, (_, i) => ({
    filename: site,
    function: `fn${i}`,
    lineno: i + 1,
    pre_context: [long(`const a${i} = 1;`), long(`const b${i} = 2;`), long(`if (a${i} > b${i}) {`)],
    context_line: long(`  throw new Error('boom ${i}');`),
    post_context: [long('}'), long(`return a${i};`)],
  }));
  const event = {
    event_id: id.toString(16).padStart(32, '0'),
    timestamp: 1732615200 + id,
    breadcrumbs: Array.from({ length: breadcrumbs }, (_, i) => ({ message: `step ${i} of request ${id}`, timestamp: 1732615100 + i })),
    exception: { values: [{ type: 'Error', value: `failure ${id}`, stacktrace: { frames: stack } }] },
    // After the exception, as the normalizer puts it.
    ...(modules > 0 ? { modules: packageList(modules) } : {}),
  };
  const payload = JSON.stringify(event);
  const header = `{"event_id":"${event.event_id}","sent_at":"2026-11-27T00:00:00.${String(id % 1000).padStart(3, '0')}Z"}`;
  return encoder.encode(`${header}\n{"type":"event","length":${payload.length}}\n${payload}\n`);
}

function packageList(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`package-${i}`, `1.${i}.0`]));
}

/** A message event: no stack trace, the package list at its end. */
function messageBody(id: number, modules: number): Uint8Array {
  const payload = JSON.stringify({ event_id: id.toString(16).padStart(32, '0'), logentry: { formatted: `message ${id}` }, modules: packageList(modules) });
  return encoder.encode(`{"event_id":"${id.toString(16).padStart(32, '0')}"}\n{"type":"event","length":${payload.length}}\n${payload}\n`);
}

async function streamInflate(gz: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function assertGzipOf(gz: Uint8Array, original: Uint8Array): Promise<void> {
  assert.deepEqual(new Uint8Array(gunzipSync(gz)), original);
  assert.deepEqual(await streamInflate(gz), original);
}

const containsText = (gz: Uint8Array, text: string) => Buffer.from(gz).includes(text);

test('a body seen for the first time is compressed whole', async () => {
  const compressor = new BodyCompressor();
  const first = body({ id: 1 });
  const gz = (await compressor.compress(first)) as Uint8Array;
  await assertGzipOf(gz, first);
  assert.equal(containsText(gz, '"event_id"'), false);
});

test('from the second body with the same stack trace on, the trace is compressed once and the rest goes stored', async () => {
  const compressor = new BodyCompressor();
  const sizes: number[] = [];
  for (let id = 1; id <= 6; id++) {
    const original = body({ id });
    const gz = (await compressor.compress(original)) as Uint8Array;
    await assertGzipOf(gz, original);
    sizes.push(gz.byteLength);
    // The stored beginning carries the event id as plain text; whole compression would not.
    assert.equal(containsText(gz, `"event_id":"${id.toString(16).padStart(32, '0')}"`), id > 1, `body ${id}`);
  }
  assert.ok(sizes.every((size) => size < body().byteLength / 2), `still compressed: ${sizes.join(', ')}`);
});

test('a long beginning (many breadcrumbs) is compressed too, not stored', async () => {
  const compressor = new BodyCompressor();
  for (let id = 1; id <= 3; id++) {
    const original = body({ id, breadcrumbs: 60 });
    const gz = (await compressor.compress(original)) as Uint8Array;
    await assertGzipOf(gz, original);
    assert.equal(containsText(gz, 'step 59 of request'), false);
  }
});

test('several stack traces in turn, more than are remembered: every body comes out exact', async () => {
  const compressor = new BodyCompressor();
  for (let round = 0; round < 3; round++) {
    for (let site = 0; site < 11; site++) {
      const original = body({ id: round * 100 + site, site: `site${site}.js` });
      await assertGzipOf((await compressor.compress(original)) as Uint8Array, original);
    }
  }
});

test('a trace that differs in one byte is not taken for a known one', async () => {
  const compressor = new BodyCompressor();
  const a = body({ id: 1 });
  await compressor.compress(a);
  await compressor.compress(body({ id: 2 }));
  const changedLate = body({ id: 3 });
  changedLate[changedLate.byteLength - 40] ^= 1; // inside the last frame
  await assertGzipOf((await compressor.compress(changedLate)) as Uint8Array, changedLate);
  const changedEarly = body({ id: 4 });
  const tailStart = Buffer.from(changedEarly).lastIndexOf('"stacktrace":');
  changedEarly[tailStart + 30] ^= 1; // inside the first frame, far from the end
  await assertGzipOf((await compressor.compress(changedEarly)) as Uint8Array, changedEarly);
});

test('bodies without a stack trace at the end, with a short one, or a large one too long to remember are compressed whole', async () => {
  const compressor = new BodyCompressor();
  const message = encoder.encode(`{"event_id":"${'c'.repeat(32)}"}\n{"type":"event"}\n{"logentry":{"formatted":"${'m'.repeat(3000)}"}}\n`);
  const short = body({ frames: 1 });
  // A stack trace over 64 KiB is not remembered: compressing it once would hold the event loop.
  const large = body({ frames: 600 });
  assert.ok(large.byteLength > 80 * 1024);
  for (let i = 0; i < 3; i++) {
    for (const original of [message, short]) {
      const gz = (await compressor.compress(original)) as Uint8Array;
      await assertGzipOf(gz, original);
      assert.equal(containsText(gz, '"event_id"'), false);
    }
    const out = compressor.compress(large);
    assert.ok(out instanceof Promise, 'a large body goes to the thread pool');
    await assertGzipOf(await out, large);
  }
});

test('the remembered end is a copy: changing a body after it was sent changes nothing later', async () => {
  const compressor = new BodyCompressor();
  // The first body is a view into a larger buffer, as a body read from a segment window is.
  const window = new Uint8Array(64 * 1024);
  const first = body({ id: 1 });
  window.set(first, 100);
  const firstView = window.subarray(100, 100 + first.byteLength);
  await compressor.compress(firstView);
  window.fill(0x20, 100 + first.byteLength - 500, 100 + first.byteLength); // the window is reused
  const second = body({ id: 2 });
  const gz = (await compressor.compress(second)) as Uint8Array;
  await assertGzipOf(gz, second);
  assert.equal(containsText(gz, `"event_id":"${(2).toString(16).padStart(32, '0')}"`), true, 'the end was recognized from the copy');
});

test('a body over the in-place limit whose stack trace repeats is joined in place, not sent to the thread pool', async () => {
  // Many breadcrumbs and a minified app's long source lines: over 64 KiB, the trace under it.
  const compressor = new BodyCompressor();
  const make = (id: number) => body({ id, frames: 50, lineLength: 150, breadcrumbs: 300 });
  const first = make(1);
  assert.ok(first.byteLength > 64 * 1024, `the body is ${first.byteLength} bytes`);
  const out1 = compressor.compress(first);
  assert.ok(out1 instanceof Promise, 'seen once: compressed whole, on the thread pool');
  await assertGzipOf(await out1, first);
  for (let id = 2; id <= 4; id++) {
    const original = make(id);
    const out = compressor.compress(original);
    assert.ok(out instanceof Uint8Array, `body ${id}: the remembered trace is reused, on the spot`);
    await assertGzipOf(out, original);
  }
});

test('bodies up to 64 KiB are compressed on the spot, larger ones on the thread pool', async () => {
  const compressor = new BodyCompressor();
  const message = (size: number) => encoder.encode(`{"event_id":"${'d'.repeat(32)}"}\n{"type":"event"}\n{"logentry":{"formatted":"${'m'.repeat(size)}"}}\n`);
  const inPlace = message(60 * 1024);
  const out = compressor.compress(inPlace);
  assert.ok(out instanceof Uint8Array, 'a 60 KiB body is compressed in the callback');
  await assertGzipOf(out, inPlace);
  const pooled = message(70 * 1024);
  const later = compressor.compress(pooled);
  assert.ok(later instanceof Promise, 'a 70 KiB body goes to the thread pool');
  await assertGzipOf(await later, pooled);
});

test('the package list after the stack trace is part of the end compressed once; a message event ends with the list alone', async () => {
  // Either kind first: a message's end (the list) is also the end of an error body, which must
  // still keep and use its own, longer end, or its frames would be compressed every time.
  for (const messageFirst of [false, true]) {
    const compressor = new BodyCompressor();
    for (let id = 1; id <= 4; id++) {
      const bodies = [body({ id, modules: 300 }), messageBody(id, 300)];
      if (messageFirst) bodies.reverse();
      for (const original of bodies) {
        const gz = (await compressor.compress(original)) as Uint8Array;
        await assertGzipOf(gz, original);
        // From the second body with the same end, the beginning (with its event id) goes stored.
        assert.equal(containsText(gz, `"event_id":"${id.toString(16).padStart(32, '0')}"`), id > 1, `body ${id}`);
        assert.equal(containsText(gz, 'package-299'), false, 'the list itself is compressed');
      }
    }
  }
  const compressor = new BodyCompressor();
  for (let id = 1; id <= 2; id++) await compressor.compress(body({ id, modules: 300 }));
  // A change in the list is a different end.
  const changed = body({ id: 9, modules: 301 });
  const gz = (await compressor.compress(changed)) as Uint8Array;
  await assertGzipOf(gz, changed);
  assert.equal(containsText(gz, '"event_id"'), false);
});
