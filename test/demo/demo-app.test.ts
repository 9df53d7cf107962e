// The main job end to end: the demo app, configured only with `collector: true`, sends to a real
// faultline-collector, which stores and groups what it sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startCollector } from '../../collector/src/index.js';

let collector: Awaited<ReturnType<typeof startCollector>>;
before(async () => {
  collector = await startCollector({ port: 0, dbPath: ':memory:', quiet: true });
});
after(async () => {
  await collector.close();
});

async function api(p: string): Promise<any> {
  const res = await fetch(new URL(p, collector.url));
  return res.json();
}

test('the demo app reaches the local collector with collector: true, and its errors are grouped', async () => {
  const child = spawn(process.execPath, [path.resolve('examples/demo-app/app.mjs')], {
    env: { ...process.env, SENTRY_DSN: '', FAULTLINE_COLLECTOR: '1', FAULTLINE_COLLECTOR_PORT: String(collector.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.match(output, /everything delivered: true/);
  assert.equal(code, 1, 'the unhandled rejection ends the demo as Node would');
  const { issues } = await api('api/issues');
  const titles = issues.map((i: any) => i.title).join('\n');
  assert.match(titles, /PaymentDeclinedError: card of/);
  assert.match(titles, /TypeError: Cannot read properties of undefined/);
  assert.match(titles, /Nightly report took longer than 30 s/);
  const payment = issues.find((i: any) => i.title.startsWith('PaymentDeclinedError'));
  assert.equal(payment.count, 10, 'ten declined checkouts are one issue');
  assert.equal(payment.userCount, 10);
});
