// The JSON text of an event, with the stack traces' frames taken from the text of an earlier event
// that had the same frames. An app in trouble sends the same error again and again, and the
// frames (with their source lines) are nine tenths of an error event's JSON: they are serialized
// the second time they are seen and spliced into the text of the events that repeat them. A
// first sighting only takes a copy to compare with, so errors that never repeat cost little more
// than a plain JSON.stringify.
//
// The last exception's frames are kept as UTF-8 bytes: the normalizer puts `exception` last in the
// event (only the package list, below, comes after it), so they are also the end of the text,
// which lets the HTTP transport compress that end once too (node/gzip-body.ts). Those of its
// causes (an `error.cause` chain) are kept as text and spliced into the rest. Frames are compared
// by value with a private copy of the frames that made the remembered text, so nothing a
// processor or `beforeSend` did to an earlier event can leak into a later one. Anything out of
// the ordinary (frames that are not plain data, a frozen stack trace, a `toJSON` on the way, a
// stack trace shared by two places) is serialized the usual way.
//
// The package list (`modules`) is spliced the same way when it is a frozen map of strings, as the
// `Modules` integration makes it: such an object cannot change, so its text is made once and no
// comparison is needed. The normalizer puts it after `exception`, so it is part of the end that
// the transport compresses once. So are the SDK's own contexts and its description when the event
// shares them (normalize/shared-parts.ts): frozen data, whose text is made once.

import { RecentList } from './recent-list.js';
import { isPlainObject } from './plain-object.js';
import { frozenMapJson, frozenStringMap } from './frozen-string-map.js';
import { sharedPartJson } from './normalize/shared-parts.js';

/** Stack traces remembered: the last few distinct ones (causes included), most recent first. */
const MAX_REMEMBERED = 16;

interface RememberedFrames {
  /** Each frame's own keys, in order, and their values (context arrays copied). */
  keys: string[][];
  values: unknown[][];
  /**
   * The frames' JSON, UTF-8 encoded (a last exception's) or as text (a cause's): copied into
   * place, neither serialized nor encoded again. Made the second time the frames are seen: an
   * error that never repeats costs only the copy.
   */
  bytes?: Uint8Array;
  text?: string;
}

/** An event's JSON in three parts: `head`, then the frames' UTF-8 bytes, then `rest`. */
export interface SplicedJson {
  head: string;
  frames: Uint8Array;
  rest: string;
}

const encoder = new TextEncoder();

const remembered = new RecentList<RememberedFrames>(MAX_REMEMBERED);

// Stands in for a stack trace's frames while the rest of the event is serialized: a prefix and
// the number of the exception. Random, so an event's own data cannot name it; and the splice
// checks each occurs exactly once.
const PREFIX = `\u0000faultline-frames-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}:`;
/** The prefix as JSON writes it, opening quote included. */
const QUOTED_PREFIX = JSON.stringify(PREFIX).slice(0, -1);
/** Chained exceptions whose frames are spliced (the last one's and those of its causes). */
const MAX_SPLICED = 6;
/** One stand-in for each exception's frames, and one each for the package list, the contexts and the SDK: below ten. */
const STAND_INS = Array.from({ length: MAX_SPLICED + 3 }, (_, i) => `${PREFIX}${i}`);

/** A part taken out of the event while it is serialized: an exception's frames, the package list, the contexts, the SDK. */
interface Swap {
  holder: Record<string, unknown>;
  key: 'frames' | 'modules' | 'contexts' | 'sdk';
  value: unknown;
  /** The last exception's frames as bytes (where the event's text ends), anything else as text. */
  json: Uint8Array | string;
}

/**
 * `JSON.stringify(event)`: the same text, as a string, or, when the last exception has frames
 * seen before, in parts around the frames' bytes. The frames of its causes (`error.cause`
 * chains), seen before, are spliced into the text.
 */
export function eventJson(event: unknown): string | SplicedJson | undefined {
  if (!isPlainObject(event)) return JSON.stringify(event);
  let swaps = knownFrames(event);
  const modules = modulesSwap(event);
  if (modules !== undefined) (swaps ??= []).push(modules);
  const contexts = contextsSwap(event);
  if (contexts !== undefined) (swaps ??= []).push(contexts);
  const sdk = sharedPartJson(event.sdk);
  if (sdk !== undefined && writableField(event, 'sdk')) (swaps ??= []).push({ holder: event, key: 'sdk', value: event.sdk, json: sdk });
  if (swaps === undefined) return JSON.stringify(event);
  let text: string;
  for (let i = 0; i < swaps.length; i++) swaps[i]!.holder[swaps[i]!.key] = STAND_INS[i];
  try {
    text = JSON.stringify(event);
  } finally {
    for (const swap of swaps) swap.holder[swap.key] = swap.value;
  }
  return splice(text, swaps) ?? JSON.stringify(event);
}

/**
 * The text with each stand-in replaced, found in one pass; undefined when one is missing (a
 * toJSON replaced the part) or there twice (a stack trace shared by two places).
 */
function splice(text: string, swaps: Swap[]): string | SplicedJson | undefined {
  let seen = 0;
  let head: string | undefined;
  let bytes: Uint8Array | undefined;
  let out = '';
  let from = 0;
  for (let at = text.indexOf(QUOTED_PREFIX); at !== -1; at = text.indexOf(QUOTED_PREFIX, from)) {
    const digit = at + QUOTED_PREFIX.length;
    const index = text.charCodeAt(digit) - 48;
    // One digit and the closing quote: there are fewer than ten stand-ins.
    if (!(index >= 0 && index < swaps.length) || text.charCodeAt(digit + 1) !== 34 || seen & (1 << index)) return undefined;
    seen |= 1 << index;
    out += text.slice(from, at);
    const json = swaps[index]!.json;
    if (typeof json === 'string') {
      out += json;
    } else {
      head = out;
      bytes = json;
      out = '';
    }
    from = digit + 2;
  }
  if (seen !== (1 << swaps.length) - 1) return undefined;
  out += text.slice(from);
  return bytes === undefined ? out : { head: head!, frames: bytes, rest: out };
}

/** eventJson as one string (the tests compare it with JSON.stringify). */
export function eventJsonText(event: unknown): string | undefined {
  const json = eventJson(event);
  if (json === undefined || typeof json === 'string') return json;
  return json.head + new TextDecoder().decode(json.frames) + json.rest;
}

/** Forget the remembered frames (tests). */
export function forgetRememberedFrames(): void {
  remembered.clear();
}

/**
 * The stack traces of `event` whose frames were seen before, in the order of the exceptions, the
 * last exception's (if so) last; undefined when there is none. Only plain, writable arrays of
 * frames are taken; the others are serialized with the event.
 */
function knownFrames(event: Record<string, unknown>): Swap[] | undefined {
  const exception = event.exception;
  if (!isPlainObject(exception) || !Array.isArray(exception.values) || exception.values.length === 0) return undefined;
  const values: unknown[] = exception.values;
  let swaps: Swap[] | undefined;
  const first = Math.max(0, values.length - MAX_SPLICED);
  for (let i = first; i < values.length; i++) {
    const stacktrace = framesHolder(values[i]);
    if (stacktrace === undefined) continue;
    const frames = stacktrace.frames as unknown[];
    const entry = rememberedFrames(frames);
    if (entry === undefined) continue;
    const json = i === values.length - 1 ? (entry.bytes ??= encoder.encode(JSON.stringify(frames))) : (entry.text ??= JSON.stringify(frames));
    (swaps ??= []).push({ holder: stacktrace, key: 'frames', value: frames, json });
  }
  return swaps;
}

/** An exception's `stacktrace`, when its `frames` is a plain, writable, non-empty array. */
function framesHolder(exception: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(exception) || !isPlainObject(exception.stacktrace)) return undefined;
  const stacktrace = exception.stacktrace;
  const descriptor = Object.getOwnPropertyDescriptor(stacktrace, 'frames');
  if (!descriptor || !descriptor.writable || !Array.isArray(descriptor.value) || descriptor.value.length === 0) return undefined;
  if ((descriptor.value as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  return stacktrace;
}

/**
 * The event's package list, when it is a frozen map of strings (the `Modules` integration's, shared
 * by every event) held by a writable field: its JSON is made once (frozen-string-map.ts).
 */
function modulesSwap(event: Record<string, unknown>): Swap | undefined {
  const value = event.modules;
  const map = frozenStringMap(value);
  if (map === undefined) return undefined;
  if (!writableField(event, 'modules')) return undefined;
  return { holder: event, key: 'modules', value, json: frozenMapJson(value as object, map) };
}

function writableField(event: Record<string, unknown>, key: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(event, key);
  return descriptor !== undefined && descriptor.writable === true;
}

/** JSON names of context keys, made once (a handful of keys, the same in every event). */
const quotedKeys = new Map<string, string>();

/**
 * The event's contexts when every one of them is a part it shares (the SDK's own, as the
 * normalizer leaves them): their text joined from each part's, made once.
 */
function contextsSwap(event: Record<string, unknown>): Swap | undefined {
  const contexts = event.contexts;
  if (!isPlainObject(contexts) || !writableField(event, 'contexts')) return undefined;
  // Object.keys: the order JSON.stringify writes them in.
  const keys = Object.keys(contexts);
  let json = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const text = sharedPartJson(contexts[key]);
    if (text === undefined) return undefined;
    let quoted = quotedKeys.get(key);
    if (quoted === undefined) {
      quoted = `${JSON.stringify(key)}:`;
      if (quotedKeys.size < 64) quotedKeys.set(key, quoted);
    }
    json += i === 0 ? quoted + text : `,${quoted}${text}`;
  }
  return { holder: event, key: 'contexts', value: contexts, json: `${json}}` };
}

/**
 * The remembered entry for these frames when they were seen before; undefined the first time
 * (they are remembered) and when they are not plain data.
 */
function rememberedFrames(frames: unknown[]): RememberedFrames | undefined {
  const entry = remembered.find(sameFrames, frames);
  if (entry) return entry;
  const copy = copyFrames(frames);
  if (copy !== undefined) remembered.add(copy);
  return undefined;
}

function sameFrames(entry: RememberedFrames, frames: unknown[]): boolean {
  if (frames.length !== entry.keys.length) return false;
  // Newest frame first: stacks that share their callers differ at the throw site, the end.
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i];
    if (!isPlainObject(frame)) return false;
    const wantKeys = entry.keys[i]!;
    const wantValues = entry.values[i]!;
    // for-in rather than Object.keys: no array per frame. It yields the own keys in the same
    // order, then any inherited enumerable ones, which make the count differ: never a false match.
    let k = 0;
    for (const key in frame) {
      if (key !== wantKeys[k]) return false;
      const value = frame[key];
      const want = wantValues[k++];
      if (value === want) continue;
      if (!Array.isArray(value) || !Array.isArray(want) || !samePrimitives(value, want)) return false;
    }
    if (k !== wantKeys.length) return false;
  }
  return true;
}

function samePrimitives(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length || (a as { toJSON?: unknown }).toJSON !== undefined) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A private copy of the frames' keys and values, or undefined when a value is not plain data. */
function copyFrames(frames: unknown[]): RememberedFrames | undefined {
  const keys: string[][] = [];
  const values: unknown[][] = [];
  for (const frame of frames) {
    if (!isPlainObject(frame)) return undefined;
    const frameKeys = Object.keys(frame);
    const frameValues: unknown[] = [];
    for (const key of frameKeys) {
      const value = frame[key];
      if (Array.isArray(value)) {
        if ((value as { toJSON?: unknown }).toJSON !== undefined || !value.every(isPrimitive)) return undefined;
        frameValues.push(value.slice());
      } else if (isPrimitive(value)) {
        frameValues.push(value);
      } else {
        return undefined;
      }
    }
    keys.push(frameKeys);
    values.push(frameValues);
  }
  return { keys, values };
}

/** Values JSON writes the same way every time, and that `===` tells apart exactly (NaN never matches). */
function isPrimitive(value: unknown): boolean {
  return value === null || value === undefined || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number';
}
