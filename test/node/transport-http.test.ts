// End-to-end tests of the Node transport against real loopback HTTP servers. Every body a
// server receives is checked with the protocol kit (zero errors).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { makeNodeTransport } from '../../src/node/transport-http.js';
import { warningsDuring } from '../helpers/process-warnings.js';
import { ClientReports } from '../../src/core/client-reports.js';
import { parseDsn, envelopeUrl } from '../../src/core/dsn.js';
import { createEventEnvelope, type Envelope } from '../../src/core/envelope.js';
import type { DataCategory, DiscardReason, Event, ResolvedOptions, TransportOptions } from '../../src/core/types.js';

type KitEnvelope = { header: Record<string, unknown>; items: Array<{ header: Record<string, unknown>; payload: Buffer }> };
const { checkEnvelope } = (await import(path.resolve(process.cwd(), '../shared/protocol/check.mjs'))) as {
  checkEnvelope(bytes: Uint8Array): { errors: string[]; envelope: KitEnvelope };
};

const KEY = 'e12d836b15bb49d7bbf99e64295d995b';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawLength: number;
  raw: Buffer;
  envelope: KitEnvelope;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

async function startServer(handler: Handler = (_req, res) => res.end('{}')): Promise<TestServer> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const check = checkEnvelope(body);
      assert.deepEqual(check.errors, [], 'the kit finds no error in what was sent');
      received.push({ method: req.method!, url: req.url!, headers: req.headers, rawLength: raw.length, raw, envelope: check.envelope });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Harness {
  transport: ReturnType<typeof makeNodeTransport>;
  clientReports: ClientReports;
  drops: Array<[DiscardReason, DataCategory, number]>;
}

function harness(port: number, transportOptions: TransportOptions = {}): Harness {
  const parsed = parseDsn(`http://${KEY}@127.0.0.1:${port}/42`);
  assert.ok('dsn' in parsed);
  const clientReports = new ClientReports();
  const drops: Harness['drops'] = [];
  const transport = makeNodeTransport({
    dsn: parsed.dsn,
    url: envelopeUrl(parsed.dsn),
    options: { _sdk: { name: 'faultline.node', version: '9.9.9' }, transportOptions } as unknown as ResolvedOptions,
    transportOptions,
    clientReports,
    // What the client does: count for the next report (and here, also remember for asserts).
    recordDroppedEvent: (reason, category, quantity = 1) => {
      drops.push([reason, category, quantity]);
      clientReports.record(reason, category, quantity);
    },
  });
  return { transport, clientReports, drops };
}

function makeEvent(extra: Partial<Event> = {}): Event {
  return {
    event_id: randomBytes(16).toString('hex'),
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: 'error',
    logentry: { formatted: 'something broke' },
    ...extra,
  };
}

function eventEnvelope(extra: Partial<Event> = {}, attachment?: string): Envelope {
  const attachments = attachment === undefined ? [] : [{ filename: 'a.txt', data: attachment }];
  return createEventEnvelope(makeEvent(extra), { sdk: { name: 'faultline.node', version: '9.9.9' }, attachments });
}

function json(item: { payload: Buffer }): unknown {
  return JSON.parse(item.payload.toString('utf8'));
}

function respond(status: number, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end('{"detail":"x"}');
  };
}

const hang: Handler = () => {};

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('happy path: POST to the envelope endpoint with auth, user agent and a valid body', async () => {
  const server = await startServer();
  const { transport, drops } = harness(server.port);
  try {
    const env = eventEnvelope();
    assert.equal(transport.send(env), true);
    assert.equal(await transport.flush(2000), true);
    assert.equal(server.received.length, 1);
    const [r] = server.received;
    assert.equal(r!.method, 'POST');
    assert.equal(r!.url, '/api/42/envelope/');
    assert.equal(r!.headers['content-type'], 'application/x-sentry-envelope');
    assert.equal(r!.headers['x-sentry-auth'], `Sentry sentry_key=${KEY}, sentry_version=7, sentry_client=faultline.node/9.9.9`);
    assert.equal(r!.headers['user-agent'], 'faultline.node/9.9.9');
    assert.equal(r!.headers['content-encoding'], undefined);
    assert.equal(r!.envelope.header.event_id, env.header.event_id);
    assert.ok(Math.abs(Date.parse(r!.envelope.header.sent_at as string) - Date.now()) < 5000);
    assert.deepEqual(json(r!.envelope.items[0]!), env.items[0]!.payload);
    assert.deepEqual(drops, []);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('flush(Infinity) waits for the answer, with no timer overflow', async () => {
  // setTimeout turns Infinity (or anything past 2^31 - 1 ms) into 1 ms: flush gave up at once.
  const server = await startServer((_req, res) => setTimeout(() => res.end('{}'), 50));
  const { transport } = harness(server.port);
  try {
    const warnings = await warningsDuring(async () => {
      transport.send(eventEnvelope());
      assert.equal(await transport.flush(Infinity), true);
    });
    assert.equal(server.received.length, 1);
    assert.deepEqual(warnings, []);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('gzip above the compression threshold, plain below it', async () => {
  const server = await startServer();
  const { transport } = harness(server.port, { compressionThreshold: 1024 });
  try {
    transport.send(eventEnvelope({ extra: { big: 'x'.repeat(4000) } }));
    transport.send(eventEnvelope());
    assert.equal(await transport.flush(2000), true);
    const byEncoding = server.received.map((r) => [r.headers['content-encoding'] ?? 'none', r.rawLength < 1024]);
    assert.deepEqual(byEncoding.sort(), [['gzip', true], ['none', true]]);
    const big = server.received.find((r) => r.headers['content-encoding'] === 'gzip')!;
    assert.equal((json(big.envelope.items[0]!) as Event).extra!.big, 'x'.repeat(4000));
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('the same error again and again: every body is a valid gzip of its envelope, the stack trace compressed once', async () => {
  const server = await startServer();
  const { transport } = harness(server.port, { concurrency: 1 });
  const frames = Array.from({ length: 12 }, (_, i) => ({
    filename: 'src/app.js',
    function: `handler${i}`,
    lineno: 40 + i,
    colno: 7,
    in_app: true,
    pre_context: ['const user = await load(id);', 'if (!user) {', '  log.warn(id);', '}', `const step = ${i};`],
    context_line: `  return render(user.profile.name, ${i});`,
    post_context: ['}', '', 'export default handler;'],
  }));
  try {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const env = eventEnvelope({ exception: { values: [{ type: 'TypeError', value: `failure ${i}`, stacktrace: { frames } }] } });
      ids.push(env.header.event_id as string);
      transport.send(env);
      assert.equal(await transport.flush(2000), true);
    }
    assert.equal(server.received.length, 4);
    server.received.forEach((r, i) => {
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.equal(r.envelope.header.event_id, ids[i]);
      const exception = (json(r.envelope.items[0]!) as Event).exception!.values![0]!;
      assert.equal(exception.value, `failure ${i}`);
      assert.deepEqual(exception.stacktrace!.frames, frames);
      // From the second on, the body's beginning travels stored: its event id is readable as is.
      assert.equal(r.raw.includes(ids[i]!), i > 0, `body ${i}`);
    });
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('429 with Retry-After: nothing recorded, every category limited, later sends refused and counted', async () => {
  const server = await startServer(respond(429, { 'Retry-After': '30' }));
  const { transport, drops } = harness(server.port);
  try {
    transport.send(eventEnvelope());
    assert.equal(await transport.flush(2000), true, 'a 429 is a definitive answer');
    assert.deepEqual(drops, []);
    assert.equal(transport.isRateLimited('error'), true);
    assert.equal(transport.isRateLimited('transaction'), true);
    assert.equal(transport.send(eventEnvelope({}, 'hello')), false);
    assert.deepEqual(drops, [['ratelimit_backoff', 'error', 1], ['ratelimit_backoff', 'attachment', 5]]);
    assert.equal(await transport.flush(500), true, 'the report cannot go out under an all-limit; flush has nothing to wait for');
    assert.equal(server.received.length, 1);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('429 with X-Sentry-Rate-Limits limits only the named categories', async () => {
  const server = await startServer(respond(429, { 'X-Sentry-Rate-Limits': '60:error:key', 'Retry-After': '60' }));
  const { transport, drops } = harness(server.port);
  try {
    transport.send(eventEnvelope());
    await transport.flush(2000);
    assert.equal(transport.isRateLimited('error'), true);
    assert.equal(transport.isRateLimited('attachment'), false);
    // The event is dropped, the attachment still goes.
    assert.equal(transport.send(eventEnvelope({}, 'abc')), true);
    assert.deepEqual(drops, [['ratelimit_backoff', 'error', 1]]);
    await transport.flush(2000);
    assert.deepEqual(server.received[1]!.envelope.items.map((i) => i.header.type), ['attachment', 'client_report']);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

/** Answers the first request after 200 ms with an error limit of 60 s, every later one at once. */
function limitOnFirstReply(): Handler {
  let first = true;
  return (_req, res) => {
    if (!first) return void res.end('{}');
    first = false;
    setTimeout(() => {
      res.writeHead(200, { 'X-Sentry-Rate-Limits': '60:error:organization' });
      res.end('{}');
    }, 200);
  };
}

function reportCounts(received: Received[]): unknown[] {
  return received.flatMap((r) => r.envelope.items.filter((i) => i.header.type === 'client_report').map((i) => (json(i) as { discarded_events: unknown }).discarded_events));
}

// PROTOCOL.md §8: drop counts are aggregated, never sent one envelope per drop.
test('envelopes dropped for a limit learned while they waited send nothing; their counts ride on the next envelope', async () => {
  const server = await startServer(limitOnFirstReply());
  const { transport } = harness(server.port, { concurrency: 1 });
  try {
    for (let i = 0; i < 20; i++) assert.equal(transport.send(eventEnvelope()), true);
    // The first goes; the 19 queued behind it meet the limit when their turn comes.
    const end = Date.now() + 3000;
    while (!transport.isRateLimited('error') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.received.length, 1, 'no request for the dropped envelopes, no report of its own for each');
    // A check-in is not limited: the counts ride on it.
    transport.send({ header: {}, items: [{ header: { type: 'check_in' }, payload: { check_in_id: '0'.repeat(32), monitor_slug: 'job', status: 'ok' } }] });
    assert.equal(await transport.flush(2000), true);
    assert.equal(server.received.length, 2);
    assert.deepEqual(server.received[1]!.envelope.items.map((i) => i.header.type), ['check_in', 'client_report']);
    assert.deepEqual(reportCounts(server.received), [[{ reason: 'ratelimit_backoff', category: 'error', quantity: 19 }]]);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('a flush during a limit sends the counts of the envelopes it saw dropped in one report', async () => {
  const server = await startServer(limitOnFirstReply());
  const { transport } = harness(server.port, { concurrency: 1 });
  try {
    for (let i = 0; i < 20; i++) transport.send(eventEnvelope());
    assert.equal(await transport.flush(3000), true);
    assert.equal(server.received.length, 2, 'the first event, then one report');
    assert.deepEqual(server.received[1]!.envelope.items.map((i) => i.header.type), ['client_report']);
    assert.deepEqual(reportCounts(server.received), [[{ reason: 'ratelimit_backoff', category: 'error', quantity: 19 }]]);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('X-Sentry-Rate-Limits on a 200 is honoured', async () => {
  const server = await startServer(respond(200, { 'X-Sentry-Rate-Limits': '60:transaction:key' }));
  const { transport } = harness(server.port);
  try {
    transport.send(eventEnvelope());
    assert.equal(await transport.flush(2000), true);
    assert.equal(transport.isRateLimited('transaction'), true);
    assert.equal(transport.isRateLimited('error'), false);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('500: send_error per item (attachments in bytes), flush reports not delivered', async () => {
  const server = await startServer(respond(500));
  const { transport, drops } = harness(server.port);
  try {
    transport.send(eventEnvelope({}, 'héllo'));
    assert.equal(await transport.flush(2000), false);
    assert.deepEqual(drops, [['send_error', 'error', 1], ['send_error', 'attachment', 6]]);
    assert.equal(transport.isRateLimited('error'), false);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('413: send_error, and a definitive answer for flush', async () => {
  const server = await startServer(respond(413));
  const { transport, drops } = harness(server.port);
  try {
    transport.send(eventEnvelope());
    assert.equal(await transport.flush(2000), true);
    assert.deepEqual(drops, [['send_error', 'error', 1]]);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('a reply slower than the request timeout is a network_error', async () => {
  const server = await startServer((_req, res) => setTimeout(() => res.end('{}'), 1500).unref());
  const { transport, drops } = harness(server.port, { timeout: 200 });
  try {
    const started = Date.now();
    transport.send(eventEnvelope());
    assert.equal(await transport.flush(3000), false);
    assert.ok(Date.now() - started < 1200, 'settled by the request timeout, not by the reply');
    assert.deepEqual(drops, [['network_error', 'error', 1]]);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('a connection destroyed mid-request is a network_error', async () => {
  const server = await startServer((req) => req.socket.destroy());
  const { transport, drops } = harness(server.port);
  try {
    transport.send(eventEnvelope());
    assert.equal(await transport.flush(2000), false);
    assert.deepEqual(drops, [['network_error', 'error', 1]]);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('connection refused is a network_error', async () => {
  const { transport, drops } = harness(await closedPort());
  try {
    assert.equal(transport.send(eventEnvelope({}, 'xy')), true);
    assert.equal(await transport.flush(2000), false);
    assert.deepEqual(drops, [['network_error', 'error', 1], ['network_error', 'attachment', 2]]);
  } finally {
    await transport.close(100);
  }
});

test('flush resolves false at its timeout while the server hangs', async () => {
  const server = await startServer(hang);
  const { transport } = harness(server.port);
  try {
    transport.send(eventEnvelope());
    const started = Date.now();
    assert.equal(await transport.flush(300), false);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 1000, `took ${elapsed} ms`);
  } finally {
    await transport.close(0);
    await server.close();
  }
});

test('queue overflow with a stalled server is counted exactly', async () => {
  const server = await startServer(hang);
  const { transport, drops } = harness(server.port, { bufferSize: 3, concurrency: 1 });
  try {
    const accepted = [1, 2, 3, 4, 5].map((n) => transport.send(eventEnvelope({}, n === 5 ? 'four' : undefined)));
    assert.deepEqual(accepted, [true, true, true, false, false]);
    assert.deepEqual(drops, [['queue_overflow', 'error', 1], ['queue_overflow', 'error', 1], ['queue_overflow', 'attachment', 4]]);
  } finally {
    await transport.close(0);
    await server.close();
  }
});

test('at most `concurrency` requests are in flight', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const server = await startServer((_req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    setTimeout(() => {
      inFlight--;
      res.end('{}');
    }, 50);
  });
  const { transport } = harness(server.port, { concurrency: 2 });
  try {
    for (let i = 0; i < 6; i++) transport.send(eventEnvelope());
    assert.equal(await transport.flush(3000), true);
    assert.equal(server.received.length, 6);
    assert.equal(maxInFlight, 2);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('flush sends pending client reports on their own with exact counts', async () => {
  const server = await startServer();
  const { transport, clientReports } = harness(server.port);
  try {
    clientReports.record('sample_rate', 'error', 3);
    clientReports.record('before_send', 'error');
    clientReports.record('sample_rate', 'error');
    assert.equal(await transport.flush(2000), true);
    assert.equal(server.received.length, 1);
    const { header, items } = server.received[0]!.envelope;
    assert.deepEqual(Object.keys(header), ['sent_at']);
    assert.deepEqual(items.map((i) => i.header.type), ['client_report']);
    const report = json(items[0]!) as { timestamp: number; discarded_events: unknown[] };
    assert.deepEqual(report.discarded_events, [
      { reason: 'sample_rate', category: 'error', quantity: 4 },
      { reason: 'before_send', category: 'error', quantity: 1 },
    ]);
    assert.ok(Math.abs(report.timestamp - Date.now() / 1000) < 5);
    assert.equal(clientReports.hasPending(), false);
    assert.equal(await transport.flush(2000), true);
    assert.equal(server.received.length, 1, 'nothing more to send');
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('pending client reports ride along with the next envelope', async () => {
  const server = await startServer();
  const { transport, clientReports } = harness(server.port);
  try {
    clientReports.record('event_processor', 'error', 2);
    transport.send(eventEnvelope());
    assert.equal(await transport.flush(2000), true);
    assert.equal(server.received.length, 1);
    const items = server.received[0]!.envelope.items;
    assert.deepEqual(items.map((i) => i.header.type), ['event', 'client_report']);
    assert.deepEqual((json(items[1]!) as { discarded_events: unknown }).discarded_events, [
      { reason: 'event_processor', category: 'error', quantity: 2 },
    ]);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('a report that fails to go out is kept and sent later', async () => {
  let status = 503;
  const server = await startServer((_req, res) => {
    res.statusCode = status;
    res.end();
  });
  const { transport, clientReports } = harness(server.port);
  try {
    clientReports.record('sample_rate', 'error', 2);
    assert.equal(await transport.flush(2000), false);
    assert.deepEqual(clientReports.snapshot(), [{ reason: 'sample_rate', category: 'error', quantity: 2 }]);
    status = 200;
    assert.equal(await transport.flush(2000), true);
    const last = server.received.at(-1)!.envelope.items[0]!;
    assert.deepEqual((json(last) as { discarded_events: unknown }).discarded_events, [
      { reason: 'sample_rate', category: 'error', quantity: 2 },
    ]);
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('multi-byte payloads carry their byte length', async () => {
  const server = await startServer();
  const { transport } = harness(server.port);
  try {
    const message = 'naïve café 🎉 日本語 — ok';
    transport.send(eventEnvelope({ logentry: { formatted: message } }, '∑ bytes ✓'));
    assert.equal(await transport.flush(2000), true);
    const [eventItem, attachment] = server.received[0]!.envelope.items;
    assert.equal(eventItem!.header.length, eventItem!.payload.byteLength);
    assert.equal((json(eventItem!) as Event).logentry!.formatted, message);
    assert.equal(attachment!.header.length, Buffer.byteLength('∑ bytes ✓'));
    assert.equal(attachment!.payload.toString('utf8'), '∑ bytes ✓');
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test("send() never serializes on the caller's tick", async () => {
  const server = await startServer();
  const { transport } = harness(server.port);
  try {
    let callerTick = true;
    let serializedOnCallerTick: boolean | undefined;
    const probe = {
      toJSON() {
        serializedOnCallerTick = callerTick;
        return 'probe';
      },
    };
    assert.equal(transport.send(eventEnvelope({ extra: { probe } })), true);
    const afterSend = serializedOnCallerTick;
    callerTick = false;
    await Promise.resolve(); // not on a microtask right after the call either
    assert.equal(serializedOnCallerTick, undefined);
    assert.equal(afterSend, undefined);
    assert.equal(await transport.flush(2000), true);
    assert.equal(serializedOnCallerTick, false);
    assert.equal((json(server.received[0]!.envelope.items[0]!) as Event).extra!.probe, 'probe');
  } finally {
    await transport.close(100);
    await server.close();
  }
});

test('close flushes, then refuses sends without counting them', async () => {
  const server = await startServer();
  const { transport, drops, clientReports } = harness(server.port);
  try {
    transport.send(eventEnvelope());
    assert.equal(await transport.close(2000), true);
    assert.equal(server.received.length, 1);
    assert.equal(transport.send(eventEnvelope()), false);
    assert.deepEqual(drops, []);
    assert.equal(clientReports.hasPending(), false);
    assert.equal(await transport.flush(100), true);
  } finally {
    await server.close();
  }
});

test('a request in flight never keeps the process alive', async () => {
  const server = await startServer(hang);
  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'faultline-transport-'));
    const script = path.join(dir, 'child.ts');
    const src = (rel: string) => JSON.stringify(fileURLToPath(new URL(rel, import.meta.url)));
    writeFileSync(
      script,
      `import { makeNodeTransport } from ${src('../../src/node/transport-http.ts')};
import { ClientReports } from ${src('../../src/core/client-reports.ts')};
import { parseDsn, envelopeUrl } from ${src('../../src/core/dsn.ts')};
const parsed = parseDsn('http://${KEY}@127.0.0.1:${server.port}/42');
if (!('dsn' in parsed)) throw new Error('bad dsn');
const t = makeNodeTransport({ dsn: parsed.dsn, url: envelopeUrl(parsed.dsn), options: {}, transportOptions: {},
  clientReports: new ClientReports(), recordDroppedEvent() {} } as any);
// No flush: nobody asked to wait, so the request in flight must not hold the process.
t.send({ header: {}, items: [{ header: { type: 'client_report' }, payload: { discarded_events: [] } }] });
setTimeout(() => {}, 300); // long enough for the request to reach the server
`,
    );
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: 'inherit' });
      const kill = setTimeout(() => child.kill('SIGKILL'), 8000);
      child.on('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    assert.equal(code, 0, 'the child exited on its own');
    assert.ok(Date.now() - started < 8000);
    assert.equal(server.received.length, 1, 'the request had reached the server');
  } finally {
    await server.close();
  }
});
