// The capture API end to end: real client, real HTTP transport, a real server on 127.0.0.1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { sentEvents } from '../helpers/flushed.js';

const server = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes', 'resetReplies'] });
const ID = /^[0-9a-f]{32}$/;

// These tests pin the capture pipeline's contract over the in-memory transport (`offline: false`);
// the durable outbox that is the Node default has its own tests in test/delivery/.
function init(extra: faultline.Options = {}) {
  return faultline.init({ dsn: server.dsn, release: 'app@1.0.0', environment: 'test', offline: false, ...extra });
}

const sent = () => sentEvents(server);

/** The event whose message is `text`: envelopes travel in parallel, so arrival order is not capture order. */
function byMessage(events: any[], text: string): any {
  const event = events.find((e) => e.logentry?.formatted === text);
  assert.ok(event, `an event with the message ${text}`);
  return event;
}

function throwDeep(depth: number): never {
  if (depth === 0) throw new TypeError('deep failure');
  return throwDeep(depth - 1);
}

describe('captureException', () => {
  test('sends a complete, schema-valid event and returns its id', async () => {
    init({ serverName: 'host-1', dist: '7' });
    let error: unknown;
    try {
      throwDeep(3);
    } catch (e) {
      error = e;
    }
    const id = faultline.captureException(error);
    assert.match(id!, ID);
    const [event] = await sent();
    assert.equal(event.event_id, id);
    assert.equal(event.platform, 'node');
    assert.equal(event.level, 'error');
    assert.equal(event.release, 'app@1.0.0');
    assert.equal(event.environment, 'test');
    assert.equal(event.server_name, 'host-1');
    assert.equal(event.dist, '7');
    assert.equal(event.sdk.name, 'faultline.node');
    assert.ok(event.sdk.integrations.includes('Dedupe'));
    assert.equal(event.contexts.runtime.name, 'node');
    assert.ok(event.contexts.os.name);
    assert.match(event.contexts.trace.trace_id, ID);
    const [exc] = event.exception.values;
    assert.equal(exc.type, 'TypeError');
    assert.equal(exc.value, 'deep failure');
    assert.deepEqual(exc.mechanism, { type: 'generic', handled: true });
    const frames = exc.stacktrace.frames;
    const last = frames[frames.length - 1];
    assert.equal(last.function, 'throwDeep');
    assert.equal(last.in_app, true);
    assert.match(last.abs_path, /capture\.test\.ts$/);
    assert.equal(typeof last.lineno, 'number');
    assert.equal(faultline.lastEventId(), id);
  });

  test('a non-Error value becomes a readable synthetic exception', async () => {
    init();
    const ids = [
      faultline.captureException('boom'),
      faultline.captureException({ b: 1, a: 2 }),
      faultline.captureException(null),
      faultline.captureException(),
    ];
    assert.ok(ids.every((id) => id && ID.test(id)));
    const byId = new Map((await sent()).map((e) => [e.event_id, e]));
    const values = ids.map((id) => byId.get(id).exception.values.at(-1));
    assert.equal(values[0].value, 'Non-Error exception captured: "boom"');
    assert.equal(values[1].value, 'Object captured as exception with keys: a, b');
    assert.ok(values[2].value.length > 0);
    assert.equal(values[3].value, 'captureException called without an error');
    for (const v of values) {
      assert.equal(v.mechanism.synthetic, true);
      assert.ok(v.stacktrace.frames.length > 0, 'the capture site stack is attached');
      assert.match(v.stacktrace.frames.at(-1).abs_path, /capture\.test\.ts$/, 'the newest frame is the caller');
    }
  });

  test('cause chains and AggregateError become linked exception values, cause first', async () => {
    init();
    const root = new RangeError('root cause');
    const mid = new Error('middle', { cause: root });
    const group = new AggregateError([new TypeError('one'), mid], 'many');
    faultline.captureException(group);
    const [event] = await sent();
    const values = event.exception.values;
    assert.ok(values.length >= 4);
    const top = values.at(-1);
    assert.equal(top.type, 'AggregateError');
    assert.equal(top.mechanism.is_exception_group, true);
    assert.equal(top.mechanism.exception_id, 0);
    const byValue = new Map<string, any>(values.map((v: any) => [v.value, v]));
    assert.equal(byValue.get('middle').mechanism.parent_id, 0);
    assert.equal(byValue.get('root cause').mechanism.parent_id, byValue.get('middle').mechanism.exception_id);
    assert.equal(byValue.get('root cause').mechanism.source, 'cause');
  });
});

describe('captureMessage and captureEvent', () => {
  test('a message goes out as logentry with info by default; aliases are mapped', async () => {
    init();
    faultline.captureMessage('hello');
    faultline.captureMessage('careful', 'warn');
    faultline.captureMessage('with context', { tags: { area: 'billing' }, level: 'error', fingerprint: ['x'] });
    // Envelopes travel in parallel: put the events back in capture order by their message.
    const order = ['hello', 'careful', 'with context'];
    const events = (await sent()).sort((a, b) => order.indexOf(a.logentry?.formatted) - order.indexOf(b.logentry?.formatted));
    assert.equal(events.length, 3);
    assert.deepEqual(events[0].logentry, { formatted: 'hello' });
    assert.equal(events[0].level, 'info');
    assert.equal(events[1].level, 'warning');
    assert.equal(events[2].level, 'error');
    assert.equal(events[2].tags.area, 'billing');
    assert.deepEqual(events[2].fingerprint, ['x']);
    assert.equal(events[0].message, undefined);
  });

  test('attachStacktrace adds the capture site to messages', async () => {
    init({ attachStacktrace: true });
    faultline.captureMessage('where am I');
    const [event] = await sent();
    const frames = event.threads.values[0].stacktrace.frames;
    assert.match(frames.at(-1).abs_path, /capture\.test\.ts$/);
  });

  test('captureEvent keeps its own fields, does not mutate the caller, and passes the hint', async () => {
    let seenHint: any;
    init({ beforeSend: (e, h) => ((seenHint = h), e) });
    faultline.setTag('shared', 'scope');
    faultline.setTag('own', 'scope');
    const input = { message: 'manual', tags: { own: 'event' }, extra: { k: 1 } };
    const frozen = JSON.stringify(input);
    const id = faultline.captureEvent(input, { securityEvent: true });
    assert.match(id!, ID);
    assert.equal(JSON.stringify(input), frozen, 'the caller object is untouched');
    const [event] = await sent();
    assert.deepEqual(event.tags, { shared: 'scope', own: 'event' });
    assert.equal(event.logentry.formatted, 'manual');
    assert.equal(seenHint.securityEvent, true);
    assert.equal(seenHint.event_id, id);
  });

  test('hint carries originalException and syntheticException to processors and beforeSend', async () => {
    const hints: any[] = [];
    init({ beforeSend: (e, h) => (hints.push(h), e) });
    faultline.getGlobalScope().addEventProcessor((e, h) => (hints.push(h), e));
    const err = new Error('x');
    faultline.captureException(err);
    faultline.captureException('str');
    await sent();
    assert.equal(hints[0].originalException, err);
    assert.equal(hints[1].originalException, err);
    assert.equal(hints[2].originalException, 'str');
    assert.ok(hints[2].syntheticException instanceof Error);
  });
});

describe('precedence (SPEC.md decision 3)', () => {
  test('global → isolation → current → per-call → event, the most specific wins', async () => {
    init();
    faultline.getGlobalScope().setTag('a', 'global').setTag('b', 'global').setTag('c', 'global').setLevel('fatal');
    faultline.getIsolationScope().setTag('b', 'isolation').setTag('c', 'isolation').setUser({ id: 'iso' });
    faultline.withScope((scope) => {
      scope.setTag('c', 'current').setLevel('error');
      faultline.captureMessage('m', 'warning', { tags: { d: 'call' }, user: { id: 'call' } });
    });
    const [event] = await sent();
    assert.deepEqual(event.tags, { a: 'global', b: 'isolation', c: 'current', d: 'call' });
    assert.equal(event.level, 'warning', 'an explicit level beats every scope level');
    assert.equal(event.user.id, 'call');
  });

  test('per-call context never leaks into the scopes', async () => {
    init();
    faultline.captureMessage('one', { tags: { once: 'yes' }, extra: { e: 1 } });
    faultline.captureMessage('two');
    const events = await sent();
    assert.equal(byMessage(events, 'one').tags.once, 'yes');
    assert.equal(byMessage(events, 'two').tags?.once, undefined);
    assert.equal(byMessage(events, 'two').extra?.e, undefined);
  });

  test('withScope forks: changes inside stay inside', async () => {
    init();
    faultline.setTag('outer', '1');
    await faultline.withScope(async (scope) => {
      scope.setTag('inner', '1');
      await new Promise((r) => setTimeout(r, 5));
      faultline.captureMessage('inside');
    });
    faultline.captureMessage('outside');
    const events = await sent();
    const inside = byMessage(events, 'inside');
    const outside = byMessage(events, 'outside');
    assert.equal(inside.tags.inner, '1');
    assert.equal(inside.tags.outer, '1');
    assert.equal(outside.tags.inner, undefined);
  });
});

describe('breadcrumbs', () => {
  test('keeps the newest maxBreadcrumbs, passes beforeBreadcrumb, timestamps each', async () => {
    init({
      maxBreadcrumbs: 5,
      beforeBreadcrumb: (crumb) => (crumb.message === 'drop me' ? null : { ...crumb, data: { seen: true } }),
    });
    for (let i = 0; i < 8; i++) faultline.addBreadcrumb({ message: `crumb ${i}`, category: 'test' });
    faultline.addBreadcrumb({ message: 'drop me' });
    faultline.captureMessage('with crumbs');
    const [event] = await sent();
    const crumbs = event.breadcrumbs.values;
    assert.deepEqual(
      crumbs.map((c: any) => c.message),
      ['crumb 3', 'crumb 4', 'crumb 5', 'crumb 6', 'crumb 7'],
    );
    assert.ok(crumbs.every((c: any) => typeof c.timestamp === 'number' && c.data.seen === true));
  });
});

describe('scrubbing', () => {
  test('denylisted keys are filtered in extra, contexts, user data and breadcrumbs; no IP without PII', async () => {
    init();
    const secrets = { password: 'hunter2', nested: { api_key: 'k' }, fine: 'ok' };
    faultline.setExtras(secrets);
    faultline.setContext('service', { Authorization: 'Bearer x', region: 'eu' });
    faultline.setUser({ id: 'u1', ip_address: '10.0.0.1' });
    faultline.addBreadcrumb({ message: 'login', data: { token: 't' } });
    faultline.captureMessage('scrub me');
    const [event] = await sent();
    const text = JSON.stringify(event);
    for (const secret of ['hunter2', 'Bearer x', '10.0.0.1', '"t"']) assert.ok(!text.includes(secret), secret);
    assert.equal(event.extra.password, '[Filtered]');
    assert.equal(event.extra.fine, 'ok');
    assert.equal(event.contexts.service.region, 'eu');
    assert.equal(event.user.id, 'u1');
    assert.equal(secrets.password, 'hunter2', 'the caller object is not mutated');
  });
});

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
