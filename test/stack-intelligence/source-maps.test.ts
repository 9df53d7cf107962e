// Source maps end to end: a TypeScript fixture is compiled during the test (tsc with external
// `.map` files, esbuild with inline maps, esbuild minified), run in a child process that throws and
// captures, and the real test server must receive frames at the `.ts` file and line, with the
// TypeScript source as context. Run with and without Node's own source-map support.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const fixtureSources = path.join(here, 'fixtures/ts-app');
const runner = path.join(here, 'fixtures/run-compiled.mjs');
// The child runs in the temp project, where `tsx` cannot be found by name.
const tsx = import.meta.resolve('tsx');
const bin = (name: string) => path.join(repo, 'node_modules/.bin', name);

let server: TestServer;
const tempDirs: string[] = [];

before(async () => {
  server = await startSentryServer();
});
after(async () => {
  await server.close();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temp project: `src/` holds the fixture's TypeScript. Returns its root. */
function makeProject(): string {
  // realpath: the child's cwd (and so its frames) is the real path even where /tmp is a symlink.
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-maps-')));
  tempDirs.push(root);
  fs.cpSync(fixtureSources, path.join(root, 'src'), { recursive: true });
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  return root;
}

function lineOf(file: string, marker: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(marker));
  assert.ok(index >= 0, `marker ${marker} in ${file}`);
  return index + 1;
}

/** Runs the compiled entry in a child, returns the event the server received from it. */
async function captureFrom(root: string, entry: string, nodeMaps: 'on' | 'off'): Promise<{ event: any; stack: string }> {
  const before = server.events().length;
  const { stdout } = await run(process.execPath, ['--import', tsx, runner, server.dsn, entry, nodeMaps], {
    cwd: root,
    timeout: 20_000,
  });
  const { stack } = JSON.parse(stdout.trim().split('\n').pop()!);
  await server.waitFor(() => server.events().length > before);
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
  return { event: server.events()[before], stack };
}

function assertMappedToTypeScript(event: any, root: string): void {
  const source = path.join(root, 'src/billing.ts');
  const exception = event.exception.values.at(-1);
  assert.equal(exception.type, 'RangeError');
  const frames = exception.stacktrace.frames;
  const top = frames.at(-1);
  assert.equal(top.filename, 'src/billing.ts');
  assert.equal(top.abs_path, source);
  assert.equal(top.lineno, lineOf(source, 'THROW-SITE'));
  assert.equal(typeof top.colno, 'number');
  assert.match(top.function, /chargeInvoice$/);
  assert.equal(top.in_app, true);
  assert.match(top.context_line, /throw new RangeError/);
  assert.equal(top.pre_context.length, 5);
  assert.match(top.pre_context.at(-1), /if \(cents > 0\)/, 'TypeScript source, not compiled JS');
  assert.match(top.pre_context.join('\n'), /const cents: number/, 'type annotations show it is the .ts');
  assert.equal(top.post_context.length, 5);
  const caller = frames.at(-2);
  assert.equal(caller.filename, 'src/billing.ts');
  assert.equal(caller.lineno, lineOf(source, 'CALL-SITE'));
  assert.match(caller.function, /runBilling$/);
  const main = frames.find((f: any) => f.filename === 'src/main.ts');
  assert.ok(main, 'main.ts frame is mapped too');
  assert.match(main.function, /main$/);
}

describe('source maps', () => {
  test('tsc with external .map files, context read from the .ts files on disk', async () => {
    const root = makeProject();
    await run(bin('tsc'), ['--outDir', 'out', '--sourceMap', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'bundler', '--strict', '--skipLibCheck', 'src/main.ts', 'src/billing.ts'], { cwd: root });
    assert.ok(fs.existsSync(path.join(root, 'out/billing.js.map')));
    assert.ok(!JSON.parse(fs.readFileSync(path.join(root, 'out/billing.js.map'), 'utf8')).sourcesContent, 'no sourcesContent: context must come from disk');
    for (const nodeMaps of ['off', 'on'] as const) {
      const { event, stack } = await captureFrom(root, path.join(root, 'out/main.js'), nodeMaps);
      // Proves the two situations differ: without Node's support, V8 reports the compiled file.
      if (nodeMaps === 'off') assert.match(stack, /out[\\/]billing\.js/);
      else assert.match(stack, /src[\\/]billing\.ts/, 'Node mapped it already (nothing left to map twice)');
      assertMappedToTypeScript(event, root);
    }
  });

  test('esbuild bundle with an inline map, context from sourcesContent (the .ts files are gone)', async () => {
    const root = makeProject();
    await run(bin('esbuild'), ['src/main.ts', '--bundle', '--format=esm', '--platform=node', '--sourcemap=inline', '--outfile=dist/main.js'], { cwd: root });
    const absent = path.join(root, 'src-moved');
    fs.renameSync(path.join(root, 'src'), absent);
    const { event, stack } = await captureFrom(root, path.join(root, 'dist/main.js'), 'off');
    assert.match(stack, /dist[\\/]main\.js/);
    assert.ok(!fs.existsSync(path.join(root, 'src/billing.ts')));
    fs.renameSync(absent, path.join(root, 'src')); // for lineOf
    assertMappedToTypeScript(event, root);
  });

  test('a minified bundle gets its original function names back', async () => {
    const root = makeProject();
    await run(bin('esbuild'), ['src/main.ts', '--bundle', '--minify', '--format=esm', '--platform=node', '--sourcemap', '--outfile=dist/main.js'], { cwd: root });
    const { event, stack } = await captureFrom(root, path.join(root, 'dist/main.js'), 'off');
    assert.doesNotMatch(stack, /runBilling/, 'the compiled stack has only minified names');
    const frames = event.exception.values.at(-1).stacktrace.frames;
    const source = path.join(root, 'src/billing.ts');
    const caller = frames.at(-2);
    assert.equal(caller.filename, 'src/billing.ts');
    assert.equal(caller.lineno, lineOf(source, 'CALL-SITE'));
    assert.equal(caller.function, 'runBilling');
    assert.match(frames.at(-1).context_line, /throw new RangeError/);
    assert.ok(frames.at(-1).context_line.length <= 142, 'lines are trimmed');
  });
});
