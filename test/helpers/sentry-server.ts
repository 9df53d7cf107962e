// A Sentry-compatible test server on 127.0.0.1: it decodes every request, parses the envelope
// with the shared kit, checks it (every event item against the official schema), and records
// it. Its replies can be scripted per request to play 429s, 500s, slow or dropped connections.
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { loadKit, type Kit } from './protocol-kit.js';

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Destroy the socket instead of answering. */
  destroy?: boolean;
  /** Never answer. */
  hang?: boolean;
}

export interface ReceivedEnvelope {
  header: Record<string, unknown>;
  items: Array<{ header: Record<string, unknown>; payload: Buffer; json?: any }>;
  raw: Buffer;
  requestHeaders: http.IncomingHttpHeaders;
  url: string;
  /** Problems the kit found; tests assert this is empty. */
  errors: string[];
  /** Date.now() when the request's body had arrived. */
  receivedAt: number;
  /** The status it was answered with (0: the socket was destroyed, or never answered). */
  status: number;
}

export interface TestServer {
  dsn: string;
  port: number;
  envelopes: ReceivedEnvelope[];
  /** Every event payload received. */
  events(): any[];
  /** Summed client-report counts, keyed `reason:category`. */
  discarded(): Record<string, number>;
  /** All kit errors over all envelopes. */
  errors(): string[];
  /** Script the next replies (consumed in order); afterwards `fallback` is used. */
  reply(...replies: Reply[]): void;
  fallback: Reply;
  /** Picks the reply by what was sent, before the scripted ones (undefined: those decide). */
  decide?: (envelope: ReceivedEnvelope) => Reply | undefined;
  requests: number;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const PUBLIC_KEY = '0123456789abcdef0123456789abcdef';

export async function startSentryServer(): Promise<TestServer> {
  // The durable outbox keeps undelivered envelopes per DSN; a fresh folder per test process keeps
  // one test's leftovers from reaching a later server that reuses its port.
  if (!process.env['FAULTLINE_CACHE_DIR']) {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    process.env['FAULTLINE_CACHE_DIR'] = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-test-outbox-'));
  }
  const kit: Kit = await loadKit();
  const queue: Reply[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const state: TestServer = {
    dsn: '',
    port: 0,
    envelopes: [],
    requests: 0,
    fallback: { status: 200 },
    events: () =>
      state.envelopes.flatMap((e) => e.items.filter((i) => i.header['type'] === 'event').map((i) => i.json)),
    discarded: () => {
      const out: Record<string, number> = {};
      for (const env of state.envelopes) {
        for (const item of env.items) {
          if (item.header['type'] !== 'client_report') continue;
          for (const d of item.json.discarded_events) {
            const key = `${d.reason}:${d.category}`;
            out[key] = (out[key] ?? 0) + d.quantity;
          }
        }
      }
      return out;
    },
    errors: () => state.envelopes.flatMap((e) => e.errors),
    reply: (...replies) => void queue.push(...replies),
    waitFor: async (predicate, timeoutMs = 5000) => {
      const end = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > end) throw new Error('waitFor: timed out');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      let raw = Buffer.concat(chunks);
      const errors: string[] = [];
      const receivedAt = Date.now();
      let received: ReceivedEnvelope;
      try {
        if (req.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
        const checked = kit.checkEnvelope(raw);
        errors.push(...checked.errors);
        const parsed = kit.parseEnvelope(raw);
        const items = parsed.items.map((it) => {
          let json: unknown;
          try {
            json = JSON.parse(it.payload.toString('utf8'));
          } catch {
            json = undefined;
          }
          return { header: it.header, payload: it.payload, json };
        });
        if (!String(req.headers['x-sentry-auth'] ?? '').includes(`sentry_key=${PUBLIC_KEY}`)) {
          errors.push('missing or wrong X-Sentry-Auth');
        }
        received = { header: parsed.header, items, raw, requestHeaders: req.headers, url: req.url ?? '', errors, receivedAt, status: 0 };
      } catch (err) {
        received = { header: {}, items: [], raw, requestHeaders: req.headers, url: req.url ?? '', errors: [String(err)], receivedAt, status: 0 };
      }
      const reply = state.decide?.(received) ?? queue.shift() ?? state.fallback;
      received.status = reply.destroy || reply.hang ? 0 : (reply.status ?? 200);
      state.envelopes.push(received);
      if (reply.destroy) return void req.socket.destroy();
      if (reply.hang) return;
      const send = () => {
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end('{}');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.dsn = `http://${PUBLIC_KEY}@127.0.0.1:${state.port}/42`;
  return state;
}

/**
 * An event envelope POSTed to the server the way an app's own code or a custom transport would,
 * through the instrumented `fetch` or `node:http` rather than faultline's transport. Resolves
 * with the status.
 */
export async function postEnvelopeAsApp(server: TestServer, message: string, via: 'fetch' | 'http'): Promise<number> {
  const eventId = Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
  const event = JSON.stringify({
    event_id: eventId,
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: 'info',
    logentry: { formatted: message },
  });
  const body = `{"event_id":"${eventId}"}\n{"type":"event","length":${Buffer.byteLength(event)}}\n${event}\n`;
  const url = `http://127.0.0.1:${server.port}/api/42/envelope/`;
  const headers = { 'Content-Type': 'application/x-sentry-envelope', 'X-Sentry-Auth': `Sentry sentry_version=7, sentry_key=${PUBLIC_KEY}` };
  if (via === 'fetch') return (await fetch(url, { method: 'POST', headers, body })).status;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
