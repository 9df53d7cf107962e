// `breadcrumbs`: `{ values: [...] }`, each crumb's protocol fields copied by name.

import { asObjectResult, FIELD_BYTES, levelValue, protocolValue, textValue, valuesOf, type EventContext } from './context.js';

export function breadcrumbs(cx: EventContext, value: unknown): { values: unknown[] } | undefined {
  return valuesOf(cx, value, breadcrumb);
}

// The protocol fields are copied by name (fast, fixed shapes); other keys are not in the protocol
// (the schema rejects them, Relay reports them as invalid) and are left out.
function breadcrumb(cx: EventContext, crumb: Record<string, unknown>): Record<string, unknown> {
  const { w, p } = cx;
  const out: Record<string, unknown> = {};
  w.fixed += 3;
  let v: unknown;
  if ((v = crumb.timestamp) !== undefined) {
    out.timestamp = v instanceof Date ? w.number(v.getTime() / 1000) : protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = crumb.type) !== undefined) {
    out.type = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = crumb.category) !== undefined) {
    out.category = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = crumb.level) !== undefined && (v = levelValue(cx, v)) !== undefined) {
    out.level = v;
    w.fixed += FIELD_BYTES;
  }
  if ((v = crumb.event_id) !== undefined) {
    out.event_id = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = crumb.message) !== undefined) {
    w.path.push('message');
    const text = textValue(cx, v);
    w.path.pop();
    if (text !== undefined) {
      out.message = text;
      w.fixed += FIELD_BYTES;
    }
  }
  if ((v = crumb.data) !== undefined) {
    w.path.push('data');
    const data = asObjectResult(w.run(v, p.databag));
    w.path.pop();
    if (data !== undefined) {
      out.data = data;
      w.fixed += FIELD_BYTES;
    }
  }
  return out;
}
