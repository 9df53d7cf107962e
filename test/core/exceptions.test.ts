import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exceptionsFromError, DEFAULT_MAX_ERROR_DEPTH, MAX_EXCEPTION_VALUES } from '../../src/core/exceptions.js';
import type { ExceptionsOptions } from '../../src/core/exceptions.js';
import { createFrameParser } from '../../src/core/stacktrace.js';
import type { Exception, Mechanism } from '../../src/core/types.js';
import { loadKit } from '../helpers/protocol-kit.js';

const here = dirname(fileURLToPath(import.meta.url));
const parser = createFrameParser({ root: resolve(here, '../..') });
const fixtures = createRequire(import.meta.url)('./fixtures-stack/shapes.cjs') as Record<string, () => string>;
const mechanism: Mechanism = { type: 'generic', handled: true };

function convert(error: unknown, extra: Partial<ExceptionsOptions> = {}): Exception[] {
  return exceptionsFromError(error, { parser, maxErrorDepth: DEFAULT_MAX_ERROR_DEPTH, mechanism, ...extra });
}

/** The capture site's stack, as the client would take it. */
function captureSiteStack(): string {
  return new Error('synthetic').stack!;
}

/** Each value must be valid in a real event according to the shared protocol kit. */
async function assertValidOnTheWire(values: Exception[]): Promise<void> {
  const kit = await loadKit();
  const event = {
    event_id: 'a'.repeat(32),
    timestamp: 1_700_000_000,
    platform: 'node',
    exception: { values: JSON.parse(JSON.stringify(values)) as unknown },
  };
  const result = kit.validateEvent(event);
  assert.deepEqual([...result.schemaErrors, ...result.canonicalErrors], []);
}

test('an Error becomes one value with type, message, frames and a copy of the mechanism', async () => {
  const error = new TypeError('bad input');
  const values = convert(error);
  assert.equal(values.length, 1);
  const [value] = values;
  assert.equal(value!.type, 'TypeError');
  assert.equal(value!.value, 'bad input');
  assert.deepEqual(value!.mechanism, { type: 'generic', handled: true });
  assert.notEqual(value!.mechanism, mechanism, 'a copy, so later changes do not leak between events');
  const frames = value!.stacktrace!.frames;
  assert.equal(frames[frames.length - 1]!.abs_path, fileURLToPath(import.meta.url), 'the throwing frame is last');
  assert.equal('exception_id' in value!.mechanism!, false, 'no ids without a chain');
  await assertValidOnTheWire(values);
});

test('the type comes from name, else from the class; a stack-less Error has no stacktrace key', () => {
  class HttpError extends Error {}
  class NamedError extends Error {
    override name = 'Named';
  }
  assert.equal(convert(new HttpError('x'))[0]!.type, 'HttpError');
  assert.equal(convert(new NamedError('x'))[0]!.type, 'Named');
  assert.equal(convert(new Error('x'))[0]!.type, 'Error');

  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let bare: Error;
  try {
    bare = new Error('no frames');
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
  const [value] = convert(bare, { syntheticStack: captureSiteStack() });
  assert.equal('stacktrace' in value!, false);
  assert.equal(value!.mechanism!.synthetic, undefined);
});

test('a multi-line message with frame-shaped lines does not leak fake frames', () => {
  const stack = fixtures.multiLineMessageStack!();
  const error = new Error('first line\n    at fake (/not/a/frame.js:1:1)\nthird line');
  error.stack = stack;
  const frames = convert(error)[0]!.stacktrace!.frames;
  assert.ok(frames.every((f) => f.abs_path !== '/not/a/frame.js'));
  assert.match(frames[frames.length - 1]!.abs_path!, /shapes\.cjs$/);
});

test('Node system errors carry errno in mechanism.meta', () => {
  const error = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), {
    errno: -2,
    code: 'ENOENT',
    syscall: 'open',
  });
  assert.deepEqual(convert(error)[0]!.mechanism!.meta, { errno: { number: 2, name: 'ENOENT' } });
  const windowsOnly = Object.assign(new Error('x'), { errno: -4058, code: 'ENOENT' });
  assert.deepEqual(convert(windowsOnly)[0]!.mechanism!.meta, { errno: { name: 'ENOENT' } });
  assert.equal(convert(Object.assign(new Error('x'), { code: 'ERR_X' }))[0]!.mechanism!.meta, undefined);
});

test('a cause chain: innermost first, ids in walk order, parent_id and source on every child', async () => {
  const root = new RangeError('disk full');
  const middle = new Error('write failed', { cause: root });
  const top = new Error('save failed', { cause: middle });
  const values = convert(top);
  assert.deepEqual(
    values.map((v) => [v.type, v.value, v.mechanism]),
    [
      ['RangeError', 'disk full', { type: 'chained', handled: true, source: 'cause', exception_id: 2, parent_id: 1 }],
      ['Error', 'write failed', { type: 'chained', handled: true, source: 'cause', exception_id: 1, parent_id: 0 }],
      ['Error', 'save failed', { type: 'generic', handled: true, exception_id: 0 }],
    ],
  );
  assert.ok(values.every((v) => v.stacktrace!.frames.length > 0));
  await assertValidOnTheWire(values);
});

test('an AggregateError is a group whose members link to it by errors[i]', async () => {
  const group = new AggregateError([new TypeError('first'), new RangeError('second')], 'two failed');
  const values = convert(group);
  assert.deepEqual(
    values.map((v) => [v.type, v.value, v.mechanism]),
    [
      ['RangeError', 'second', { type: 'chained', handled: true, source: 'errors[1]', exception_id: 2, parent_id: 0 }],
      ['TypeError', 'first', { type: 'chained', handled: true, source: 'errors[0]', exception_id: 1, parent_id: 0 }],
      ['AggregateError', 'two failed', { type: 'generic', handled: true, exception_id: 0, is_exception_group: true }],
    ],
  );
  await assertValidOnTheWire(values);

  const empty = convert(new AggregateError([], 'nothing'));
  assert.deepEqual(empty[0]!.mechanism, { type: 'generic', handled: true, exception_id: 0, is_exception_group: true });
});

test('a group inside a cause is expanded, and its own cause comes before its members', () => {
  const memberCause = new Error('member cause');
  const group = new AggregateError([new Error('member', { cause: memberCause })], 'group', {
    cause: new Error('group cause'),
  });
  const values = convert(new Error('top', { cause: group }));
  const byValue = Object.fromEntries(values.map((v) => [v.value, v.mechanism!]));
  assert.deepEqual(byValue.top, { type: 'generic', handled: true, exception_id: 0 });
  assert.deepEqual(byValue.group, {
    type: 'chained',
    handled: true,
    source: 'cause',
    exception_id: 1,
    parent_id: 0,
    is_exception_group: true,
  });
  assert.equal(byValue['group cause']!.exception_id, 2);
  assert.equal(byValue['group cause']!.parent_id, 1);
  assert.equal(byValue.member!.exception_id, 3);
  assert.equal(byValue.member!.source, 'errors[0]');
  assert.equal(byValue.member!.parent_id, 1, 'the actual parent, not the root');
  assert.equal(byValue['member cause']!.parent_id, 3);
  // Walk order reversed: the deepest, last-visited entry first, the captured error last.
  assert.deepEqual(
    values.map((v) => v.value),
    ['member cause', 'member', 'group cause', 'group', 'top'],
  );
});

test('cycles are cut by identity, and an error listed twice appears once', () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.deepEqual(convert(a).map((v) => v.value), ['b', 'a']);

  const self = new Error('self');
  (self as { cause?: unknown }).cause = self;
  const selfValues = convert(self);
  assert.equal(selfValues.length, 1);
  assert.equal('exception_id' in selfValues[0]!.mechanism!, false);

  const shared = new Error('shared');
  assert.equal(convert(new AggregateError([shared, shared], 'g')).length, 2);
});

test('the depth limit counts levels below the captured error', () => {
  let error = new Error('level 0');
  for (let level = 1; level <= 9; level++) error = new Error(`level ${level}`, { cause: error });
  assert.deepEqual(
    convert(error).map((v) => v.value),
    ['level 4', 'level 5', 'level 6', 'level 7', 'level 8', 'level 9'],
  );
  assert.deepEqual(convert(error, { maxErrorDepth: 1 }).map((v) => v.value), ['level 8', 'level 9']);
  const alone = convert(error, { maxErrorDepth: 0 });
  assert.equal(alone.length, 1);
  assert.equal('exception_id' in alone[0]!.mechanism!, false);
  assert.equal(convert(error, { maxErrorDepth: Number.NaN }).length, DEFAULT_MAX_ERROR_DEPTH + 1);
});

test(`a huge group is cut at ${MAX_EXCEPTION_VALUES} values`, () => {
  const members = Array.from({ length: 5000 }, (_, i) => new Error(`member ${i}`));
  const values = convert(new AggregateError(members, 'many'));
  assert.equal(values.length, MAX_EXCEPTION_VALUES);
  assert.equal(values[values.length - 1]!.value, 'many');
});

test('non-Error causes and members become synthetic linked values without a stack', () => {
  const values = convert(new Error('top', { cause: 'socket hang up' }));
  assert.deepEqual(values[0], {
    type: 'Error',
    value: 'Non-Error exception captured: "socket hang up"',
    mechanism: { type: 'chained', handled: true, synthetic: true, source: 'cause', exception_id: 1, parent_id: 0 },
  });
  assert.equal(convert(new Error('no cause', { cause: undefined })).length, 1);
  assert.equal(convert(new Error('null cause', { cause: null })).length, 1);
});

test('a value that is not an Error becomes one synthetic value with the capture site stack', async () => {
  const syntheticStack = captureSiteStack();
  const cases: Array<[unknown, string]> = [
    ['boom', 'Non-Error exception captured: "boom"'],
    ['a "quoted"\nline', 'Non-Error exception captured: "a \\"quoted\\"\\nline"'],
    [42, 'Non-Error exception captured: 42'],
    [false, 'Non-Error exception captured: false'],
    [10n, 'Non-Error exception captured: 10n'],
    [null, 'Non-Error exception captured: null'],
    [undefined, 'Non-Error exception captured: undefined'],
    [Symbol('tag'), 'Non-Error exception captured: Symbol(tag)'],
    [Symbol(), 'Non-Error exception captured: Symbol()'],
    [function namedThrowable() {}, 'Non-Error exception captured: [function namedThrowable]'],
    [{ b: 1, a: 2 }, 'Object captured as exception with keys: a, b'],
    [{}, 'Object captured as exception with no keys'],
    [Object.create(null), 'Object captured as exception with no keys'],
    [[1, 2], 'Array captured as exception with keys: 0, 1'],
  ];
  for (const [input, expected] of cases) {
    const values = convert(input, { syntheticStack });
    assert.equal(values.length, 1, expected);
    assert.deepEqual(values[0]!.type, 'Error');
    assert.equal(values[0]!.value, expected);
    assert.deepEqual(values[0]!.mechanism, { type: 'generic', handled: true, synthetic: true });
    const frames = values[0]!.stacktrace!.frames;
    assert.equal(frames[frames.length - 1]!.function, 'captureSiteStack');
    await assertValidOnTheWire(values);
  }
});

test('captureException() with no argument says so; skipFrames trims the SDK frames of the synthetic stack', () => {
  const syntheticStack = captureSiteStack();
  const [value] = convert(undefined, { noArgument: true, syntheticStack, syntheticSkipFrames: 1 });
  assert.equal(value!.value, 'captureException called without an error');
  const frames = value!.stacktrace!.frames;
  assert.notEqual(frames[frames.length - 1]!.function, 'captureSiteStack');
  assert.equal(frames[frames.length - 1]!.abs_path, fileURLToPath(import.meta.url));
  assert.equal('stacktrace' in convert('x')[0]!, false, 'no synthetic stack given, no stacktrace');
});

test('class instances, many keys and long strings stay readable and bounded', () => {
  class Job {
    id = 1;
    state = 'failed';
  }
  assert.equal(convert(new Job())[0]!.value, 'Job captured as exception with keys: id, state');
  const wide = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]));
  assert.equal(
    convert(wide)[0]!.value,
    'Object captured as exception with keys: k00, k01, k02, k03, k04, k05, k06, k07, k08, k09, … (30 keys)',
  );
  const long = convert('x'.repeat(100_000))[0]!.value!;
  assert.ok(long.length < 1100, `got ${long.length} characters`);
});

test('error-like objects are treated like Errors, with their own stack or the capture site', () => {
  const withStack = { name: 'RemoteError', message: 'upstream failed', stack: fixtures.constructorStack!() };
  const [remote] = convert(withStack);
  assert.equal(remote!.type, 'RemoteError');
  assert.equal(remote!.value, 'upstream failed');
  assert.equal(remote!.mechanism!.synthetic, undefined);
  assert.equal(remote!.stacktrace!.frames.at(-1)!.function, 'new Widget');

  const [plain] = convert({ name: 'ValidationError', message: 'bad email' }, { syntheticStack: captureSiteStack() });
  assert.equal(plain!.type, 'ValidationError');
  assert.equal(plain!.stacktrace!.frames.at(-1)!.function, 'captureSiteStack');

  const linked = convert({ name: 'Outer', message: 'o', cause: { name: 'Inner', message: 'i' } });
  assert.deepEqual(linked.map((v) => v.type), ['Inner', 'Outer']);
});

test('errors from another realm are Errors too', async () => {
  const vm = await import('node:vm');
  const foreign = vm.runInNewContext('new TypeError("from another realm")') as unknown;
  assert.equal(foreign instanceof Error, false);
  const [value] = convert(foreign);
  assert.equal(value!.type, 'TypeError');
  assert.equal(value!.value, 'from another realm');
  assert.ok(value!.stacktrace!.frames.length > 0);
});

test('hostile values never throw and still give something readable', async () => {
  const throwingGetters = new Error('hidden');
  // `stack` first: V8 formats it lazily, which would read the throwing `name`.
  for (const key of ['stack', 'message', 'name', 'cause', 'code']) {
    Object.defineProperty(throwingGetters, key, {
      get() {
        throw new Error(`no ${key} for you`);
      },
    });
  }
  const [getters] = convert(throwingGetters);
  assert.equal(getters!.type, 'Error');
  assert.equal(getters!.value, '<the message could not be read>');
  assert.equal('stacktrace' in getters!, false);

  const trapAll: ProxyHandler<object> = {
    get() {
      throw new Error('trap');
    },
    getPrototypeOf() {
      throw new Error('trap');
    },
    ownKeys() {
      throw new Error('trap');
    },
  };
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const objectWithThrowingGetter = {
    get a(): never {
      throw new Error('getter');
    },
    b: 1,
  };
  const weird = [
    new Proxy(new Error('proxied'), trapAll),
    new Proxy(new Error('proxied but readable'), {}),
    new Proxy({}, trapAll),
    revoked,
    objectWithThrowingGetter,
    Object.assign(new Error('odd message'), { message: { not: 'a string' } }),
    Object.assign(new Error('numeric name'), { name: 42 }),
    Object.assign(new AggregateError([], 'g'), { errors: new Proxy([], trapAll) }),
    Object.assign(new AggregateError([], 'g'), { errors: revoked }),
    { [Symbol.toPrimitive]() { throw new Error('no'); }, toString() { throw new Error('no'); } },
  ];
  for (const input of weird) {
    let values: Exception[] = [];
    assert.doesNotThrow(() => {
      values = convert(input, { syntheticStack: captureSiteStack() });
    });
    assert.ok(values.length >= 1);
    for (const v of values) assert.ok(typeof v.type === 'string' && typeof v.value === 'string');
    await assertValidOnTheWire(values);
  }
  const texts = weird.map((input) => convert(input)[0]!.value);
  assert.equal(texts[0], 'Object captured as exception (its keys could not be read)');
  assert.equal(texts[1], 'proxied but readable');
  assert.equal(texts[3], 'Object captured as exception (its keys could not be read)');
  assert.equal(texts[4], 'Object captured as exception with keys: a, b');
  assert.equal(texts[5], '<the message is not a string>');
  assert.equal(convert(weird[6])[0]!.type, 'Error');

  // Even hostile options do not escape.
  const hostileMechanism = new Proxy({ type: 'generic' }, trapAll) as Mechanism;
  assert.doesNotThrow(() => exceptionsFromError(new Error('x'), { parser, maxErrorDepth: 5, mechanism: hostileMechanism }));
  const fallback = exceptionsFromError(new Error('x'), { parser, maxErrorDepth: 5, mechanism: hostileMechanism });
  assert.equal(fallback.length, 1);
  assert.equal(fallback[0]!.mechanism!.synthetic, true);
});
