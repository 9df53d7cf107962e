// Ids come from /dev/urandom in Node (src/node/random-bytes.ts), not from WebCrypto, whose first
// use costs 6–10 ms on the caller's tick; elsewhere, and when the runtime's source fails, from
// crypto.getRandomValues.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { fillFromUrandom } from '../../src/node/random-bytes.js';
import { useRandomSource, uuid4 } from '../../src/core/ids.js';
import { init, close, captureException } from '../../src/index.js';

afterEach(() => useRandomSource(undefined));

/** Enough ids that the last one comes from a pool filled after the source was set. */
function idAfterRefill(): string {
  let id = '';
  for (let i = 0; i < 257; i++) id = uuid4();
  return id;
}

test('fills the whole array with random bytes, different each time', () => {
  const a = new Uint8Array(4096);
  const b = new Uint8Array(4096);
  assert.equal(fillFromUrandom(a), true);
  assert.equal(fillFromUrandom(b), true);
  assert.notDeepEqual(a, b);
  // 4096 random bytes take most of the 256 values; a half-filled array (zeros) would not.
  assert.ok(new Set(a).size > 200, `only ${new Set(a).size} distinct bytes`);
  assert.ok(a.subarray(4000).some((byte) => byte !== 0), 'the end of the array was filled too');
});

test('ids are made from the registered source', () => {
  useRandomSource((array) => {
    array.fill(0);
    return true;
  });
  // The version and variant bits are set on whatever the bytes are.
  assert.equal(idAfterRefill(), '00000000000040008000000000000000');
});

test('a source that cannot fill falls back to crypto.getRandomValues', () => {
  let asked = 0;
  useRandomSource(() => {
    asked++;
    return false;
  });
  const id = idAfterRefill();
  assert.ok(asked > 0);
  assert.match(id, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  assert.notEqual(id, '00000000000040008000000000000000');
});

test('after init, a capture takes no bytes from WebCrypto', async () => {
  const webCrypto = globalThis.crypto;
  const original = webCrypto.getRandomValues;
  let calls = 0;
  const counting = (array: Uint8Array): Uint8Array => {
    calls++;
    original.call(webCrypto, array);
    return array;
  };
  webCrypto.getRandomValues = counting as typeof original;
  try {
    init({ dsn: 'http://key@127.0.0.1:9/1', transport: () => ({ send: () => true, isRateLimited: () => false, flush: async () => true }), defaultIntegrations: false });
    const ids = new Set<string | undefined>();
    // Past the first refills and a full pool of 256 ids.
    for (let i = 0; i < 300; i++) ids.add(captureException(new Error(`e${i}`)));
    assert.equal(ids.size, 300);
    assert.ok([...ids].every((id) => typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)));
    assert.equal(calls, 0);
  } finally {
    webCrypto.getRandomValues = original;
    await close(100);
  }
});
