// Attribute values on the wire are typed: `{value, type}` with type string, integer, double or
// boolean. Objects and arrays have no type of their own, so they travel as their JSON (after
// normalization: cycles, depth and breadth limits, scrubbing); null and undefined are left out.
import { normalize } from '../normalize/index.js';
import { FILTERED, type KeyMatcher } from '../scrub.js';
import type { LogAttributeValue } from './types.js';
import { safeString } from './template.js';

export interface SerializeOptions {
  isDenied?: KeyMatcher;
  depth?: number;
  breadth?: number;
  maxValueLength?: number;
}

export function attributeValue(value: unknown, opts: SerializeOptions = {}): LogAttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return { value: cut(value, opts.maxValueLength), type: 'string' };
    case 'boolean':
      return { value, type: 'boolean' };
    case 'number':
      if (Number.isSafeInteger(value)) return { value, type: 'integer' };
      if (Number.isFinite(value)) return { value, type: 'double' };
      return { value: String(value), type: 'string' };
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? { value: Number(value), type: 'integer' }
        : { value: value.toString(), type: 'string' };
    case 'undefined':
      return undefined;
    case 'object': {
      if (value === null) return undefined;
      if (value instanceof String) return { value: cut(String(value), opts.maxValueLength), type: 'string' };
      const plain = normalize(value, { depth: opts.depth, breadth: opts.breadth, isDenied: opts.isDenied });
      return { value: cut(typeof plain === 'string' ? plain : safeString(plain), opts.maxValueLength), type: 'string' };
    }
    default:
      // symbol, function
      return { value: safeString(value), type: 'string' };
  }
}

/**
 * Typed attributes of a record. Keys on the deny list get `[Filtered]`, as extra data does on
 * events; `keep` names keys the SDK set itself (never scrubbed).
 */
export function serializeAttributes(
  attributes: Record<string, unknown>,
  opts: SerializeOptions,
  keep: ReadonlySet<string>,
): Record<string, LogAttributeValue> {
  const out: Record<string, LogAttributeValue> = {};
  for (const key of Object.keys(attributes)) {
    let typed: LogAttributeValue | undefined;
    try {
      if (!keep.has(key) && opts.isDenied?.(key)) typed = { value: FILTERED, type: 'string' };
      else typed = attributeValue(attributes[key], opts);
    } catch {
      typed = { value: '<failed to serialize>', type: 'string' };
    }
    if (typed) out[key] = typed;
  }
  return out;
}

function cut(text: string, max: number | undefined): string {
  return max !== undefined && max > 3 && text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
