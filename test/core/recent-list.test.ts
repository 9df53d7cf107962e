import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentList } from '../../src/core/recent-list.js';

const is = (entry: string, wanted: string) => entry === wanted;

test('a hit moves to the front; an entry added past the limit pushes out the least recently used', () => {
  const list = new RecentList<string>(3);
  list.add('a');
  list.add('b');
  list.add('c'); // c b a
  assert.equal(list.find(is, 'a'), 'a'); // a c b
  list.add('d'); // d a c — b was the least recently used
  assert.equal(list.find(is, 'b'), undefined);
  assert.equal(list.find(is, 'c'), 'c'); // c d a
  list.add('e'); // e c d — a goes
  assert.equal(list.find(is, 'a'), undefined);
  assert.deepEqual(['c', 'd', 'e'].map((x) => list.find(is, x)), ['c', 'd', 'e']);
  list.clear();
  assert.equal(list.find(is, 'e'), undefined);
});

test('the predicate gets each entry with the argument, newest first, and the first match wins', () => {
  const list = new RecentList<{ id: number; tag: string }>(4);
  for (let id = 1; id <= 4; id++) list.add({ id, tag: id % 2 ? 'odd' : 'even' });
  const asked: number[] = [];
  const found = list.find((entry, tag) => (asked.push(entry.id), entry.tag === tag), 'odd');
  assert.deepEqual(asked, [4, 3]);
  assert.equal(found?.id, 3);
});
