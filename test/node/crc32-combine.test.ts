// combineCrc32 against zlib's CRC-32 of the joined bytes, over lengths from 0 up to 64 KiB.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { combineCrc32, shiftFor } from '../../src/node/crc32-combine.js';

test('crc(a + b) from crc(a), crc(b) and the length of b', () => {
  const lengths = [0, 1, 2, 3, 7, 8, 15, 16, 255, 256, 1000, 1024, 4095, 9000, 16384, 65535, 65536];
  for (const lenA of lengths) {
    for (const lenB of lengths) {
      const a = randomBytes(lenA);
      const b = randomBytes(lenB);
      const expected = crc32(Buffer.concat([a, b]));
      assert.equal(combineCrc32(crc32(a), crc32(b), shiftFor(lenB)), expected, `${lenA} + ${lenB}`);
    }
  }
});

test('random lengths and contents', () => {
  for (let i = 0; i < 300; i++) {
    const a = randomBytes(Math.floor(Math.random() * 20000));
    const b = randomBytes(Math.floor(Math.random() * 20000));
    assert.equal(combineCrc32(crc32(a), crc32(b), shiftFor(b.length)), crc32(Buffer.concat([a, b])));
  }
});
