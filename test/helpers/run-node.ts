// Runs a script in a real child Node process through tsx and collects what it printed: the
// process-level tests need real exits, crashes and signals, not an in-process imitation.
import { spawn } from 'node:child_process';

export interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunNodeOptions {
  /** The child's whole environment. NODE_TEST_CONTEXT is removed so the child is not a test runner's child. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Killed with SIGKILL after this long, so a hung fixture fails its test instead of the run. */
  timeoutMs: number;
  /** Node flags before `--import tsx`. */
  nodeArgs?: string[];
  /** Called synchronously when the process exits, before its output streams are closed. */
  onExit?: () => void;
}

/** Resolves once the child has exited and its output is complete. */
export function runNode(script: string, opts: RunNodeOptions): Promise<NodeRun> {
  const env = { ...opts.env };
  delete env['NODE_TEST_CONTEXT'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', script], {
      env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('exit', () => opts.onExit?.());
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
