// What the per-field normalizers of an event share: the options, the limits of each area of the
// event, and the small conversions (protocol values, free text, short string forms).

import { debugLog } from '../debug-log.js';
import type { KeyMatcher } from '../scrub.js';
import { toSeverityLevel } from '../severity.js';
import type { SeverityLevel } from '../types.js';
import { MAX_DEPTH, arrayLength, readKey, setOwn, functionLabel, type Limits } from './shared.js';
import type { Walker } from './walker.js';
import { normalize } from './value.js';

export interface NormalizeEventOptions {
  depth: number;
  breadth: number;
  maxValueLength?: number;
  isDenied: KeyMatcher;
  sendDefaultPii: boolean;
  /** Default 1 MiB (Relay's limit for one event). */
  maxEventBytes?: number;
  /**
   * Put the `_meta` annotations into the event (Python does; Relay reads them). Off by default:
   * the official event schema has no `_meta`, so an event carrying it fails the conformance check.
   */
  attachMeta?: boolean;
  /**
   * Only faultline's own code has touched the event since it was built: no event processor but
   * the SDK's own ran (the client knows). The stack traces the SDK made are then kept as they are
   * once checked, instead of copied (built-parts.ts).
   */
  ownPipeline?: boolean;
  /**
   * Frozen parts of the event (the SDK's contexts and description, core/frozen-parts.ts) may be
   * shared by the normalized event instead of copied, once seen to normalize to themselves
   * (shared-parts.ts). Only when no code of the app's will be given the normalized event to
   * change (no beforeSend).
   */
  shareFrozen?: boolean;
}

/** How deep and wide each area of the event may be, derived once per call from the options. */
export interface Profiles {
  databag: Limits;
  context: Limits;
  traceContext: Limits;
  protocol: Limits;
  other: Limits;
  sourceLines: Limits;
}

export function profilesFor(depth: number, breadth: number): Profiles {
  // contexts and the user are not databags in Python (no limits at all); they get a deeper, wider
  // bound so a 13-key context stays whole but a runaway object still ends.
  const wide = Math.max(breadth * 10, 100);
  return {
    databag: { depth, breadth, scrub: true, truncate: true },
    context: { depth: Math.min(depth + 2, MAX_DEPTH), breadth: wide, scrub: true, truncate: true },
    traceContext: { depth: Math.min(depth + 2, MAX_DEPTH), breadth: wide, scrub: true, truncate: false },
    protocol: { depth: 10, breadth: 10_000, scrub: false, truncate: false },
    other: { depth: Math.min(depth + 3, MAX_DEPTH), breadth: 1000, scrub: true, truncate: true },
    sourceLines: { depth: 1, breadth: 100, scrub: false, truncate: true },
  };
}

export interface EventContext {
  w: Walker;
  p: Profiles;
  opts: NormalizeEventOptions;
  /**
   * The stack traces the SDK built may be kept rather than copied (built-parts.ts): an own
   * pipeline, and no maxValueLength that could cut their text.
   */
  ownPipeline: boolean;
  /** Proven frozen parts may be shared (NormalizeEventOptions.shareFrozen). */
  share: boolean;
}

/** Upper bound of a protocol field name with its quotes, colon and comma. */
export const FIELD_BYTES = 20;

/** Identifiers and SDK-built structure: made JSON-safe, never cut or scrubbed. */
export function protocolValue(cx: EventContext, value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return cx.w.raw(value);
    case 'number':
      return cx.w.number(value);
    case 'boolean':
      cx.w.fixed += 6;
      return value;
    default:
      return cx.w.run(value, cx.p.protocol);
  }
}

/**
 * An event's or a breadcrumb's `level`: the aliases SPEC.md decision 5 accepts mapped to the
 * protocol's five levels wherever the level was set (captureEvent, a processor, beforeBreadcrumb),
 * since Relay rejects any other value. Anything else is left out, so the server's default applies.
 */
export function levelValue(cx: EventContext, value: unknown): SeverityLevel | undefined {
  const level = toSeverityLevel(value);
  if (level === undefined) {
    debugLog.warn(`level ${JSON.stringify(String(value))} is not one of fatal, error, warning, info, debug; left out`);
    return undefined;
  }
  return cx.w.raw(level) as SeverityLevel;
}

/** Free text (messages, exception values): a string, cut when maxValueLength is set. */
export function textValue(cx: EventContext, value: unknown): string | undefined {
  cx.w.limits = cx.p.databag;
  if (typeof value === 'string') return cx.w.string(value);
  const s = stringify(value);
  return s === undefined ? undefined : cx.w.string(s);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function asObjectResult(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** A short string form of any value (tag values, header values, fingerprint entries). */
export function stringify(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'undefined':
      return undefined;
    case 'number':
      if (value !== value) return 'nan';
      if (value === Infinity) return 'inf';
      if (value === -Infinity) return '-inf';
      return String(value);
    case 'boolean':
    case 'bigint':
    case 'symbol':
      return String(value);
    case 'function':
      return functionLabel(value);
    default: {
      if (value === null) return undefined;
      const normalized = normalize(value, { depth: 2, breadth: 10 });
      return typeof normalized === 'string' ? normalized : JSON.stringify(normalized);
    }
  }
}

export function ownEntries(value: unknown, each: (key: string, item: unknown) => void): void {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const item = readKey(value, key);
    if (item !== undefined) each(key, item);
  }
}


/** `{ values: [...] }` with each entry mapped (a bare list is accepted too, as Relay does). */
export function valuesOf(
  cx: EventContext,
  value: unknown,
  map: (cx: EventContext, entry: Record<string, unknown>) => Record<string, unknown>,
): { values: unknown[] } | undefined {
  const list = Array.isArray(value) ? value : isRecord(value) ? readKey(value, 'values') : undefined;
  if (!Array.isArray(list)) return undefined;
  const { w } = cx;
  const values: unknown[] = [];
  w.fixed += 14;
  w.path.push('values');
  const length = arrayLength(list);
  for (let i = 0; i < length; i++) {
    const entry = readKey(list, i);
    if (!isRecord(entry)) continue;
    w.path.push(values.length);
    values.push(map(cx, entry));
    w.path.pop();
  }
  w.path.pop();
  return { values };
}

/** Copies each own field of `source` through `each` into `out`, keeping path and size in step. */
export function eachField(
  cx: EventContext,
  source: Record<string, unknown>,
  out: Record<string, unknown>,
  each: (key: string, item: unknown) => unknown,
): void {
  const { w } = cx;
  w.fixed += 3;
  ownEntries(source, (key, item) => {
    w.path.push(key);
    const result = each(key, item);
    w.path.pop();
    if (result === undefined) return;
    w.units += key.length;
    w.fixed += 3;
    setOwn(out, key, result);
  });
}
