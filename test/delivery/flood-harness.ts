// Runs the flood fixture in a child process (so its RSS is its own) and accounts for every
// capture: delivered (2xx) + counted drops must equal the number of captures, exactly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '../helpers/sentry-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixtures', 'flood-app.ts');

export interface FloodResult {
  total: number;
  accepted: number;
  delivered: boolean;
  captureMs: number;
  longestStallMs: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
}

export interface FloodOptions {
  total: number;
  spread?: boolean;
  maxEntries?: number;
  /** The server refuses (503) for this long after the child starts, then accepts. */
  outageMs?: number;
}

export async function runFlood(server: TestServer, cacheDir: string, o: FloodOptions) {
  server.envelopes.length = 0;
  server.fallback = o.outageMs ? { status: 503 } : { status: 200 };
  let acceptedFrom = 0;
  // The outage covers every capture: it starts when the child begins capturing (not at spawn: a
  // slow start must not eat into it) and ends `outageMs` later, but never before the last capture.
  let heal: ReturnType<typeof setTimeout> | undefined;
  let timerDone = false;
  let capturesDone = false;
  const healIfDue = () => {
    if (!o.outageMs || !timerDone || !capturesDone || server.fallback.status === 200) return;
    acceptedFrom = server.envelopes.length; // everything recorded before was answered 503
    server.fallback = { status: 200 };
  };
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: path.resolve(here, '../..'),
    env: {
      ...process.env,
      DSN: server.dsn,
      CACHE_DIR: cacheDir,
      N: String(o.total),
      SPREAD: o.spread ? '1' : '0',
      MAX_ENTRIES: String(o.maxEntries ?? 1000),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c;
    if (heal === undefined && stdout.includes('capturing\n')) {
      heal = setTimeout(() => {
        timerDone = true;
        healIfDue();
      }, o.outageMs ?? 0);
    }
    if (!capturesDone && stdout.includes('captured\n')) {
      capturesDone = true;
      healIfDue();
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(heal);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as FloodResult;
  const accepted = server.envelopes.slice(acceptedFrom);
  const deliveredIds = new Set<string>();
  for (const env of accepted) for (const item of env.items) if (item.header['type'] === 'event') deliveredIds.add(item.json.event_id);
  const discarded: Record<string, number> = {};
  for (const env of accepted)
    for (const item of env.items)
      if (item.header['type'] === 'client_report')
        for (const d of item.json.discarded_events) discarded[`${d.reason}:${d.category}`] = (discarded[`${d.reason}:${d.category}`] ?? 0) + d.quantity;
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
  return { result, delivered: deliveredIds.size, discarded };
}
