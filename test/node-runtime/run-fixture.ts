// Runs a fixture script in a real child Node process (through tsx) and records what matters to
// the process-level tests: exit code, output, and which events the server had when it exited.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../helpers/sentry-server.js';

export interface FixtureRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Events of this run the server had received when the child's exit was observed. */
  eventsAtExit: any[];
}

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

export function runFixture(
  script: string,
  opts: { server?: TestServer; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<FixtureRun> {
  const runId = randomUUID();
  const env: Record<string, string | undefined> = { ...process.env, RUN_ID: runId, ...opts.env };
  delete env['NODE_TEST_CONTEXT'];
  if (opts.server) env['FAULTLINE_DSN'] = opts.server.dsn;
  else delete env['FAULTLINE_DSN'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', path.join(FIXTURES, script)], {
      env,
      cwd: path.resolve(FIXTURES, '../../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      // Taken synchronously on exit: anything the server has now arrived before the process ended.
      const eventsAtExit = opts.server ? opts.server.events().filter((e) => e?.tags?.run === runId) : [];
      child.on('close', () => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, eventsAtExit });
      });
    });
  });
}
