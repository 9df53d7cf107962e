// Values of built-in classes, which a key-by-key copy would get wrong: dates become ISO strings,
// binary data a `[Uint8Array(n)]` label, Maps objects, Sets arrays, Errors `{ name, message, stack,
// … }`, boxed primitives their value. Anything else is `NOT_SPECIAL` and is walked as an object.

import type { Walker } from './walker.js';
import { ARRAY_CUT, OBJECT_CUT, className, hasOwn, mapKey, readKey, setOwn } from './shared.js';

export const NOT_SPECIAL: unique symbol = Symbol('not special');

/** `value` has a prototype other than Object.prototype and null. */
export function specialValue(w: Walker, value: object, level: number): unknown {
  if (value instanceof Date) {
    const time = Date.prototype.getTime.call(value);
    return w.raw(time === time ? Date.prototype.toISOString.call(value) : 'Invalid Date');
  }
  if (ArrayBuffer.isView(value)) {
    const length = (value as { length?: unknown }).length;
    return w.raw(`[${className(value)}(${typeof length === 'number' ? length : value.byteLength})]`);
  }
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
    return w.raw(`[${className(value)}(${value.byteLength})]`);
  }
  const tooDeep = level > w.limits.depth;
  if (value instanceof Error) return tooDeep ? w.cut(OBJECT_CUT) : errorValue(w, value, level);
  if (value instanceof Map) return tooDeep ? w.cut(OBJECT_CUT) : mapValue(w, value, level);
  if (value instanceof Set) return tooDeep ? w.cut(ARRAY_CUT) : setValue(w, value, level);
  if (value instanceof RegExp) return w.raw(RegExp.prototype.toString.call(value));
  if (value instanceof Number) return w.number(Number.prototype.valueOf.call(value));
  if (value instanceof String) return w.string(String.prototype.valueOf.call(value));
  if (value instanceof Boolean) return w.walk(Boolean.prototype.valueOf.call(value), level);
  if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
    return w.raw(`[${className(value)}]`);
  }
  return NOT_SPECIAL;
}

function mapValue(w: Walker, value: Map<unknown, unknown>, level: number): Record<string, unknown> {
  const size = value.size;
  const limit = size < w.limits.breadth ? size : w.limits.breadth;
  const out: Record<string, unknown> = {};
  w.fixed += 3;
  w.ancestors.push(value);
  const entries = Map.prototype.entries.call(value);
  for (let i = 0; i < limit; i++) {
    const step = entries.next();
    if (step.done) break;
    const [key, item] = step.value;
    w.entry(out, mapKey(key), item, level);
  }
  w.ancestors.pop();
  if (size > limit) w.annotate({ len: size });
  return out;
}

function setValue(w: Walker, value: Set<unknown>, level: number): unknown[] {
  const size = value.size;
  const limit = size < w.limits.breadth ? size : w.limits.breadth;
  const out: unknown[] = [];
  w.fixed += 3;
  w.ancestors.push(value);
  const items = Set.prototype.values.call(value);
  for (let i = 0; i < limit; i++) {
    const step = items.next();
    if (step.done) break;
    w.path.push(i);
    out.push(w.walk(step.value, level + 1));
    w.path.pop();
  }
  w.ancestors.pop();
  if (size > limit) w.annotate({ len: size });
  return out;
}

/** `{ name, message, stack, ...own enumerable props, cause }`: what `JSON.stringify` would lose. */
function errorValue(w: Walker, error: Error, level: number): Record<string, unknown> {
  const view: Record<string, unknown> = {
    name: readKey(error, 'name'),
    message: readKey(error, 'message'),
  };
  const stack = readKey(error, 'stack');
  if (typeof stack === 'string') view.stack = stack;
  for (const key of Object.keys(error)) if (!hasOwn.call(view, key)) setOwn(view, key, readKey(error, key));
  if (!hasOwn.call(view, 'cause') && 'cause' in error) view.cause = readKey(error, 'cause');
  w.ancestors.push(error);
  const out = w.plain(view, level);
  w.ancestors.pop();
  return out;
}
