// Keeps a normalized event under Relay's per-event limit (SPEC.md decision 9). It only runs when
// the cheap estimate made during normalization says the event might be too big, so it may take
// its time: it measures, trims the largest parts first, and measures again.
//
// Order of sacrifice: the biggest of {the breadcrumbs as a group, each databag part} goes first —
// breadcrumbs leave oldest first, a databag part (an `extra` key, a context, a frame's `vars`,
// `request.data`, `user.data`, `logentry.params`, a non-protocol top-level key) leaves whole. Then
// the longest strings are cut. If even that is not enough, only the protocol fields are kept.
// Protocol ids and timestamps are never cut.

import { cutAtCodePoint, estimateJsonBytes, jsonByteLength } from './json-size.js';

export type MetaPath = ReadonlyArray<string | number>;
export interface Annotation {
  len?: number;
  rem?: unknown[][];
}
export type Annotate = (path: MetaPath, annotation: Annotation) => void;

/** Relay's default maximum size of one event item (1 MiB). */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
/** Stands in for a free-form value removed to fit the size limit. */
export const TRIMMED = '[Trimmed]';
/** Strings are never cut shorter than this when trimming for size. */
const MIN_KEPT_STRING = 256;
const DROPPED: Annotation = { rem: [['!limit', 'x']] };

/** Top-level fields that are the event's identity and protocol; never trimmed as a "part". */
const PROTOCOL_FIELDS = new Set([
  'event_id', 'timestamp', 'start_timestamp', 'platform', 'level', 'logger', 'transaction', 'server_name',
  'release', 'dist', 'environment', 'type', 'sdk', 'fingerprint', 'modules', 'exception', 'threads',
  'stacktrace', 'logentry', 'breadcrumbs', 'contexts', 'tags', 'extra', 'user', 'request', '_meta',
  'transaction_info', 'measurements', 'debug_meta',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Part {
  lower: number;
  upper: number;
  path: MetaPath;
  remove(): void;
}

/** Tracks the event's size while parts are removed, serializing only when it might fit. */
class Budget {
  /** A lower bound of the current size (exact right after `measure`). */
  private running: number;

  constructor(
    private readonly event: Record<string, unknown>,
    readonly maxBytes: number,
    lowerBound: number,
  ) {
    this.running = lowerBound;
  }

  /** Bytes by which the event is (at least) over the limit. */
  excess(): number {
    return this.running - this.maxBytes;
  }

  /** Something was removed that took at most `bytes`. */
  freed(bytes: number): void {
    this.running -= bytes;
  }

  fits(): boolean {
    return this.running <= this.maxBytes && this.measure() <= this.maxBytes;
  }

  /** Serializes the event; also remembered as `measured`. */
  measure(): number {
    this.running = jsonByteLength(this.event);
    this.measured = this.running;
    return this.running;
  }

  /** The last exact size taken. */
  measured = Infinity;
}

/**
 * Trims `event` (a normalized event this module may mutate) until its JSON is at most `maxBytes`
 * UTF-8 bytes. Returns the final exact size. `annotate` records what was cut (for `_meta`).
 */
export function enforceEventSize(event: Record<string, unknown>, maxBytes: number, annotate?: Annotate): number {
  const note: Annotate = annotate ?? (() => {});
  const total = estimateJsonBytes(event);
  if (total.upper <= maxBytes) return jsonByteLength(event);
  // While the lower bound is over the limit, no exact measure is needed: a 10 MB event is not
  // serialized once per removed part.
  const budget = new Budget(event, maxBytes, total.lower);
  if (budget.fits()) return budget.measured;
  if (trimParts(event, budget, note)) return budget.measured;
  budget.measure(); // the string cuts below are sized from the exact excess
  if (trimStrings(event, budget, note)) return budget.measured;
  return keepProtocolOnly(event, maxBytes);
}

function trimParts(event: Record<string, unknown>, budget: Budget, note: Annotate): boolean {
  const crumbs = breadcrumbList(event);
  const crumbSizes = crumbs ? crumbs.map((c) => estimateJsonBytes(c)) : [];
  const originalCrumbs = crumbSizes.length;
  let crumbLower = 0;
  for (const s of crumbSizes) crumbLower += s.lower;
  let removedCrumbs = 0;
  const parts = collectParts(event).sort((a, b) => b.lower - a.lower);
  let next = 0;

  const flushCrumbs = (): void => {
    const keep = originalCrumbs - removedCrumbs;
    if (crumbs && crumbs.length > keep) crumbs.splice(0, crumbs.length - keep);
  };
  for (;;) {
    if (budget.excess() <= 0) {
      flushCrumbs();
      if (budget.fits()) break;
    }
    const part = parts[next];
    if (removedCrumbs < originalCrumbs && (!part || crumbLower >= part.lower)) {
      const s = crumbSizes[removedCrumbs]!;
      crumbLower -= s.lower;
      budget.freed(s.upper + 1);
      removedCrumbs++;
      continue;
    }
    if (!part) break;
    part.remove();
    note(part.path, DROPPED);
    budget.freed(part.upper + 1);
    next++;
  }
  flushCrumbs();
  if (removedCrumbs > 0) note(['breadcrumbs'], { len: originalCrumbs });
  return budget.fits();
}

function breadcrumbList(event: Record<string, unknown>): Json[] | undefined {
  const b = event.breadcrumbs as { values?: unknown } | undefined;
  return b && Array.isArray(b.values) ? (b.values as Json[]) : undefined;
}

function collectParts(event: Record<string, unknown>): Part[] {
  const parts: Part[] = [];
  const add = (holder: Record<string, unknown>, key: string, path: MetaPath, replacement?: string): void => {
    const value = holder[key];
    if (value === undefined) return;
    const { lower, upper } = estimateJsonBytes(value);
    if (replacement !== undefined && lower <= replacement.length + 2) return; // nothing to gain
    parts.push({
      lower,
      upper,
      path,
      remove: () => {
        if (replacement === undefined) delete holder[key];
        else holder[key] = replacement;
      },
    });
  };
  const extra = asObject(event.extra);
  if (extra) for (const key of Object.keys(extra)) add(extra, key, ['extra', key], TRIMMED);
  const contexts = asObject(event.contexts);
  if (contexts) for (const key of Object.keys(contexts)) if (key !== 'trace') add(contexts, key, ['contexts', key]);
  for (const area of ['exception', 'threads'] as const) {
    const values = asObject(event[area])?.values;
    if (!Array.isArray(values)) continue;
    values.forEach((entry, i) => {
      const frames = asObject(asObject(entry)?.stacktrace)?.frames;
      if (!Array.isArray(frames)) return;
      frames.forEach((frame, j) => {
        const f = asObject(frame);
        if (f) add(f, 'vars', [area, 'values', i, 'stacktrace', 'frames', j, 'vars']);
      });
    });
  }
  const request = asObject(event.request);
  if (request) add(request, 'data', ['request', 'data'], TRIMMED);
  const user = asObject(event.user);
  if (user) add(user, 'data', ['user', 'data']);
  const logentry = asObject(event.logentry);
  if (logentry) add(logentry, 'params', ['logentry', 'params']);
  for (const key of Object.keys(event)) if (!PROTOCOL_FIELDS.has(key)) add(event, key, [key]);
  return parts;
}

interface Cuttable {
  holder: Record<string, unknown> | unknown[];
  key: string | number;
  path: MetaPath;
  length: number;
}

function trimStrings(event: Record<string, unknown>, budget: Budget, note: Annotate): boolean {
  const found: Cuttable[] = [];
  const scan = (holder: Record<string, unknown> | unknown[], key: string | number, path: MetaPath): void => {
    const value = (holder as Record<string | number, unknown>)[key];
    if (typeof value === 'string') {
      if (value.length > MIN_KEPT_STRING) found.push({ holder, key, path, length: value.length });
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) scan(value, i, [...path, i]);
    } else if (value !== null && typeof value === 'object') {
      for (const k of Object.keys(value)) scan(value as Record<string, unknown>, k, [...path, k]);
    }
  };
  for (const key of ['extra', 'request', 'tags']) scan(event, key, [key]);
  for (const key of Object.keys(event)) if (!PROTOCOL_FIELDS.has(key)) scan(event, key, [key]);
  const contexts = asObject(event.contexts);
  if (contexts) for (const key of Object.keys(contexts)) if (key !== 'trace') scan(contexts, key, ['contexts', key]);
  const user = asObject(event.user);
  if (user) for (const key of Object.keys(user)) if (key !== 'id' && key !== 'ip_address') scan(user, key, ['user', key]);
  const logentry = asObject(event.logentry);
  if (logentry) for (const key of Object.keys(logentry)) scan(logentry, key, ['logentry', key]);
  const crumbs = breadcrumbList(event);
  crumbs?.forEach((crumb, i) => {
    const c = asObject(crumb);
    if (!c) return;
    scan(c, 'message', ['breadcrumbs', 'values', i, 'message']);
    scan(c, 'data', ['breadcrumbs', 'values', i, 'data']);
  });
  for (const area of ['exception', 'threads'] as const) {
    const values = asObject(event[area])?.values;
    if (!Array.isArray(values)) continue;
    values.forEach((entry, i) => {
      const e = asObject(entry);
      if (!e) return;
      if (area === 'exception') scan(e, 'value', [area, 'values', i, 'value']);
      const frames = asObject(e.stacktrace)?.frames;
      if (!Array.isArray(frames)) return;
      frames.forEach((frame, j) => {
        const f = asObject(frame);
        if (!f) return;
        const at = [area, 'values', i, 'stacktrace', 'frames', j];
        for (const key of ['context_line', 'pre_context', 'post_context', 'vars']) scan(f, key, [...at, key]);
      });
    });
  }

  found.sort((a, b) => b.length - a.length);
  for (const item of found) {
    if (budget.fits()) return true;
    const value = (item.holder as Record<string | number, unknown>)[item.key] as string;
    // Every removed code unit frees at least one byte, so cutting `excess` units is enough.
    const excess = Math.max(1, budget.excess());
    const keep = Math.max(MIN_KEPT_STRING, value.length - excess - 3);
    if (keep >= value.length) continue;
    const cut = cutAtCodePoint(value, keep);
    (item.holder as Record<string | number, unknown>)[item.key] = cut + '...';
    note(item.path, { len: value.length, rem: [['!limit', 'x', cut.length, cut.length + 3]] });
    budget.freed((value.length - cut.length) * 6);
  }
  return budget.fits();
}

// The last resort: what identifies the event and its error, with long texts shortened.
function keepProtocolOnly(event: Record<string, unknown>, maxBytes: number): number {
  const kept = ['event_id', 'timestamp', 'start_timestamp', 'platform', 'level', 'logger', 'transaction',
    'server_name', 'release', 'dist', 'environment', 'type', 'sdk', 'fingerprint'];
  const original = { ...event };
  for (const key of Object.keys(event)) delete event[key];
  for (const key of kept) if (original[key] !== undefined) event[key] = original[key];
  const trace = asObject(asObject(original.contexts)?.trace);
  if (trace) event.contexts = { trace };
  const logentry = asObject(original.logentry);
  if (logentry && typeof logentry.formatted === 'string') {
    event.logentry = { formatted: shorten(logentry.formatted) };
  }
  const values = asObject(original.exception)?.values;
  if (Array.isArray(values)) {
    event.exception = {
      values: values.map((entry) => {
        const e = asObject(entry) ?? {};
        const slim: Record<string, unknown> = {};
        if (typeof e.type === 'string') slim.type = shorten(e.type);
        if (typeof e.value === 'string') slim.value = shorten(e.value);
        if (slim.type === undefined && slim.value === undefined) slim.value = 'unknown';
        const mechanism = asObject(e.mechanism);
        if (mechanism && typeof mechanism.type === 'string') {
          slim.mechanism = { ...mechanism };
          delete (slim.mechanism as Record<string, unknown>).data;
        }
        return slim;
      }),
    };
  }
  let size = jsonByteLength(event);
  // Still too big means the protocol fields themselves are huge (an enormous sdk or fingerprint):
  // keep the bare minimum that makes it an event.
  if (size > maxBytes) {
    for (const key of Object.keys(event)) {
      if (!['event_id', 'timestamp', 'platform', 'level'].includes(key)) delete event[key];
    }
    size = jsonByteLength(event);
  }
  return size;
}

function shorten(s: string): string {
  return s.length > 1024 ? cutAtCodePoint(s, 1021) + '...' : s;
}

function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}
