import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, FILTERED, createKeyMatcher } from '../../src/core/scrub.js';

test('the default lists are the ones of SPEC-python.md §7', () => {
  assert.deepEqual(
    [...DEFAULT_DENYLIST],
    [
      'password', 'passwd', 'secret', 'api_key', 'apikey', 'auth', 'credentials', 'mysql_pwd', 'privatekey',
      'private_key', 'token', 'session', 'csrftoken', 'sessionid', 'x_csrftoken', 'x_forwarded_for', 'set_cookie',
      'cookie', 'authorization', 'proxy-authorization', 'x_api_key', 'aiohttp_session', 'connect.sid', 'csrf_token',
      'csrf', '_csrf', '_csrf_token', 'PHPSESSID', '_session', 'symfony', 'user_session', '_xsrf', 'XSRF-TOKEN',
    ],
  );
  assert.deepEqual([...DEFAULT_PII_DENYLIST], ['x_forwarded_for', 'x_real_ip', 'ip_address', 'remote_addr']);
  assert.equal(FILTERED, '[Filtered]');
  assert.ok(Object.isFrozen(DEFAULT_DENYLIST));
});

test('matching is exact, case-insensitive, and treats - and _ alike (SPEC.md decision 10)', () => {
  const isDenied = createKeyMatcher({ sendDefaultPii: true });
  for (const key of ['password', 'Password', 'PASSWORD', 'X-Api-Key', 'x_api_key', 'X_API-KEY', 'Proxy_Authorization',
    'proxy-authorization', 'phpsessid', 'xsrf_token', 'Set-Cookie', 'Connect.SID', 'authorization', 'Cookie']) {
    assert.equal(isDenied(key), true, key);
  }
  // not substrings, not near misses, and a dot is not a dash
  for (const key of ['password_hint', 'mypassword', 'passwords', 'tokens', 'connect-sid', 'x-api', 'id', '', 'Accept']) {
    assert.equal(isDenied(key), false, key);
  }
});

test('the PII list applies only when sendDefaultPii is false', () => {
  const strict = createKeyMatcher({ sendDefaultPii: false });
  const open = createKeyMatcher({ sendDefaultPii: true });
  for (const key of ['ip_address', 'X-Real-IP', 'remote_addr', 'REMOTE-ADDR']) {
    assert.equal(strict(key), true, key);
    assert.equal(open(key), false, key);
  }
  // x_forwarded_for is on both lists
  assert.equal(open('X-Forwarded-For'), true);
});

test('denyList replaces the defaults; extraDenyList adds to them', () => {
  const replaced = createKeyMatcher({ denyList: ['Card-Number'], sendDefaultPii: true });
  assert.equal(replaced('card_number'), true);
  assert.equal(replaced('password'), false);

  const extended = createKeyMatcher({ extraDenyList: ['ssn', 'Card_Number'], sendDefaultPii: true });
  assert.equal(extended('SSN'), true);
  assert.equal(extended('card-number'), true);
  assert.equal(extended('password'), true);

  const nothing = createKeyMatcher({ denyList: [], sendDefaultPii: true });
  assert.equal(nothing('password'), false);
});

test('bad input never throws: odd lists, non-string keys', () => {
  const isDenied = createKeyMatcher({ denyList: ['ok', 5 as unknown as string, null as unknown as string], sendDefaultPii: true });
  assert.equal(isDenied('OK'), true);
  assert.equal(isDenied(5 as unknown as string), false);
  assert.equal(isDenied(undefined as unknown as string), false);
  const fromNothing = createKeyMatcher(undefined as unknown as { sendDefaultPii: boolean });
  assert.equal(fromNothing('password'), true);
  assert.equal(fromNothing('ip_address'), true);
});

test('answers stay right when many distinct keys churn the cache', () => {
  const isDenied = createKeyMatcher({ sendDefaultPii: false });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 5000; i++) assert.equal(isDenied(`key_${i}`), false);
    assert.equal(isDenied('Password'), true);
    assert.equal(isDenied('x-forwarded-for'), true);
  }
});

// Its speed belongs to the benchmark; this checks that the per-key cache never changes an answer.
test('the matcher answers a million cached lookups right', () => {
  const isDenied = createKeyMatcher({ sendDefaultPii: false });
  const keys = ['url', 'method', 'status_code', 'Password', 'user-agent', 'X-Api-Key', 'a_rather_long_key_name_here'];
  let hits = 0;
  for (let i = 0; i < 1_000_000; i++) if (isDenied(keys[i % keys.length]!)) hits++;
  // 142,857 full rounds over the 7 keys (plus one `url`), two denied keys per round
  assert.equal(hits, 2 * 142_857);
});
