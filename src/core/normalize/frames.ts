// `exception`, `threads`, `stacktrace` and `logentry`: SDK-built structure, copied field by field
// (fixed shapes are what V8 reads fastest), with the free text in it (exception values, source
// lines, frame variables) under the databag limits.

import { arrayLength, readKey } from './shared.js';
import { builtExceptions, builtFrames, builtMechanism } from './built-parts.js';
import { asObjectResult, eachField, FIELD_BYTES, isRecord, protocolValue, textValue, valuesOf, type EventContext } from './context.js';

const THREAD_FIELDS = new Set(['id', 'name', 'crashed', 'current', 'main', 'state', 'held_locks']);
const STACKTRACE_FIELDS = new Set(['registers', 'lang', 'snapshot', 'instruction_addr_adjustment']);

export function exceptions(cx: EventContext, value: unknown): unknown {
  if (cx.ownPipeline) {
    const kept = builtExceptions(cx.w, value, cx.p.sourceLines.breadth);
    if (kept !== undefined) return kept;
  }
  return valuesOf(cx, value, exception);
}

function exception(cx: EventContext, entry: Record<string, unknown>): Record<string, unknown> {
  const { w } = cx;
  const out: Record<string, unknown> = {};
  w.fixed += 3;
  let v: unknown;
  if ((v = entry.type) !== undefined) {
    out.type = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = entry.value) !== undefined) {
    w.path.push('value');
    const text = textValue(cx, v);
    w.path.pop();
    if (text !== undefined) {
      out.value = text;
      w.fixed += FIELD_BYTES;
    }
  }
  if ((v = entry.module) !== undefined) {
    out.module = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = entry.thread_id) !== undefined) {
    out.thread_id = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = entry.mechanism) !== undefined) {
    out.mechanism = (cx.ownPipeline ? builtMechanism(w, v) : undefined) ?? protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = entry.stacktrace) !== undefined) {
    w.path.push('stacktrace');
    const st = stacktrace(cx, v);
    w.path.pop();
    if (st !== undefined) {
      out.stacktrace = st;
      w.fixed += FIELD_BYTES;
    }
  }
  return out;
}

export function threads(cx: EventContext, value: unknown): { values: unknown[] } | undefined {
  return valuesOf(cx, value, (_, entry) => {
    const out: Record<string, unknown> = {};
    eachField(cx, entry, out, (key, item) => {
      if (key === 'stacktrace') return stacktrace(cx, item);
      return THREAD_FIELDS.has(key) ? protocolValue(cx, item) : undefined;
    });
    return out;
  });
}

export function stacktrace(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  eachField(cx, value, out, (key, item) => {
    if (key === 'frames') return frames(cx, item);
    return STACKTRACE_FIELDS.has(key) ? protocolValue(cx, item) : undefined;
  });
  return out;
}

function frames(cx: EventContext, value: unknown): unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const { w } = cx;
  if (cx.ownPipeline) {
    const kept = builtFrames(w, value, cx.p.sourceLines.breadth);
    if (kept !== undefined) return kept;
  }
  const out: unknown[] = [];
  w.fixed += 3;
  const length = arrayLength(value);
  for (let i = 0; i < length; i++) {
    const item = readKey(value, i);
    if (!isRecord(item)) continue;
    w.path.push(out.length);
    try {
      out.push(frame(cx, item));
    } catch {
      // a frame whose fields cannot be read is left out
    }
    w.path.pop();
  }
  return out;
}

// The JavaScript frame fields of the protocol, copied by name; the native-only ones (addresses,
// symbols, locks) never come from this SDK and are left out with any unknown key.
function frame(cx: EventContext, f: Record<string, unknown>): Record<string, unknown> {
  const { w, p } = cx;
  const out: Record<string, unknown> = {};
  w.fixed += 3;
  let v: unknown;
  if ((v = f.filename) !== undefined) {
    out.filename = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.abs_path) !== undefined) {
    out.abs_path = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.function) !== undefined) {
    out.function = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.raw_function) !== undefined) {
    out.raw_function = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.module) !== undefined) {
    out.module = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.package) !== undefined) {
    out.package = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.platform) !== undefined) {
    out.platform = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.lineno) !== undefined) {
    out.lineno = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.colno) !== undefined) {
    out.colno = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.in_app) !== undefined) {
    out.in_app = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.stack_start) !== undefined) {
    out.stack_start = protocolValue(cx, v);
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.context_line) !== undefined) {
    w.path.push('context_line');
    const text = textValue(cx, v);
    w.path.pop();
    if (text !== undefined) {
      out.context_line = text;
      w.fixed += FIELD_BYTES;
    }
  }
  if ((v = f.pre_context) !== undefined) {
    w.path.push('pre_context');
    out.pre_context = sourceLines(cx, v);
    w.path.pop();
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.post_context) !== undefined) {
    w.path.push('post_context');
    out.post_context = sourceLines(cx, v);
    w.path.pop();
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.vars) !== undefined) {
    w.path.push('vars');
    const vars = asObjectResult(w.run(v, p.databag));
    w.path.pop();
    if (vars !== undefined) {
      out.vars = vars;
      w.fixed += FIELD_BYTES;
    }
  }
  return out;
}

/**
 * `pre_context` / `post_context`. Ten arrays per event, nearly always short lines the SDK read from
 * disk, so those are copied in one pass (the same result and size count as the generic walk);
 * anything else (a line to cut, a non-string, a long or strange array) takes the generic walk.
 */
function sourceLines(cx: EventContext, value: unknown): unknown {
  const { w, p } = cx;
  if (!Array.isArray(value)) return w.run(value, p.sourceLines);
  const max = w.maxValueLength;
  let copy: string[] | undefined;
  let units = 0;
  try {
    const length = value.length;
    if (length <= p.sourceLines.breadth) {
      // Made at its final length: an array grown by push reserves room for 17 entries, and
      // these are ten arrays per event of about five lines.
      copy = new Array<string>(length);
      for (let i = 0; i < length; i++) {
        const line: unknown = value[i];
        if (typeof line !== 'string' || (max !== undefined && line.length > max)) {
          copy = undefined;
          break;
        }
        copy[i] = line;
        units += line.length;
      }
    }
  } catch {
    copy = undefined; // a hostile array: the generic walk knows what to make of it
  }
  if (copy === undefined) return w.run(value, p.sourceLines);
  w.units += units;
  w.fixed += 3 + 3 * copy.length;
  return copy;
}

export function logentry(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  eachField(cx, value, out, (key, item) => {
    if (key === 'message' || key === 'formatted') return textValue(cx, item);
    if (key === 'params') return cx.w.run(item, cx.p.databag);
    return undefined;
  });
  return out;
}
