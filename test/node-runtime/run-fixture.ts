// Runs a fixture script in a real child Node process (through tsx) and records what matters to
// the process-level tests: exit code, output, and which events the server had when it exited.
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../helpers/sentry-server.js';
import { runNode, type NodeRun } from '../helpers/run-node.js';

export interface FixtureRun extends NodeRun {
  /** Events of this run the server had received when the child's exit was observed. */
  eventsAtExit: any[];
}

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

export async function runFixture(
  script: string,
  opts: { server?: TestServer; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<FixtureRun> {
  const runId = randomUUID();
  const env: Record<string, string | undefined> = { ...process.env, RUN_ID: runId, ...opts.env };
  if (opts.server) env['FAULTLINE_DSN'] = opts.server.dsn;
  else delete env['FAULTLINE_DSN'];
  let eventsAtExit: any[] = [];
  const run = await runNode(path.join(FIXTURES, script), {
    env,
    cwd: path.resolve(FIXTURES, '../../..'),
    timeoutMs: 15_000,
    nodeArgs: opts.nodeArgs,
    // Taken synchronously on exit: anything the server has now arrived before the process ended.
    onExit: () => {
      eventsAtExit = opts.server ? opts.server.events().filter((e) => e?.tags?.run === runId) : [];
    },
  });
  return { ...run, eventsAtExit };
}
