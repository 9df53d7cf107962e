// `faultline test-event`: one real event to a real server, and a plain sentence about the outcome.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';

const cli = path.resolve('dist/cli.js');
let server: TestServer;
let refusing: http.Server;
let refusingPort: number;

before(async () => {
  server = await startSentryServer();
  refusing = http.createServer((req, res) => {
    req.resume();
    const status = Number(new URL(req.url!, 'http://x').pathname.split('/')[2]);
    res.writeHead(status, status === 429 ? { 'retry-after': '30' } : {}).end('{"detail":"nope"}');
  });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  refusingPort = (refusing.address() as AddressInfo).port;
});
after(async () => {
  await server.close();
  refusing.close();
});

async function runCli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { env: { PATH: process.env['PATH'] } });
    return { code: 0, out: stdout + stderr };
  } catch (err: any) {
    return { code: err.code, out: String(err.stdout) + String(err.stderr) };
  }
}

test('an accepted event', async () => {
  const { code, out } = await runCli('test-event', '--dsn', server.dsn);
  assert.equal(code, 0);
  assert.match(out, /^accepted \(200\): event [0-9a-f]{32}/);
  const [event] = server.events();
  assert.equal(event.tags['faultline.test'], 'true');
  assert.deepEqual(server.errors(), []);
});

test('says why an event was not accepted', async () => {
  const dsn = (status: number) => `http://0123456789abcdef0123456789abcdef@127.0.0.1:${refusingPort}/${status}`;
  assert.match((await runCli('test-event', '--dsn', dsn(401))).out, /does not know this DSN key \(401\)/);
  assert.match((await runCli('test-event', '--dsn', dsn(413))).out, /larger than the server accepts \(413\)/);
  assert.match((await runCli('test-event', '--dsn', dsn(429))).out, /rate limiting .*retry after 30 s/);
  const refused = await runCli('test-event', '--dsn', 'http://0123456789abcdef0123456789abcdef@127.0.0.1:1/1');
  assert.equal(refused.code, 1);
  assert.match(refused.out, /unreachable: nothing listens at 127\.0\.0\.1:1/);
  assert.match((await runCli('test-event', '--dsn', 'ftp://k@host/1')).out, /^bad DSN/);
  assert.match((await runCli('test-event')).out, /no DSN/);
});

test('--help', async () => {
  const { code, out } = await runCli('--help');
  assert.equal(code, 0);
  assert.match(out, /test-event \[--dsn DSN\]/);
});
