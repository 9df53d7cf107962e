// `request`: the protocol's fields only; headers, cookies and query strings as string maps or
// pairs with their keys scrubbed, and the PII headers left out unless sendDefaultPii.

import { FILTERED } from '../scrub.js';
import { FILTERED_NOTE, arrayLength, readKey, setOwn } from './shared.js';
import { asObjectResult, isRecord, ownEntries, stringify, textValue, type EventContext } from './context.js';

const REQUEST_STRING_FIELDS = new Set(['url', 'method', 'fragment', 'protocol', 'api_target', 'inferred_content_type']);
const PII_HEADERS = new Set(['cookie', 'authorization']);

export function request(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const { w, p, opts } = cx;
  const out: Record<string, unknown> = {};
  w.fixed += 3;
  ownEntries(value, (key, item) => {
    w.path.push(key);
    let result: unknown;
    if (REQUEST_STRING_FIELDS.has(key)) result = textValue(cx, item);
    else if (key === 'body_size') result = typeof item === 'number' && Number.isInteger(item) && item >= 0 ? w.number(item) : undefined;
    else if (key === 'headers') result = pairsOrMap(cx, item, true);
    else if (key === 'cookies') result = opts.sendDefaultPii ? pairsOrMap(cx, typeof item === 'string' ? parseCookies(item) : item, false) : undefined;
    else if (key === 'query_string') result = typeof item === 'string' ? textValue(cx, item) : pairsOrMap(cx, item, false);
    else if (key === 'data') result = w.run(item, p.databag);
    else if (key === 'env') result = asObjectResult(w.run(item, p.context));
    // any other key is not in the protocol; Relay drops it
    w.path.pop();
    if (result === undefined) return;
    w.units += key.length;
    w.fixed += 3;
    out[key] = result;
  });
  return out;
}

/**
 * Headers, cookies and object query strings: string values, keys scrubbed. Both protocol forms are
 * accepted: an object, or a list of `[name, value]` pairs.
 */
function pairsOrMap(cx: EventContext, value: unknown, headers: boolean): unknown {
  const { w, opts } = cx;
  const isDenied = typeof opts.isDenied === 'function' ? opts.isDenied : () => false;
  const dropPii = headers && !opts.sendDefaultPii;
  const breadth = cx.p.context.breadth;
  const clean = (name: string, item: unknown): string | undefined => {
    if (dropPii && PII_HEADERS.has(name.toLowerCase())) return undefined;
    if (isDenied(name)) {
      w.annotate(FILTERED_NOTE);
      return w.raw(FILTERED);
    }
    const text = Array.isArray(item) ? item.map((v) => stringify(v) ?? '').join(', ') : stringify(item);
    return text === undefined ? undefined : textValue(cx, text);
  };
  if (Array.isArray(value)) {
    const out: Array<[string, string]> = [];
    w.fixed += 3;
    const length = Math.min(arrayLength(value), breadth);
    for (let i = 0; i < length; i++) {
      const pair = readKey(value, i);
      if (!Array.isArray(pair)) continue;
      const name = stringify(readKey(pair, 0));
      if (name === undefined) continue;
      w.path.push(out.length, 1);
      const text = clean(name, readKey(pair, 1));
      w.path.length -= 2;
      if (text === undefined) continue;
      w.fixed += 3; // the pair's brackets and comma
      out.push([w.raw(name), text]);
    }
    return out;
  }
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  w.fixed += 3;
  let count = 0;
  ownEntries(value, (name, item) => {
    if (count++ >= breadth) return;
    w.path.push(name);
    const text = clean(name, item);
    w.path.pop();
    if (text === undefined) return;
    w.units += name.length;
    w.fixed += 3;
    setOwn(out, name, text);
  });
  return out;
}

/** `a=1; b=2` → `{ a: "1", b: "2" }` (the schema takes cookies as an object or pairs only). */
function parseCookies(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    if (name) setOwn(out, name, eq === -1 ? '' : part.slice(eq + 1).trim());
  }
  return out;
}
