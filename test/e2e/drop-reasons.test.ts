// Every way a capture can be refused (SPEC.md decision 1): it returns undefined, sends nothing, and
// is counted in a client report where the reason calls for one. Real client, real server on 127.0.0.1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { captureKit, EVENT_ID as ID } from '../helpers/capture-kit.js';

const server = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes', 'resetReplies'] });
const { init, sent } = captureKit(server);

describe('every drop reason returns undefined, sends nothing, and is counted', () => {
  test('not initialized', () => {
    faultline.getGlobalScope().setClient(undefined);
    assert.equal(faultline.captureException(new Error('x')), undefined);
    assert.equal(faultline.captureMessage('x'), undefined);
    assert.equal(faultline.captureEvent({}), undefined);
  });

  test('no DSN: disabled', async () => {
    const saved = process.env['SENTRY_DSN'];
    delete process.env['SENTRY_DSN'];
    faultline.init({});
    assert.equal(faultline.captureException(new Error('x')), undefined);
    process.env['SENTRY_DSN'] = saved ?? '';
    if (saved === undefined) delete process.env['SENTRY_DSN'];
  });

  test('malformed DSN or bad option: disabled, no throw', () => {
    assert.doesNotThrow(() => faultline.init({ dsn: 'not a dsn' }));
    assert.equal(faultline.captureMessage('x'), undefined);
    assert.doesNotThrow(() => faultline.init({ dsn: server.dsn, sampleRate: 7 }));
    assert.equal(faultline.captureMessage('x'), undefined);
  });

  test('sampleRate', async () => {
    init({ sampleRate: 0 });
    assert.equal(faultline.captureException(new Error('x')), undefined);
    assert.equal(faultline.captureMessage('x'), undefined);
    await faultline.flush(2000);
    assert.equal(server.events().length, 0);
    assert.equal(server.discarded()['sample_rate:error'], 2);
  });

  test('errorSampler decides for captureException, captureMessage and captureEvent, and overrides sampleRate', async () => {
    const keep = new Error('keep me');
    const seen: string[] = [];
    init({
      sampleRate: 0,
      errorSampler: (event, hint) => {
        if (event.exception) {
          seen.push(`exception ${event.exception.values?.[0]?.value}`);
          return hint.originalException === keep;
        }
        const text = event.logentry?.formatted ?? (typeof event.message === 'string' ? event.message : '');
        seen.push(`message ${text}`);
        return text.startsWith('keep') ? 1 : 0;
      },
    });
    assert.match(faultline.captureException(keep) ?? '', ID);
    assert.equal(faultline.captureException(new Error('drop me')), undefined);
    assert.match(faultline.captureMessage('keep message') ?? '', ID);
    assert.equal(faultline.captureMessage('drop message'), undefined);
    assert.match(faultline.captureEvent({ message: 'keep event' }) ?? '', ID);
    assert.deepEqual(seen, ['exception keep me', 'exception drop me', 'message keep message', 'message drop message', 'message keep event']);
    const events = await sent();
    assert.deepEqual(events.map((e) => e.exception?.values?.[0]?.value ?? e.logentry?.formatted ?? e.message).sort(), ['keep event', 'keep me', 'keep message']);
    assert.equal(server.discarded()['sample_rate:error'], 2);
  });

  test('beforeSend returning null or throwing', async () => {
    let n = 0;
    init({
      beforeSend: () => {
        if (n++ === 0) return null;
        throw new Error('bad hook');
      },
    });
    assert.equal(faultline.captureMessage('a'), undefined);
    assert.equal(faultline.captureMessage('b'), undefined);
    await faultline.flush(2000);
    assert.equal(server.events().length, 0);
    assert.equal(server.discarded()['before_send:error'], 2);
  });

  test('an async beforeSend or event processor: a Promise is never sent as the event', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      init({
        beforeSend: (async (event: faultline.Event) => {
          if (event.logentry?.formatted === 'rejects') throw new Error('async hook failed');
          return event;
        }) as never,
      });
      // beforeSend cannot be waited for: the capture answers at once, so the event is dropped and counted.
      assert.equal(faultline.captureMessage('async beforeSend'), undefined);
      assert.equal(faultline.captureMessage('rejects'), undefined);
      assert.equal(await faultline.flush(2000), true);
      assert.equal(server.discarded()['before_send:error'], 2);
      init();
      faultline.getIsolationScope().addEventProcessor((async (event: faultline.Event) => ({ ...event, tags: { late: 'yes' } })) as never);
      // A processor's Promise is ignored like any other non-event result: the event goes on unchanged.
      assert.match(faultline.captureMessage('async processor', { tags: { own: 'yes' } }) ?? '', ID);
      const events = await sent();
      assert.equal(events.length, 1);
      assert.equal(events[0].logentry.formatted, 'async processor');
      assert.deepEqual(events[0].tags, { own: 'yes' });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(rejections, [], 'a rejecting async hook does not become an unhandled rejection');
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  test('an event processor returning null; a throwing one is skipped', async () => {
    init();
    faultline.getIsolationScope().addEventProcessor(() => {
      throw new Error('processor bug');
    });
    assert.match(faultline.captureMessage('kept')!, ID);
    faultline.getCurrentScope().addEventProcessor(() => null);
    assert.equal(faultline.captureMessage('dropped'), undefined);
    const events = await sent();
    assert.equal(events.length, 1);
    assert.equal(server.discarded()['event_processor:error'], 1);
  });

  test('ignoreErrors (substring of "Type: message" and RegExp); not counted', async () => {
    init({ ignoreErrors: ['TypeError: ignore', /^Noise/] });
    assert.equal(faultline.captureException(new TypeError('ignore me')), undefined);
    assert.equal(faultline.captureMessage('Noise here'), undefined);
    assert.match(faultline.captureException(new RangeError('ignore me'))!, ID);
    const events = await sent();
    assert.equal(events.length, 1);
    assert.deepEqual(server.discarded(), {});
  });

  test('dedupe: the same error twice in a row', async () => {
    init();
    const err = new Error('twice');
    assert.match(faultline.captureException(err)!, ID);
    assert.equal(faultline.captureException(err), undefined);
    const events = await sent();
    assert.equal(events.length, 1);
    assert.equal(server.discarded()['event_processor:error'], 1);
  });

  test('rate limited by the server', async () => {
    init();
    server.reply({ status: 429, headers: { 'retry-after': '60', 'x-sentry-rate-limits': '60:error:key' } });
    assert.match(faultline.captureMessage('first')!, ID);
    await faultline.flush(2000);
    assert.equal(faultline.captureMessage('limited'), undefined);
    assert.equal(faultline.captureException(new Error('limited too')), undefined);
    await faultline.flush(2000);
    assert.equal(server.events().length, 1, 'only the first reached the server');
    assert.equal(server.discarded()['ratelimit_backoff:error'], 2);
  });

  test("rate limited: the scope's attachments lost with the event are counted in bytes", async () => {
    init();
    server.reply({ status: 429, headers: { 'retry-after': '60', 'x-sentry-rate-limits': '60:error:key' } });
    faultline.captureMessage('first');
    await faultline.flush(2000);
    faultline.withScope((scope) => {
      scope.addAttachment({ filename: 'state.json', data: '{"cart":[1,2,3]}' });
      assert.equal(faultline.captureMessage('limited, with an attachment'), undefined);
    });
    await faultline.flush(2000);
    assert.equal(server.discarded()['ratelimit_backoff:error'], 1);
    assert.equal(server.discarded()['ratelimit_backoff:attachment'], Buffer.byteLength('{"cart":[1,2,3]}'));
  });

  test('queue full', async () => {
    init({ transportOptions: { bufferSize: 3, concurrency: 1 } });
    server.fallback = { status: 200, delayMs: 150 };
    const ids = Array.from({ length: 6 }, (_, i) => faultline.captureMessage(`m${i}`));
    assert.deepEqual(ids.map((id) => id !== undefined), [true, true, true, false, false, false]);
    server.fallback = { status: 200 };
    await faultline.flush(3000);
    assert.equal(server.events().length, 3);
    assert.equal(server.discarded()['queue_overflow:error'], 3);
  });

  test('after close', async () => {
    init();
    assert.equal(await faultline.close(1000), true);
    assert.equal(faultline.captureMessage('late'), undefined);
  });
});
