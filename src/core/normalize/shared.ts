// What every part of normalization shares: the placeholders, the limits, the `_meta` tree, and
// safe reads and writes of foreign objects. Nothing here throws.

import type { Annotation, MetaPath } from '../size-limit.js';

/** A value found again on its own ancestor path. */
export const CYCLIC = '<cyclic>';
/** A value whose reading threw (a getter, a Proxy trap, a toJSON). */
export const FAILED = '<failed to serialize>';
/** Containers below the depth limit; their content is never put into a string (it may hold secrets). */
export const OBJECT_CUT = '[Object]';
export const ARRAY_CUT = '[Array]';

/** Databag limits of SPEC.md decision 9 (Python's MAX_DATABAG_DEPTH / MAX_DATABAG_BREADTH). */
export const DEFAULT_DEPTH = 5;
export const DEFAULT_BREADTH = 10;
/** Depth is clamped here whatever is asked: deeper recursion risks the call stack. */
export const MAX_DEPTH = 200;

/** The `_meta` tree: mirrors the event's key paths; annotations live under the key `""`. */
export interface MetaTree {
  [key: string]: MetaTree | Annotation;
}

/** How deep and wide one walk may go, and what it does to keys and strings. */
export interface Limits {
  depth: number;
  breadth: number;
  /** Apply the deny list to keys. */
  scrub: boolean;
  /** Apply maxValueLength to strings. */
  truncate: boolean;
}

export const FILTERED_NOTE: Annotation = { rem: [['!config', 's']] };
export const CUT_NOTE: Annotation = { rem: [['!limit', 'x']] };
export const hasOwn = Object.prototype.hasOwnProperty;

export function readKey(value: object, key: string | number): unknown {
  try {
    return (value as Record<string | number, unknown>)[key];
  } catch {
    return FAILED;
  }
}

export function arrayLength(value: unknown[]): number {
  const length: unknown = value.length;
  return typeof length === 'number' && length > 0 ? Math.floor(length) : 0;
}

/** Sets a key even when it is `__proto__` (plain assignment would change the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function functionLabel(fn: Function): string {
  let name: unknown;
  try {
    name = fn.name;
  } catch {
    name = undefined;
  }
  return `[Function: ${typeof name === 'string' && name ? name : '<anonymous>'}]`;
}

export function className(value: object): string {
  try {
    const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
    if (typeof name === 'string' && name) return name;
  } catch {
    // fall through to the tag
  }
  return Object.prototype.toString.call(value).slice(8, -1);
}

export function mapKey(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return key;
    case 'object':
      if (key === null) return 'null';
      return Array.isArray(key) ? ARRAY_CUT : `[${className(key)}]`;
    case 'function':
      return functionLabel(key);
    default:
      return String(key);
  }
}

export function addAnnotation(root: MetaTree, path: MetaPath, note: Annotation): void {
  let node = root;
  for (const part of path) {
    const key = String(part);
    let child = hasOwn.call(node, key) ? node[key] : undefined;
    if (child === null || typeof child !== 'object' || Array.isArray(child)) {
      child = {};
      setOwn(node as Record<string, unknown>, key, child);
    }
    node = child as MetaTree;
  }
  const previous = hasOwn.call(node, '') ? (node[''] as Annotation) : undefined;
  node[''] = previous && typeof previous === 'object' ? mergeAnnotations(previous, note) : { ...note };
}

export function mergeAnnotations(a: Annotation, b: Annotation): Annotation {
  const out: Annotation = { ...a };
  if (b.len !== undefined) out.len = a.len === undefined ? b.len : Math.max(a.len, b.len);
  if (b.rem) out.rem = Array.isArray(a.rem) ? [...a.rem, ...b.rem] : b.rem;
  return out;
}

export function clampCount(value: unknown, fallback: number, max: number): number {
  if (typeof value !== 'number' || value !== value || value < 0) return fallback;
  return value > max ? max : Math.floor(value);
}

export function validMaxValueLength(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 1 && value !== Infinity ? Math.floor(value) : undefined;
}

