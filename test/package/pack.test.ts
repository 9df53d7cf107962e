// The published package: pack it, install the tarball into a fresh project, and use it from
// ESM, CommonJS and TypeScript, sending a real event to a local server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';

const root = process.cwd();
let dir: string;
let server: TestServer;

before(async () => {
  server = await startSentryServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-pack-'));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
  const tarball = path.join(dir, out.trim().split('\n').pop()!);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', tarball], { cwd: dir });
});
after(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Asynchronous on purpose: the test server lives in this process and must keep answering.
async function run(file: string, source: string): Promise<string> {
  fs.writeFileSync(path.join(dir, file), source);
  const { stdout } = await promisify(execFile)(process.execPath, [file], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, DSN: server.dsn },
  });
  return stdout;
}

const program = (load: string) => `${load}
const id = f.captureException(new Error('from the tarball'));
f.flush(3000).then((ok) => console.log(JSON.stringify({ id, ok, init: typeof f.init })));`;

test('works with import', async () => {
  const out = JSON.parse(await run('esm.mjs', program(`import * as f from 'faultline'; f.init({ dsn: process.env.DSN });`)));
  assert.match(out.id, /^[0-9a-f]{32}$/);
  assert.equal(out.ok, true);
  assert.ok(server.events().some((e) => e.event_id === out.id));
});

test('works with require', async () => {
  const out = JSON.parse(await run('cjs.cjs', program(`const f = require('faultline'); f.init({ dsn: process.env.DSN });`)));
  assert.match(out.id, /^[0-9a-f]{32}$/);
  assert.equal(out.ok, true);
  assert.ok(server.events().some((e) => e.event_id === out.id));
});

// A Node app has Node's type definitions; the consumer gets them from this repository's install.
test('ships type declarations that a strict TypeScript project compiles against', () => {
  fs.writeFileSync(
    path.join(dir, 'app.ts'),
    `import { init, captureMessage, type Event, type Options } from 'faultline';
const options: Options = { dsn: 'http://k@127.0.0.1:1/1', beforeSend: (e: Event) => e };
init(options);
const id: string | undefined = captureMessage('typed', 'warning');
export { id };\n`,
  );
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const mod of ['nodenext', 'commonjs']) {
    const args = ['--noEmit', '--strict', '--module', mod, '--moduleResolution', mod === 'commonjs' ? 'node10' : 'nodenext', '--typeRoots', path.join(root, 'node_modules', '@types'), '--types', 'node', 'app.ts'];
    execFileSync(process.execPath, [tsc, ...args], { cwd: dir, encoding: 'utf8' });
  }
});

test('the package holds only the built files', () => {
  const installed = path.join(dir, 'node_modules', 'faultline');
  const files = fs.readdirSync(path.join(installed, 'dist')).sort();
  assert.ok(files.includes('index.js') && files.includes('index.cjs') && files.includes('index.d.ts'));
  assert.ok(!fs.existsSync(path.join(installed, 'src')));
});

test('the bundles are Latin-1 only, so V8 keeps their source at one byte per character', () => {
  const dist = path.join(dir, 'node_modules', 'faultline', 'dist');
  for (const file of fs.readdirSync(dist).filter((f) => /\.(c?js)$/.test(f))) {
    const text = fs.readFileSync(path.join(dist, file), 'utf8');
    const wide = [...text].findIndex((ch) => ch.codePointAt(0)! > 0xff);
    assert.equal(wide, -1, `${file} has a character outside Latin-1 near: ${text.slice(Math.max(0, wide - 40), wide + 40)}`);
  }
});

// WebCrypto's first use costs 6–10 ms on the caller's tick; ids come from /dev/urandom instead
// (src/node/random-bytes.ts). Plain node, not tsx, which loads crypto itself.
test('import, init and a first capture load no crypto module', async () => {
  const out = await run(
    'no-crypto.mjs',
    `import * as f from 'faultline';
f.init({ dsn: process.env.DSN });
const id = f.captureException(new Error('first'));
const crypto = process.moduleLoadList.filter((m) => /crypto/i.test(m));
f.flush(3000).then((ok) => console.log(JSON.stringify({ id, ok, crypto })));`,
  );
  const { id, ok, crypto } = JSON.parse(out);
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(ok, true);
  assert.deepEqual(crypto, []);
});
