// 100 concurrent units of work, each in its own isolation scope, interleaved with awaits and
// timers: no event may carry another task's data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as faultline from '../../src/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';

const server = useSentryServer({ setup: initClient });

function initClient(): void {
  faultline.init({ dsn: server.dsn, transportOptions: { bufferSize: 1000 } });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('100 concurrent isolation scopes never mix tags, users or breadcrumbs', async () => {
  const emitter = new EventEmitter();
  const tasks = Array.from({ length: 100 }, (_, i) =>
    faultline.withIsolationScope(async () => {
      faultline.setTag('task', String(i));
      faultline.setUser({ id: `user-${i}` });
      await pause(Math.random() * 20);
      faultline.addBreadcrumb({ message: `step-1-${i}` });
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          faultline.setExtra('timer', i);
          resolve();
        }, Math.random() * 10),
      );
      // A listener registered inside the task runs in the task's context when emitted from it.
      await new Promise<void>((resolve) => {
        emitter.once(`go-${i}`, () => {
          faultline.addBreadcrumb({ message: `emitted-${i}` });
          resolve();
        });
        setImmediate(() => emitter.emit(`go-${i}`));
      });
      await faultline.withScope(async (scope) => {
        scope.setTag('inner', String(i));
        await pause(Math.random() * 5);
        faultline.captureException(new Error(`failure ${i}`));
      });
      faultline.captureMessage(`done ${i}`);
    }),
  );
  await Promise.all(tasks);
  assert.equal(await faultline.flush(5000), true);
  assert.deepEqual(server.errors(), []);
  const events = server.events();
  assert.equal(events.length, 200);
  for (const event of events) {
    const i = event.tags.task;
    const text = event.exception ? event.exception.values.at(-1).value : event.logentry.formatted;
    assert.ok(text.endsWith(` ${i}`), `event "${text}" carries task ${i}`);
    assert.equal(event.user.id, `user-${i}`);
    assert.equal(event.extra.timer, Number(i));
    assert.deepEqual(event.breadcrumbs.values.map((c: any) => c.message), [`step-1-${i}`, `emitted-${i}`]);
    if (event.exception) assert.equal(event.tags.inner, i);
    else assert.equal(event.tags.inner, undefined, 'withScope changes stay in the fork');
  }
});
