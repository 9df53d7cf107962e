// `user`: the protocol's fields as strings, `geo` as an object of strings, everything else under
// `data` (the schema allows no other keys), with the deny list applied to each.

import { FILTERED } from '../scrub.js';
import { FILTERED_NOTE, readKey, setOwn } from './shared.js';
import { isRecord, ownEntries, stringify, textValue, type EventContext } from './context.js';

const USER_STRING_FIELDS = new Set(['email', 'username', 'name', 'segment', 'sentry_user']);
const GEO_FIELDS = ['city', 'country_code', 'region', 'subdivision'];

export function user(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const { w, p, opts } = cx;
  const isDenied = typeof opts.isDenied === 'function' ? opts.isDenied : () => false;
  const out: Record<string, unknown> = {};
  let data: Record<string, unknown> | undefined;
  w.fixed += 3;
  const put = (target: Record<string, unknown>, key: string, result: unknown): void => {
    if (result === undefined) return;
    w.units += key.length;
    w.fixed += 3;
    setOwn(target, key, result);
  };
  ownEntries(value, (key, item) => {
    w.path.push(key);
    const known = key === 'id' || key === 'ip_address' || key === 'geo' || key === 'data' || USER_STRING_FIELDS.has(key);
    if (isDenied(key) && known) {
      // Python deletes the IP (rather than filtering it) when it is on the deny list.
      if (key !== 'ip_address') {
        w.annotate(FILTERED_NOTE);
        put(out, key, w.raw(FILTERED));
      }
    } else if (key === 'id' || key === 'ip_address') {
      const text = stringify(item);
      put(out, key, text === undefined ? undefined : w.raw(text));
    } else if (USER_STRING_FIELDS.has(key)) {
      put(out, key, textValue(cx, item));
    } else if (key === 'geo') {
      put(out, key, geo(cx, item));
    } else if (key === 'data') {
      const result = w.run(item, p.context);
      if (isRecord(result)) data = { ...result, ...data };
    } else {
      // The schema allows no other keys on `user`; Relay keeps them under `data`.
      w.path[w.path.length - 1] = 'data';
      w.path.push(key);
      let result: unknown;
      if (isDenied(key)) {
        w.annotate(FILTERED_NOTE);
        result = w.raw(FILTERED);
      } else result = w.run(item, p.context);
      w.path.pop();
      if (data === undefined) {
        data = {};
        w.fixed += 3;
      }
      w.units += key.length;
      w.fixed += 3;
      setOwn(data, key, result);
    }
    w.path.pop();
  });
  if (data) put(out, 'data', data);
  return out;
}

function geo(cx: EventContext, value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  cx.w.fixed += 3;
  for (const key of GEO_FIELDS) {
    const text = textValue(cx, readKey(value, key));
    if (text === undefined) continue;
    cx.w.fixed += key.length + 3;
    out[key] = text;
  }
  return out;
}
