// Reading what the local Sentry server received, by item type (logs, check-ins, sessions), and
// running a fixture app in a real child Node process (through tsx) against it.
import * as path from 'node:path';
import type { TestServer } from '../helpers/sentry-server.js';
import { runNode, type NodeRun } from '../helpers/run-node.js';

export function itemsOfType(server: TestServer, type: string): Array<{ header: Record<string, unknown>; json?: any }> {
  return server.envelopes.flatMap((e) => e.items.filter((i) => i.header['type'] === type));
}

/** Every log record received, in arrival order. */
export function logsOf(server: TestServer): any[] {
  return itemsOfType(server, 'log').flatMap((i) => i.json.items);
}

export function checkInsOf(server: TestServer): any[] {
  return itemsOfType(server, 'check_in').map((i) => i.json);
}

export function attr(record: any, key: string): unknown {
  return record.attributes?.[key]?.value;
}

/** Runs `file` (a path relative to test/) with FAULTLINE_DSN set to the server's DSN. */
export function runApp(file: string, server: TestServer, env: Record<string, string> = {}): Promise<NodeRun> {
  const root = path.resolve(import.meta.dirname, '../..');
  return runNode(path.join(root, 'test', file), {
    env: { ...process.env, FAULTLINE_DSN: server.dsn, ...env },
    cwd: root,
    timeoutMs: 30_000,
  });
}
