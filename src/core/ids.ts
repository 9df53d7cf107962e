// Event and trace ids: 32 lowercase hex characters (a v4 UUID without dashes).
//
// Made on every capture, so from a pool of random bytes refilled 256 ids at a time and a table of
// hex pairs: measured ~0.12 µs an id, against ~0.4 µs for `crypto.randomUUID().replace(/-/g, '')`.
// The bytes come from the runtime's own source when one is registered (Node reads the kernel's
// generator, node/random-bytes.ts), else from `crypto.getRandomValues`, a global in Node 20+,
// browsers and edge runtimes. That one is looked up on the first id, not at import: in Node the
// first read of `globalThis.crypto` loads WebCrypto, 6–10 ms on the caller's tick, which is why
// Node registers its own source.

import { RARE_PATH_FIRST_CALLS } from './rare-paths.js';

type RandomSource = { getRandomValues?: (array: Uint8Array) => Uint8Array };
/** Fills the whole array with random bytes and returns true, or returns false when it cannot. */
export type RandomFill = (array: Uint8Array) => boolean;

let runtimeFill: RandomFill | undefined;

/** Registers the runtime's own source of random bytes, tried before WebCrypto (undefined: none). */
export function useRandomSource(fill: RandomFill | undefined): void {
  runtimeFill = fill;
}

const HEX_PAIRS: string[] = [];
for (let i = 0; i < 256; i++) HEX_PAIRS.push((i < 16 ? '0' : '') + i.toString(16));

const pool = new Uint8Array(16 * 256);
let poolPos = pool.length;
/** The first ids refill the pool each (rare-paths.ts): about 0.1 ms once. */
let primingRefills = RARE_PATH_FIRST_CALLS;

function refill(): void {
  primingRefills--;
  poolPos = 0;
  if (runtimeFill !== undefined && runtimeFill(pool)) return;
  const cryptoApi = (globalThis as { crypto?: RandomSource }).crypto;
  if (typeof cryptoApi?.getRandomValues === 'function') {
    // getRandomValues takes at most 65536 bytes per call; the pool is 4096.
    cryptoApi.getRandomValues(pool);
  } else {
    for (let i = 0; i < pool.length; i++) pool[i] = (Math.random() * 256) | 0;
  }
}

export function uuid4(): string {
  if (poolPos + 16 > pool.length || primingRefills > 0) refill();
  const at = poolPos;
  poolPos += 16;
  let out = '';
  for (let i = 0; i < 16; i++) {
    let byte = pool[at + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    out += HEX_PAIRS[byte]!;
  }
  return out;
}

/** 16 hex characters, for span ids. */
export function spanId(): string {
  return uuid4().slice(16);
}
