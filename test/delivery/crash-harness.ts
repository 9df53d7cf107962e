// SIGKILL a capturing child at random moments, again and again, then restart it to drain.
// Checks after every kill that each stored file is a whole, parseable envelope, and at the end
// that every event that had reached the disk was delivered: once, or twice only when the kill
// fell between the server's 2xx and the file's delete (the documented at-least-once window).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { decodeSegment, isSegmentName } from '../../src/node/outbox/segment.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvelope, payloadJson } from '../../src/core/envelope.js';
import type { TestServer } from '../helpers/sentry-server.js';
import { countById, sleep, storedFiles } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixtures', 'crash-app.ts');

export interface CrashReport {
  rounds: number;
  persisted: number;
  delivered: number;
  duplicates: number;
  maxStored: number;
  strayTempFiles: number;
}

function spawnChild(env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: path.resolve(here, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Event ids in the store; throws (fails the test) on any file that is not a whole envelope. */
function storedIds(cacheDir: string): string[] {
  // storedFiles lists a segment once per envelope (`<file>#<i>`): read each segment once.
  const files = [...new Set(storedFiles(cacheDir).map((f) => f.replace(/#\d+$/, '')))];
  return files.flatMap((file) => {
    // A segment holds several envelopes; decoding it checks it is whole.
    const blobs = isSegmentName(file) ? decodeSegment(fs.readFileSync(file)) : [fs.readFileSync(file)];
    return blobs.map((blob) => {
      const envelope = parseEnvelope(blob);
      const event = payloadJson(envelope.items.find((i) => i.header.type === 'event')!) as { event_id: string };
      assert.equal(envelope.header['event_id'], event.event_id, `${file} is whole`);
      return event.event_id;
    });
  });
}

export async function runCrashRounds(server: TestServer, cacheDir: string, rounds: number): Promise<CrashReport> {
  const persisted = new Set<string>();
  const allowance = new Map<string, number>(); // id → duplicates a kill may explain
  let maxStored = 0;
  // The server records refused requests too; only those it answered 2xx count as delivered.
  const accepted: any[] = [];
  const protocolErrors: string[] = [];
  const acceptedIds = () => new Set(accepted.map((e) => e.event_id as string));
  for (let round = 0; round < rounds; round++) {
    // Every other round the server struggles, so envelopes pile up on disk between kills.
    const refusing = round % 2 === 1;
    server.fallback = refusing ? { status: 503 } : { status: 200, delayMs: 5 + Math.floor(Math.random() * 30) };
    server.envelopes.length = 0;
    const child = spawnChild({ DSN: server.dsn, CACHE_DIR: cacheDir, ROUND: String(round) });
    let stdout = '';
    const ready = new Promise<void>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c;
        if (stdout.includes('ready\n')) resolve();
      });
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await ready;
    await sleep(Math.random() * 250);
    child.kill('SIGKILL');
    await exited;
    assert.equal(stderr, '', 'the child never reported an error');
    for (const m of stdout.matchAll(/^persisted ([0-9a-f]{32})$/gm)) persisted.add(m[1]!);
    await sleep(20); // requests the kill cut are closed on the server side too
    protocolErrors.push(...server.errors());
    if (!refusing) accepted.push(...server.events());
    const onDisk = storedIds(cacheDir);
    maxStored = Math.max(maxStored, onDisk.length);
    const received = acceptedIds();
    for (const id of onDisk) if (received.has(id)) allowance.set(id, (allowance.get(id) ?? 0) + 1);
  }

  server.fallback = { status: 200 };
  server.envelopes.length = 0;
  const drain = spawnChild({ DSN: server.dsn, CACHE_DIR: cacheDir, COUNT: '0' });
  let out = '';
  drain.stdout.on('data', (c: Buffer) => (out += c));
  await new Promise<void>((resolve) => drain.on('close', () => resolve()));
  assert.match(out, /drained true/);
  assert.deepEqual(storedIds(cacheDir), [], 'the store is empty after the drain');

  accepted.push(...server.events());
  assert.deepEqual([...protocolErrors, ...server.errors()], [], 'every envelope passes the protocol kit');
  const counts = countById(accepted);
  const lost = [...persisted].filter((id) => !counts.has(id));
  assert.deepEqual(lost, [], 'every event that reached the disk was delivered');
  let duplicates = 0;
  for (const [id, n] of counts) {
    duplicates += n - 1;
    assert.ok(n - 1 <= (allowance.get(id) ?? 0), `${id} arrived ${n} times without a kill to explain it`);
  }
  const temps = fs.readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
  return { rounds, persisted: persisted.size, delivered: counts.size, duplicates, maxStored, strayTempFiles: temps.length };
}
