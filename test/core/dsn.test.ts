import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authHeader, dsnToString, envelopeUrl, parseDsn, type Dsn } from '../../src/core/dsn.js';

const KEY = 'e12d836b15bb49d7bbf99e64295d995b';

function ok(input: string): Dsn {
  const result = parseDsn(input);
  assert.ok('dsn' in result, `expected ${input} to parse, got ${JSON.stringify(result)}`);
  return result.dsn;
}

function fails(input: unknown, pattern: RegExp): void {
  const result = parseDsn(input);
  assert.ok('error' in result, `expected ${String(input)} to be rejected`);
  assert.match(result.error, pattern);
}

test('SaaS DSN: endpoint, key, project and org id (PROTOCOL.md §1 table)', () => {
  const dsn = ok(`https://${KEY}@o1.ingest.sentry.io/42`);
  assert.deepEqual(dsn, { protocol: 'https', publicKey: KEY, host: 'o1.ingest.sentry.io', pathPrefix: '', projectId: '42', orgId: '1' });
  assert.equal(envelopeUrl(dsn), 'https://o1.ingest.sentry.io/api/42/envelope/');
});

test('secret key, explicit port and path prefix are kept', () => {
  const dsn = ok(`http://${KEY}:secret@localhost:9000/sentry/7`);
  assert.equal(dsn.secretKey, 'secret');
  assert.equal(dsn.port, '9000');
  assert.equal(dsn.pathPrefix, '/sentry');
  assert.equal(envelopeUrl(dsn), 'http://localhost:9000/sentry/api/7/envelope/');
});

test('Python reference: deep prefix on an IP host', () => {
  const dsn = ok('http://pub:sec@127.0.0.1:9000/sub/path/7');
  assert.equal(envelopeUrl(dsn), 'http://127.0.0.1:9000/sub/path/api/7/envelope/');
  assert.equal(authHeader(dsn, 'faultline.node/1.2.3'), 'Sentry sentry_key=pub, sentry_version=7, sentry_client=faultline.node/1.2.3, sentry_secret=sec');
});

test('auth header without a secret has no sentry_secret', () => {
  const dsn = ok(`https://${KEY}@o1.ingest.sentry.io/42`);
  assert.equal(authHeader(dsn, 'faultline.node/0.1.0'), `Sentry sentry_key=${KEY}, sentry_version=7, sentry_client=faultline.node/0.1.0`);
});

test('project id is normalised and a trailing slash after it is tolerated', () => {
  assert.equal(ok(`https://${KEY}@h.example/007`).projectId, '7');
  assert.equal(ok(`https://${KEY}@h.example/0`).projectId, '0');
  const dsn = ok(`https://${KEY}@h.example/prefix/42/`);
  assert.equal(dsn.projectId, '42');
  assert.equal(dsn.pathPrefix, '/prefix');
  assert.equal(envelopeUrl(dsn), 'https://h.example/prefix/api/42/envelope/');
});

test('an empty password (key:@host) means no secret', () => {
  assert.equal(ok(`https://${KEY}:@sentry.io/42`).secretKey, undefined);
});

test('default port is dropped, IPv6 host keeps its brackets', () => {
  assert.equal(ok(`https://${KEY}@h.example:443/1`).port, undefined);
  assert.equal(envelopeUrl(ok(`http://${KEY}@[::1]:8080/1`)), 'http://[::1]:8080/api/1/envelope/');
});

test('org id only from an o<digits>. first label', () => {
  assert.equal(ok(`https://${KEY}@o123.ingest.us.sentry.io/1`).orgId, '123');
  assert.equal(ok(`https://${KEY}@org123.sentry.io/1`).orgId, undefined);
  assert.equal(ok(`https://${KEY}@sentry.example.com/1`).orgId, undefined);
});

test('invalid DSNs are errors, never exceptions', () => {
  fails(`https://${KEY}@host/`, /project id/);
  fails(`https://${KEY}@host`, /project id/);
  fails('ftp://k@host/1', /scheme/);
  fails('https://host/1', /public key/);
  fails(`https://${KEY}@host/abc`, /not a number/);
  fails(`https://${KEY}@host/1.5`, /not a number/);
  fails('not a url', /valid URL/);
  fails('', /non-empty/);
  fails(undefined, /non-empty/);
  fails(42, /non-empty/);
});

test('dsnToString round-trips through parseDsn', () => {
  for (const input of [
    `https://${KEY}@o1.ingest.sentry.io/42`,
    `http://${KEY}:secret@localhost:9000/sentry/7`,
    'http://pub:sec@127.0.0.1:9000/sub/path/7',
  ]) {
    assert.equal(dsnToString(ok(input)), input);
    assert.deepEqual(ok(dsnToString(ok(input))), ok(input));
  }
  assert.equal(dsnToString(ok(`https://${KEY}@h.example/007/`)), `https://${KEY}@h.example/7`);
});
