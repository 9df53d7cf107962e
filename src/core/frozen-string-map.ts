// Frozen objects of strings, such as the `Modules` integration's package list, which it puts on
// every event. Such an object can never change and always serializes to the same text, so the
// normalizer can let each event share it instead of copying it (normalize/event.ts) and its JSON
// can be made once (event-json.ts). With a few hundred packages, copying and serializing the list
// cost more per event than all the rest of the event did.

import { isPlainObject } from './plain-object.js';

/** What is known of one frozen map: measured the first time it is met, serialized on first use. */
export interface FrozenStringMap {
  /** Its entries (own enumerable string keys). */
  count: number;
  /** The code units of its keys and values together. */
  units: number;
  /** Its JSON text, once asked for. */
  json?: string;
}

/** Frozen objects met before; `null` for those that are not maps of strings (they cannot become one). */
const known = new WeakMap<object, FrozenStringMap | null>();

/**
 * What is known of `value` when it is a frozen plain object whose own enumerable keys all hold
 * strings as data properties (no getters), else undefined. Measured once per object: a frozen
 * object can gain, lose or change none of them.
 */
export function frozenStringMap(value: unknown): FrozenStringMap | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  let map = known.get(value);
  if (map === undefined) {
    // Not frozen is the usual answer for anything else, found without a look at its keys.
    if (!Object.isFrozen(value)) return undefined;
    map = measure(value);
    known.set(value, map);
  }
  // A toJSON put on Object.prototype later would change what JSON writes: checked each time.
  return map !== null && (value as { toJSON?: unknown }).toJSON === undefined ? map : undefined;
}

function measure(value: object): FrozenStringMap | null {
  if (Array.isArray(value) || !isPlainObject(value)) return null;
  const descriptors = Object.getOwnPropertyDescriptors(value);
  let count = 0;
  let units = 0;
  for (const key of Object.keys(value)) {
    const text: unknown = descriptors[key]!.value;
    if (typeof text !== 'string') return null;
    count++;
    units += key.length + text.length;
  }
  return { count, units };
}

/** The JSON text of a map frozenStringMap accepted, made once. */
export function frozenMapJson(value: object, map: FrozenStringMap): string {
  return (map.json ??= JSON.stringify(value));
}
