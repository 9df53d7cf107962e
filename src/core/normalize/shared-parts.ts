// Frozen parts that events share instead of copying (core/frozen-parts.ts): the SDK's own
// contexts, its description, a trace's context. Every event carried a fresh copy of each, made
// twice (the integration's copy, then the normalizer's walk), though they never change.
//
// A part is shared only once normalizing it has been seen to change nothing: the first time it is
// met, it is normalized as any other value, and if the copy is the same data as the part itself
// (nothing scrubbed, cut or converted) and the part is frozen all the way down, that is remembered
// with what the copy counted towards the size bound. The events after it carry the part itself,
// counted the same. What was proven holds only for the same settings (limits, deny list,
// maxValueLength), which are remembered with it; a frozen part can never change.
//
// The caller decides when sharing is allowed (NormalizeEventOptions.shareFrozen): never when a
// beforeSend will be given the event, since it may change the event in place.

import type { KeyMatcher } from '../scrub.js';
import type { EventContext } from './context.js';
import type { Limits } from './shared.js';

interface Proof {
  depth: number;
  breadth: number;
  scrub: boolean;
  truncate: boolean;
  isDenied: KeyMatcher | undefined;
  maxValueLength: number | undefined;
  /** What the copy added to the walker's size bound. */
  units: number;
  fixed: number;
}

const proofs = new WeakMap<object, Proof>();
const ARRAY_PROTOTYPE: object = Array.prototype;

const isDeniedOf = (cx: EventContext): KeyMatcher | undefined => (typeof cx.opts.isDenied === 'function' ? cx.opts.isDenied : undefined);

/**
 * `value` itself, counted towards the size bound as its copy was, when it was proven under these
 * settings; else undefined, and the caller makes the copy (then calls `proveShared`).
 */
export function sharedPart(cx: EventContext, value: unknown, limits: Limits): unknown {
  if (!cx.share || value === null || typeof value !== 'object') return undefined;
  const proof = proofs.get(value);
  if (
    proof === undefined ||
    proof.depth !== limits.depth ||
    proof.breadth !== limits.breadth ||
    proof.scrub !== limits.scrub ||
    proof.truncate !== limits.truncate ||
    proof.isDenied !== isDeniedOf(cx) ||
    proof.maxValueLength !== cx.w.maxValueLength ||
    // A toJSON put on a built-in prototype later would change what JSON writes: checked each time.
    (value as { toJSON?: unknown }).toJSON !== undefined ||
    (ARRAY_PROTOTYPE as { toJSON?: unknown }).toJSON !== undefined
  ) {
    return undefined;
  }
  cx.w.units += proof.units;
  cx.w.fixed += proof.fixed;
  return value;
}

/**
 * After `value` was normalized into `copy` (the walker's counts were `units` and `fixed` before):
 * remembers that the events after may share `value`, if the copy is the same data and `value`
 * is frozen all the way down.
 */
export function proveShared(cx: EventContext, value: unknown, limits: Limits, copy: unknown, units: number, fixed: number): void {
  if (!cx.share || value === null || typeof value !== 'object' || !sameFrozenData(value, copy, 0)) return;
  proofs.set(value, {
    depth: limits.depth,
    breadth: limits.breadth,
    scrub: limits.scrub,
    truncate: limits.truncate,
    isDenied: isDeniedOf(cx),
    maxValueLength: cx.w.maxValueLength,
    units: cx.w.units - units,
    fixed: cx.w.fixed - fixed,
  });
}

const texts = new WeakMap<object, string>();

/**
 * The JSON text of a proven part (frozen data all the way down, so its text never changes), made
 * the first time it is asked for; undefined for anything else (core/event-json.ts splices it).
 */
export function sharedPartJson(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || !proofs.has(value)) return undefined;
  // A toJSON put on a built-in prototype later would change what JSON writes: checked each time.
  if ((value as { toJSON?: unknown }).toJSON !== undefined || (ARRAY_PROTOTYPE as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/** Deeper than the SDK's parts go; anything deeper is not proven (the walk may cut it anyway). */
const MAX_PROOF_DEPTH = 8;

/**
 * `original` is frozen data (plain objects and arrays of strings, finite numbers, booleans and
 * null, every container frozen, every property a value, not a getter) and `copy` holds the same,
 * keys in the same order: JSON writes both alike.
 */
function sameFrozenData(original: unknown, copy: unknown, depth: number): boolean {
  if (original === null || typeof original !== 'object') {
    if (typeof original === 'number') return Number.isFinite(original) && original === copy;
    return (original === null || typeof original === 'string' || typeof original === 'boolean') && original === copy;
  }
  if (depth > MAX_PROOF_DEPTH || copy === null || typeof copy !== 'object' || !Object.isFrozen(original)) return false;
  const proto: unknown = Object.getPrototypeOf(original);
  if (Array.isArray(original)) {
    if (proto !== Array.prototype || !Array.isArray(copy) || copy.length !== original.length) return false;
  } else if ((proto !== Object.prototype && proto !== null) || Array.isArray(copy)) {
    return false;
  }
  const keys = Object.keys(original);
  const copyKeys = Object.keys(copy);
  // An array's keys are its indexes (a hole is missing, and the copy has null there).
  if (keys.length !== copyKeys.length) return false;
  const descriptors = Object.getOwnPropertyDescriptors(original);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key !== copyKeys[i]) return false;
    const descriptor = descriptors[key];
    if (descriptor === undefined || !('value' in descriptor)) return false;
    if (!sameFrozenData(descriptor.value, (copy as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}
