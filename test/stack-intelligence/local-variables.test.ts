// Local variables for real: a child process with includeLocalVariables throws from functions with
// known locals; the server must receive them on the right frames, with `password` scrubbed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as faultline from '../../src/index.js';
import { localVariablesIntegration } from '../../src/integrations/local-variables.js';
import { LocalVariablesCollector } from '../../src/node/local-variables/collector.js';
import { useSentryServer } from '../helpers/sdk-harness.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

const server = useSentryServer();

function frameNamed(event: any, name: string): any {
  return event.exception.values.at(-1).stacktrace.frames.find((f: any) => f.function === name || f.function?.endsWith('.' + name));
}

describe('local variables', () => {
  test('caught, async and uncaught errors carry their frames\' locals, scrubbed', async () => {
    const before = server.events().length;
    await run(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/local-vars-app.ts'), server.dsn], { cwd: path.resolve(here, '../..'), timeout: 20_000 });
    await server.waitFor(() => server.events().length >= before + 3);
    assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
    const events = server.events().slice(before);
    const byValue = new Map(events.map((e: any) => [e.exception.values.at(-1).value, e]));

    const checkout = frameNamed(byValue.get('checkout of cart-1 failed'), 'checkout');
    assert.equal(checkout.vars.cartId, 'cart-1');
    assert.equal(checkout.vars.count, 3);
    assert.equal(checkout.vars.password, '[Filtered]', 'a secret-named local is scrubbed');
    assert.deepEqual(checkout.vars.customer, { name: 'ada', tier: 'gold', visits: 3 });
    assert.deepEqual(checkout.vars.items, ['book', 'pen']);
    assert.ok(checkout.vars.note.length <= 260 && checkout.vars.note.startsWith('xxx'), 'long strings are trimmed');
    const caller = frameNamed(byValue.get('checkout of cart-1 failed'), 'handleRequest');
    assert.deepEqual(caller.vars, { requestId: 'req-42' }, 'the caller frame has its own locals');

    const job = frameNamed(byValue.get('job 7 failed'), 'runJob');
    assert.equal(job.vars.jobId, 7);
    assert.equal(job.vars.stage, 'upload');

    const uncaught = byValue.get('uncaught failure');
    assert.equal(uncaught.level, 'fatal');
    assert.equal(frameNamed(uncaught, 'crashLater').vars.phase, 'shutdown');
  });

  test('off by default: no debugger, no vars', async () => {
    const start = server.events().length;
    faultline.init({ dsn: server.dsn, integrations: [localVariablesIntegration()] });
    const secret = 'visible-only-with-locals';
    try {
      throw new Error(`plain ${secret.length}`);
    } catch (error) {
      faultline.captureException(error);
    }
    assert.equal(await faultline.flush(3000), true);
    const [event] = server.events().slice(start);
    for (const frame of event.exception.values.at(-1).stacktrace.frames) assert.equal(frame.vars, undefined);
  });
});

describe('LocalVariablesCollector', () => {
  function throwWith(value: number): Error {
    try {
      const local = value;
      void local;
      throw new Error('collected');
    } catch (error) {
      return error as Error;
    }
  }

  test('keys locals by the thrown object; a re-throw keeps the first ones', () => {
    const collector = new LocalVariablesCollector();
    assert.equal(collector.start(), true);
    try {
      const error = throwWith(5);
      const frames = collector.get(error)!;
      assert.equal(frames[0]!.functionName, 'throwWith');
      assert.equal(frames[0]!.vars['local'], 5);
      assert.equal(frames[0]!.vars['value'], 5);
      let again: unknown;
      try {
        const other = 'rethrow site';
        void other;
        throw error;
      } catch (e) {
        again = e;
      }
      assert.equal(collector.get(again), frames, 're-thrown: the deepest locals stay');
      assert.equal(collector.get('not an object'), undefined);
    } finally {
      collector.stop();
    }
    assert.equal(collector.get(throwWith(1)), undefined, 'stopped: nothing is collected');
  });

  test('rate limited: a throwing loop stops paying for collection', () => {
    const collector = new LocalVariablesCollector({ maxExceptionsPerSecond: 5, cooldownMs: 60_000 });
    collector.start();
    try {
      const errors = Array.from({ length: 50 }, (_, i) => throwWith(i));
      const collected = errors.filter((e) => collector.get(e) !== undefined).length;
      assert.equal(collected, 5);
      assert.equal(collector.stats.skippedByRateLimit, 1, 'after the first refusal the debugger stops pausing');
      assert.ok(collector.stats.pauses <= 7, `pauses stopped (${collector.stats.pauses})`);
    } finally {
      collector.stop();
    }
  });
});
