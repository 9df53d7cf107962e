// What the SDK's shortcuts over an event's parts accept as a plain object: one JSON writes field
// by field, as the normalizer's copy would (event-json.ts splices such frames, normalize/
// built-parts.ts keeps them).

/** An object literal (or a null-prototype one) without a `toJSON` of its own to replace it. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && (value as { toJSON?: unknown }).toJSON === undefined;
}
