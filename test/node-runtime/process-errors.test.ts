// Uncaught exceptions and unhandled rejections in real child processes: faultline delivers the
// event before the process ends, and the process ends the way plain Node ends it (exit code,
// the error on stderr), unless the app or the `unhandledRejections` option says otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { runFixture, type FixtureRun } from './run-fixture.js';

let server: TestServer;
before(async () => {
  server = await startSentryServer();
});
after(async () => {
  await server.close();
});

/** The same scenario with plain Node and with faultline, side by side. */
async function both(scenario: string, extra: { env?: Record<string, string>; nodeArgs?: string[] } = {}) {
  const env = { SCENARIO: scenario, ...extra.env };
  const [plain, withSdk] = await Promise.all([
    runFixture('process-errors.ts', { env, nodeArgs: extra.nodeArgs }),
    runFixture('process-errors.ts', { env, nodeArgs: extra.nodeArgs, server }),
  ]);
  return { plain, withSdk };
}

function onlyEvent(run: FixtureRun) {
  assert.equal(run.eventsAtExit.length, 1, `one event before exit; stderr: ${run.stderr}`);
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
  return run.eventsAtExit[0];
}

/**
 * stderr after the source line and caret: the caret block may differ (Node points at the throw
 * statement, faultline at the error's top frame; Node adds a blank line when source maps are on).
 */
function errorBody(stderr: string): string {
  return stderr.replace(/^[\s\S]*?\^\n+/, '');
}

describe('uncaught exceptions', { concurrency: true }, () => {
  test('are delivered as fatal before the process exits with Node\'s code and output', async () => {
    const { plain, withSdk } = await both('uncaught');
    assert.equal(plain.code, 1, 'Node exits with 1 even though the app set exitCode 5');
    assert.equal(withSdk.code, plain.code);
    const event = onlyEvent(withSdk);
    assert.equal(event.level, 'fatal');
    const ex = event.exception.values.at(-1);
    assert.equal(ex.type, 'Error');
    assert.equal(ex.value, 'uncaught boom');
    assert.deepEqual(ex.mechanism, { type: 'onuncaughtexception', handled: false });
    assert.ok(ex.stacktrace.frames.some((f: any) => f.function === 'failDeep'));
    // Same report on stderr: the source line with a caret, the stack, the Node version.
    assert.match(withSdk.stderr, /process-errors\.ts:\d+\n.*throw new Error\(message\);\n\s*\^\n\nError: uncaught boom\n\s+at failDeep/);
    assert.equal(errorBody(withSdk.stderr), errorBody(plain.stderr));
    assert.ok(withSdk.stderr.endsWith(`\n\nNode.js ${process.version}\n`));
  });

  test('with the app\'s own handler: captured, and the process lives on as it would', async () => {
    const { plain, withSdk } = await both('own-handler');
    assert.equal(plain.code, 0);
    assert.equal(withSdk.code, 0);
    assert.equal(withSdk.stdout, plain.stdout);
    assert.match(withSdk.stdout, /app handled: handled by the app/);
    assert.equal(withSdk.stderr, '');
    const event = onlyEvent(withSdk);
    assert.equal(event.level, 'fatal');
    assert.equal(event.exception.values.at(-1).mechanism.type, 'onuncaughtexception');
  });
});

describe('unhandled rejections', { concurrency: true }, () => {
  test('default mode crashes like Node (exit 1, error printed) after delivering the event', async () => {
    const { plain, withSdk } = await both('rejection');
    assert.equal(plain.code, 1);
    assert.equal(withSdk.code, 1);
    const event = onlyEvent(withSdk);
    assert.equal(event.level, 'error');
    const ex = event.exception.values.at(-1);
    assert.equal(ex.value, 'rejected boom');
    assert.deepEqual(ex.mechanism, { type: 'onunhandledrejection', handled: false });
    assert.equal(errorBody(withSdk.stderr), errorBody(plain.stderr));
  });

  test('a non-Error reason: the event carries the reason, stderr Node\'s UnhandledPromiseRejection', async () => {
    const { plain, withSdk } = await both('rejection-value');
    assert.equal(withSdk.code, plain.code);
    assert.equal(plain.code, 1);
    const event = onlyEvent(withSdk);
    assert.match(JSON.stringify(event.exception), /plain reason/);
    for (const run of [plain, withSdk]) {
      assert.match(run.stderr, /UnhandledPromiseRejection: This error originated .* with the reason "plain reason"\./);
      assert.match(run.stderr, /code: 'ERR_UNHANDLED_REJECTION'/);
    }
  });

  test('the app\'s own unhandledRejection listener keeps the process alive, as in Node', async () => {
    const { plain, withSdk } = await both('own-rejection-handler');
    assert.equal(plain.code, 0);
    assert.equal(withSdk.code, 0);
    assert.equal(withSdk.stdout, plain.stdout);
    assert.equal(onlyEvent(withSdk).exception.values.at(-1).mechanism.type, 'onunhandledrejection');
  });

  test('raised to the app\'s uncaughtException listener with origin unhandledRejection, as in Node', async () => {
    const { plain, withSdk } = await both('rejection-to-uncaught-handler');
    assert.equal(plain.code, 0);
    assert.equal(withSdk.code, 0);
    assert.equal(withSdk.stdout, plain.stdout);
    assert.match(withSdk.stdout, /raised to the app \(unhandledRejection\)/);
    onlyEvent(withSdk);
  });

  test('Node\'s --unhandled-rejections flag is respected (warn, warn-with-error-code, strict via NODE_OPTIONS)', async () => {
    // Plain Node's outcomes under these flags (checked once by hand, see the README): warn → 0,
    // warn-with-error-code → 1, strict → 1 even with a rejection listener. Not re-run here to keep
    // the file fast; the default-mode tests above do compare against plain Node.
    const [warn, coded, strict] = await Promise.all([
      runFixture('process-errors.ts', { server, env: { SCENARIO: 'rejection', KEEP_ALIVE_MS: '400' }, nodeArgs: ['--unhandled-rejections=warn'] }),
      runFixture('process-errors.ts', { server, env: { SCENARIO: 'rejection', KEEP_ALIVE_MS: '400' }, nodeArgs: ['--unhandled-rejections=warn-with-error-code'] }),
      runFixture('process-errors.ts', {
        server,
        env: { SCENARIO: 'own-rejection-handler', NODE_OPTIONS: '--unhandled-rejections=strict' },
      }),
    ]);
    assert.equal(warn.code, 0);
    assert.match(warn.stderr, /UnhandledPromiseRejectionWarning: Error: rejected boom/);
    onlyEvent(warn);
    assert.equal(coded.code, 1);
    assert.match(coded.stderr, /UnhandledPromiseRejectionWarning: Error: rejected boom/);
    onlyEvent(coded);
    assert.equal(strict.code, 1, 'strict crashes even with a rejection listener');
    assert.match(strict.stderr, /Error: rejection seen by the app/);
    assert.equal(onlyEvent(strict).exception.values.at(-1).mechanism.type, 'onunhandledrejection');
  });

  test('option unhandledRejections: warn warns and lives, none is silent, strict crashes', async () => {
    const [warn, none, strict] = await Promise.all([
      runFixture('process-errors.ts', { server, env: { SCENARIO: 'rejection', REJECTION_MODE: 'warn', KEEP_ALIVE_MS: '400' } }),
      runFixture('process-errors.ts', { server, env: { SCENARIO: 'rejection', REJECTION_MODE: 'none', KEEP_ALIVE_MS: '400' } }),
      runFixture('process-errors.ts', { server, env: { SCENARIO: 'own-rejection-handler', REJECTION_MODE: 'strict' } }),
    ]);
    assert.equal(warn.code, 0);
    assert.match(warn.stderr, /UnhandledPromiseRejectionWarning: Error: rejected boom/);
    onlyEvent(warn);
    assert.equal(none.code, 0);
    assert.equal(none.stderr, '');
    onlyEvent(none);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /Error: rejection seen by the app/);
    onlyEvent(strict);
  });
});
