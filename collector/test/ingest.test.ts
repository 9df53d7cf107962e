import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { envelope, envelopeUrl, eventEnvelope, getJson, newEventId, post, startTestCollector } from './helpers.js';

let collector: Awaited<ReturnType<typeof startTestCollector>>;
before(async () => {
  collector = await startTestCollector();
});
after(() => collector.close());

test('an event with X-Sentry-Auth is stored and the reply carries its id', async () => {
  const id = newEventId();
  const reply = await post(`${collector.url}api/1/envelope/`, eventEnvelope({ event_id: id, logentry: { formatted: 'hello header' } }), {
    'X-Sentry-Auth': `Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=${collector.key}`,
  });
  assert.equal(reply.status, 200, reply.body);
  assert.deepEqual(reply.json(), { id });
  assert.equal(reply.headers['access-control-allow-origin'], '*');
  const stored = await getJson(collector, `/api/events/${id}`);
  assert.equal(stored.status, 200);
  assert.equal(stored.body.event.logentry.formatted, 'hello header');
  assert.equal(stored.body.title, 'hello header');
});

test('auth by sentry_key query parameter and by envelope dsn header', async () => {
  const byQuery = await post(envelopeUrl(collector), eventEnvelope({ message: 'by query' }));
  assert.equal(byQuery.status, 200, byQuery.body);
  const id = newEventId();
  const body = envelope({ event_id: id, dsn: collector.dsn }, [{ header: { type: 'event' }, payload: JSON.stringify({ message: 'by dsn' }) }]);
  const byDsn = await post(`${collector.url}api/1/envelope/`, body);
  assert.equal(byDsn.status, 200, byDsn.body);
  assert.equal((await getJson(collector, `/api/events/${id}`)).body.event.event_id, id, 'the header event_id is written into the event');
});

test('401 for missing, unknown, duplicated or foreign keys; 400 for a dsn that contradicts the request', async () => {
  const body = eventEnvelope({ message: 'nope' });
  const missing = await post(`${collector.url}api/1/envelope/`, body);
  assert.equal(missing.status, 401);
  assert.match(missing.json().detail, /missing authorization/);
  assert.equal((await post(`${collector.url}api/1/envelope/?sentry_key=${'0'.repeat(32)}`, body)).status, 401);
  assert.equal((await post(`${collector.url}api/2/envelope/?sentry_key=${collector.key}`, body)).status, 401);
  const twice = await post(envelopeUrl(collector), body, { 'X-Sentry-Auth': `Sentry sentry_key=${collector.key}` });
  assert.equal(twice.status, 401);
  assert.match(twice.json().detail, /multiple authorization/);
  const other = envelope({ dsn: `http://${'f'.repeat(32)}@127.0.0.1/1` }, [{ header: { type: 'event' }, payload: '{}' }]);
  assert.equal((await post(envelopeUrl(collector), other)).status, 400);
  assert.equal((await post(`${collector.url}api/1/envelope/?sentry_key=${collector.key}&sentry_version=8`, body)).status, 400);
});

test('gzip, deflate and br bodies are inflated; unknown encodings get 415', async () => {
  for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
    const id = newEventId();
    const reply = await post(envelopeUrl(collector), compress(eventEnvelope({ event_id: id, message: `compressed ${encoding}` })), { 'Content-Encoding': encoding });
    assert.equal(reply.status, 200, `${encoding}: ${reply.body}`);
    assert.equal((await getJson(collector, `/api/events/${id}`)).body.event.message, `compressed ${encoding}`);
  }
  assert.equal((await post(envelopeUrl(collector), eventEnvelope({}), { 'Content-Encoding': 'zstd' })).status, 415);
  assert.equal((await post(envelopeUrl(collector), Buffer.from('not gzip'), { 'Content-Encoding': 'gzip' })).status, 400);
});

test('legacy store endpoint takes a bare event, plain or base64+deflate', async () => {
  const id = newEventId();
  const reply = await post(`${collector.url}api/1/store/?sentry_key=${collector.key}`, JSON.stringify({ event_id: id, message: 'legacy store' }), { 'Content-Type': 'application/json' });
  assert.equal(reply.status, 200, reply.body);
  assert.deepEqual(reply.json(), { id });
  const id2 = newEventId();
  const encoded = deflateSync(JSON.stringify({ event_id: id2, message: 'old python' })).toString('base64');
  assert.equal((await post(`${collector.url}api/1/store/?sentry_key=${collector.key}`, encoded)).status, 200);
  assert.equal((await getJson(collector, `/api/events/${id2}`)).body.event.message, 'old python');
});

test('every item type is stored: transaction, session(s), client_report, check_in, log, attachment, unknown', async () => {
  const eventId = newEventId();
  const body = envelope({ event_id: eventId }, [
    { header: { type: 'event' }, payload: JSON.stringify({ message: 'with attachment' }) },
    { header: { type: 'attachment', filename: 'notes.txt', content_type: 'text/plain' }, payload: Buffer.from([0xef, 0xbb, 0xbf, 0x48, 0x69, 0x0d, 0x0a]) },
    { header: { type: 'session' }, payload: JSON.stringify({ sid: newEventId(), init: true, started: new Date().toISOString(), status: 'ok', attrs: { release: 'r1' } }) },
    { header: { type: 'sessions' }, payload: JSON.stringify({ aggregates: [{ started: new Date().toISOString(), exited: 3 }], attrs: { release: 'r1' } }) },
    { header: { type: 'client_report' }, payload: JSON.stringify({ discarded_events: [{ reason: 'queue_overflow', category: 'error', quantity: 2 }] }) },
    { header: { type: 'future_kind', whatever: true }, payload: Buffer.from([0, 1, 2, 3]) },
  ]);
  assert.equal((await post(envelopeUrl(collector), body)).status, 200);
  const txId = newEventId();
  const tx = envelope({ event_id: txId }, [{ header: { type: 'transaction' }, payload: JSON.stringify({ type: 'transaction', transaction: 'GET /', start_timestamp: 1, timestamp: 2, contexts: { trace: { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) } } }) }]);
  const txReply = await post(envelopeUrl(collector), tx);
  assert.deepEqual(txReply.json(), { id: txId });
  const checkIn = envelope({}, [{ header: { type: 'check_in' }, payload: JSON.stringify({ check_in_id: newEventId(), monitor_slug: 'nightly', status: 'ok' }) }]);
  assert.equal((await post(envelopeUrl(collector), checkIn)).status, 200);
  const log = envelope({}, [{ header: { type: 'log', item_count: 1, content_type: 'application/vnd.sentry.items.log+json' }, payload: JSON.stringify({ items: [{ timestamp: 1, level: 'info', body: 'hi', trace_id: 'a'.repeat(32) }] }) }]);
  assert.equal((await post(envelopeUrl(collector), log)).status, 200);

  const stats = (await getJson(collector, '/api/stats')).body;
  for (const type of ['attachment', 'session', 'sessions', 'client_report', 'future_kind', 'transaction', 'check_in', 'log']) {
    assert.ok(stats.items[type] >= 1, `${type} stored: ${JSON.stringify(stats.items)}`);
  }
  const event = (await getJson(collector, `/api/events/${eventId}`)).body;
  assert.equal(event.attachments.length, 1);
  assert.equal(event.attachments[0].filename, 'notes.txt');
  const download = await fetch(`${collector.url}api/attachments/${event.attachments[0].id}`);
  assert.equal(download.headers.get('content-disposition'), 'attachment; filename="notes.txt"');
  assert.deepEqual([...new Uint8Array(await download.arrayBuffer())], [0xef, 0xbb, 0xbf, 0x48, 0x69, 0x0d, 0x0a]);
  const sessions = (await getJson(collector, '/api/items?type=session')).body.items;
  assert.equal(sessions[0].type, 'session');
  assert.match(sessions[0].payload, /"status":"ok"/);
});

test('a duplicate event_id is stored once', async () => {
  const id = newEventId();
  const body = eventEnvelope({ event_id: id, message: 'only once please' });
  assert.equal((await post(envelopeUrl(collector), body)).status, 200);
  assert.equal((await post(envelopeUrl(collector), body)).status, 200);
  const issues = (await getJson(collector, '/api/issues?q=only%20once')).body.issues;
  assert.equal(issues.length, 1);
  assert.equal(issues[0].count, 1);
});

test('CORS preflight is answered so browsers can send', async () => {
  const response = await fetch(`${collector.url}api/1/envelope/`, { method: 'OPTIONS', headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  assert.match(response.headers.get('access-control-allow-headers') ?? '', /X-Sentry-Auth/i);
});

test('JSON API: list filters, sort, search, issue detail and its events', async () => {
  const send = (event: Record<string, unknown>) => post(envelopeUrl(collector), eventEnvelope(event));
  const frames = [{ function: 'pay', module: 'shop.billing', in_app: true, lineno: 3 }];
  await send({ exception: { values: [{ type: 'PaymentError', value: 'card declined', stacktrace: { frames } }] }, environment: 'production', release: 'shop@2.0.0', level: 'error', user: { id: 'u1' }, tags: { region: 'eu-west' } });
  await send({ exception: { values: [{ type: 'PaymentError', value: 'card expired', stacktrace: { frames: [{ ...frames[0], lineno: 9 }] } }] }, environment: 'production', release: 'shop@2.0.0', user: { id: 'u2' } });
  await send({ logentry: { formatted: 'inventory low' }, level: 'warning', environment: 'staging', release: 'shop@1.9.0' });

  const byEnv = (await getJson(collector, '/api/issues?environment=production')).body;
  assert.equal(byEnv.issues.length, 1);
  const issue = byEnv.issues[0];
  assert.equal(issue.title, 'PaymentError: card expired');
  assert.equal(issue.culprit, 'pay (shop.billing)');
  assert.equal(issue.count, 2);
  assert.equal(issue.userCount, 2);
  assert.equal((await getJson(collector, '/api/issues?level=warning')).body.issues[0].title, 'inventory low');
  assert.equal((await getJson(collector, '/api/issues?release=shop%401.9.0')).body.issues.length, 1);
  assert.equal((await getJson(collector, '/api/issues?q=eu-west')).body.issues[0].id, issue.id, 'text search reaches tags');
  const byCount = (await getJson(collector, '/api/issues?sort=count')).body.issues;
  assert.ok(byCount[0].count >= byCount.at(-1).count);

  const detail = (await getJson(collector, `/api/issues/${issue.id}`)).body;
  assert.deepEqual(detail.releases.map((r: { value: string }) => r.value), ['shop@2.0.0']);
  assert.equal(detail.series.minutes.reduce((a: number, b: number) => a + b, 0), 2);
  const events = (await getJson(collector, `/api/issues/${issue.id}/events`)).body.events;
  assert.equal(events.length, 2);
  const latest = (await getJson(collector, `/api/issues/${issue.id}/events/latest`)).body;
  assert.equal(latest.eventId, events[0].eventId);
  assert.equal(latest.previousEventId, events[1].eventId);
  const search = (await getJson(collector, '/api/search?q=declined')).body;
  assert.equal(search.events.length, 1);
  assert.equal((await getJson(collector, '/api/facets')).body.environments.includes('staging'), true);
  assert.equal((await getJson(collector, '/api/issues/999999')).status, 404);
  assert.equal((await getJson(collector, '/api/nope')).status, 404);
  const projects = (await getJson(collector, '/api/projects')).body.projects;
  assert.equal(projects[0].dsn, collector.dsn);
});
