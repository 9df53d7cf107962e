import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import {
  ARRAY_CUT,
  CYCLIC,
  FAILED,
  FILTERED,
  MAX_DEPTH,
  OBJECT_CUT,
  TRIMMED,
  normalize,
  normalizeEvent,
  type NormalizeEventOptions,
} from '../../src/core/normalize/index.js';
import { createKeyMatcher } from '../../src/core/scrub.js';
import { jsonByteLength, utf8ByteLength } from '../../src/core/json-size.js';
import type { Event } from '../../src/core/types.js';

// CI runs in a clone with shared/ beside the repository.
const checker = (await import(pathToFileURL(resolve(process.cwd(), '../shared/protocol/check.mjs')).href)) as {
  validateEvent(event: unknown): { ok: boolean; schemaErrors: string[]; canonicalErrors: string[] };
};

const EVENT_ID = '0123456789abcdef0123456789abcdef';
const TRACE_ID = 'fedcba9876543210fedcba9876543210';

function baseEvent(extra: Partial<Event> = {}): Event {
  return { event_id: EVENT_ID, timestamp: 1_700_000_000.25, platform: 'node', level: 'error', ...extra };
}

function options(overrides: Partial<NormalizeEventOptions> = {}): NormalizeEventOptions {
  const sendDefaultPii = overrides.sendDefaultPii ?? false;
  return { depth: 5, breadth: 10, isDenied: createKeyMatcher({ sendDefaultPii }), sendDefaultPii, ...overrides };
}

function assertValid(event: unknown): void {
  const result = checker.validateEvent(JSON.parse(JSON.stringify(event)));
  assert.deepEqual([...result.schemaErrors, ...result.canonicalErrors], [], JSON.stringify(event).slice(0, 2000));
}

function assertJsonSafe(value: unknown): void {
  const text = JSON.stringify(value);
  assert.equal(typeof text, 'string');
  assert.deepStrictEqual(JSON.parse(text), value);
}

function nest(levels: number, leaf: unknown = 1): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = levels; i >= 1; i--) value = { [`l${i}`]: value };
  return value as Record<string, unknown>;
}

/** A Proxy whose every trap throws. */
function hostileProxy(target: object = {}): object {
  const boom = () => {
    throw new Error('trap');
  };
  return new Proxy(target, {
    get: boom, set: boom, has: boom, ownKeys: boom, getPrototypeOf: boom, getOwnPropertyDescriptor: boom,
    defineProperty: boom, deleteProperty: boom, isExtensible: boom, preventExtensions: boom, setPrototypeOf: boom,
  });
}

function revokedProxy(target: object = {}): object {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

// ------------------------------------------------------------------------------------ normalize

describe('normalize: value mapping', () => {
  test('primitives and numbers that JSON cannot carry', () => {
    assert.deepStrictEqual(
      normalize({ s: 'x', n: 1.5, t: true, z: null, nan: NaN, inf: Infinity, ninf: -Infinity, negZero: -0 }),
      { s: 'x', n: 1.5, t: true, z: null, nan: 'nan', inf: 'inf', ninf: '-inf', negZero: 0 },
    );
    assert.ok(Object.is(normalize(-0), 0));
    assert.equal(normalize(123n), '123n');
    assert.equal(normalize(Symbol('x')), 'Symbol(x)');
    assert.equal(normalize(Symbol()), 'Symbol()');
  });

  test('undefined: dropped from objects, null in arrays and at the top', () => {
    assert.deepStrictEqual(normalize({ a: undefined, b: 1 }), { b: 1 });
    assert.deepStrictEqual(normalize([undefined, 1]), [null, 1]);
    assert.equal(normalize(undefined), null);
    // holes of sparse arrays
    assert.deepStrictEqual(normalize([1, , 3]), [1, null, 3]); // eslint-disable-line no-sparse-arrays
  });

  test('functions become a label with their name', () => {
    function named() {}
    const withThrowingName = () => {};
    Object.defineProperty(withThrowingName, 'name', { get: () => { throw new Error('no'); } });
    assert.deepStrictEqual(
      normalize({ a: named, b: () => {}, c: withThrowingName, d: class Foo {} }, { breadth: 100 }),
      { a: '[Function: named]', b: '[Function: b]', c: '[Function: <anonymous>]', d: '[Function: Foo]' },
    );
    assert.equal(normalize([function () {}])?.toString(), '[Function: <anonymous>]');
  });

  test('dates, regexps, boxed primitives, promises and weak collections', () => {
    assert.equal(normalize(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))), '2024-01-02T03:04:05.006Z');
    assert.equal(normalize(new Date(NaN)), 'Invalid Date');
    assert.equal(normalize(/a+b/gi), '/a+b/gi');
    assert.deepStrictEqual(normalize([new Number(2), new String('s'), new Boolean(false)]), [2, 's', false]);
    assert.deepStrictEqual(normalize([Promise.resolve(1), new WeakMap(), new WeakSet()]), ['[Promise]', '[WeakMap]', '[WeakSet]']);
  });

  test('binary data becomes a short label, never its bytes', () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 1);
    const out = normalize({ buf: big, u8: new Uint8Array(12), f64: new Float64Array(3), ab: new ArrayBuffer(7), dv: new DataView(new ArrayBuffer(5)) });
    assert.deepStrictEqual(out, { buf: '[Buffer(10485760)]', u8: '[Uint8Array(12)]', f64: '[Float64Array(3)]', ab: '[ArrayBuffer(7)]', dv: '[DataView(5)]' });
  });

  test('Map becomes an object with string keys, Set an array', () => {
    const key = { k: 1 };
    const m = new Map<unknown, unknown>([['a', 1], [2, 'two'], [key, 'obj'], [null, 'n'], [[1], 'arr']]);
    assert.deepStrictEqual(normalize(m), { a: 1, 2: 'two', '[Object]': 'obj', null: 'n', '[Array]': 'arr' });
    assert.deepStrictEqual(normalize(new Set([1, 'a', new Set([2])])), [1, 'a', [2]]);
  });

  test('errors keep name, message, stack, own props and cause', () => {
    const cause = new RangeError('inner');
    const err = Object.assign(new TypeError('outer', { cause }), { code: 'E_X' });
    const out = normalize(err, { depth: 3 }) as Record<string, unknown>;
    assert.equal(out.name, 'TypeError');
    assert.equal(out.message, 'outer');
    assert.equal(typeof out.stack, 'string');
    assert.equal(out.code, 'E_X');
    assert.equal((out.cause as Record<string, unknown>).message, 'inner');
    // a cause cycle ends
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const cyc = normalize(a, { depth: 10 }) as { cause: { cause: unknown } };
    assert.equal(cyc.cause.cause, CYCLIC);
  });

  test('class instances become their own enumerable properties', () => {
    class Account {
      #secret = 'hidden';
      balance = 10;
      constructor(public owner: string) {}
      get computed() {
        return this.#secret;
      }
      method() {}
    }
    assert.deepStrictEqual(normalize(new Account('ann')), { balance: 10, owner: 'ann' });
    const nullProto = Object.assign(Object.create(null), { a: 1 });
    assert.deepStrictEqual(normalize(nullProto), { a: 1 });
    // inherited enumerable props are not own
    const child = Object.create({ inherited: 1 });
    child.own = 2;
    assert.deepStrictEqual(normalize(child), { own: 2 });
  });

  test('toJSON is used, guarded against throwing, self-returning and endless chains', () => {
    assert.deepStrictEqual(normalize({ d: { toJSON: () => 'decimal:1.5' } }), { d: 'decimal:1.5' });
    assert.deepStrictEqual(normalize({ d: { toJSON: () => ({ v: 1, n: NaN }) } }), { d: { v: 1, n: 'nan' } });
    assert.deepStrictEqual(normalize({ d: { toJSON() { throw new Error('x'); } } }), { d: FAILED });
    const selfish = { a: 1, toJSON() { return selfish; } };
    assert.deepStrictEqual(normalize(selfish), { a: 1, toJSON: '[Function: toJSON]' });
    const endless = (): object => ({ toJSON: endless });
    assert.doesNotThrow(() => JSON.stringify(normalize(endless(), { depth: 50 })));
    const holder: Record<string, unknown> = {};
    holder.h = { toJSON: () => ({ back: holder }) };
    assert.deepStrictEqual(normalize(holder), { h: { back: CYCLIC } });
    // URL has a toJSON giving its href
    assert.equal(normalize(new URL('https://example.com/a?b=1')), 'https://example.com/a?b=1');
  });

  test('a "__proto__" own key stays an own key and changes no prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const out = normalize(input) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(out)), input);
  });
});

describe('normalize: cycles, depth, breadth', () => {
  test('a value on its own ancestor path becomes "<cyclic>"; shared references are kept', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [a, { up: a }];
    assert.deepStrictEqual(normalize(a), { name: 'a', self: CYCLIC, list: [CYCLIC, { up: CYCLIC }] });
    const shared = { x: 1 };
    assert.deepStrictEqual(normalize({ one: shared, two: shared, arr: [shared, shared] }), {
      one: { x: 1 }, two: { x: 1 }, arr: [{ x: 1 }, { x: 1 }],
    });
  });

  test('Maps and Sets that contain themselves', () => {
    const m = new Map<string, unknown>();
    m.set('me', m);
    m.set('inner', new Map([['up', m]]));
    const s = new Set<unknown>();
    s.add(s);
    s.add([s]);
    assert.deepStrictEqual(normalize({ m, s }), { m: { me: CYCLIC, inner: { up: CYCLIC } }, s: [CYCLIC, [CYCLIC]] });
  });

  test('past the depth a container becomes "[Object]" / "[Array]", never its content as text', () => {
    const value = nest(6, { secret: 'hunter2' });
    const out = normalize(value);
    assert.deepStrictEqual(out, { l1: { l2: { l3: { l4: { l5: OBJECT_CUT } } } } });
    assert.ok(!JSON.stringify(out).includes('hunter2'));
    assert.deepStrictEqual(normalize({ a: [[[[[['deep']]]]]] }), { a: [[[[ARRAY_CUT]]]] });
    assert.equal(normalize({ a: 1 }, { depth: 0 }), OBJECT_CUT);
    assert.deepStrictEqual(normalize({ m: new Map([['k', 1]]), s: new Set([1]) }, { depth: 1 }), { m: OBJECT_CUT, s: ARRAY_CUT });
    // primitives are never cut by depth
    assert.deepStrictEqual(normalize(nest(5, 'leaf')), nest(5, 'leaf'));
  });

  test('a 1,000-deep object is cut, fast, without a stack problem', () => {
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 1000; i++) deep = { next: deep };
    const start = performance.now();
    const shallow = normalize(deep);
    const unlimited = normalize(deep, { depth: Infinity });
    assert.ok(performance.now() - start < 200);
    assertJsonSafe(shallow);
    assertJsonSafe(unlimited);
    let levels = 0;
    let node: unknown = unlimited;
    while (node && typeof node === 'object') {
      node = (node as Record<string, unknown>).next;
      levels++;
    }
    assert.equal(levels, MAX_DEPTH);
    assert.equal(node, OBJECT_CUT);
  });

  test('breadth keeps the first N keys and items', () => {
    const obj = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`k${i}`, i]));
    assert.deepStrictEqual(Object.keys(normalize(obj) as object), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
    assert.deepStrictEqual(normalize([1, 2, 3, 4], { breadth: 2 }), [1, 2]);
    assert.deepStrictEqual(normalize(new Map([['a', 1], ['b', 2]]), { breadth: 1 }), { a: 1 });
    assert.deepStrictEqual(normalize(new Set([1, 2, 3]), { breadth: 2 }), [1, 2]);
    assert.deepStrictEqual(normalize(obj, { breadth: Infinity }), obj);
  });

  test('a huge array and a huge sparse array cost only their first items', () => {
    const huge = Array.from({ length: 1_000_000 }, (_, i) => i);
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    const start = performance.now();
    assert.deepStrictEqual(normalize(huge), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepStrictEqual(normalize(sparse, { breadth: 3 }), [null, null, null]);
    assert.ok(performance.now() - start < 100);
  });
});

describe('normalize: strings', () => {
  test('a 10 MB string is returned as it is, at once, when maxValueLength is off', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const start = performance.now();
    const out = normalize({ big }) as { big: string };
    assert.ok(performance.now() - start < 20);
    assert.equal(out.big, big);
  });

  test('maxValueLength cuts to that length with "..." and never splits a code point', () => {
    assert.equal(normalize('a message that is long', { maxValueLength: 10 }), 'a messa...');
    assert.equal(normalize('short', { maxValueLength: 10 }), 'short');
    // the emoji (2 code units) straddles the cut: it is left out whole
    const cut = normalize('abcdef\u{1F600}xyz', { maxValueLength: 10 }) as string;
    assert.equal(cut, 'abcdef...');
    assert.ok(cut.length <= 10);
    const big = 'y'.repeat(10 * 1024 * 1024);
    assert.equal((normalize(big, { maxValueLength: 100 }) as string).length, 100);
    // keys are not values
    assert.deepStrictEqual(normalize({ ['k'.repeat(20)]: 'v' }, { maxValueLength: 5 }), { ['k'.repeat(20)]: 'v' });
  });
});

describe('normalize: hostile values never throw', () => {
  test('throwing getters become a placeholder; their siblings stay', () => {
    const obj = { ok: 1, get bad() { throw new Error('getter'); }, after: 2 };
    assert.deepStrictEqual(normalize(obj), { ok: 1, bad: FAILED, after: 2 });
    const arr = [1, 2];
    Object.defineProperty(arr, 1, { get() { throw new Error('index'); } });
    assert.deepStrictEqual(normalize(arr), [1, FAILED]);
  });

  test('revoked Proxies and Proxies throwing on every trap', () => {
    assert.equal(normalize(revokedProxy()), FAILED);
    assert.equal(normalize(revokedProxy([])), FAILED);
    assert.equal(normalize(hostileProxy()), FAILED);
    assert.equal(normalize(hostileProxy([])), FAILED);
    assert.equal(normalize(hostileProxy(() => {})), '[Function: <anonymous>]');
    assert.deepStrictEqual(normalize({ a: hostileProxy(), b: [revokedProxy()], c: 1 }), { a: FAILED, b: [FAILED], c: 1 });
    assert.deepStrictEqual(normalize(new Map([['p', hostileProxy()]])), { p: FAILED });
    // a proxy pretending to be huge
    const liar = new Proxy([], { get: (_, k) => (k === 'length' ? 1e12 : 'v') });
    assert.deepStrictEqual(normalize(liar, { breadth: 2 }), ['v', 'v']);
  });

  test('an isDenied that is asked for every key filters at any depth', () => {
    const isDenied = createKeyMatcher({ sendDefaultPii: true });
    assert.deepStrictEqual(
      normalize({ a: { password: 'p', b: [{ token: { nested: 1 } }] }, Authorization: 'Bearer x' }, { isDenied }),
      { a: { password: FILTERED, b: [{ token: FILTERED }] }, Authorization: FILTERED },
    );
    assert.deepStrictEqual(normalize(new Map([['Api-Key', 1]]), { isDenied }), { 'Api-Key': FILTERED });
  });
});

/** Objects fast-check cannot make: the ones that try to break a serializer. */
const hostile = fc.constantFrom(
  () => revokedProxy(),
  () => hostileProxy(),
  () => hostileProxy([1, 2]),
  () => ({ get boom() { throw new Error('getter'); } }),
  () => ({ toJSON() { throw new Error('toJSON'); } }),
  () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    o.list = [o];
    return o;
  },
  () => {
    const m = new Map<unknown, unknown>();
    m.set(m, m);
    return m;
  },
  () => {
    const s = new Set<unknown>();
    s.add(s);
    return s;
  },
  () => Object.assign(new Error('e'), { extra: NaN }),
  () => Buffer.from('bytes'),
  () => new Float32Array(4),
  () => Symbol('s'),
  () => 10n ** 30n,
  () => function namedFn() {},
  () => new Date(NaN),
  () => JSON.parse('{"__proto__": {"x": 1}}'),
  () => ({ toJSON: () => ({ toJSON: () => 1 }) }),
  () => Object.create(null),
  () => new (class Klass { field = -0; })(),
);

const wild = fc.anything({
  maxDepth: 4,
  maxKeys: 6,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  stringUnit: 'binary',
});

const wildWithHostiles = fc
  .tuple(wild, hostile, wild, fc.array(hostile, { maxLength: 3 }))
  .map(([a, h, b, more]) => ({ a, h: h(), nested: { b, more: more.map((f) => f()) }, list: [h(), a] }));

describe('normalize: properties', () => {
  test('never throws and always round-trips through JSON (fc.anything + hostile objects)', () => {
    fc.assert(
      fc.property(fc.oneof(wild, wildWithHostiles), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 12 }), fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }), (value, depth, breadth, maxValueLength) => {
        const out = normalize(value, { depth, breadth, maxValueLength });
        assertJsonSafe(out);
      }),
      { numRuns: 3000 },
    );
  });
});

// -------------------------------------------------------------------------------- normalizeEvent

describe('normalizeEvent: databags (SPEC-python.md §13 cases 18–24)', () => {
  test('case 18: 13 extra keys → 10 kept with _meta len 13; 13 contexts all kept', () => {
    const extra = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`k${i}`, i]));
    const contexts = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`c${i}`, { v: i }]));
    const out = normalizeEvent(baseEvent({ extra, contexts }), options({ attachMeta: true }));
    assert.equal(Object.keys(out.extra!).length, 10);
    assert.equal(Object.keys(out.contexts!).length, 13);
    assert.deepStrictEqual((out._meta as any).extra[''], { len: 13 });
  });

  test('case 19: nesting 6 levels under extra → the 5th level is "[Object]" with rem !limit', () => {
    const out = normalizeEvent(baseEvent({ extra: { deep: nest(6) } }), options({ attachMeta: true }));
    const deep = out.extra!.deep as any;
    assert.equal(deep.l1.l2.l3.l4, OBJECT_CUT);
    assert.deepStrictEqual((out._meta as any).extra.deep.l1.l2.l3.l4[''], { rem: [['!limit', 'x']] });
    // contexts go two levels deeper before they are cut
    const ctx = normalizeEvent(baseEvent({ contexts: { app: nest(8) } }), options());
    assert.equal((ctx.contexts!.app as any).l1.l2.l3.l4.l5.l6.l7, OBJECT_CUT);
  });

  test('case 20: self-reference in extra and frame vars → "<cyclic>"; shared object serialized twice', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.me = loop;
    const shared = { s: 1 };
    const event = baseEvent({
      extra: { loop, a: shared, b: shared },
      exception: { values: [{ type: 'Error', value: 'x', stacktrace: { frames: [{ function: 'f', filename: 'f.js', vars: { loop, a: shared, b: shared } }] } }] },
    });
    const out = normalizeEvent(event, options());
    assert.deepStrictEqual(out.extra, { loop: { name: 'loop', me: CYCLIC }, a: { s: 1 }, b: { s: 1 } });
    assert.deepStrictEqual(out.exception!.values![0]!.stacktrace!.frames[0]!.vars, out.extra);
  });

  test('case 21: NaN/Infinity in tags → "nan"/"inf"; Date → ISO string; Buffer → short label', () => {
    const out = normalizeEvent(
      baseEvent({ tags: { a: NaN, b: Infinity, c: -Infinity }, extra: { when: new Date(0), buf: Buffer.from('héllo') } }),
      options(),
    );
    assert.deepStrictEqual(out.tags, { a: 'nan', b: 'inf', c: '-inf' });
    assert.deepStrictEqual(out.extra, { when: '1970-01-01T00:00:00.000Z', buf: '[Buffer(6)]' });
  });

  test('case 22: maxValueLength 10 cuts free text with _meta; off by default; protocol ids never cut', () => {
    const event = baseEvent({
      release: 'my-app@1.2.3-long-release',
      logentry: { formatted: 'a message that is long' },
      exception: { values: [{ type: 'VeryLongErrorTypeName', value: 'an exception value' }] },
      contexts: { trace: { trace_id: TRACE_ID, span_id: '0123456789abcdef' } },
      sdk: { name: 'faultline.javascript.node', version: '0.1.0' },
    });
    const cut = normalizeEvent(event, options({ maxValueLength: 10, attachMeta: true }));
    assert.equal(cut.logentry!.formatted, 'a messa...');
    assert.deepStrictEqual((cut._meta as any).logentry.formatted[''], { len: 22, rem: [['!limit', 'x', 7, 10]] });
    assert.equal(cut.exception!.values![0]!.value, 'an exce...');
    assert.equal(cut.exception!.values![0]!.type, 'VeryLongErrorTypeName');
    assert.equal(cut.event_id, EVENT_ID);
    assert.equal(cut.release, 'my-app@1.2.3-long-release');
    assert.equal((cut.contexts!.trace as any).trace_id, TRACE_ID);
    assert.equal(cut.sdk!.name, 'faultline.javascript.node');
    const whole = normalizeEvent(event, options());
    assert.equal(whole.logentry!.formatted, 'a message that is long');
  });

  test('case 23: Password in any case filtered; user.ip_address removed without PII, kept with it', () => {
    const event = baseEvent({ extra: { Password: 'x', PASSWORD: 'y', pass: 'z' }, user: { id: '1', ip_address: '1.2.3.4', email: 'a@b.c' } });
    const strict = normalizeEvent(event, options({ attachMeta: true }));
    assert.deepStrictEqual(strict.extra, { Password: FILTERED, PASSWORD: FILTERED, pass: 'z' });
    assert.deepStrictEqual((strict._meta as any).extra.Password[''], { rem: [['!config', 's']] });
    assert.deepStrictEqual(strict.user, { id: '1', email: 'a@b.c' });
    const open = normalizeEvent(event, options({ sendDefaultPii: true }));
    assert.deepStrictEqual(open.user, { id: '1', ip_address: '1.2.3.4', email: 'a@b.c' });
  });

  test('case 24 (recursive per SPEC.md decision 10): nested denied keys are filtered too', () => {
    const out = normalizeEvent(baseEvent({ extra: { auth: { password: 1 }, x: { password: 1, list: [{ token: 't' }] } } }), options());
    assert.deepStrictEqual(out.extra, { auth: FILTERED, x: { password: FILTERED, list: [{ token: FILTERED }] } });
  });

  test('breadcrumb data and frame vars (exception and threads) are databags', () => {
    const data = { password: 'p', deep: nest(6), ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])) };
    const frames = [{ function: 'f', filename: 'a.js', lineno: 1, vars: data }];
    const out = normalizeEvent(
      baseEvent({
        breadcrumbs: [{ message: 'hi', timestamp: 1_700_000_000, data, bogus: 1 } as never],
        exception: { values: [{ type: 'E', stacktrace: { frames } }] },
        threads: { values: [{ id: 1, crashed: true, stacktrace: { frames } }] },
      }),
      options(),
    );
    const crumb = (out.breadcrumbs as { values: any[] }).values[0];
    assert.deepStrictEqual(Object.keys(crumb).sort(), ['data', 'message', 'timestamp']);
    for (const bag of [crumb.data, out.exception!.values![0]!.stacktrace!.frames[0]!.vars, (out.threads as any).values[0].stacktrace.frames[0].vars]) {
      assert.equal(Object.keys(bag).length, 10);
      assert.equal(bag.password, FILTERED);
      assert.equal(bag.deep.l1.l2.l3.l4, OBJECT_CUT);
    }
    assertValid(out);
  });
});

describe('normalizeEvent: structural fields', () => {
  test('tags become strings within Relay limits', () => {
    const out = normalizeEvent(
      baseEvent({
        tags: {
          yes: true, num: 42, big: 7n, nil: null, undef: undefined, obj: { a: 1 } as never,
          multi: 'line1\nline2\r\nline3', long: 'v'.repeat(300), ['k'.repeat(250)]: 'x', 'with space': 'y', 'ünï': 'z',
        },
      }),
      options(),
    );
    const tags = out.tags as Record<string, string>;
    assert.equal(tags.yes, 'true');
    assert.equal(tags.num, '42');
    assert.equal(tags.big, '7');
    assert.ok(!('nil' in tags) && !('undef' in tags));
    assert.equal(tags.obj, '{"a":1}');
    assert.equal(tags.multi, 'line1 line2 line3');
    assert.equal(tags.long!.length, 200);
    assert.ok(tags.long!.endsWith('...'));
    assert.equal(tags['k'.repeat(200)], 'x');
    assert.equal(tags['with-space'], 'y');
    assert.equal(tags['_n_'], 'z');
    assertValid(out);
  });

  test('user: structural keys kept, unknown keys moved to data, id as string, keys scrubbed', () => {
    const out = normalizeEvent(
      baseEvent({ user: { id: 7, username: 'ann', plan: 'pro', token: 't', geo: { city: 'Oslo', planet: 'Earth' } as never, data: { a: 1 } } }),
      options(),
    );
    assert.deepStrictEqual(out.user, { id: '7', username: 'ann', geo: { city: 'Oslo' }, data: { a: 1, plan: 'pro', token: FILTERED } });
    assertValid(out);
  });

  test('request: headers and cookies scrubbed, PII headers and cookies dropped without sendDefaultPii', () => {
    const request = {
      url: 'http://x/y?q=1',
      method: 'POST',
      headers: { 'X-Api-Key': 'k', Cookie: 'sid=1', Authorization: 'Bearer t', Accept: 'text/html', 'X-Forwarded-For': '1.2.3.4', 'X-Multi': ['a', 'b'] as never, 'X-Num': 5 as never },
      cookies: 'sessionid=abc; theme=dark',
      query_string: { token: 't', page: 2 as never },
      data: { password: 'p', nested: nest(6) },
      env: { REMOTE_ADDR: '1.2.3.4', SERVER_NAME: 'x' },
      bogus: 1,
    } as never;
    const strict = normalizeEvent(baseEvent({ request }), options());
    assert.deepStrictEqual(strict.request!.headers, { 'X-Api-Key': FILTERED, Accept: 'text/html', 'X-Forwarded-For': FILTERED, 'X-Multi': 'a, b', 'X-Num': '5' });
    assert.equal(strict.request!.cookies, undefined);
    assert.deepStrictEqual(strict.request!.query_string, { token: FILTERED, page: '2' });
    assert.deepStrictEqual((strict.request!.data as any).password, FILTERED);
    assert.equal((strict.request!.data as any).nested.l1.l2.l3.l4, OBJECT_CUT);
    assert.deepStrictEqual(strict.request!.env, { REMOTE_ADDR: FILTERED, SERVER_NAME: 'x' });
    assert.ok(!('bogus' in strict.request!));
    assertValid(strict);

    const open = normalizeEvent(baseEvent({ request }), options({ sendDefaultPii: true }));
    assert.deepStrictEqual(open.request!.headers, {
      'X-Api-Key': FILTERED, Cookie: FILTERED, Authorization: FILTERED, Accept: 'text/html', 'X-Forwarded-For': FILTERED, 'X-Multi': 'a, b', 'X-Num': '5',
    });
    assert.deepStrictEqual(open.request!.cookies, { sessionid: FILTERED, theme: 'dark' });
    assert.deepStrictEqual(open.request!.env, { REMOTE_ADDR: '1.2.3.4', SERVER_NAME: 'x' });
    assertValid(open);

    const pairs = normalizeEvent(baseEvent({ request: { headers: [['Authorization', 'x'], ['Accept', '*/*']] as never } }), options());
    assert.deepStrictEqual(pairs.request!.headers, [['Accept', '*/*']]);
  });

  test('contexts are scrubbed recursively; non-object contexts are dropped; the alias is not scrubbed', () => {
    const out = normalizeEvent(
      baseEvent({ contexts: { app: { secret: 's', inner: { api_key: 'k' } }, session: { id: 1 }, broken: 5 as never, trace: { trace_id: TRACE_ID, span_id: '0123456789abcdef' } } }),
      options(),
    );
    assert.deepStrictEqual(out.contexts, {
      app: { secret: FILTERED, inner: { api_key: FILTERED } }, session: { id: 1 }, trace: { trace_id: TRACE_ID, span_id: '0123456789abcdef' },
    });
  });

  test('a top-level message becomes logentry; a bare breadcrumb list becomes { values }', () => {
    const out = normalizeEvent(baseEvent({ message: 'hello', breadcrumbs: [{ message: 'b', timestamp: 1 }] }), options());
    assert.equal(out.message, undefined);
    assert.deepStrictEqual(out.logentry, { formatted: 'hello' });
    assert.deepStrictEqual(out.breadcrumbs, { values: [{ message: 'b', timestamp: 1 }] });
    assertValid(out);
  });

  test('the caller\'s objects are never mutated', () => {
    const user = { id: '1', ip_address: '1.2.3.4', password: 'p' };
    const extra = { password: 'x', deep: nest(8), list: Array.from({ length: 20 }, (_, i) => i) };
    const request = { headers: { Cookie: 'a=b' }, cookies: { a: 'b' } };
    const crumbs = { values: [{ message: 'm', data: { token: 't' } }] };
    const frames = [{ function: 'f', vars: { secret: 1 } }];
    const event = baseEvent({ user, extra, request, breadcrumbs: crumbs, tags: { t: 1 }, exception: { values: [{ type: 'E', stacktrace: { frames } }] }, message: 'hi' });
    const before = JSON.stringify(event);
    const out = normalizeEvent(event, options({ maxEventBytes: 300, attachMeta: true }));
    assert.equal(JSON.stringify(event), before);
    assert.notEqual(out.user, user);
    assert.notEqual(out.extra, extra);
    assert.equal(event._meta, undefined);
  });
});

describe('normalizeEvent: _meta and the event schema', () => {
  test('by default there is no _meta and the event validates; the schema refuses _meta', () => {
    const event = baseEvent({ extra: { password: 'p', ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])) } });
    const plain = normalizeEvent(event, options());
    assert.equal(plain._meta, undefined);
    assertValid(plain);
    const withMeta = normalizeEvent(event, options({ attachMeta: true }));
    assert.ok(withMeta._meta);
    const result = checker.validateEvent(JSON.parse(JSON.stringify(withMeta)));
    assert.ok(result.schemaErrors.some((e) => e.includes('_meta')), 'the official schema has no _meta: the reason attachMeta is off');
  });

  test('annotations the caller made are kept and merged', () => {
    const out = normalizeEvent(
      baseEvent({ _meta: { breadcrumbs: { '': { len: 105 } } }, breadcrumbs: { values: [{ message: 'x', timestamp: 1 }] }, extra: { token: 't' } }),
      options({ attachMeta: true }),
    );
    assert.deepStrictEqual(out._meta, { breadcrumbs: { '': { len: 105 } }, extra: { token: { '': { rem: [['!config', 's']] } } } });
  });

  test('nothing to annotate → no _meta even when asked', () => {
    const out = normalizeEvent(baseEvent({ extra: { a: 1 } }), options({ attachMeta: true }));
    assert.equal(out._meta, undefined);
  });
});

describe('normalizeEvent: size limit (SPEC.md decision 9)', () => {
  test('a small event is left alone', () => {
    const event = baseEvent({ extra: { a: 'x'.repeat(1000) } });
    assert.deepStrictEqual(normalizeEvent(event, options()), event);
  });

  test('a huge extra value is trimmed first, breadcrumbs survive', () => {
    const crumbs = Array.from({ length: 30 }, (_, i) => ({ message: `crumb ${i}`, timestamp: 1_700_000_000 + i }));
    const event = baseEvent({ extra: { big: 'x'.repeat(3 * 1024 * 1024), small: 'keep' }, breadcrumbs: { values: crumbs } });
    const start = performance.now();
    const out = normalizeEvent(event, options({ attachMeta: true }));
    assert.ok(performance.now() - start < 500);
    assert.ok(jsonByteLength(out) <= 1024 * 1024);
    assert.equal(out.extra!.big, TRIMMED);
    assert.equal(out.extra!.small, 'keep');
    assert.equal((out.breadcrumbs as { values: unknown[] }).values.length, 30);
    assert.deepStrictEqual((out._meta as any).extra.big[''], { rem: [['!limit', 'x']] });
  });

  test('many large breadcrumbs: the oldest go first', () => {
    const crumbs = Array.from({ length: 100 }, (_, i) => ({ message: `crumb ${i} ` + 'm'.repeat(20_000), timestamp: 1_700_000_000 + i }));
    const out = normalizeEvent(baseEvent({ breadcrumbs: { values: crumbs }, extra: { a: 1 } }), options({ attachMeta: true }));
    const kept = (out.breadcrumbs as { values: Array<{ message: string }> }).values;
    assert.ok(jsonByteLength(out) <= 1024 * 1024);
    assert.ok(kept.length > 30 && kept.length < 100, String(kept.length));
    assert.ok(kept.at(-1)!.message.startsWith('crumb 99 '));
    assert.ok(kept[0]!.message.startsWith(`crumb ${100 - kept.length} `));
    assert.deepStrictEqual((out._meta as any).breadcrumbs[''], { len: 100 });
    assert.deepStrictEqual(out.extra, { a: 1 });
  });

  test('a long exception value is cut when nothing else is big; ids stay whole', () => {
    const out = normalizeEvent(
      baseEvent({ exception: { values: [{ type: 'Error', value: 'v'.repeat(2 * 1024 * 1024) }] }, contexts: { trace: { trace_id: TRACE_ID, span_id: '0123456789abcdef' } } }),
      options(),
    );
    assert.ok(jsonByteLength(out) <= 1024 * 1024);
    const value = out.exception!.values![0]!.value!;
    assert.ok(value.endsWith('...') && value.length > 900_000, String(value.length));
    assert.equal(out.event_id, EVENT_ID);
    assert.equal((out.contexts!.trace as any).trace_id, TRACE_ID);
    assertValid(out);
  });

  test('multi-byte and escaped text is measured in real UTF-8 bytes', () => {
    const emoji = '\u{1F600}'.repeat(200_000); // 800,000 bytes
    const control = '\u0001'.repeat(100_000); // 600,000 bytes once escaped
    const out = normalizeEvent(baseEvent({ extra: { emoji, control }, logentry: { formatted: 'é'.repeat(400_000) } }), options());
    const bytes = utf8ByteLength(JSON.stringify(out));
    assert.ok(bytes <= 1024 * 1024, String(bytes));
    assert.equal(jsonByteLength(out), bytes);
  });

  test('a tiny limit still yields a valid event with its protocol fields', () => {
    const event = baseEvent({
      release: 'app@1',
      extra: { a: 'x'.repeat(5000) },
      breadcrumbs: { values: [{ message: 'y'.repeat(5000), timestamp: 1 }] },
      exception: { values: [{ type: 'Error', value: 'z'.repeat(5000), stacktrace: { frames: [{ function: 'f', filename: 'a.js', context_line: 'c'.repeat(5000) }] } }] },
      contexts: { trace: { trace_id: TRACE_ID, span_id: '0123456789abcdef' }, big: { b: 'b'.repeat(5000) } },
    });
    const out = normalizeEvent(event, options({ maxEventBytes: 2000 }));
    assert.ok(jsonByteLength(out) <= 2000, String(jsonByteLength(out)));
    assert.equal(out.event_id, EVENT_ID);
    assert.equal(out.timestamp, event.timestamp);
    assert.equal(out.release, 'app@1');
    assertValid(out);
  });
});

describe('normalizeEvent: properties and speed', () => {
  // Smaller values than above: an event has a dozen places for them.
  const small = fc.anything({
    maxDepth: 3, maxKeys: 4, size: 'small', withBigInt: true, withBoxedValues: true, withDate: true, withMap: true,
    withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, stringUnit: 'binary',
  });
  const wild = small;
  const key = fc.string({ minLength: 1, maxLength: 8 }).map((k) => `k_${k}`);
  const bag = fc.dictionary(key, fc.oneof(small, small.map((v) => ({ v, h: revokedProxy(), p: hostileProxy() }))), { maxKeys: 5 });
  const tagValue = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt(), wild);
  const eventArb = fc.record({
    extra: bag,
    tags: fc.dictionary(fc.string({ maxLength: 30 }), tagValue, { maxKeys: 5 }),
    contexts: fc.dictionary(key, bag, { maxKeys: 3 }),
    user: fc.record({ id: fc.oneof(fc.string(), fc.integer()), ip_address: fc.string(), email: fc.string(), custom: wild, password: wild }, { requiredKeys: [] }),
    request: fc.record({ url: fc.string(), headers: fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.string(), wild)), cookies: fc.oneof(fc.string(), fc.dictionary(fc.string({ minLength: 1 }), fc.string())), query_string: fc.oneof(fc.string(), fc.dictionary(fc.string({ minLength: 1 }), wild)), data: fc.oneof(wild, bag), env: bag }, { requiredKeys: [] }),
    crumbs: fc.array(fc.record({ message: fc.oneof(fc.string(), wild), data: bag, timestamp: fc.double({ min: 1, max: 2e9, noNaN: true }) }, { requiredKeys: [] }), { maxLength: 5 }),
    vars: bag,
    message: fc.string(),
    hostile,
  });

  test('output always validates against the event schema and round-trips through JSON', () => {
    fc.assert(
      fc.property(eventArb, fc.boolean(), fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }), (parts, pii, maxValueLength) => {
        const event: Event = baseEvent({
          extra: { ...parts.extra, hostile: parts.hostile() },
          tags: parts.tags as never,
          contexts: parts.contexts as never,
          user: parts.user as never,
          request: parts.request as never,
          breadcrumbs: { values: parts.crumbs as never },
          message: parts.message,
          exception: { values: [{ type: 'Error', value: 'boom', stacktrace: { frames: [{ function: 'f', filename: 'a.js', lineno: 3, vars: { ...parts.vars, h: parts.hostile() } }] } }] },
        });
        const out = normalizeEvent(event, options({ sendDefaultPii: pii, maxValueLength }));
        assertJsonSafe(out);
        assertValid(out);
      }),
      { numRuns: 1000 },
    );
  });

  test('the size estimate never lets an over-limit event through (limit set around the true size)', () => {
    const tricky = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('\u0001\u0002"\\', '\u{1F600}\u{1F600}', '\ud800', 'é€', ''),
      fc.double(),
      fc.constantFrom([[], [], []], [{}, {}], { '': {} }, -0.0000012345678901234567, -1.7976931348623157e308, 1e21, null, true, false),
    );
    const big = fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.array(tricky, { maxLength: 12 }), { maxKeys: 8 });
    fc.assert(
      fc.property(big, big, fc.array(big, { maxLength: 4 }), fc.integer({ min: -40, max: 40 }), (extra, ctx, crumbData, delta) => {
        const event = baseEvent({
          extra,
          contexts: { c: ctx },
          breadcrumbs: { values: crumbData.map((data, i) => ({ data, message: `m${i}`, timestamp: 1 + i })) },
        });
        const opts = options({ depth: 6, breadth: 20 });
        const full = normalizeEvent(event, { ...opts, maxEventBytes: Infinity });
        const size = jsonByteLength(full);
        const limit = Math.max(400, size + delta);
        const out = normalizeEvent(event, { ...opts, maxEventBytes: limit });
        assert.ok(jsonByteLength(out) <= limit, `${jsonByteLength(out)} > ${limit}`);
        if (limit >= size) assert.deepStrictEqual(out, full);
      }),
      { numRuns: 1000 },
    );
  });

  test('a hostile event (getters, proxies on the event itself) never throws', () => {
    const event = baseEvent({
      extra: hostileProxy() as never,
      user: revokedProxy() as never,
      contexts: { a: hostileProxy() } as never,
      request: { headers: hostileProxy() } as never,
      breadcrumbs: revokedProxy() as never,
      exception: { values: [hostileProxy()] } as never,
    });
    Object.defineProperty(event, 'tags', { enumerable: true, get: () => { throw new Error('tags'); } });
    const out = normalizeEvent(event, options({ attachMeta: true }));
    assert.equal(out.event_id, EVENT_ID);
    assertJsonSafe(out);
    assert.doesNotThrow(() => normalizeEvent(revokedProxy() as Event, options()));
    assert.deepStrictEqual(normalizeEvent(null as unknown as Event, options()), {});
    const throwing = { event_id: EVENT_ID, get timestamp() { throw new Error('t'); } } as unknown as Event;
    Object.defineProperty(throwing, 'bad', { enumerable: true, get: () => { throw new Error('b'); } });
    assert.equal(normalizeEvent(throwing, options()).event_id, EVENT_ID);
  });

  // Its speed is measured by the benchmark (npm run bench), never by a timed test.
  test('a typical event normalizes into a valid event', () => {
    const event = baseEvent({
      exception: { values: [{ type: 'TypeError', value: 'x is undefined', mechanism: { type: 'generic', handled: true }, stacktrace: { frames: Array.from({ length: 15 }, (_, i) => ({ filename: `app/f${i}.js`, abs_path: `/srv/app/f${i}.js`, function: `fn${i}`, lineno: i + 1, colno: 2, in_app: true, context_line: 'x();' })) } }] },
      breadcrumbs: { values: Array.from({ length: 20 }, (_, i) => ({ type: 'http', category: 'http', message: `GET /${i}`, timestamp: 1_700_000_000 + i, data: { method: 'GET', url: `/x/${i}`, status_code: 200 } })) },
      extra: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`key${i}`, i % 2 ? `value ${i}` : { n: i }])),
      user: { id: '42', email: 'a@b.c', ip_address: '1.2.3.4' },
      tags: { route: '/x' },
      contexts: { trace: { trace_id: TRACE_ID, span_id: '0123456789abcdef' }, runtime: { name: 'node', version: 'v20.0.0' } },
      sdk: { name: 'faultline.node', version: '0.1.0' },
    });
    const opts = options();
    const out = normalizeEvent(event, opts);
    assertValid(out);
    assert.equal(out.breadcrumbs && 'values' in out.breadcrumbs ? out.breadcrumbs.values?.length : 0, 20);
    assert.equal(Object.keys(out.extra ?? {}).length, 10);
  });
});

test('the exception goes last in the normalized event, whatever order it came in (its stack trace ends the JSON)', () => {
  const exception = { values: [{ type: 'Error', value: 'x', stacktrace: { frames: [{ filename: 'a.js', lineno: 1 }] } }] };
  const event = { exception, event_id: EVENT_ID, level: 'error', tags: { a: 'b' }, contexts: { runtime: { name: 'node' } } } as Event;
  const out = normalizeEvent(event, options());
  assert.deepEqual(Object.keys(out), ['event_id', 'level', 'tags', 'contexts', 'exception']);
  assert.ok(JSON.stringify(out).endsWith('"stacktrace":{"frames":[{"filename":"a.js","lineno":1}]}}]}}'));
  assert.deepEqual(Object.keys(event), ['exception', 'event_id', 'level', 'tags', 'contexts'], 'the input is not reordered');
});

test('only the package list comes after the exception (it repeats from event to event too)', () => {
  const exception = { values: [{ type: 'Error', value: 'x', stacktrace: { frames: [{ filename: 'a.js', lineno: 1 }] } }] };
  const event = { modules: { ajv: '8.0.0' }, exception, event_id: EVENT_ID, tags: { a: 'b' } } as Event;
  const out = normalizeEvent(event, options());
  assert.deepEqual(Object.keys(out), ['event_id', 'tags', 'exception', 'modules']);
  assert.ok(JSON.stringify(out).endsWith('"lineno":1}]}}]},"modules":{"ajv":"8.0.0"}}'));
  const message = normalizeEvent({ modules: { ajv: '8.0.0' }, event_id: EVENT_ID, logentry: { formatted: 'm' } } as Event, options());
  assert.deepEqual(Object.keys(message), ['event_id', 'logentry', 'modules']);
});

describe('a frozen package list', () => {
  const list = (n: number, width = 8) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`package-${String(i).padStart(width, '0')}`, `1.${i}.0`]));

  test('is shared by the events, not copied; any other list is copied', () => {
    const frozen = Object.freeze(list(300));
    const a = normalizeEvent(baseEvent({ modules: frozen }), options());
    const b = normalizeEvent(baseEvent({ modules: frozen }), options());
    assert.equal(a.modules, frozen);
    assert.equal(b.modules, frozen);
    const open = list(300);
    const c = normalizeEvent(baseEvent({ modules: open }), options());
    assert.notEqual(c.modules, open);
    assert.deepEqual(c.modules, open);
    assertValid(a);
  });

  test('one with a getter, a value that is not a string, or a prototype of its own takes the copy, as any other', () => {
    let reads = 0;
    const withGetter = Object.freeze(Object.defineProperty({ a: '1.0.0' }, 'b', { enumerable: true, get: () => `${++reads}.0.0` }));
    const withNumber = Object.freeze({ a: '1.0.0', b: 2 });
    class Versions {
      a = '1.0.0';
    }
    const withClass = Object.freeze(new Versions());
    for (const modules of [withGetter, withNumber, withClass]) {
      const out = normalizeEvent(baseEvent({ modules: modules as unknown as Record<string, string> }), options());
      assert.notEqual(out.modules, modules);
      assert.deepEqual(out.modules, JSON.parse(JSON.stringify(out.modules)));
    }
    const first = normalizeEvent(baseEvent({ modules: withGetter as Record<string, string> }), options());
    const second = normalizeEvent(baseEvent({ modules: withGetter as Record<string, string> }), options());
    assert.notEqual(first.modules!.b, second.modules!.b, 'each event reads the getter afresh');
  });

  test('counts toward the event size limit as the copy does', () => {
    // About 60 kB of list: over a 40 kB limit whether it is shared or copied. The list is one of
    // the fields kept until the last resort, which leaves it out.
    const maxEventBytes = 40_000;
    for (const modules of [Object.freeze(list(2000, 12)), list(2000, 12)]) {
      const out = normalizeEvent(baseEvent({ modules, logentry: { formatted: 'm' } }), options({ maxEventBytes }));
      assert.ok(jsonByteLength(out) <= maxEventBytes, `${jsonByteLength(out)} bytes`);
      assert.equal(out.modules, undefined);
    }
    // Well under the limit: kept, shared.
    const small = Object.freeze(list(200, 12));
    const out = normalizeEvent(baseEvent({ modules: small }), options({ maxEventBytes }));
    assert.equal(out.modules, small);
  });
});
