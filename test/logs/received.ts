// Reading what the local Sentry server received, by item type (logs, check-ins, sessions), and
// running a fixture app in a real child Node process (through tsx) against it.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { TestServer } from '../helpers/sentry-server.js';

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

export interface AppRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `file` (a path relative to test/) with FAULTLINE_DSN set to the server's DSN. */
export function runApp(file: string, server: TestServer, env: Record<string, string> = {}): Promise<AppRun> {
  const childEnv: Record<string, string | undefined> = { ...process.env, FAULTLINE_DSN: server.dsn, ...env };
  delete childEnv['NODE_TEST_CONTEXT'];
  const root = path.resolve(import.meta.dirname, '../..');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test', file)], {
      env: childEnv,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
