// Runs a script in a child Node with V8's test intrinsics (`--allow-natives-syntax`), for tests
// that ask V8 whether a function's optimized code is still in place after something happened.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNode } from './run-node.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A module of the project's `src/`, as an import specifier the script can use. */
export const srcModule = (file: string): string => JSON.stringify(path.join(root, 'src', file));

// Put before the script's own code. Function keeps the intrinsics out of tsx's parser.
const INTRINSICS = `
const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
const prepare = new Function('f', '%PrepareFunctionForOptimization(f)') as (f: unknown) => void;
const optimizeOnNextCall = new Function('f', '%OptimizeFunctionOnNextCall(f)') as (f: unknown) => void;
const optimized = (f: unknown) => (status(f) & (1 << 4)) !== 0;
`;

/**
 * Runs `body` (which may use `prepare`, `optimizeOnNextCall` and `optimized`) and returns what it
 * printed, trimmed; fails the test if the child does not exit with 0.
 */
export async function runV8Script(body: string, nodeArgs: string[] = []): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'faultline-v8-'));
  try {
    const script = path.join(dir, 'script.mts');
    writeFileSync(script, INTRINSICS + body);
    const run = await runNode(script, { env: { ...process.env }, cwd: root, timeoutMs: 60000, nodeArgs: ['--allow-natives-syntax', ...nodeArgs] });
    assert.equal(run.code, 0, run.stderr);
    return run.stdout.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
