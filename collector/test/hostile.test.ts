import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, brotliCompressSync, constants as zlibConstants } from 'node:zlib';
import fc from 'fast-check';
import { envelope, envelopeUrl, eventEnvelope, getJson, newEventId, post, startTestCollector } from './helpers.js';

let collector: Awaited<ReturnType<typeof startTestCollector>>;
const keeperId = newEventId();

before(async () => {
  collector = await startTestCollector();
  const reply = await post(envelopeUrl(collector), eventEnvelope({ event_id: keeperId, exception: { values: [{ type: 'KeepMe', value: 'stored before the attack' }] } }));
  assert.equal(reply.status, 200);
});

after(async () => {
  // The collector is still up, the first event is intact, and a new event is still accepted.
  const keeper = await getJson(collector, `/api/events/${keeperId}`);
  assert.equal(keeper.status, 200);
  assert.equal(keeper.body.event.exception.values[0].value, 'stored before the attack');
  const fresh = await post(envelopeUrl(collector), eventEnvelope({ message: 'still alive' }));
  assert.equal(fresh.status, 200);
  await collector.close();
});

const is4xx = (status: number) => status >= 400 && status < 500;

test('random bytes get a clear 4xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2000 }), async (bytes) => {
      const reply = await post(envelopeUrl(collector), Buffer.from(bytes));
      // A random prefix can be a valid `{}` envelope; anything else must be refused with a reason.
      if (reply.status !== 200) {
        assert.ok(is4xx(reply.status), `status ${reply.status}: ${reply.body}`);
        assert.equal(typeof reply.json().detail, 'string');
      }
    }),
    { numRuns: 150, seed: 4242 },
  );
});

test('every truncation and single-byte corruption of a valid envelope is a 200 or a 400, never more', async () => {
  const valid = envelope({ event_id: newEventId() }, [
    { header: { type: 'event' }, payload: JSON.stringify({ message: 'truncate me', tags: { a: 'b' } }) },
    { header: { type: 'attachment', filename: 'a.bin' }, payload: Buffer.from('0123456789') },
  ]);
  for (let cut = 0; cut < valid.length; cut += 3) {
    const reply = await post(envelopeUrl(collector), valid.subarray(0, cut));
    assert.ok(reply.status === 200 || reply.status === 400, `cut at ${cut}: ${reply.status} ${reply.body}`);
  }
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), async (at, byte) => {
      const copy = Buffer.from(valid);
      copy[at] = byte;
      const reply = await post(envelopeUrl(collector), copy);
      assert.ok(reply.status === 200 || reply.status === 400, `byte ${at}=${byte}: ${reply.status} ${reply.body}`);
    }),
    { numRuns: 150, seed: 7 },
  );
});

test('wrong lengths name the problem', async () => {
  const payload = JSON.stringify({ message: 'length games' });
  const long = await post(envelopeUrl(collector), `{}\n{"type":"event","length":${payload.length + 10}}\n${payload}\n`);
  assert.equal(long.status, 400);
  assert.match(long.json().detail, /unexpected end of file/);
  const short = await post(envelopeUrl(collector), `{}\n{"type":"event","length":${payload.length - 3}}\n${payload}\n`);
  assert.equal(short.status, 400);
  assert.match(short.json().detail, /missing newline/);
  const negative = await post(envelopeUrl(collector), `{}\n{"type":"event","length":-1}\n${payload}\n`);
  assert.equal(negative.status, 400);
  const huge = await post(envelopeUrl(collector), `{}\n{"type":"event","length":99999999999}\n${payload}\n`);
  assert.equal(huge.status, 400);
});

test('a 50 MB body gets 413, with or without Content-Length', async () => {
  const body = Buffer.alloc(50 * 1024 * 1024, 0x61);
  const declared = await post(envelopeUrl(collector), body);
  assert.equal(declared.status, 413);
  assert.match(declared.json().detail, /exceeds the limit/);
  const chunked = await post(envelopeUrl(collector), body, { 'Transfer-Encoding': 'chunked' });
  assert.equal(chunked.status, 413);
});

test('gzip and brotli bombs are stopped while inflating: 413', async () => {
  const zeros = Buffer.alloc(200 * 1024 * 1024);
  const gzipBomb = gzipSync(zeros, { level: 9 });
  assert.ok(gzipBomb.length < 1024 * 1024, 'the bomb itself is small');
  const started = Date.now();
  const gz = await post(envelopeUrl(collector), gzipBomb, { 'Content-Encoding': 'gzip' });
  assert.equal(gz.status, 413);
  assert.match(gz.json().detail, /after decompression/);
  const br = await post(envelopeUrl(collector), brotliCompressSync(zeros.subarray(0, 64 * 1024 * 1024), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } }), { 'Content-Encoding': 'br' });
  assert.equal(br.status, 413);
  assert.ok(Date.now() - started < 5000);
  const rss = process.memoryUsage().rss;
  assert.ok(rss < 1.5 * 1024 * 1024 * 1024, `memory stayed bounded (${rss})`);
});

test('deeply nested JSON is refused with 400; ordinary nesting is fine', async () => {
  const deep = `{"message":"deep","extra":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
  const reply = await post(envelopeUrl(collector), `{}\n{"type":"event"}\n${deep}\n`);
  assert.equal(reply.status, 400);
  assert.match(reply.json().detail, /nested deeper/);
  const header = await post(envelopeUrl(collector), `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}\n`);
  assert.equal(header.status, 400);
  const fine = `{"message":"nested ok","extra":{"x":${'['.repeat(40)}1${']'.repeat(40)}}}`;
  assert.equal((await post(envelopeUrl(collector), `{}\n{"type":"event"}\n${fine}\n`)).status, 200);
});

test('unknown keys are accepted as Sentry would, odd values are survived', async () => {
  const id = newEventId();
  const body = envelope({ event_id: id, unknown_header: { nested: true } }, [
    { header: { type: 'event', surprise: 1 }, payload: JSON.stringify({ not_a_sentry_field: 'x', level: 42, timestamp: 'yesterday', exception: 'oops', user: 7, tags: [['k', 'v']], breadcrumbs: 'none', fingerprint: 'nope', logentry: { formatted: 'odd shapes \u0000 \ud83d\ude00' } }) },
  ]);
  const reply = await post(envelopeUrl(collector), body);
  assert.equal(reply.status, 200, reply.body);
  const stored = await getJson(collector, `/api/events/${id}`);
  assert.equal(stored.body.event.not_a_sentry_field, 'x');
  assert.equal(stored.body.title, 'odd shapes \u0000 \ud83d\ude00');
  // Invalid UTF-8 inside a payload becomes replacement characters, not a crash.
  const invalidUtf8 = Buffer.concat([Buffer.from('{"message":"bad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
  assert.equal((await post(envelopeUrl(collector), envelope({}, [{ header: { type: 'event' }, payload: invalidUtf8 }]))).status, 200);
  const notObject = await post(envelopeUrl(collector), envelope({}, [{ header: { type: 'event' }, payload: '[1,2,3]' }]));
  assert.equal(notObject.status, 400);
  const badJson = await post(envelopeUrl(collector), envelope({}, [{ header: { type: 'event' }, payload: '{"message": ' }]));
  assert.equal(badJson.status, 400);
  assert.match(badJson.json().detail, /not valid JSON/);
});

test('garbage auth, methods and paths get 4xx', async () => {
  const body = eventEnvelope({ message: 'x' });
  assert.equal((await post(`${collector.url}api/1/envelope/`, body, { 'X-Sentry-Auth': 'Sentry ,,,===,' })).status, 401);
  assert.equal((await post(`${collector.url}api/1/envelope/`, body, { 'X-Sentry-Auth': `Sentry sentry_key=${'x'.repeat(10000)}` })).status, 401);
  assert.equal((await post(`${collector.url}api/1/envelope/`, body, { Authorization: 'Basic !!!' })).status, 401);
  assert.equal((await post(`${collector.url}api/1/envelope/?sentry_key=${collector.key}&sentry_version=abc`, body)).status, 400);
  assert.equal((await fetch(`${collector.url}api/1/envelope/`)).status, 405);
  assert.equal((await post(`${collector.url}api/x/envelope/`, body)).status, 405);
  assert.equal((await fetch(`${collector.url}assets/../../etc/passwd`)).status, 404);
  assert.equal((await fetch(`${collector.url}api/events/not-an-id`)).status, 404);
});
