import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimits } from '../../src/core/rate-limits.js';
import type { DataCategory } from '../../src/core/types.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const S = 1000;

function limits(statusCode: number, headers: { retryAfter?: string | null; rateLimits?: string | null }): RateLimits {
  const r = new RateLimits();
  r.update(statusCode, headers, NOW);
  return r;
}

/** Seconds each category stays limited after NOW (0 = not limited). */
function secondsLeft(r: RateLimits, categories: DataCategory[]): Record<string, number> {
  return Object.fromEntries(categories.map((c) => [c, Math.max(0, r.limitedUntil(c) - NOW) / S]));
}

test('60:transaction:key, 2700:default;error;security:organization', () => {
  const r = limits(429, { rateLimits: '60:transaction:key, 2700:default;error;security:organization' });
  assert.deepEqual(secondsLeft(r, ['transaction', 'default', 'error', 'security', 'attachment', 'session']), {
    transaction: 60, default: 2700, error: 2700, security: 2700, attachment: 0, session: 0,
  });
  assert.equal(r.isLimited('transaction', NOW + 59_999), true);
  assert.equal(r.isLimited('transaction', NOW + 60_000), false);
  assert.equal(r.isLimited('error', NOW + 60_000), true);
});

test('60::organization limits every category for 60 s', () => {
  const r = limits(429, { rateLimits: '60::organization' });
  for (const c of ['error', 'transaction', 'attachment', 'internal'] as DataCategory[]) {
    assert.equal(r.isLimited(c, NOW + 59_000), true, c);
    assert.equal(r.isLimited(c, NOW + 60_000), false, c);
  }
});

test('60::organization, 2700::organization keeps the longest', () => {
  const r = limits(200, { rateLimits: '60::organization, 2700::organization' });
  assert.equal(r.limitedUntil('error'), NOW + 2700 * S);
  const reversed = limits(200, { rateLimits: '2700::organization, 60::organization' });
  assert.equal(reversed.limitedUntil('error'), NOW + 2700 * S, 'a shorter later limit does not shorten it');
});

test('a log_byte limit limits log_item too (a log item counts in both), not the other way round', () => {
  const r = limits(200, { rateLimits: '60:log_byte:organization' });
  assert.deepEqual(secondsLeft(r, ['log_byte', 'log_item', 'error']), { log_byte: 60, log_item: 60, error: 0 });
  assert.equal(r.isLimited('log_item', NOW + 59_999), true);
  assert.equal(r.isLimited('log_item', NOW + 60_000), false);
  const items = limits(200, { rateLimits: '60:log_item:organization' });
  assert.deepEqual(secondsLeft(items, ['log_byte', 'log_item']), { log_byte: 0, log_item: 60 });
});

test('a limit naming only unknown categories is ignored (metric_bucket namespace example)', () => {
  const r = limits(429, { rateLimits: '2700:metric_bucket:organization:quota_exceeded:custom' });
  assert.deepEqual(secondsLeft(r, ['error', 'default', 'transaction']), { error: 0, default: 0, transaction: 0 });
});

test('42::organization, invalid, 4711:foobar;transaction;security:project', () => {
  const r = limits(429, { rateLimits: '42::organization, invalid, 4711:foobar;transaction;security:project' });
  assert.deepEqual(secondsLeft(r, ['error', 'transaction', 'security', 'session']), {
    error: 42, transaction: 4711, security: 4711, session: 42,
  });
});

test('empty, "invalid" and ",,," headers set nothing on a 200', () => {
  for (const value of ['', 'invalid', ',,,', 'abc:error:org', '-5:error:org']) {
    const r = limits(200, { rateLimits: value });
    assert.equal(r.isLimited('error', NOW), false, JSON.stringify(value));
    assert.equal(r.limitedUntil('error'), 0, JSON.stringify(value));
  }
});

test('fractional seconds, extra whitespace and ignored scope/reason/extra fields', () => {
  const r = limits(200, { rateLimits: '  2.5 : error ; attachment : key : reason : ns : more  ,1.25:session:org' });
  assert.equal(r.limitedUntil('error'), NOW + 2500);
  assert.equal(r.limitedUntil('attachment'), NOW + 2500);
  assert.equal(r.limitedUntil('session'), NOW + 1250);
});

test('X-Sentry-Rate-Limits on a 200 limits that category', () => {
  const r = limits(200, { rateLimits: '30:error:key' });
  assert.equal(r.isLimited('error', NOW + 1), true);
  assert.equal(r.isLimited('transaction', NOW + 1), false);
});

test('the rate limits header wins over Retry-After, even on a 429', () => {
  const r = limits(429, { retryAfter: '1000', rateLimits: '10:error:key' });
  assert.equal(r.limitedUntil('error'), NOW + 10 * S);
  assert.equal(r.isLimited('transaction', NOW), false);
});

test('429 with only Retry-After limits everything for that long', () => {
  assert.equal(limits(429, { retryAfter: '4' }).limitedUntil('transaction'), NOW + 4 * S);
  assert.equal(limits(429, { retryAfter: '1.5' }).limitedUntil('error'), NOW + 1500);
});

test('429 with Retry-After as an HTTP date', () => {
  const date = new Date(NOW + 120 * S).toUTCString();
  assert.equal(limits(429, { retryAfter: date }).limitedUntil('error'), NOW + 120 * S);
});

test('429 falls back to 60 s: no header, 0, a past date, garbage', () => {
  for (const retryAfter of [undefined, null, '', '0', new Date(NOW - 5 * S).toUTCString(), 'soon', '-3']) {
    assert.equal(limits(429, { retryAfter }).limitedUntil('error'), NOW + 60 * S, String(retryAfter));
  }
});

test('non-429 statuses without the header change nothing, Retry-After included', () => {
  for (const status of [200, 413, 500, 503]) {
    const r = limits(status, { retryAfter: '100' });
    assert.equal(r.limitedUntil('error'), 0, String(status));
  }
});

test('limits accumulate across responses and a later shorter one does not shorten', () => {
  const r = new RateLimits();
  r.update(429, { retryAfter: '100' }, NOW);
  r.update(200, { rateLimits: '5::org' }, NOW + 10 * S);
  assert.equal(r.limitedUntil('error'), NOW + 100 * S);
  r.update(200, { rateLimits: '500:error:org' }, NOW + 10 * S);
  assert.equal(r.limitedUntil('error'), NOW + 510 * S);
  assert.equal(r.limitedUntil('transaction'), NOW + 100 * S);
});
