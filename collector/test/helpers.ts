import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { startCollector, type RunningCollector } from '../src/index.js';

export async function startTestCollector(options: Parameters<typeof startCollector>[0] = {}): Promise<RunningCollector & { key: string }> {
  const collector = await startCollector({ port: 0, dbPath: ':memory:', quiet: true, ...options });
  return Object.assign(collector, { key: new URL(collector.dsn).username });
}

export const newEventId = (): string => randomUUID().replace(/-/g, '');

/** Builds envelope bytes with correct byte lengths. */
export function envelope(header: Record<string, unknown>, items: { header: Record<string, unknown>; payload: string | Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`)];
  for (const item of items) {
    const payload = typeof item.payload === 'string' ? Buffer.from(item.payload) : item.payload;
    parts.push(Buffer.from(`${JSON.stringify({ ...item.header, length: payload.length })}\n`), payload, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export function eventEnvelope(event: Record<string, unknown>): Buffer {
  const eventId = (event['event_id'] as string | undefined) ?? newEventId();
  return envelope({ event_id: eventId, sent_at: new Date().toISOString() }, [{ header: { type: 'event' }, payload: JSON.stringify({ ...event, event_id: eventId }) }]);
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  json(): any;
}

/**
 * POSTs raw bytes with node:http (no fetch: the tests need to send wrong lengths, odd encodings and
 * bodies the server refuses midway). A refused upload still yields the server's answer.
 */
export function post(url: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-sentry-envelope', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    // The server may answer (413/401) and close before the whole body is written; the answer is what counts.
    req.on('error', (error) => setTimeout(() => reject(error), 50));
    req.end(body);
  });
}

export function envelopeUrl(collector: { url: string; key: string }, project = 1): string {
  return `${collector.url}api/${project}/envelope/?sentry_key=${collector.key}`;
}

export async function getJson(collector: { url: string }, path: string): Promise<any> {
  const response = await fetch(new URL(path, collector.url));
  return { status: response.status, body: await response.json() };
}
