// What run.mjs and tracing.mjs share: running one benchmark child process (a private TMPDIR so an
// SDK's on-disk queue never leaks into the next run, no inherited NODE_OPTIONS, killed after
// `timeoutMs`, its one `BENCH_RESULT <json>` line read back), and the median of the runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Resolves with `{ result, wallMs }`; rejects when the child printed no result. `onTimeout` is
 * called (before the kill) when it did not exit in time; `settleMs` waits after the exit for
 * requests still in a sink's socket buffers.
 */
export function runBenchChild({ args, cwd, label, timeoutMs, onTimeout, settleMs = 0, env = {} }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-child-'));
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env, TMPDIR: tmp, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { onTimeout?.(); child.kill('SIGKILL'); }, timeoutMs);
    child.on('exit', async (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
      fs.rmSync(tmp, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (!line) reject(new Error(`${label} exited ${code ?? signal} without a result:\n${stderr.slice(-2000)}`));
      else resolve({ result: JSON.parse(line.slice('BENCH_RESULT '.length)), wallMs });
    });
  });
}

export { median } from './median.mjs';
