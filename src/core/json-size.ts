// The serialized size of JSON values in UTF-8 bytes, measured exactly or bounded without
// serializing, and strings cut without splitting a character: what the size limit (size-limit.ts)
// and the normalizer's limits count and cut with. No node:buffer, so the core stays portable.

/** UTF-8 byte length of a string, without allocating (core must not use node:buffer). */
export function utf8ByteLength(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // 4 bytes for the 2 units
        i++;
      } else bytes += 2; // a lone surrogate: JSON.stringify escapes it, here counted as 3
    } else bytes += 2;
  }
  return bytes;
}

/** Exact size of `JSON.stringify(value)` in UTF-8 bytes. */
export function jsonByteLength(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8ByteLength(text);
}

/**
 * Bounds of the serialized size of a JSON-safe value without serializing it: structure and
 * numbers are exact; a string's code unit takes 1 to 6 bytes once escaped and encoded.
 */
export function estimateJsonBytes(value: unknown): { lower: number; upper: number } {
  const acc = { lower: 0, upper: 0 };
  addEstimate(value, acc);
  return acc;
}

function addEstimate(value: unknown, acc: { lower: number; upper: number }): void {
  switch (typeof value) {
    case 'string':
      acc.lower += value.length + 2;
      acc.upper += value.length * 6 + 2;
      return;
    case 'number': {
      const n = Number.isFinite(value) ? String(value).length : 4;
      acc.lower += n;
      acc.upper += n;
      return;
    }
    case 'boolean':
      acc.lower += value ? 4 : 5;
      acc.upper += value ? 4 : 5;
      return;
    case 'object': {
      if (value === null) {
        acc.lower += 4;
        acc.upper += 4;
        return;
      }
      let count = 0;
      if (Array.isArray(value)) {
        for (const item of value) {
          addEstimate(item, acc);
          count++;
        }
      } else {
        for (const key of Object.keys(value)) {
          const item = (value as Record<string, unknown>)[key];
          if (item === undefined) continue;
          addEstimate(key, acc);
          addEstimate(item, acc);
          acc.lower += 1; // the colon
          acc.upper += 1;
          count++;
        }
      }
      const structure = 2 + (count > 0 ? count - 1 : 0);
      acc.lower += structure;
      acc.upper += structure;
      return;
    }
    default:
      return;
  }
}

/** `s` shortened to at most `length` code units without splitting a surrogate pair. */
export function cutAtCodePoint(s: string, length: number): string {
  if (length >= s.length) return s;
  if (length <= 0) return '';
  const last = s.charCodeAt(length - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}
