// The outbox folder's name: one per DSN (endpoint and key), the same in every process that uses it,
// made without node:crypto (FNV-1a 64 instead of sha256).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fnv1a64Hex, outboxDirectory } from '../../src/node/outbox/config.js';
import { envelopeUrl, parseDsn } from '../../src/core/dsn.js';

test('FNV-1a 64 gives the published test vectors', () => {
  // From the FNV reference test suite (Fowler, Noll, Vo).
  assert.equal(fnv1a64Hex(''), 'cbf29ce484222325');
  assert.equal(fnv1a64Hex('a'), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64Hex('foobar'), '85944171f73967e8');
  // Hashed as UTF-8 bytes, padded to 16 characters.
  assert.match(fnv1a64Hex('é→😀'), /^[0-9a-f]{16}$/);
  assert.notEqual(fnv1a64Hex('é'), fnv1a64Hex('e'));
});

function folderFor(dsnText: string, cacheDir = '/var/cache/app'): string {
  const parsed = parseDsn(dsnText);
  assert.ok('dsn' in parsed);
  const { dsn } = parsed;
  return outboxDirectory({ url: envelopeUrl(dsn), dsn, options: { cacheDir } as never });
}

test('one folder per DSN: the same DSN always, another key or endpoint elsewhere', () => {
  const a = folderFor('https://abc@o1.example.com/1');
  assert.equal(path.dirname(a), '/var/cache/app');
  assert.match(path.basename(a), /^[0-9a-f]{16}$/);
  assert.equal(folderFor('https://abc@o1.example.com/1'), a);
  const others = [
    folderFor('https://abd@o1.example.com/1'),
    folderFor('https://abc@o1.example.com/2'),
    folderFor('https://abc@o2.example.com/1'),
    folderFor('http://abc@o1.example.com/1'),
  ];
  assert.equal(new Set([a, ...others]).size, 5);
});
