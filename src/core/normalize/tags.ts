// `tags` (flat strings under Relay's key and length rules) and `contexts` (objects by alias).

import { cutAtCodePoint } from '../json-size.js';
import { setOwn } from './shared.js';
import { isRecord, ownEntries, stringify, type EventContext } from './context.js';
import { proveShared, sharedPart } from './shared-parts.js';

const TAG_MAX = 200;
const TAG_KEY_OK = /^[a-zA-Z0-9_.:-]+$/;
const NEWLINES = /[\r\n]+/g;

export function tags(cx: EventContext, value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const { w } = cx;
  const out: Record<string, string> = {};
  w.fixed += 3;
  ownEntries(value, (rawKey, item) => {
    let text = stringify(item);
    const key = tagKey(rawKey);
    if (text === undefined || key === undefined) return;
    if (text.indexOf('\n') !== -1 || text.indexOf('\r') !== -1) text = text.replace(NEWLINES, ' ');
    if (text.length > TAG_MAX) {
      const kept = cutAtCodePoint(text, TAG_MAX - 3);
      w.annotateAt([...w.path, key], { len: text.length, rem: [['!limit', 'x', kept.length, kept.length + 3]] });
      text = kept + '...';
    }
    w.units += key.length;
    w.fixed += 3;
    setOwn(out, key, w.raw(text));
  });
  return out;
}

/** Relay's tag key rules: ≤ 200 chars of `a-zA-Z0-9_.:-`; spaces become `-`, others `_`. */
function tagKey(key: string): string | undefined {
  let k = key.length > TAG_MAX ? cutAtCodePoint(key, TAG_MAX) : key;
  if (!TAG_KEY_OK.test(k)) k = k.replace(/\s/g, '-').replace(/[^a-zA-Z0-9_.:-]/g, '_');
  return k === '' ? undefined : k;
}

// ---------------------------------------------------------------------------------- contexts

export function contexts(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const { w, p } = cx;
  const out: Record<string, unknown> = {};
  w.fixed += 3;
  // The alias itself is a name, not data: `contexts.session` is not scrubbed away, only what is in it.
  ownEntries(value, (alias, ctx) => {
    if (ctx === null || typeof ctx !== 'object') return;
    const limits = alias === 'trace' ? p.traceContext : p.context;
    // The SDK's own contexts are frozen and the same for every event (shared-parts.ts).
    let result = sharedPart(cx, ctx, limits);
    if (result === undefined) {
      const { units, fixed } = w;
      w.path.push(alias);
      result = w.run(ctx, limits);
      w.path.pop();
      proveShared(cx, ctx, limits, result, units, fixed);
    }
    if (!isRecord(result)) return;
    w.units += alias.length;
    w.fixed += 3;
    setOwn(out, alias, result);
  });
  return out;
}
