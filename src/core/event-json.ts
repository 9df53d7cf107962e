// The JSON text of an event, with the stack trace's frames taken from the text of an earlier event
// that had the same frames. An app in trouble sends the same error again and again, and the
// frames (with their source lines) are nine tenths of an error event's JSON: they are serialized
// the second time they are seen and spliced into the text of the events that repeat them. A
// first sighting only takes a copy to compare with, so errors that never repeat cost little more
// than a plain JSON.stringify.
//
// Only the last exception's frames are remembered: the normalizer puts `exception` last in the
// event, so they are also the end of the text, which lets the HTTP transport compress that end
// once too (node/gzip-body.ts). Frames are compared by value with a private copy of the frames
// that made the remembered text, so nothing a processor or `beforeSend` did to an earlier event
// can leak into a later one. Anything out of the ordinary (frames that are not plain data, a frozen
// stack trace, a `toJSON` on the way) is serialized the usual way.

import { RecentList } from './recent-list.js';

/** Stack traces remembered: the last few distinct ones, most recent first. */
const MAX_REMEMBERED = 8;

interface RememberedFrames {
  /** Each frame's own keys, in order, and their values (context arrays copied). */
  keys: string[][];
  values: unknown[][];
  /**
   * The frames' JSON, UTF-8 encoded: copied into place, neither serialized nor encoded again.
   * Made the second time the frames are seen: an error that never repeats costs only the copy.
   */
  bytes?: Uint8Array;
}

/** An event's JSON in three parts: `head`, then the frames' UTF-8 bytes, then `rest`. */
export interface SplicedJson {
  head: string;
  frames: Uint8Array;
  rest: string;
}

const encoder = new TextEncoder();

const remembered = new RecentList<RememberedFrames>(MAX_REMEMBERED);

// Stands in for the frames while the rest of the event is serialized. Random, so an event's own
// data cannot name it; and the splice checks it occurs exactly once.
const PLACEHOLDER = `\u0000faultline-frames-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const QUOTED_PLACEHOLDER = JSON.stringify(PLACEHOLDER);

/**
 * `JSON.stringify(event)`: the same text, as a string, or, when the last exception has frames,
 * in parts around the frames' bytes (remembered from an earlier event or made now).
 */
export function eventJson(event: unknown): string | SplicedJson | undefined {
  const stacktrace = lastStacktrace(event);
  if (stacktrace === undefined) return JSON.stringify(event);
  const frames = stacktrace.frames as unknown[];
  const framesBytes = rememberedJson(frames);
  if (framesBytes === undefined) return JSON.stringify(event);
  let text: string;
  stacktrace.frames = PLACEHOLDER;
  try {
    text = JSON.stringify(event);
  } finally {
    stacktrace.frames = frames;
  }
  const at = text.lastIndexOf(QUOTED_PLACEHOLDER);
  // Not there (a toJSON replaced the part) or there twice: serialize it the plain way.
  if (at === -1 || text.indexOf(QUOTED_PLACEHOLDER) !== at) return JSON.stringify(event);
  return { head: text.slice(0, at), frames: framesBytes, rest: text.slice(at + QUOTED_PLACEHOLDER.length) };
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

/** The last exception's `stacktrace`, when its `frames` is a plain, writable array of frames. */
function lastStacktrace(event: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(event)) return undefined;
  const exception = event.exception;
  if (!isPlainObject(exception) || !Array.isArray(exception.values) || exception.values.length === 0) return undefined;
  const last: unknown = exception.values[exception.values.length - 1];
  if (!isPlainObject(last) || !isPlainObject(last.stacktrace)) return undefined;
  const stacktrace = last.stacktrace;
  const descriptor = Object.getOwnPropertyDescriptor(stacktrace, 'frames');
  if (!descriptor || !descriptor.writable || !Array.isArray(descriptor.value) || descriptor.value.length === 0) return undefined;
  if ((descriptor.value as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  return stacktrace;
}

/**
 * The frames' JSON bytes when these frames were seen before (made now the second time); undefined
 * the first time (they are remembered) and when they are not plain data.
 */
function rememberedJson(frames: unknown[]): Uint8Array | undefined {
  const entry = remembered.find(sameFrames, frames);
  if (entry) return (entry.bytes ??= encoder.encode(JSON.stringify(frames)));
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && (value as { toJSON?: unknown }).toJSON === undefined;
}
