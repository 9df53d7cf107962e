// eventJson: the same text as JSON.stringify, with repeated frames spliced in from memory. Every
// test compares against JSON.stringify of the same object at the same moment, so a stale frame
// anywhere would show as a difference.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { eventJsonText as eventJson, forgetRememberedFrames } from '../../src/core/event-json.js';
import { serializeEnvelope, createEventEnvelope, parseEnvelope, payloadJson } from '../../src/core/envelope.js';
import { normalizeEvent } from '../../src/core/normalize/index.js';
import { createKeyMatcher } from '../../src/core/scrub.js';
import { freezeDeep } from '../../src/core/frozen-parts.js';
import type { Event, StackFrame } from '../../src/core/types.js';

beforeEach(() => forgetRememberedFrames());

function frames(site = 'app.js', count = 10): StackFrame[] {
  return Array.from({ length: count }, (_, i) => ({
    filename: site,
    abs_path: `/srv/${site}`,
    function: `fn${i}`,
    lineno: 10 + i,
    colno: 5,
    in_app: true,
    pre_context: ['a', 'b', 'c', 'd', 'e'].map((l) => `${l} ${i}`),
    context_line: `throw here ${i}`,
    post_context: ['f', 'g'].map((l) => `${l} ${i}`),
  }));
}

function errorEvent(message: string, stackFrames: StackFrame[] = frames()): Event {
  return {
    event_id: 'a'.repeat(32),
    timestamp: 1732615200.5,
    level: 'error',
    contexts: { runtime: { name: 'node', version: 'v20' } },
    exception: { values: [{ type: 'Error', value: message, mechanism: { type: 'generic', handled: true }, stacktrace: { frames: stackFrames } }] },
  };
}

test('without an exception it is JSON.stringify', () => {
  const event: Event = { event_id: 'b'.repeat(32), logentry: { formatted: 'hi' }, extra: { n: [1, 2, { x: null }] } };
  assert.equal(eventJson(event), JSON.stringify(event));
});

test('a repeated stack trace gives the same text as JSON.stringify, event after event', () => {
  for (let i = 0; i < 5; i++) {
    const event = errorEvent(`failure ${i}`);
    assert.equal(eventJson(event), JSON.stringify(event));
  }
});

test('the event is left as it was (the stand-in for the frames is put back)', () => {
  const event = errorEvent('x');
  const before = structuredClone(event);
  const framesBefore = event.exception!.values![0]!.stacktrace!.frames;
  eventJson(event);
  eventJson(event);
  assert.deepEqual(event, before);
  assert.equal(event.exception!.values![0]!.stacktrace!.frames, framesBefore);
});

test('any difference in a frame shows: a context line, a number, a key, a frame more or less', () => {
  eventJson(errorEvent('first'));
  const variants: Array<(f: StackFrame[]) => void> = [
    (f) => (f[3]!.pre_context![2] = 'changed'),
    (f) => (f[0]!.lineno = 11),
    (f) => (f[9]!.in_app = false),
    (f) => delete f[5]!.post_context,
    (f) => ((f[2] as Record<string, unknown>).module = 'extra key'),
    (f) => f.pop(),
    (f) => f.push({ filename: 'more.js' }),
    (f) => f[1]!.pre_context!.push('one more line'),
  ];
  for (const change of variants) {
    const stack = frames();
    change(stack);
    const event = errorEvent('changed', stack);
    assert.equal(eventJson(event), JSON.stringify(event));
    // And the unchanged stack right after it is itself again.
    const plain = errorEvent('plain');
    assert.equal(eventJson(plain), JSON.stringify(plain));
  }
});

test('key order inside a frame counts (JSON text follows it)', () => {
  eventJson(errorEvent('first'));
  const reordered = frames().map(({ lineno, ...rest }) => ({ ...rest, lineno }));
  const event = errorEvent('reordered', reordered);
  assert.equal(eventJson(event), JSON.stringify(event));
});

test('changing the frames of an event already serialized does not change what a later event gets', () => {
  const first = errorEvent('first');
  eventJson(first);
  // A processor or beforeSend kept a reference and rewrites it later.
  first.exception!.values![0]!.stacktrace!.frames![0]!.filename = 'rewritten.js';
  first.exception!.values![0]!.stacktrace!.frames![4]!.pre_context![0] = 'rewritten';
  const second = errorEvent('second');
  assert.equal(eventJson(second), JSON.stringify(second));
  assert.equal(eventJson(first), JSON.stringify(first));
});

test('several stack traces in turn, more than are remembered, each comes out right', () => {
  for (let round = 0; round < 3; round++) {
    for (let site = 0; site < 11; site++) {
      const event = errorEvent(`round ${round}`, frames(`site${site}.js`, 3 + site));
      assert.equal(eventJson(event), JSON.stringify(event));
    }
  }
});

/** An error with `depth` causes before it, each from its own file (oldest first, as the SDK orders them). */
function chainedEvent(message: string, depth: number): Event {
  const event = errorEvent(message);
  for (let d = 1; d <= depth; d++) {
    event.exception!.values!.unshift({ type: 'TypeError', value: `cause ${d}`, stacktrace: { frames: frames(`cause${d}.js`, 3 + d) } });
  }
  return event;
}

test('chained exceptions: every one comes out right, event after event', () => {
  for (let i = 0; i < 4; i++) {
    const event = chainedEvent(`outer ${i}`, 3);
    assert.equal(eventJson(event), JSON.stringify(event));
  }
});

test('the frames of causes seen before are spliced in too (seen from a toJSON that runs meanwhile)', () => {
  const seen: unknown[] = [];
  const watched = () => {
    const event = chainedEvent('watched', 2);
    (event as Record<string, unknown>).extra = {
      probe: { toJSON: () => (seen.push(...event.exception!.values!.map((v) => v.stacktrace!.frames)), 'probe') },
    };
    return event;
  };
  const first = watched();
  const firstText = eventJson(first);
  assert.equal(seen.length, 3);
  assert.ok(seen.every(Array.isArray), 'the first time, the event is serialized whole');
  assert.equal(firstText, JSON.stringify(first));
  seen.length = 0;
  const second = watched();
  const secondText = eventJson(second);
  assert.equal(seen.length, 3);
  assert.ok(seen.every((frames) => typeof frames === 'string'), 'from the second time, every exception\'s frames are out');
  assert.ok(second.exception!.values!.every((v) => Array.isArray(v.stacktrace!.frames)), 'and back in place afterwards');
  assert.equal(secondText, JSON.stringify(second));
});

test('a cause whose frames changed, one without frames, or two exceptions sharing one stack trace: still right', () => {
  eventJson(chainedEvent('first', 2));
  eventJson(chainedEvent('second', 2));
  const changed = chainedEvent('changed', 2);
  changed.exception!.values![0]!.stacktrace!.frames![1]!.lineno = 999;
  assert.equal(eventJson(changed), JSON.stringify(changed));
  const without = chainedEvent('without', 2);
  delete without.exception!.values![1]!.stacktrace;
  assert.equal(eventJson(without), JSON.stringify(without));
  const shared = chainedEvent('shared', 2);
  shared.exception!.values![1]!.stacktrace = shared.exception!.values![0]!.stacktrace;
  for (let i = 0; i < 2; i++) assert.equal(eventJson(shared), JSON.stringify(shared));
  const again = chainedEvent('again', 2);
  assert.equal(eventJson(again), JSON.stringify(again));
});

test('frames that are not plain data are serialized the usual way', () => {
  const withVars = frames();
  (withVars[0] as Record<string, unknown>).vars = { user: { id: 1 } };
  const withDate = frames();
  (withDate[1] as Record<string, unknown>).when = new Date(0);
  const withToJson = frames();
  (withToJson[2] as Record<string, unknown>).toJSON = () => ({ replaced: true });
  const withNaN = frames();
  withNaN[3]!.lineno = Number.NaN;
  for (const stack of [withVars, withDate, withToJson, withNaN]) {
    for (let i = 0; i < 2; i++) {
      const event = errorEvent('odd', stack);
      assert.equal(eventJson(event), JSON.stringify(event));
    }
  }
});

test('a frozen stack trace, a toJSON above the frames, or the stand-in text in the event: still JSON.stringify', () => {
  const frozen = errorEvent('frozen');
  Object.freeze(frozen.exception!.values![0]!.stacktrace);
  assert.equal(eventJson(frozen), JSON.stringify(frozen));

  const replaced = errorEvent('replaced');
  (replaced.exception!.values![0] as Record<string, unknown>).toJSON = () => ({ type: 'Replaced' });
  assert.equal(eventJson(replaced), JSON.stringify(replaced));

  const wrapped = errorEvent('wrapped');
  (wrapped.exception as Record<string, unknown>).toJSON = () => 'not an exception';
  assert.equal(eventJson(wrapped), JSON.stringify(wrapped));
});

test('frames shared by two places in the event are written in both', () => {
  const shared = frames();
  const event = errorEvent('shared', shared);
  event.threads = { values: [{ id: 1, stacktrace: { frames: shared } }] };
  eventJson(event);
  assert.equal(eventJson(event), JSON.stringify(event));
});

test('serializeEnvelope uses it for events: the envelope round-trips with repeated frames, any characters', () => {
  const stack = frames();
  stack[2]!.context_line = 'throw new Error("é ✓ 😀")';
  for (let i = 0; i < 3; i++) {
    const event = errorEvent(`round ${i} ✓ ü 😀`, stack);
    const envelope = createEventEnvelope(event, { sdk: { name: 'faultline.node', version: '1.0.0' } });
    const parsed = parseEnvelope(serializeEnvelope(envelope));
    assert.deepEqual(payloadJson(parsed.items[0]!), JSON.parse(JSON.stringify(event)));
  }
});

test('frames seen before are spliced in, not serialized with the event (seen from a toJSON that runs meanwhile)', () => {
  const event = errorEvent('watched');
  let seen: unknown;
  (event as Record<string, unknown>).extra = {
    probe: { toJSON: () => ((seen = event.exception!.values![0]!.stacktrace!.frames), 'probe') },
  };
  const first = eventJson(event);
  assert.ok(Array.isArray(seen), 'the first time, the event is serialized whole');
  const second = eventJson(event);
  assert.equal(typeof seen, 'string', 'from the second time, the frames are out while the rest is serialized');
  assert.ok(Array.isArray(event.exception!.values![0]!.stacktrace!.frames), 'and back in place afterwards');
  assert.equal(first, JSON.stringify(event));
  assert.equal(second, JSON.stringify(event));
});

test('an enumerable key inherited by every object does not make different frames look alike', () => {
  eventJson(errorEvent('first'));
  const proto = Object.prototype as Record<string, unknown>;
  proto.polluted = 'yes';
  try {
    const stack = frames();
    delete stack[0]!.colno; // one key fewer, and for-in sees one more: the count would match by luck
    const event = errorEvent('second', stack);
    assert.equal(eventJson(event), JSON.stringify(event));
  } finally {
    delete proto.polluted;
  }
});

test('a large event with repeated frames (past the reused buffer) round-trips too', () => {
  for (let i = 0; i < 3; i++) {
    const event = { ...errorEvent(`large ${i}`), extra: { blob: 'é'.repeat(120_000) } } as Event;
    // exception last, as the normalizer leaves it
    const { exception, ...rest } = event;
    const ordered = { ...rest, exception } as Event;
    const parsed = parseEnvelope(serializeEnvelope(createEventEnvelope(ordered, { sdk: { name: 'faultline.node', version: '1.0.0' } })));
    assert.deepEqual(payloadJson(parsed.items[0]!), JSON.parse(JSON.stringify(ordered)));
  }
});

test('a frozen package list is spliced in from its text made once: same text as JSON.stringify, error or message', () => {
  const modules = Object.freeze({ ajv: '8.17.1', '@scope/lib': '1.0.0', 'quote"name': 'v\u2028"1"' });
  const seen: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    const error = { ...errorEvent(`failure ${i}`), modules } as Event;
    const message: Event = { event_id: 'c'.repeat(32), logentry: { formatted: `m ${i}` }, modules };
    for (const event of [error, message]) {
      (event as Record<string, unknown>).extra = { probe: { toJSON: () => (seen.push(event.modules), 'probe') } };
      assert.equal(eventJson(event), JSON.stringify(event));
      assert.equal(event.modules, modules, 'put back afterwards');
    }
  }
  // While eventJson serialized the event the list was out (its stand-in, a string); the
  // JSON.stringify calls that checked it saw the list itself.
  assert.deepEqual(seen.map((m) => typeof m), Array(8).fill(['string', 'object']).flat());
});

test('a package list that is not frozen, or frozen with other than strings, is serialized with the event', () => {
  const open = { ajv: '8.17.1' };
  const withNumber = Object.freeze({ ajv: 8 });
  for (const modules of [open, withNumber]) {
    const event = { ...errorEvent('x'), modules } as unknown as Event;
    let seen: unknown;
    (event as Record<string, unknown>).extra = { probe: { toJSON: () => ((seen = event.modules), 'probe') } };
    eventJson(event);
    assert.equal(eventJson(event), JSON.stringify(event));
    assert.equal(seen, modules);
  }
});

test('a package list held by a read-only field, or with the frames of six chained exceptions: still right', () => {
  const modules = Object.freeze({ ajv: '8.17.1' });
  const readOnly = errorEvent('x');
  Object.defineProperty(readOnly, 'modules', { value: modules, enumerable: true, writable: false });
  eventJson(readOnly);
  assert.equal(eventJson(readOnly), JSON.stringify(readOnly));
  const chain = errorEvent('chained');
  chain.exception!.values = Array.from({ length: 7 }, (_, i) => ({ type: 'Error', value: `e${i}`, stacktrace: { frames: frames(`site${i}.js`) } }));
  (chain as Record<string, unknown>).modules = modules;
  for (let i = 0; i < 3; i++) assert.equal(eventJson(chain), JSON.stringify(chain));
});

test('contexts and an SDK description the event shares are spliced from their text made once: same text as JSON.stringify', () => {
  const options = { depth: 5, breadth: 10, isDenied: createKeyMatcher({ sendDefaultPii: false }), sendDefaultPii: false, shareFrozen: true };
  const os = freezeDeep({ name: 'Debian', version: '12', distribution: { name: 'debian', pretty_name: 'x "quoted" \u2028' } });
  const runtime = freezeDeep({ name: 'node', version: 'v20' });
  const sdk = freezeDeep({ name: 'faultline.node', version: '1.0.0', integrations: ['A', 'B'], packages: [{ name: 'npm:faultline', version: '1.0.0' }] });
  const normalized = (message: string, extraContext?: Record<string, unknown>) =>
    normalizeEvent({ ...errorEvent(message), contexts: { runtime, os, ...extraContext }, sdk } as Event, options);
  normalized('proves the parts');
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    const event = normalized(`shared ${i}`);
    assert.equal(event.sdk, sdk);
    (event as Record<string, unknown>).extra = { probe: { toJSON: () => (seen.push(typeof event.contexts, typeof event.sdk), 'probe') } };
    assert.equal(eventJson(event), JSON.stringify(event));
    assert.equal((event.contexts as Record<string, unknown>)['os'], os, 'put back afterwards');
  }
  // While eventJson serialized the event both were out (stand-ins); JSON.stringify saw them.
  assert.deepEqual(seen, Array(3).fill(['string', 'string', 'object', 'object']).flat());

  // One context the event does not share: the contexts go with the event, the SDK still spliced.
  const mixed = normalized('mixed', { mine: { a: 1 } });
  let inside: unknown;
  (mixed as Record<string, unknown>).extra = { probe: { toJSON: () => ((inside = mixed.contexts), 'probe') } };
  assert.equal(eventJson(mixed), JSON.stringify(mixed));
  assert.equal(typeof inside, 'object');

  // A toJSON put on Array.prototype changes what JSON writes: the text made before is not used.
  const proto = Array.prototype as unknown as Record<string, unknown>;
  proto.toJSON = function () {
    return 'array';
  };
  try {
    const event = normalized('after the prototype changed');
    assert.equal(eventJson(event), JSON.stringify(event));
  } finally {
    delete proto.toJSON;
  }
});
