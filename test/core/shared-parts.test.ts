// Frozen parts the SDK puts on every event (its contexts, its description, a trace's context) are
// shared by events instead of copied, once normalizing them was seen to change nothing
// (core/frozen-parts.ts, normalize/shared-parts.ts). What is sent must be exactly what the copy
// would have sent, and no code of the app's may change a part for the events after.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as faultline from '../../src/index.js';
import { normalizeEvent, TRIMMED, type NormalizeEventOptions } from '../../src/core/normalize/index.js';
import { profilesFor, type EventContext } from '../../src/core/normalize/context.js';
import { proveShared, sharedPart } from '../../src/core/normalize/shared-parts.js';
import { Walker } from '../../src/core/normalize/walker.js';
import { freezeDeep, thawEventParts } from '../../src/core/frozen-parts.js';
import { createKeyMatcher } from '../../src/core/scrub.js';
import { jsonByteLength } from '../../src/core/json-size.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { Event } from '../../src/core/types.js';

const DSN = `http://${'a'.repeat(32)}@127.0.0.1:9/1`;
const isDenied = createKeyMatcher({ sendDefaultPii: false });

function options(overrides: Partial<NormalizeEventOptions> = {}): NormalizeEventOptions {
  return { depth: 5, breadth: 10, isDenied, sendDefaultPii: false, shareFrozen: true, ...overrides };
}

const osContext = () => ({
  name: 'Debian GNU/Linux',
  version: '12',
  kernel_version: '6.1.0',
  distribution: { name: 'debian', version: '12', pretty_name: 'Debian GNU/Linux 12 (bookworm)' },
});

function event(contexts: Record<string, unknown>, extra: Partial<Event> = {}): Event {
  return { event_id: '0123456789abcdef0123456789abcdef', timestamp: 1_700_000_000.5, level: 'error', contexts, ...extra } as Event;
}

const osOf = (e: Event): unknown => (e.contexts as Record<string, unknown>)['os'];

describe('normalizeEvent with shareFrozen', () => {
  test('a frozen context is copied the first time, shared after, and sent as the same JSON', () => {
    const os = freezeDeep(osContext());
    const first = normalizeEvent(event({ os }), options());
    const second = normalizeEvent(event({ os }), options());
    const copied = normalizeEvent(event({ os: osContext() }), options());
    assert.notEqual(osOf(first), os);
    assert.equal(osOf(second), os);
    assert.equal(JSON.stringify(second), JSON.stringify(copied));
    assert.equal(JSON.stringify(first), JSON.stringify(copied));
  });

  test("a shared part counts towards the size bound exactly as its copy did", () => {
    const p = profilesFor(5, 10);
    const cx = (): EventContext => ({ w: new Walker(isDenied, undefined, false, p.context), p, opts: options(), ownPipeline: true, share: true });
    const os = freezeDeep({ ...osContext(), raw_description: 'é'.repeat(40), tags: ['a', 'b'], cores: 2, ok: true, none: null });
    const proving = cx();
    const copy = proving.w.run(os, p.context);
    proveShared(proving, os, p.context, copy, 0, 0);
    const sharing = cx();
    assert.equal(sharedPart(sharing, os, p.context), os);
    assert.equal(sharing.w.units, proving.w.units);
    assert.equal(sharing.w.fixed, proving.w.fixed);
    assert.ok(sharing.w.units > 0 && sharing.w.fixed > 0);
  });

  test('any frozen JSON-like context gives the JSON of the copy, shared or not', () => {
    const text = fc.string({ maxLength: 20 });
    const leaf = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(text, tie('node'), { maxKeys: 4 })),
    })).node;
    const context = fc.dictionary(fc.oneof(text, fc.constantFrom('password', 'token', 'name')), value, { maxKeys: 6 });
    fc.assert(
      fc.property(context, fc.integer({ min: 1, max: 6 }), (ctx, depth) => {
        const frozen = freezeDeep(structuredClone(ctx));
        const opts = options({ depth });
        const expected = JSON.stringify(normalizeEvent(event({ app: structuredClone(ctx) }), opts));
        for (let i = 0; i < 3; i++) assert.equal(JSON.stringify(normalizeEvent(event({ app: frozen }), opts)), expected);
      }),
      { numRuns: 1500 },
    );
  });

  test('not shared: a part not frozen all the way down, a getter, a denied key, a value the walk changes', () => {
    const notDeep = Object.freeze({ name: 'x', distribution: { name: 'y' } });
    const getter = Object.freeze(Object.defineProperty({ name: 'x' }, 'version', { get: () => '12', enumerable: true }));
    const denied = freezeDeep({ name: 'x', password: 'hunter2' });
    const changed = freezeDeep({ name: 'x', load: Number.NaN });
    const dropped = freezeDeep({ name: 'x', gone: undefined });
    for (const [label, part] of Object.entries({ notDeep, getter, denied, changed, dropped })) {
      normalizeEvent(event({ part }), options());
      const out = normalizeEvent(event({ part }), options());
      assert.notEqual((out.contexts as Record<string, unknown>)['part'], part, label);
    }
    const out = normalizeEvent(event({ part: denied }), options());
    assert.equal(((out.contexts as Record<string, Record<string, unknown>>)['part']!)['password'], '[Filtered]');
  });

  test('not shared without shareFrozen, and a proof holds only for the settings it was made under', () => {
    const os = freezeDeep(osContext());
    normalizeEvent(event({ os }), options({ shareFrozen: false }));
    assert.notEqual(osOf(normalizeEvent(event({ os }), options({ shareFrozen: false }))), os);
    normalizeEvent(event({ os }), options());
    assert.equal(osOf(normalizeEvent(event({ os }), options())), os);
    // Proven at depth 5; at depth 0 (contexts go two levels deeper) the innermost object is cut.
    const nested = freezeDeep({ name: 'x', a: { b: { c: 1 } } });
    normalizeEvent(event({ os: nested }), options());
    assert.equal(osOf(normalizeEvent(event({ os: nested }), options())), nested);
    const shallow = normalizeEvent(event({ os: nested }), options({ depth: 0 }));
    assert.notEqual(osOf(shallow), nested);
    assert.deepEqual(osOf(shallow), { name: 'x', a: { b: '[Object]' } });
    // A deny list of its own: the same frozen object is scrubbed under it.
    const strict = createKeyMatcher({ sendDefaultPii: false, extraDenyList: ['kernel_version'] });
    const scrubbed = normalizeEvent(event({ os }), options({ isDenied: strict }));
    assert.equal((osOf(scrubbed) as Record<string, unknown>)['kernel_version'], '[Filtered]');
    // And a maxValueLength.
    const cut = normalizeEvent(event({ os }), options({ maxValueLength: 5 }));
    assert.equal(((osOf(cut) as Record<string, Record<string, unknown>>)['distribution'])!['pretty_name'], 'De...');
  });

  test('an event over the size limit with shared parts is trimmed as any other, and the parts stay as they were', () => {
    const big = freezeDeep({ ...osContext(), raw_description: 'x'.repeat(400_000) });
    const before = JSON.stringify(big);
    normalizeEvent(event({ os: big }), options());
    const out = normalizeEvent(event({ os: big, app: freezeDeep({ notes: 'y'.repeat(400_000) }) }, { extra: { z: 'z'.repeat(400_000) } }), options({ maxEventBytes: 200_000 }));
    assert.ok(jsonByteLength(out) <= 200_000, `${jsonByteLength(out)} bytes`);
    // Trimmed part by part (the largest first), not cut down to its protocol fields.
    assert.equal((out.extra as Record<string, unknown>)['z'], TRIMMED);
    assert.equal(out.level, 'error');
    assert.equal(JSON.stringify(big), before);
    assert.ok(Object.isFrozen(big));
  });

  test('thawEventParts gives the event copies it may change, and leaves the rest', () => {
    const os = freezeDeep(osContext());
    const sdk = freezeDeep({ name: 'faultline.node', version: '1', integrations: ['A'] });
    const mine = { any: 'thing' };
    const e = thawEventParts(event({ os, mine }, { sdk }));
    const contexts = e.contexts as Record<string, Record<string, unknown>>;
    assert.notEqual(contexts['os'], os);
    assert.deepEqual(contexts['os'], os);
    assert.equal(Object.isFrozen(contexts['os']!['distribution']), false);
    assert.equal(contexts['mine'], mine);
    assert.notEqual(e.sdk, sdk);
    e.sdk!.integrations!.push('B');
    assert.deepEqual(sdk.integrations, ['A']);
  });
});

describe('the client shares its own parts', () => {
  afterEach(async () => {
    await faultline.close(0);
  });

  function initCapturing(extra: Partial<faultline.Options> = {}): Event[] {
    const sent: Event[] = [];
    const send = (e: Envelope) => void sent.push(e.items[0]!.payload as Event);
    faultline.init({ dsn: DSN, transport: (() => ({ send, flush: async () => true })) as never, ...extra });
    return sent;
  }
  const contextsOf = (e: Event) => e.contexts as Record<string, Record<string, unknown>>;

  test('events after the first carry the same frozen os context, SDK description and trace context', () => {
    const sent = initCapturing();
    for (let i = 0; i < 3; i++) faultline.captureException(new Error(`shared ${i}`));
    const [, b, c] = sent;
    assert.ok(b && c);
    for (const key of ['os', 'runtime', 'trace']) {
      assert.equal(contextsOf(c)[key], contextsOf(b)[key], key);
      assert.ok(Object.isFrozen(contextsOf(c)[key]), key);
    }
    assert.equal(c.sdk, b.sdk);
    assert.ok(Object.isFrozen(c.sdk));
  });

  test("an app's scope processor that edits the shared parts in place changes only its own event", () => {
    const sent = initCapturing();
    faultline.captureException(new Error('before'));
    faultline.withScope((scope) => {
      scope.addEventProcessor((e) => {
        contextsOf(e)['os']!['name'] = 'edited';
        (contextsOf(e)['os']!['distribution'] as Record<string, unknown>)['name'] = 'edited';
        contextsOf(e)['trace']!['span_id'] = 'edited';
        e.sdk!.integrations!.push('Edited');
        return e;
      });
      faultline.captureException(new Error('edited'));
    });
    faultline.captureException(new Error('after'));
    assert.equal(sent.length, 3);
    const [before, edited, after] = sent as [Event, Event, Event];
    assert.equal(contextsOf(edited)['os']!['name'], 'edited');
    assert.equal(contextsOf(edited)['trace']!['span_id'], 'edited');
    assert.ok(edited.sdk!.integrations!.includes('Edited'));
    assert.deepEqual(contextsOf(after)['os'], contextsOf(before)['os']);
    assert.deepEqual(contextsOf(after)['trace'], contextsOf(before)['trace']);
    assert.deepEqual(after.sdk, before.sdk);
  });

  test("an app's integration that edits them in place, the same", () => {
    const sent = initCapturing({
      integrations: (defaults: faultline.Integration[]) => [
        ...defaults,
        {
          name: 'Editor',
          processEvent(e: Event) {
            if (e.exception?.values?.[0]?.value === 'edited') contextsOf(e)['os']!['name'] = 'edited';
            return e;
          },
        },
      ],
    });
    faultline.captureException(new Error('edited'));
    faultline.captureException(new Error('after'));
    assert.equal(sent.length, 2);
    assert.equal(contextsOf(sent[0]!)['os']!['name'], 'edited');
    assert.notEqual(contextsOf(sent[1]!)['os']!['name'], 'edited');
  });

  test('beforeSend is given copies: what it edits in place stays in that event', () => {
    let edit = true;
    const sent = initCapturing({
      beforeSend(e) {
        if (edit) {
          contextsOf(e)['device']!['arch'] = 'edited';
          e.sdk!.name = 'edited';
        }
        return e;
      },
    });
    faultline.captureException(new Error('edited'));
    edit = false;
    faultline.captureException(new Error('after'));
    assert.equal(sent.length, 2);
    assert.equal(contextsOf(sent[0]!)['device']!['arch'], 'edited');
    assert.notEqual(contextsOf(sent[1]!)['device']!['arch'], 'edited');
    assert.notEqual(sent[1]!.sdk!.name, 'edited');
  });

  test('a deny list that names a key of the SDK context still scrubs it, in every event', () => {
    const sent = initCapturing({ extraDenyList: ['kernel_version'] });
    for (let i = 0; i < 3; i++) faultline.captureException(new Error(`scrubbed ${i}`));
    assert.equal(sent.length, 3);
    for (const e of sent) assert.equal(contextsOf(e)['os']!['kernel_version'], '[Filtered]');
  });
});
