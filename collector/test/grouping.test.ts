import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupingComponents, groupingHash } from '../src/grouping/fingerprint.js';
import { summarize } from '../src/grouping/summary.js';

const frame = (fn: string, lineno: number, inApp = true, module = 'app.orders') => ({ function: fn, module, filename: `${module}.js`, lineno, colno: 5, in_app: inApp });

function errorEvent(type: string, value: string, frames: object[], extra: Record<string, unknown> = {}) {
  return { exception: { values: [{ type, value, stacktrace: { frames } }] }, ...extra };
}

test('the same error thrown from two lines of one function is one issue', () => {
  const a = errorEvent('TypeError', 'a is undefined', [frame('main', 1), frame('checkout', 10)]);
  const b = errorEvent('TypeError', 'b is undefined', [frame('main', 1), frame('checkout', 27)]);
  assert.equal(groupingHash(a), groupingHash(b));
});

test('two error types are two issues', () => {
  const a = errorEvent('TypeError', 'boom', [frame('checkout', 10)]);
  const b = errorEvent('RangeError', 'boom', [frame('checkout', 10)]);
  assert.notEqual(groupingHash(a), groupingHash(b));
});

test('a different in-app function is a different issue, library frames do not matter', () => {
  const base = errorEvent('TypeError', 'x', [frame('lib', 1, false, 'node_modules.lib'), frame('checkout', 10)]);
  const otherLib = errorEvent('TypeError', 'x', [frame('other', 99, false, 'node_modules.other'), frame('checkout', 10)]);
  const otherFn = errorEvent('TypeError', 'x', [frame('refund', 10)]);
  assert.equal(groupingHash(base), groupingHash(otherLib));
  assert.notEqual(groupingHash(base), groupingHash(otherFn));
});

test('without in-app frames all frames count; without frames the value does', () => {
  const sys1 = errorEvent('Error', 'x', [frame('a', 1, false), frame('b', 2, false)]);
  const sys2 = errorEvent('Error', 'x', [frame('a', 1, false), frame('c', 2, false)]);
  assert.notEqual(groupingHash(sys1), groupingHash(sys2));
  const bare1 = { exception: { values: [{ type: 'Error', value: 'disk full' }] } };
  const bare2 = { exception: { values: [{ type: 'Error', value: 'socket closed' }] } };
  assert.notEqual(groupingHash(bare1), groupingHash(bare2));
});

test('the cause chain is part of the grouping', () => {
  const withCause = { exception: { values: [{ type: 'DbError', value: 'x', stacktrace: { frames: [frame('query', 3)] } }, { type: 'Error', value: 'y', stacktrace: { frames: [frame('checkout', 10)] } }] } };
  const alone = errorEvent('Error', 'y', [frame('checkout', 10)]);
  assert.notEqual(groupingHash(withCause), groupingHash(alone));
});

test('messages group by template with variable parts masked', () => {
  const a = { logentry: { formatted: 'user 42 failed to pay order 9f8e7d6c-1111-2222-3333-444455556666' } };
  const b = { logentry: { formatted: 'user 7 failed to pay order 0a0b0c0d-1111-2222-3333-444455556666' } };
  const c = { logentry: { formatted: 'cart emptied' } };
  assert.equal(groupingHash(a), groupingHash(b));
  assert.notEqual(groupingHash(a), groupingHash(c));
  assert.equal(groupingHash({ logentry: { message: 'hello %s', params: ['x'], formatted: 'hello x' } }), groupingHash({ logentry: { message: 'hello %s', params: ['y'], formatted: 'hello y' } }));
});

test('a fingerprint overrides the default grouping', () => {
  const a = errorEvent('TypeError', 'a', [frame('checkout', 10)], { fingerprint: ['payment-provider-down'] });
  const b = errorEvent('RangeError', 'b', [frame('refund', 3)], { fingerprint: ['payment-provider-down'] });
  const c = errorEvent('TypeError', 'a', [frame('checkout', 10)], { fingerprint: ['something-else'] });
  assert.equal(groupingHash(a), groupingHash(b));
  assert.notEqual(groupingHash(a), groupingHash(c));
  assert.deepEqual(groupingComponents({ fingerprint: ['x', 'y'] }), ['fp:x', 'fp:y']);
});

test('{{ default }} extends the default grouping', () => {
  const plain = errorEvent('TypeError', 'a', [frame('checkout', 10)]);
  const eu = errorEvent('TypeError', 'a', [frame('checkout', 12)], { fingerprint: ['{{ default }}', 'eu'] });
  const us = errorEvent('TypeError', 'a', [frame('checkout', 10)], { fingerprint: ['{{default}}', 'us'] });
  const eu2 = errorEvent('TypeError', 'other', [frame('checkout', 99)], { fingerprint: ['{{ default }}', 'eu'] });
  assert.notEqual(groupingHash(plain), groupingHash(eu));
  assert.notEqual(groupingHash(eu), groupingHash(us));
  assert.equal(groupingHash(eu), groupingHash(eu2));
  assert.deepEqual(groupingComponents(eu), [...groupingComponents(plain), 'fp:eu']);
  assert.equal(groupingHash({ ...plain, fingerprint: ['{{ default }}'] }), groupingHash(plain));
});

test('hostile shapes never throw', () => {
  for (const event of [{}, { exception: 5 }, { exception: { values: [null, 1, 'x', { type: 7 }] } }, { fingerprint: [null, {}, 3] }, { logentry: 'x' }, { threads: { values: [{ stacktrace: { frames: [null] } }] } }]) {
    assert.match(groupingHash(event as Record<string, unknown>), /^[0-9a-f]{32}$/);
    assert.equal(typeof summarize(event as Record<string, unknown>, 1000).title, 'string');
  }
});

test('summary: title, culprit from the crashing in-app frame, level aliases, user key, timestamps', () => {
  const now = 1_700_000_000;
  const s = summarize(
    { ...errorEvent('TypeError', 'x is undefined', [frame('main', 1), frame('checkout', 10), frame('lib', 3, false, 'node_modules.lib')]), level: 'warn', user: { email: 'a@b.c' }, timestamp: now - 10 },
    now,
  );
  assert.equal(s.title, 'TypeError: x is undefined');
  assert.equal(s.culprit, 'checkout (app.orders)');
  assert.equal(s.level, 'warning');
  assert.equal(s.userKey, 'email:a@b.c');
  assert.equal(s.timestamp, now - 10);
  assert.equal(summarize({ timestamp: now + 3600 }, now).timestamp, now, 'future timestamps become the receive time');
  assert.equal(summarize({ timestamp: '2023-11-14T22:13:10Z' }, now).timestamp, now - 10);
  assert.equal(summarize({ logentry: { formatted: 'hello' }, level: 'critical' }, now).level, 'fatal');
  assert.equal(summarize({ message: 'legacy' }, now).title, 'legacy');
});
