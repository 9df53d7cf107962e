import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoSeconds, isoTimestamp } from '../../src/core/iso-time.js';

const ROUND_TRIP_CASES = [
  0, 1, 999, 1000, 59_999, 60_000, 1_000_000_000_000, 1_795_700_000_623, 951_782_400_000 /* 2000-02-29 */,
  -1, -999, -1000, -1_000_000_000_000, -62_167_219_200_000 /* year 0 */, 253_402_300_799_999 /* 9999-12-31T23:59:59.999 */,
];

test('isoTimestamp writes what toISOString writes', () => {
  for (const ms of ROUND_TRIP_CASES) assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  // A walk across many seconds, minutes and days, forwards and backwards: the kept prefix must
  // never outlive its second, whichever way the clock moves.
  let ms = Date.UTC(2026, 11, 31, 23, 58, 0, 0);
  for (let i = 0; i < 5000; i++) {
    ms += i % 7 === 3 ? -1733 : 997;
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  }
  for (let i = 0; i < 2000; i++) {
    const random = Math.floor((Math.random() - 0.3) * 4e12);
    assert.equal(isoTimestamp(random), new Date(random).toISOString(), String(random));
  }
});

test('isoTimestamp drops a fraction of a millisecond, as toISOString does', () => {
  for (const ms of [1_795_700_000_623.9, 1_795_700_000_000.5, 1_795_700_000_999.999, -0.5, -1_000.25]) {
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  }
});

test('isoTimestamp outside years 0–9999 writes the extended year, and rejects what toISOString rejects', () => {
  for (const ms of [253_402_300_800_000, -62_167_219_200_001, 8.64e15, -8.64e15]) {
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  }
  for (const bad of [Number.NaN, 8.64e15 + 1, Infinity]) assert.throws(() => isoTimestamp(bad), RangeError);
});

test('isoSeconds writes what toISOString writes, rounded to the second', () => {
  for (const ms of [0, 499, 500, 999, 1_000_000_000_000, Date.now(), 1_795_700_000_623, -1_000_000_000_000, 253_402_300_799_000, 253_402_300_800_000]) {
    assert.equal(isoSeconds(ms), new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'), String(ms));
  }
  assert.equal(isoSeconds(Number.NaN), undefined);
  assert.equal(isoSeconds(Infinity), undefined);
});
