// Copies of keyed data (tags, extra, contexts, mechanisms) that stay cheap to add keys to.
//
// Why not `{ ...obj }`: V8 gives an object made by spread a map without a shared transition tree,
// so every key added to it later takes the runtime's slow path (measured in Node 20: a spread copy
// plus three added keys ~4.7 µs, the same with Object.assign ~0.17 µs). Scopes get keys added after
// a fork (setTag on a request's isolation scope), and events get keys added by each later step.
//
// Object.assign sets keys with [[Set]], which for an own `__proto__` key would change the copy's
// prototype instead of copying it; only then is spread used, which defines the key as it is.

const hasOwn = Object.prototype.hasOwnProperty;

/** A shallow copy of `source`'s own enumerable keys. */
export function copyKeys<T extends object>(source: T): T {
  return hasOwn.call(source, '__proto__') ? { ...source } : Object.assign({}, source);
}

/** A shallow copy of `a` with `b`'s keys layered over it (`{ ...a, ...b }`). */
export function mergeKeys<T extends object>(a: T, b: T): T {
  return hasOwn.call(a, '__proto__') || hasOwn.call(b, '__proto__') ? { ...a, ...b } : Object.assign({}, a, b);
}
