// The capture API end to end: real client, real HTTP transport, a real server on 127.0.0.1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { byMessage, captureKit, EVENT_ID as ID } from '../helpers/capture-kit.js';

const server = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes', 'resetReplies'] });
const { init, sent } = captureKit(server);

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

  test('level aliases are mapped wherever the level is set: captureEvent, processors, breadcrumbs', async () => {
    init({ beforeBreadcrumb: (crumb) => (crumb.message === 'traced' ? { ...crumb, level: 'trace' as never } : crumb) });
    faultline.getIsolationScope().addEventProcessor((event) => (event.logentry?.formatted === 'from processor' ? { ...event, level: 'critical' as never } : event));
    faultline.addBreadcrumb({ message: 'traced', level: 'info' });
    faultline.captureEvent({ message: 'from event', level: 'WARN' as never, breadcrumbs: [{ message: 'own', level: 'log' as never }] });
    faultline.captureMessage('from processor');
    faultline.captureEvent({ message: 'not a level', level: 'loud' as never });
    // sentEvents checks every envelope with the protocol kit, the official event schema included.
    const events = await sent();
    const fromEvent = events.find((e) => e.logentry?.formatted === 'from event');
    assert.equal(fromEvent.level, 'warning');
    assert.deepEqual(Object.fromEntries(fromEvent.breadcrumbs.values.map((c: any) => [c.message, c.level])), { traced: 'debug', own: 'info' });
    assert.equal(byMessage(events, 'from processor').level, 'fatal');
    // Not a level at all: left out, so the server's default (error) applies instead of a rejected field.
    assert.equal('level' in events.find((e) => e.logentry?.formatted === 'not a level'), false);
  });

  test("captureEvent's frames get in_app where they have none (SPEC.md decision 2's in-app step)", async () => {
    init();
    const root = process.cwd();
    const frames = [
      { abs_path: `${root}/src/app.js`, filename: 'src/app.js', function: 'handler' },
      { abs_path: `${root}/node_modules/lib/index.js`, function: 'dependency' },
      { filename: 'lib/util.js', function: 'relative' },
      { filename: 'node_modules/x/y.js', function: 'relativeDependency' },
      { filename: 'node:internal/process/task_queues', function: 'nodeInternal' },
      { abs_path: `${root}/src/vendored.js`, function: 'toldNotInApp', in_app: false },
      { function: 'noLocation' },
    ];
    faultline.captureEvent({ exception: { values: [{ type: 'Error', value: 'hand-built', stacktrace: { frames } }] } });
    const [event] = await sent();
    const inApp = Object.fromEntries(event.exception.values[0].stacktrace.frames.map((f: any) => [f.function, f.in_app]));
    assert.deepEqual(inApp, {
      handler: true,
      dependency: false,
      relative: true,
      relativeDependency: false,
      nodeInternal: false,
      toldNotInApp: false,
      noLocation: undefined,
    });
    assert.equal(frames[0]!.hasOwnProperty('in_app'), false, "the caller's frames are not changed");
  });

  test('captureEvent keeps a timestamp given as a Date or an RFC 3339 string', async () => {
    init();
    faultline.captureEvent({ message: 'as a Date', timestamp: new Date('2020-01-01T00:00:00Z') as never });
    faultline.captureEvent({ message: 'as text', timestamp: '2020-01-02T00:00:00.500Z' as never });
    faultline.captureEvent({ message: 'not a time', timestamp: 'yesterday' as never });
    const events = await sent();
    assert.equal(byMessage(events, 'as a Date').timestamp, 1577836800);
    assert.equal(byMessage(events, 'as text').timestamp, 1577923200.5);
    assert.ok(Math.abs(byMessage(events, 'not a time').timestamp - Date.now() / 1000) < 60);
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

  test("a per-call function gets a copy of the current scope: it reads, changes and removes that scope's data for one event", async () => {
    init();
    faultline.getIsolationScope().setTag('from', 'isolation');
    let userSeen: unknown;
    faultline.withScope((scope) => {
      scope.setTag('dropped', 'current').setTag('changed', 'before').setUser({ id: 'current' });
      scope.addEventProcessor((event) => ({ ...event, extra: { ...event.extra, processed: 'yes' } }));
      faultline.captureMessage('edited', (copy) => {
        userSeen = copy.getUser();
        copy.removeTag('dropped').setTag('changed', 'after');
      });
      faultline.captureMessage('replaced', () => new faultline.Scope().setTag('only', 'returned').setTag('changed', 'returned'));
      faultline.captureMessage('threw', () => {
        throw new Error('a broken context function');
      });
      faultline.captureMessage('after');
    });
    const events = await sent();
    const edited = byMessage(events, 'edited');
    assert.deepEqual(userSeen, { id: 'current' }, "the function sees the current scope's data");
    assert.deepEqual(edited.tags, { from: 'isolation', changed: 'after' });
    assert.equal(edited.user.id, 'current');
    assert.equal(edited.extra.processed, 'yes', "the current scope's processors still run");
    // A Scope the function returns is laid over the copy (@sentry/node merges its data into the
    // copy): the current scope's data and processors stay, and the returned data wins.
    const replaced = byMessage(events, 'replaced');
    assert.deepEqual(replaced.tags, { from: 'isolation', dropped: 'current', changed: 'returned', only: 'returned' });
    assert.equal(replaced.user.id, 'current');
    assert.equal(replaced.extra.processed, 'yes');
    // A function that throws is ignored: the event goes out with the scopes as they are.
    assert.deepEqual(byMessage(events, 'threw').tags, { from: 'isolation', dropped: 'current', changed: 'before' });
    // The scope itself was not touched.
    assert.deepEqual(byMessage(events, 'after').tags, { from: 'isolation', dropped: 'current', changed: 'before' });
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

  test("a processor that edits the event's breadcrumbs leaves the scope's own list alone", async () => {
    init();
    faultline.addBreadcrumb({ message: 'kept by the scope' });
    faultline.getIsolationScope().addEventProcessor((event) => {
      const values = (event.breadcrumbs as { values?: faultline.Breadcrumb[] } | undefined)?.values;
      if (values) {
        values.push({ message: 'added for one event' });
        values.shift();
      }
      return event;
    });
    faultline.captureMessage('first');
    faultline.captureMessage('second');
    const events = await sent();
    for (const text of ['first', 'second']) {
      assert.deepEqual(byMessage(events, text).breadcrumbs.values.map((c: any) => c.message), ['added for one event']);
    }
    assert.deepEqual(faultline.getIsolationScope().getBreadcrumbs().map((c) => c.message), ['kept by the scope']);
  });
});

describe('event processors', () => {
  test('a scope holds up to 21 processors; the memory guard clears the list only past that (SPEC-python §2.4)', () => {
    const scope = new faultline.Scope();
    const added: number[] = [];
    for (let i = 0; i < 21; i++) scope.addEventProcessor(() => null);
    added.push((scope as any)._eventProcessors.length);
    scope.addEventProcessor(() => null);
    added.push((scope as any)._eventProcessors.length);
    assert.deepEqual(added, [21, 1]);
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
