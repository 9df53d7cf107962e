// node/bytes.ts: the request path's byte helpers, checked against what Buffer's own methods give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexOfBytes, readLatin1, view, writeLatin1, writeUint16LE, writeUint32LE } from '../../src/node/bytes.js';

test('latin1 both ways, every byte value, and texts longer than one slice of readLatin1', () => {
  const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
  const text = all.repeat(40); // 10,240 characters: three slices of 4,096
  const out = new Uint8Array(text.length + 3);
  writeLatin1(out, 3, text);
  assert.deepEqual(Buffer.from(out.subarray(3)), Buffer.from(text, 'latin1'));
  assert.equal(readLatin1(out, 3, out.length), text);
  assert.equal(readLatin1(out, 5, 5 + 4097), Buffer.from(out).toString('latin1', 5, 5 + 4097));
  assert.equal(readLatin1(out, 7, 7), '');
});

test('indexOfBytes finds what Buffer.indexOf finds, at the start, the end, after near misses, or nowhere', () => {
  const needle = Buffer.from('\r\n\r\n');
  const cases = ['\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n', 'a\r\nb\r\n\r\r\n\r\nc', 'a\r\n\r', '', 'no end\r\n', '\r\n\r\n\r\n\r\n'];
  for (const text of cases) {
    const bytes = Buffer.from(text, 'latin1');
    for (let from = 0; from <= bytes.length; from++) {
      assert.equal(indexOfBytes(bytes, needle, from), bytes.indexOf(needle, from), `${JSON.stringify(text)} from ${from}`);
    }
  }
});

test('little-endian integers as Buffer writes them, including the highest bits', () => {
  for (const value of [0, 1, 0xff, 0x1234, 0xffff, 0x12345678, 0x80000000, 0xffffffff]) {
    const ours = new Uint8Array(6);
    writeUint32LE(ours, 2, value);
    const theirs = Buffer.alloc(6);
    theirs.writeUInt32LE(value, 2);
    assert.deepEqual(Buffer.from(ours), theirs);
    if (value <= 0xffff) {
      const ours16 = new Uint8Array(3);
      writeUint16LE(ours16, 1, value);
      const theirs16 = Buffer.alloc(3);
      theirs16.writeUInt16LE(value, 1);
      assert.deepEqual(Buffer.from(ours16), theirs16);
    }
  }
});

test('view shares the bytes of a view into a larger buffer', () => {
  const whole = Buffer.from('0123456789');
  const middle = whole.subarray(2, 8);
  const v = view(middle, 1, 3);
  assert.equal(Buffer.from(v).toString(), '345');
  v[0] = 0x41;
  assert.equal(whole.toString(), '012A456789');
});
