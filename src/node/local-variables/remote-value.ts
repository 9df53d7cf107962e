// Turns the inspector's description of a value (a CDP RemoteObject with a preview) into a small,
// JSON-safe value for a frame's `vars`. Shallow on purpose: objects and arrays show one level from
// V8's own preview (no extra inspector round trip per variable), nested objects show as their class
// name. Decision (SPEC-python.md test 40 leaves it open): JSON values stay JSON values; what JSON
// cannot hold is written the way Node's inspector would name it (`<undefined>`, `10n`, `[Function f]`).

import type { Runtime } from 'node:inspector';

/** Strings are cut here: vars show what a value looked like, not whole documents. */
export const MAX_STRING_LENGTH = 256;
/** Entries shown per object or array (the normalizer's breadth is 10 too). */
export const MAX_ENTRIES = 10;

export function fromRemoteObject(remote: Runtime.RemoteObject): unknown {
  switch (remote.type) {
    case 'string':
      return trim(String(remote.value));
    case 'number':
      // NaN, Infinity and -0 come as `unserializableValue`.
      return typeof remote.value === 'number' ? remote.value : (remote.unserializableValue ?? remote.description);
    case 'boolean':
      return remote.value;
    case 'undefined':
      return '<undefined>';
    case 'bigint':
      return remote.unserializableValue ?? remote.description;
    case 'symbol':
      return remote.description;
    case 'function':
      return functionLabel(remote.description);
    case 'object':
      if (remote.subtype === 'null') return null;
      return fromObject(remote);
    default:
      return remote.description ?? `<${remote.type}>`;
  }
}

function fromObject(remote: Runtime.RemoteObject): unknown {
  const preview = remote.preview;
  const expandable = remote.subtype === undefined || remote.subtype === 'array';
  if (!preview || !expandable) return trim(remote.description ?? remote.className ?? 'Object');
  if (remote.subtype === 'array') {
    const out: unknown[] = [];
    for (const p of preview.properties) {
      if (out.length >= MAX_ENTRIES) break;
      if (/^\d+$/.test(p.name)) out.push(fromPreviewValue(p));
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const p of preview.properties) {
    if (n++ >= MAX_ENTRIES) break;
    out[p.name] = fromPreviewValue(p);
  }
  return out;
}

function fromPreviewValue(p: Runtime.PropertyPreview): unknown {
  switch (p.type) {
    case 'string':
      return trim(p.value ?? '');
    case 'number': {
      const n = Number(p.value);
      return Number.isFinite(n) && p.value !== '-0' ? n : p.value;
    }
    case 'boolean':
      return p.value === 'true';
    case 'undefined':
      return '<undefined>';
    case 'function':
      return '[Function]';
    case 'object':
      return p.subtype === 'null' ? null : `<${p.value ?? 'Object'}>`;
    default:
      return p.value ?? `<${p.type}>`;
  }
}

/** A function's description is its source text: show only its name. */
function functionLabel(description: string | undefined): string {
  const head = /^(?:async\s+)?(?:function\s*\*?\s*([\w$]+)|class\s+([\w$]+))/.exec(description ?? '');
  const name = head?.[1] ?? head?.[2];
  return name ? `[Function ${name}]` : '[Function]';
}

function trim(text: string): string {
  return text.length > MAX_STRING_LENGTH ? text.slice(0, MAX_STRING_LENGTH) + '…' : text;
}
