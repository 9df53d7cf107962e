import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventEnvelope, envelopeUrl, newEventId, startTestCollector } from './helpers.js';

const SENDERS = 20;
const PER_SENDER = 1000;

function send(agent: Agent, url: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/x-sentry-envelope', 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test(`load: ${SENDERS * PER_SENDER} events from ${SENDERS} concurrent senders are all stored`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-load-'));
  // Retention is raised so that "all stored" can be checked event by event.
  const collector = await startTestCollector({ dbPath: join(dir, 'load.db'), retention: { maxEventsPerIssue: 1_000_000 } });
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  try {
    const url = envelopeUrl(collector);
    const sentIds: string[] = [];
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: SENDERS }, async (_, sender) => {
        const seen: number[] = [];
        for (let i = 0; i < PER_SENDER; i++) {
          const id = newEventId();
          sentIds.push(id);
          const body = eventEnvelope({
            event_id: id,
            platform: 'node',
            level: 'error',
            environment: sender % 2 ? 'production' : 'staging',
            release: `load@1.${sender % 3}.0`,
            user: { id: `user-${sender}` },
            tags: { sender: String(sender) },
            exception: { values: [{ type: `LoadError${i % 25}`, value: `failure ${i}`, stacktrace: { frames: [{ function: 'handler', module: 'load.app', lineno: i % 7, in_app: true }] } }] },
          });
          seen.push(await send(agent, url, body));
        }
        return seen;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const eventsPerSecond = Math.round((SENDERS * PER_SENDER) / seconds);
    console.log(`# load: ${SENDERS * PER_SENDER} events in ${seconds.toFixed(2)} s = ${eventsPerSecond} events/s`);

    assert.ok(statuses.flat().every((status) => status === 200), 'every request answered 200');
    const db = collector.store.db;
    assert.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), SENDERS * PER_SENDER);
    assert.equal(db.prepare('SELECT sum(count) FROM issues').pluck().get(), SENDERS * PER_SENDER);
    assert.equal(db.prepare('SELECT count(*) FROM issues').pluck().get(), 25);
    const stored = new Set(db.prepare('SELECT event_id FROM events').pluck().all() as string[]);
    assert.equal(sentIds.filter((id) => !stored.has(id)).length, 0, 'no event lost');
    assert.equal(db.prepare("SELECT max(user_count) FROM issues").pluck().get(), SENDERS);
  } finally {
    agent.destroy();
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
