// The generic walk: any value → a JSON-safe copy, with the deny list, the depth and breadth limits
// and maxValueLength applied as it goes, and an upper bound of the serialized size counted on the
// way (so that small events are never serialized just to be measured). Values of built-in classes
// (Date, Map, Error, typed arrays, …) are turned into plain data by special.ts.

import type { KeyMatcher } from '../scrub.js';
import { FILTERED } from '../scrub.js';
import type { Annotation, MetaPath } from '../size-limit.js';
import { cutAtCodePoint } from '../json-size.js';
import {
  ARRAY_CUT,
  CUT_NOTE,
  CYCLIC,
  FAILED,
  FILTERED_NOTE,
  OBJECT_CUT,
  addAnnotation,
  arrayLength,
  functionLabel,
  hasOwn,
  setOwn,
  type Limits,
  type MetaTree,
} from './shared.js';
import { NOT_SPECIAL, specialValue } from './special.js';

// The longest a double prints as (-0.0000012345678901234567) and its comma. Containers count 3
// bytes: brackets and the comma after them; strings 3: quotes and comma; keys 3: quotes and colon.
const NUMBER_BYTES = 26;

/**
 * One normalization pass. Keeps the current path (for `_meta`), the ancestors (for cycles) and
 * an upper bound of the serialized size: `fixed` bytes plus `units` string code units, each at most
 * 6 bytes once JSON-escaped and UTF-8 encoded. Taken with `takeWalker`, given back with
 * `releaseWalker`.
 */
export class Walker {
  fixed = 0;
  units = 0;
  meta: MetaTree | undefined;
  readonly path: Array<string | number> = [];
  limits: Limits;
  /** The containers being walked, outermost first (a value found among them is a cycle). */
  readonly ancestors: object[] = [];
  private isDenied: KeyMatcher | undefined;
  maxValueLength: number | undefined;
  private recordMeta: boolean;

  constructor(isDenied: KeyMatcher | undefined, maxValueLength: number | undefined, recordMeta: boolean, limits: Limits) {
    this.isDenied = isDenied;
    this.maxValueLength = maxValueLength;
    this.recordMeta = recordMeta;
    this.limits = limits;
  }

  /** Ready for a new pass, as if just constructed. */
  restart(isDenied: KeyMatcher | undefined, maxValueLength: number | undefined, recordMeta: boolean, limits: Limits): void {
    this.fixed = 0;
    this.units = 0;
    this.meta = undefined;
    // Nearly always empty already (a pass leaves them balanced); setting a length costs a runtime call.
    if (this.path.length !== 0) this.path.length = 0;
    if (this.ancestors.length !== 0) this.ancestors.length = 0;
    this.isDenied = isDenied;
    this.maxValueLength = maxValueLength;
    this.recordMeta = recordMeta;
    this.limits = limits;
  }

  upperBound(): number {
    return this.fixed + this.units * 6;
  }

  /** Walks `value` as a root (level 1) under `limits`. */
  run(value: unknown, limits: Limits): unknown {
    this.limits = limits;
    return this.walk(value, 1);
  }

  walk(value: unknown, level: number): unknown {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        return this.number(value);
      case 'boolean':
        this.fixed += 6;
        return value;
      case 'undefined':
        this.fixed += 5;
        return null;
      case 'bigint':
        return this.raw(`${value}n`);
      case 'symbol':
        return this.raw(String(value));
      case 'function':
        return this.raw(functionLabel(value));
      default:
        if (value === null) {
          this.fixed += 5;
          return null;
        }
        return this.object(value as object, level, true);
    }
  }

  /** A string from the user: cut when maxValueLength applies here. */
  string(s: string): string {
    const max = this.maxValueLength;
    if (max !== undefined && s.length > max && this.limits.truncate) {
      const kept = cutAtCodePoint(s, max > 3 ? max - 3 : max);
      this.annotate({ len: s.length, rem: [['!limit', 'x', kept.length, kept.length + 3]] });
      s = kept + '...';
    }
    return this.raw(s);
  }

  /** A string of ours or a protocol string: counted, never cut. */
  raw(s: string): string {
    this.units += s.length;
    this.fixed += 3;
    return s;
  }

  number(n: number): number | string {
    if (n !== n) return this.raw('nan');
    if (n === Infinity) return this.raw('inf');
    if (n === -Infinity) return this.raw('-inf');
    this.fixed += NUMBER_BYTES;
    return n === 0 ? 0 : n; // -0 would not survive a JSON round trip
  }

  annotate(note: Annotation): void {
    if (this.recordMeta) this.annotateAt(this.path, note);
  }

  annotateAt(path: MetaPath, note: Annotation): void {
    if (!this.recordMeta) return;
    this.meta ??= {};
    addAnnotation(this.meta, path, note);
  }

  private object(value: object, level: number, allowToJSON: boolean): unknown {
    const ancestors = this.ancestors;
    for (let i = 0; i < ancestors.length; i++) if (ancestors[i] === value) return this.raw(CYCLIC);
    const pathLength = this.path.length;
    const ancestorCount = ancestors.length;
    try {
      return this.container(value, level, allowToJSON);
    } catch {
      // A throwing getter, Proxy trap or toJSON, or a stack overflow on absurd nesting.
      this.path.length = pathLength;
      ancestors.length = ancestorCount;
      return this.raw(FAILED);
    }
  }

  private container(value: object, level: number, allowToJSON: boolean): unknown {
    if (Array.isArray(value)) return level > this.limits.depth ? this.cut(ARRAY_CUT) : this.array(value, level);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const special = specialValue(this, value, level);
      if (special !== NOT_SPECIAL) return special;
    }
    if (allowToJSON) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        const result: unknown = toJSON.call(value, '');
        if (result !== value) {
          if (result === null || typeof result !== 'object') return this.walk(result, level);
          // The result may hold the original (or return a fresh toJSON-able object each time).
          this.ancestors.push(value);
          const out = this.object(result, level, false);
          this.ancestors.pop();
          return out;
        }
      }
    }
    if (level > this.limits.depth) return this.cut(OBJECT_CUT);
    return this.plain(value, level);
  }


  cut(label: string): string {
    this.annotate(CUT_NOTE);
    return this.raw(label);
  }

  private filtered(): string {
    this.annotate(FILTERED_NOTE);
    return this.raw(FILTERED);
  }

  /** One key of an object being built: scrubbed, or walked one level down. */
  entry(out: Record<string, unknown>, key: string, value: unknown, level: number): void {
    if (value === undefined) return;
    this.path.push(key);
    const denied = this.limits.scrub && this.isDenied !== undefined && this.isDenied(key);
    const result = denied ? this.filtered() : this.walk(value, level + 1);
    this.path.pop();
    this.units += key.length;
    this.fixed += 3;
    setOwn(out, key, result);
  }

  plain(value: object, level: number): Record<string, unknown> {
    const breadth = this.limits.breadth;
    const out: Record<string, unknown> = {};
    let count = 0;
    this.fixed += 3;
    this.ancestors.push(value);
    // for-in with an own-property check is what V8 reads fastest (no key array, cached field
    // loads); the loop keeps counting past the breadth only to report the original length.
    for (const key in value) {
      if (!hasOwn.call(value, key)) continue;
      if (count++ >= breadth) continue;
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch {
        item = FAILED;
      }
      this.entry(out, key, item, level);
    }
    this.ancestors.pop();
    if (count > breadth) this.annotate({ len: count });
    return out;
  }

  private array(value: unknown[], level: number): unknown[] {
    const length = arrayLength(value);
    const limit = length < this.limits.breadth ? length : this.limits.breadth;
    const out: unknown[] = [];
    this.fixed += 3;
    this.ancestors.push(value);
    for (let i = 0; i < limit; i++) {
      let item: unknown;
      try {
        item = value[i];
      } catch {
        item = FAILED;
      }
      this.path.push(i);
      out.push(this.walk(item, level + 1));
      this.path.pop();
    }
    this.ancestors.pop();
    if (length > limit) this.annotate({ len: length });
    return out;
  }
}

/**
 * The Walker of the last finished pass, waiting for the next. Reusing it saves an allocation, but
 * that is not why it is kept: a Walker lived for one event, and V8 holds the hidden class of an
 * object's fields only while some object has it. With no Walker alive at a full garbage
 * collection, the class was collected, and every optimized function that reads a Walker's fields
 * (about twenty: the whole walk) was thrown away and compiled again. Measured on 2026-11-27: the
 * 1,000 events after a full collection cost 50–130 µs more CPU each. A reference that is only
 * written would not do: bundlers drop it. test/core/walker-shape.test.ts watches for this.
 */
let spare: Walker | undefined;

/** A Walker for one pass: the spare one when it is free, else a new one. */
export function takeWalker(isDenied: KeyMatcher | undefined, maxValueLength: number | undefined, recordMeta: boolean, limits: Limits): Walker {
  const walker = spare;
  if (walker === undefined) return new Walker(isDenied, maxValueLength, recordMeta, limits);
  // Taken while the pass runs: a pass started inside it (a getter or toJSON of the app's that
  // normalizes something) gets a Walker of its own.
  spare = undefined;
  walker.restart(isDenied, maxValueLength, recordMeta, limits);
  return walker;
}

/**
 * The pass is over. The spare keeps nothing of the app's alive: the containers being walked (left
 * over when a pass threw) and the annotations (they left with the event). takeWalker resets the rest.
 */
export function releaseWalker(walker: Walker): void {
  if (walker.ancestors.length !== 0) walker.ancestors.length = 0;
  walker.meta = undefined;
  spare = walker;
}
