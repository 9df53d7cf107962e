// The transport's own HTTP/1.1 client (src/node/http-client/) against real loopback servers:
// node:http and node:https servers for the common case, and raw TCP servers that answer with
// exact bytes for what a well-behaved node:http server never sends (split reads, 1xx, bodies
// ended by a close, garbage, connections dropped under a request).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { ConnectionPool } from '../../src/node/http-client/connection-pool.js';
import { RequestHead } from '../../src/node/http-client/request-head.js';
import { debugLog } from '../../src/core/debug-log.js';
import { runNode } from '../helpers/run-node.js';
import { warningsDuring } from '../helpers/process-warnings.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TLS_DIR = path.join(here, '../fixtures/tls');

interface RawServer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** What each connection received, in order of connection. */
  received: string[];
  close(): Promise<void>;
}

/**
 * A TCP server that runs `onRequest` whenever a whole request (head and Content-Length body)
 * has arrived on a connection; `n` counts the requests on that connection from 1.
 */
async function rawServer(onRequest: (socket: net.Socket, n: number, request: string) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const state: RawServer = { port: 0, connections: 0, received: [], close: async () => {} };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const index = state.connections++;
    state.received[index] = '';
    let buffered = Buffer.alloc(0);
    let n = 0;
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      state.received[index] += data.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffered.toString('latin1', 0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = buffered.toString('latin1', 0, end + 4 + length);
        buffered = buffered.subarray(end + 4 + length);
        onRequest(socket, ++n, request);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return state;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';

function pool(port: number, options: { maxSockets?: number; timeoutMs?: number; tls?: boolean; host?: string } = {}): ConnectionPool {
  return new ConnectionPool(
    { host: options.host ?? '127.0.0.1', port, tls: options.tls ?? false },
    { maxSockets: options.maxSockets ?? 4, timeoutMs: options.timeoutMs ?? 5000 },
  );
}

function post(port: number, body = '{"hello":1}', headers: Record<string, string> = { 'Content-Type': 'application/json' }): Uint8Array {
  return new RequestHead(new URL(`http://127.0.0.1:${port}/api/1/envelope/`), headers).request(Buffer.from(body), false);
}

test('requests reuse one keep-alive connection, and never more than maxSockets at once', async () => {
  let open = 0;
  let mostOpen = 0;
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    open++;
    mostOpen = Math.max(mostOpen, open);
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      setTimeout(() => {
        open--;
        res.end('{}');
      }, 5);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const p = pool(port, { maxSockets: 2 });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await p.request(post(port, `{"n":${i}}`))).statusCode, 200);
    assert.equal(connections, 1, 'one connection carried the three requests one after the other');
    const heads = await Promise.all(Array.from({ length: 10 }, (_, i) => p.request(post(port, `{"m":${i}}`))));
    assert.deepEqual(heads.map((h) => h.statusCode), Array(10).fill(200));
    assert.equal(mostOpen, 2, 'two requests in flight at most');
    assert.equal(connections, 2);
    assert.equal(bodies.length, 13);
    assert.ok(bodies.includes('{"m":9}'));
  } finally {
    p.destroy();
    server.closeAllConnections();
    server.close();
  }
});

test('the request carries the host, the given headers, and an exact Content-Length', async () => {
  let seen: http.IncomingMessage | undefined;
  let body = '';
  const server = http.createServer((req, res) => {
    seen = req;
    req.on('data', (c) => (body += c));
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const lines: string[] = [];
  debugLog.setEnabled(true);
  debugLog.setSink((line) => lines.push(line));
  const head = new RequestHead(new URL(`http://127.0.0.1:${port}/api/7/envelope/?x=1`), {
    'X-Custom': 'kept',
    'Bad Name': 'x',
    'X-Injected': 'a\r\nX-Evil: 1',
    'Content-Length': '1',
    'x-custom': 'replaced',
  });
  debugLog.setEnabled(false);
  debugLog.setSink(undefined);
  const p = pool(port);
  try {
    const payload = Buffer.from('héllo wörld', 'utf8');
    await p.request(head.request(payload, false));
    assert.equal(seen!.method, 'POST');
    assert.equal(seen!.url, '/api/7/envelope/?x=1');
    assert.equal(seen!.headers.host, `127.0.0.1:${port}`);
    assert.equal(seen!.headers['x-custom'], 'replaced', 'a later header of the same name wins');
    assert.equal(seen!.headers['x-evil'], undefined, 'a value with CR LF is left out');
    assert.equal(seen!.headers['x-injected'], undefined);
    assert.equal(seen!.headers['content-length'], String(payload.byteLength));
    assert.equal(body, 'héllo wörld');
    assert.equal(lines.filter((l) => l.includes('left out')).length, 3, 'each left-out header has a diagnostic');
  } finally {
    p.destroy();
    server.closeAllConnections();
    server.close();
  }
});

test('a response split into single bytes, chunked, with trailers: the connection is reused after it', async () => {
  const response =
    'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nRetry-After: 9\r\nX-Sentry-Rate-Limits: 60:error:key\r\n' +
    'x-sentry-rate-limits: 30:transaction:key\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n';
  const server = await rawServer(async (socket, n) => {
    if (n > 1) {
      socket.write(OK);
      return;
    }
    for (const byte of Buffer.from(response, 'latin1')) {
      socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  });
  // One connection: the second request waits for the first response's end, which only a
  // parser that found that end releases (otherwise the second would time out).
  const p = pool(server.port, { maxSockets: 1 });
  try {
    const head = await p.request(post(server.port));
    assert.deepEqual(head, { statusCode: 429, retryAfter: '7', rateLimits: '60:error:key, 30:transaction:key' });
    assert.equal((await p.request(post(server.port))).statusCode, 200);
    assert.equal(server.connections, 1, 'the chunked body was read to its end, so the connection was reused');
  } finally {
    p.destroy();
    await server.close();
  }
});

test('100 Continue before the answer is skipped; 204 has no body', async () => {
  const server = await rawServer((socket, n) => {
    if (n === 1) socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    else socket.write('HTTP/1.1 204 No Content\r\n\r\n');
  });
  const p = pool(server.port);
  try {
    assert.equal((await p.request(post(server.port))).statusCode, 200);
    assert.equal((await p.request(post(server.port))).statusCode, 204);
    assert.equal((await p.request(post(server.port))).statusCode, 204);
    assert.equal(server.connections, 1);
  } finally {
    p.destroy();
    await server.close();
  }
});

test('a body ended by the close, Connection: close, and HTTP/1.0: the next request opens a new connection', async () => {
  const answers = [
    'HTTP/1.1 200 OK\r\n\r\n{"until":"close"}',
    'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}',
    'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}',
    OK,
  ];
  let answered = 0;
  const server = await rawServer((socket) => {
    const answer = answers[answered++]!;
    socket.write(answer);
    if (answered <= 3) socket.end(); // the server closes after each of the first three
  });
  const p = pool(server.port);
  try {
    for (let i = 0; i < 4; i++) assert.equal((await p.request(post(server.port))).statusCode, 200);
    assert.equal(server.connections, 4);
  } finally {
    p.destroy();
    await server.close();
  }
});

test('a kept-alive connection the server drops under a request: sent once more on a new one', async () => {
  const server = await rawServer((socket, n) => {
    if (n === 1) socket.write(OK);
    else socket.destroy(); // as if its keep-alive timeout had just run out
  });
  const p = pool(server.port);
  try {
    assert.equal((await p.request(post(server.port))).statusCode, 200);
    assert.equal((await p.request(post(server.port))).statusCode, 200);
    assert.equal(server.connections, 2);
    assert.equal(server.received[1]!.match(/POST /g)!.length, 1, 'the new connection carried the request once');
  } finally {
    p.destroy();
    await server.close();
  }
});

test('a new connection dropped under its first request rejects, with no second attempt', async () => {
  const server = await rawServer((socket) => socket.destroy());
  const p = pool(server.port);
  try {
    await assert.rejects(p.request(post(server.port)), /socket hang up|ECONNRESET/);
    assert.equal(server.connections, 1);
  } finally {
    p.destroy();
    await server.close();
  }
});

test('what is not HTTP rejects: garbage, a bad Content-Length, bytes after the response', async () => {
  const answers = [
    'SSH-2.0-OpenSSH\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\n{}',
    `${OK}HTTP/1.1 200 OK\r\n\r\n`,
    OK,
  ];
  let answered = 0;
  const server = await rawServer((socket) => socket.write(answers[answered++]!));
  const p = pool(server.port, { maxSockets: 1 });
  try {
    await assert.rejects(p.request(post(server.port)), /not an HTTP\/1.x response/);
    await assert.rejects(p.request(post(server.port)), /bad Content-Length/);
    // The answer itself was good and stands; the connection with the extra bytes is not reused.
    assert.equal((await p.request(post(server.port))).statusCode, 200);
    assert.equal((await p.request(post(server.port))).statusCode, 200);
    assert.equal(server.connections, 4);
  } finally {
    p.destroy();
    await server.close();
  }
});

test('the deadline: a silent server rejects; a trickled body drops the connection at the deadline', async () => {
  let trickle: net.Socket | undefined;
  const server = await rawServer((socket, n) => {
    if (server.connections === 1) return; // never answers
    if (n === 1) {
      trickle = socket;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{');
    }
  });
  const p = pool(server.port, { timeoutMs: 150, maxSockets: 1 });
  try {
    const started = Date.now();
    await assert.rejects(p.request(post(server.port)), /timed out after 150 ms/);
    assert.ok(Date.now() - started >= 140);
    assert.equal((await p.request(post(server.port))).statusCode, 200, 'the head came in time');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(trickle!.destroyed || trickle!.readableEnded, true, 'the connection was closed at the deadline');
  } finally {
    p.destroy();
    await server.close();
  }
});

test('each request keeps its own deadline: answered ones never expire, later ones expire on time', async () => {
  // Requests whose body says "answer" are answered; the others never are.
  const server = await rawServer((socket, _n, request) => {
    if (request.includes('answer')) socket.write(OK);
  });
  const p = pool(server.port, { timeoutMs: 300, maxSockets: 4 });
  try {
    const started = performance.now();
    const outcomes: Array<Promise<{ body: string; outcome: string; ms: number }>> = [];
    const send = (body: string) => {
      const at = performance.now();
      const ended = (outcome: string) => ({ body, outcome, ms: performance.now() - at });
      outcomes.push(
        p.request(post(server.port, body)).then(
          (head) => ended(String(head.statusCode)),
          (err: Error) => ended(/timed out/.test(err.message) ? 'timed out' : err.message),
        ),
      );
    };
    send('{"answer":1}');
    await new Promise((resolve) => setTimeout(resolve, 100));
    send('{"silent":1}');
    await new Promise((resolve) => setTimeout(resolve, 100));
    send('{"answer":2}');
    send('{"silent":2}');
    const results = await Promise.all(outcomes);
    assert.deepEqual(
      results.map((r) => `${r.body}: ${r.outcome}`),
      ['{"answer":1}: 200', '{"silent":1}: timed out', '{"answer":2}: 200', '{"silent":2}: timed out'],
    );
    // Each silent request fails 300 ms after it was made: not at the first request's deadline
    // (which would be 200 ms for the second one and 100 ms for the last) nor much later.
    for (const r of results.filter((r) => r.outcome === 'timed out')) {
      assert.ok(r.ms >= 295 && r.ms < 600, `${r.body} timed out after ${Math.round(r.ms)} ms`);
    }
    assert.ok(performance.now() - started >= 480, 'the last one expired at its own deadline');
  } finally {
    p.destroy();
    await server.close();
  }
});

test('a timeout longer than a timer can wait (2^31 ms) is not cut short', async () => {
  // setTimeout turns delays past 2^31 - 1 ms into 1 ms (with a warning): the deadline must not.
  const server = await rawServer((socket) => setTimeout(() => socket.write(OK), 50));
  const p = pool(server.port, { timeoutMs: 2 ** 32 });
  try {
    const warnings = await warningsDuring(async () => {
      assert.equal((await p.request(post(server.port))).statusCode, 200);
    });
    assert.deepEqual(warnings, []);
  } finally {
    p.destroy();
    await server.close();
  }
});

test('connection refused rejects; destroy rejects what waits and refuses new requests', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const refused = pool(closedPort);
  await assert.rejects(refused.request(post(closedPort)), /ECONNREFUSED/);
  refused.destroy();

  const server = await rawServer(() => {}); // never answers
  const p = pool(server.port, { maxSockets: 1 });
  const first = p.request(post(server.port));
  const second = p.request(post(server.port));
  await new Promise((resolve) => setTimeout(resolve, 50));
  p.destroy();
  await assert.rejects(first, /closed/);
  await assert.rejects(second, /closed/);
  await assert.rejects(p.request(post(server.port)), /closed/);
  await server.close();
});

test('https: verified against the trusted CA, with SNI, over one kept-alive TLS connection', async () => {
  const server = https.createServer(
    { key: readFileSync(path.join(TLS_DIR, 'localhost.key')), cert: readFileSync(path.join(TLS_DIR, 'localhost.crt')) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        received.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).length);
        res.end('{}');
      });
    },
  );
  const servernames: Array<string | false | null> = [];
  const received: number[] = [];
  server.on('secureConnection', (socket) => servernames.push(socket.servername));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dir = mkdtempSync(path.join(tmpdir(), 'faultline-tls-'));
  const script = path.join(dir, 'tls-client.mts');
  const transportUrl = JSON.stringify(path.resolve(here, '../../src/node/transport-http.ts'));
  // The transport's own requester: URL to connection target, gzip, TLS.
  writeFileSync(
    script,
    `import { httpRequester } from ${transportUrl};
const requester = httpRequester({
  url: new URL('https://localhost:${port}/api/1/envelope/'),
  headers: { 'Content-Type': 'application/x-sentry-envelope' },
  maxSockets: 1,
  timeout: 5000,
  compressionThreshold: 1024,
});
const keepAlive = setInterval(() => {}, 1000); // the pool's sockets never hold the process open
try {
  for (const size of [10, 5000, 10]) {
    const response = await requester.makeRequest(Buffer.from('{"x":"' + 'a'.repeat(size) + '"}'), undefined as never);
    console.log('status', response.statusCode);
  }
} catch (err) {
  console.log('error', (err as Error).message);
}
requester.destroy();
clearInterval(keepAlive);
`,
  );
  try {
    const trusted = await runNode(script, {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, 'localhost.crt') },
      cwd: process.cwd(),
      timeoutMs: 30000,
    });
    assert.equal(trusted.stdout.trim(), 'status 200\nstatus 200\nstatus 200', trusted.stderr);
    assert.deepEqual(servernames, ['localhost'], 'one TLS connection, named by SNI, carried the three requests');
    assert.deepEqual(received, [18, 5008, 18], 'the larger body went gzipped and arrived whole');
    const untrusted = await runNode(script, { env: { ...process.env }, cwd: process.cwd(), timeoutMs: 30000 });
    assert.match(untrusted.stdout, /^error .*(self-signed|self signed)/, 'an unknown certificate is refused');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
