// Console and child-process breadcrumbs, on events sent to the local server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as faultline from '../../src/index.js';
import { consoleIntegration } from '../../src/integrations/console.js';
import { childProcessIntegration } from '../../src/integrations/child-process.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { sentEvents } from '../helpers/flushed.js';
import { runFixture } from './run-fixture.js';

const server = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes'] });

async function crumbsOfNextEvent(): Promise<any[]> {
  faultline.captureMessage('look at the crumbs');
  const events = await sentEvents(server);
  assert.equal(events.length, 1);
  const crumbs = events[0].breadcrumbs;
  return Array.isArray(crumbs) ? crumbs : (crumbs?.values ?? []);
}

describe('console breadcrumbs', () => {
  test('every method becomes a breadcrumb, and the console prints exactly what it printed before', async () => {
    const [plain, withSdk] = await Promise.all([
      runFixture('console-app.ts'),
      runFixture('console-app.ts', { server }),
    ]);
    assert.equal(withSdk.code, 0, withSdk.stderr);
    assert.equal(withSdk.stdout, plain.stdout);
    assert.equal(withSdk.stderr, plain.stderr);
    assert.match(plain.stderr, /Trace: trace line\n\s+at /);

    const event = server.events().find((e) => e.tags?.run && e.logentry?.formatted === 'after logging');
    assert.ok(event, 'the event arrived');
    const crumbs = (Array.isArray(event.breadcrumbs) ? event.breadcrumbs : event.breadcrumbs.values).filter(
      (c: any) => c.category === 'console',
    );
    assert.deepEqual(
      crumbs.map((c: any) => [c.level, c.message]),
      [
        ['info', "plain text and 42 { nested: { a: [ 1, 2 ] } }"],
        ['info', 'info line'],
        ['warning', "warn line Map(1) { 'k' => 'v' }"],
        ['error', 'error line { x: 1 }'],
        ['debug', 'debug line'],
        ['debug', 'trace line'],
      ],
      'one crumb per call (trace prints through console.error but is one crumb)',
    );
    assert.deepEqual(server.errors(), []);
  });

  test('teardown restores the original methods; beforeBreadcrumb that logs does not recurse', async () => {
    const originalLog = console.log;
    const seen: string[] = [];
    faultline.init({
      dsn: server.dsn,
      defaultIntegrations: false,
      integrations: [consoleIntegration()],
      beforeBreadcrumb(crumb) {
        console.log('inside beforeBreadcrumb'); // would loop forever if it were recorded again
        seen.push(crumb.message ?? '');
        return crumb;
      },
    });
    assert.notEqual(console.log, originalLog);
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write; // keep the test output clean
    try {
      console.log('recorded %s', 'once');
    } finally {
      process.stdout.write = write;
    }
    assert.deepEqual(seen, ['recorded once']);
    const crumbs = await crumbsOfNextEvent();
    assert.deepEqual(crumbs.map((c) => c.message), ['recorded once']);
    await faultline.close(500);
    assert.equal(console.log, originalLog);
  });
});

describe('child-process breadcrumbs', () => {
  test('spawn and exit with pid, exit code and signal', async () => {
    faultline.init({ dsn: server.dsn, defaultIntegrations: false, integrations: [childProcessIntegration()] });
    const failing = spawn(process.execPath, ['-e', 'process.exit(3)']);
    await new Promise((r) => failing.on('exit', r));
    const ok = await new Promise<number>((resolve) => {
      const c = execFile(process.execPath, ['-e', '0'], () => resolve(c.pid!));
    });
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    await new Promise((r) => sleeper.once('spawn', r));
    sleeper.kill('SIGTERM');
    await new Promise((r) => sleeper.on('exit', r));
    const missing = spawn('faultline-no-such-command-xyz');
    const spawnError = await new Promise<NodeJS.ErrnoException>((r) => missing.on('error', r));
    assert.equal(spawnError.code, 'ENOENT', 'the app still gets the spawn error');

    const crumbs = (await crumbsOfNextEvent()).filter((c) => c.category === 'child_process');
    for (const c of crumbs) assert.equal(c.type, 'subprocess');
    const summary = crumbs.map((c) => [c.level ?? 'info', c.message.replace(process.execPath, 'node'), { ...c.data, pid: typeof c.data.pid }]);
    assert.deepEqual(summary, [
      ['info', 'node -e process.exit(3)', { pid: 'number' }],
      ['warning', 'node -e process.exit(3)', { pid: 'number', exit_code: 3 }],
      ['info', 'node -e 0', { pid: 'number' }],
      ['info', 'node -e 0', { pid: 'number', exit_code: 0 }],
      ['info', 'node -e setTimeout(() => {}, 10000)', { pid: 'number' }],
      ['warning', 'node -e setTimeout(() => {}, 10000)', { pid: 'number', signal: 'SIGTERM' }],
      ['error', 'faultline-no-such-command-xyz', { spawn_failed: true, pid: 'undefined' }],
    ]);
    assert.equal(crumbs[0].data.pid, failing.pid);
    assert.equal(crumbs[2].data.pid, ok);
  });

  test('includeArgs: false records the executable only', async () => {
    faultline.init({ dsn: server.dsn, defaultIntegrations: false, integrations: [childProcessIntegration({ includeArgs: false })] });
    const c = spawn(process.execPath, ['-e', '0', '--secret-token=abc']);
    await new Promise((r) => c.on('exit', r));
    const crumbs = (await crumbsOfNextEvent()).filter((x) => x.category === 'child_process');
    assert.deepEqual(crumbs.map((x) => x.message), [process.execPath, process.execPath]);
  });
});
