// Turns the user's raw values into JSON-safe, scrubbed, bounded data (SPEC-python.md §6, SPEC.md
// decisions 9 and 10). One walk does it all, because it runs on every capture: each key is checked
// against the deny list as it is met, limits are applied as containers are entered, and the
// serialized size is estimated on the way so that small events are never serialized twice.
// Nothing here mutates its input or throws: a value that cannot be read becomes a placeholder.

import type { Event } from './types.js';
import { FILTERED, type KeyMatcher } from './scrub.js';
import {
  DEFAULT_MAX_EVENT_BYTES,
  cutAtCodePoint,
  enforceEventSize,
  jsonByteLength,
  type Annotation,
  type MetaPath,
} from './size-limit.js';
import { debugLog } from './debug-log.js';

export { FILTERED } from './scrub.js';
export { TRIMMED, DEFAULT_MAX_EVENT_BYTES } from './size-limit.js';
export type { Annotation } from './size-limit.js';

/** A value found again on its own ancestor path. */
export const CYCLIC = '<cyclic>';
/** A value whose reading threw (a getter, a Proxy trap, a toJSON). */
export const FAILED = '<failed to serialize>';
/** Containers below the depth limit; their content is never put into a string (it may hold secrets). */
export const OBJECT_CUT = '[Object]';
export const ARRAY_CUT = '[Array]';

/** Databag limits of SPEC.md decision 9 (Python's MAX_DATABAG_DEPTH / MAX_DATABAG_BREADTH). */
export const DEFAULT_DEPTH = 5;
export const DEFAULT_BREADTH = 10;
/** Depth is clamped here whatever is asked: deeper recursion risks the call stack. */
export const MAX_DEPTH = 200;

/** The `_meta` tree: mirrors the event's key paths; annotations live under the key `""`. */
export interface MetaTree {
  [key: string]: MetaTree | Annotation;
}

export interface NormalizeOptions {
  /** Container levels kept; the root container is level 1 (default 5). */
  depth?: number;
  /** Keys / items kept per container (default 10). */
  breadth?: number;
  /** Strings longer than this (UTF-16 code units) are cut, ending in "..."; off by default. */
  maxValueLength?: number;
  /** Keys whose values become "[Filtered]". */
  isDenied?: KeyMatcher;
}

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
}

// ------------------------------------------------------------------------------------ the walker

interface Limits {
  depth: number;
  breadth: number;
  /** Apply the deny list to keys. */
  scrub: boolean;
  /** Apply maxValueLength to strings. */
  truncate: boolean;
}

const FILTERED_NOTE: Annotation = { rem: [['!config', 's']] };
const CUT_NOTE: Annotation = { rem: [['!limit', 'x']] };
// The longest a double prints as (-0.0000012345678901234567) and its comma. Containers count 3
// bytes: brackets and the comma after them; strings 3: quotes and comma; keys 3: quotes and colon.
const NUMBER_BYTES = 26;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * One normalization pass. Keeps the current path (for `_meta`), the ancestors (for cycles) and
 * an upper bound of the serialized size: `fixed` bytes plus `units` string code units, each at most
 * 6 bytes once JSON-escaped and UTF-8 encoded.
 */
class Walker {
  fixed = 0;
  units = 0;
  meta: MetaTree | undefined;
  readonly path: Array<string | number> = [];
  limits: Limits;
  private readonly ancestors: object[] = [];

  constructor(
    private readonly isDenied: KeyMatcher | undefined,
    private readonly maxValueLength: number | undefined,
    private readonly recordMeta: boolean,
    limits: Limits,
  ) {
    this.limits = limits;
  }

  upperBound(): number {
    return this.fixed + this.units * 6;
  }

  /** Walks `value` as a root (level 1) under `limits`. */
  run(value: unknown, limits: Limits): unknown {
    this.limits = limits;
    return this.walk(value, 1);
  }

  walk(value: unknown, level: number): unknown {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        return this.number(value);
      case 'boolean':
        this.fixed += 6;
        return value;
      case 'undefined':
        this.fixed += 5;
        return null;
      case 'bigint':
        return this.raw(`${value}n`);
      case 'symbol':
        return this.raw(String(value));
      case 'function':
        return this.raw(functionLabel(value));
      default:
        if (value === null) {
          this.fixed += 5;
          return null;
        }
        return this.object(value as object, level, true);
    }
  }

  /** A string from the user: cut when maxValueLength applies here. */
  string(s: string): string {
    const max = this.maxValueLength;
    if (max !== undefined && s.length > max && this.limits.truncate) {
      const kept = cutAtCodePoint(s, max > 3 ? max - 3 : max);
      this.annotate({ len: s.length, rem: [['!limit', 'x', kept.length, kept.length + 3]] });
      s = kept + '...';
    }
    return this.raw(s);
  }

  /** A string of ours or a protocol string: counted, never cut. */
  raw(s: string): string {
    this.units += s.length;
    this.fixed += 3;
    return s;
  }

  number(n: number): number | string {
    if (n !== n) return this.raw('nan');
    if (n === Infinity) return this.raw('inf');
    if (n === -Infinity) return this.raw('-inf');
    this.fixed += NUMBER_BYTES;
    return n === 0 ? 0 : n; // -0 would not survive a JSON round trip
  }

  annotate(note: Annotation): void {
    if (this.recordMeta) this.annotateAt(this.path, note);
  }

  annotateAt(path: MetaPath, note: Annotation): void {
    if (!this.recordMeta) return;
    this.meta ??= {};
    addAnnotation(this.meta, path, note);
  }

  private object(value: object, level: number, allowToJSON: boolean): unknown {
    const ancestors = this.ancestors;
    for (let i = 0; i < ancestors.length; i++) if (ancestors[i] === value) return this.raw(CYCLIC);
    const pathLength = this.path.length;
    const ancestorCount = ancestors.length;
    try {
      return this.container(value, level, allowToJSON);
    } catch {
      // A throwing getter, Proxy trap or toJSON, or a stack overflow on absurd nesting.
      this.path.length = pathLength;
      ancestors.length = ancestorCount;
      return this.raw(FAILED);
    }
  }

  private container(value: object, level: number, allowToJSON: boolean): unknown {
    if (Array.isArray(value)) return level > this.limits.depth ? this.cut(ARRAY_CUT) : this.array(value, level);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const special = this.special(value, level);
      if (special !== NOT_SPECIAL) return special;
    }
    if (allowToJSON) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        const result: unknown = toJSON.call(value, '');
        if (result !== value) {
          if (result === null || typeof result !== 'object') return this.walk(result, level);
          // The result may hold the original (or return a fresh toJSON-able object each time).
          this.ancestors.push(value);
          const out = this.object(result, level, false);
          this.ancestors.pop();
          return out;
        }
      }
    }
    if (level > this.limits.depth) return this.cut(OBJECT_CUT);
    return this.plain(value, level);
  }

  private special(value: object, level: number): unknown {
    if (value instanceof Date) {
      const time = Date.prototype.getTime.call(value);
      return this.raw(time === time ? Date.prototype.toISOString.call(value) : 'Invalid Date');
    }
    if (ArrayBuffer.isView(value)) {
      const length = (value as { length?: unknown }).length;
      return this.raw(`[${className(value)}(${typeof length === 'number' ? length : value.byteLength})]`);
    }
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
      return this.raw(`[${className(value)}(${value.byteLength})]`);
    }
    if (value instanceof Error) return level > this.limits.depth ? this.cut(OBJECT_CUT) : this.error(value, level);
    if (value instanceof Map) return level > this.limits.depth ? this.cut(OBJECT_CUT) : this.map(value, level);
    if (value instanceof Set) return level > this.limits.depth ? this.cut(ARRAY_CUT) : this.set(value, level);
    if (value instanceof RegExp) return this.raw(RegExp.prototype.toString.call(value));
    if (value instanceof Number) return this.number(Number.prototype.valueOf.call(value));
    if (value instanceof String) return this.string(String.prototype.valueOf.call(value));
    if (value instanceof Boolean) return this.walk(Boolean.prototype.valueOf.call(value), level);
    if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
      return this.raw(`[${className(value)}]`);
    }
    return NOT_SPECIAL;
  }

  private cut(label: string): string {
    this.annotate(CUT_NOTE);
    return this.raw(label);
  }

  private filtered(): string {
    this.annotate(FILTERED_NOTE);
    return this.raw(FILTERED);
  }

  /** One key of an object being built: scrubbed, or walked one level down. */
  private entry(out: Record<string, unknown>, key: string, value: unknown, level: number): void {
    if (value === undefined) return;
    this.path.push(key);
    const denied = this.limits.scrub && this.isDenied !== undefined && this.isDenied(key);
    const result = denied ? this.filtered() : this.walk(value, level + 1);
    this.path.pop();
    this.units += key.length;
    this.fixed += 3;
    setOwn(out, key, result);
  }

  private plain(value: object, level: number): Record<string, unknown> {
    const breadth = this.limits.breadth;
    const out: Record<string, unknown> = {};
    let count = 0;
    this.fixed += 3;
    this.ancestors.push(value);
    // for-in with an own-property check is what V8 reads fastest (no key array, cached field
    // loads); the loop keeps counting past the breadth only to report the original length.
    for (const key in value) {
      if (!hasOwn.call(value, key)) continue;
      if (count++ >= breadth) continue;
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch {
        item = FAILED;
      }
      this.entry(out, key, item, level);
    }
    this.ancestors.pop();
    if (count > breadth) this.annotate({ len: count });
    return out;
  }

  private array(value: unknown[], level: number): unknown[] {
    const length = arrayLength(value);
    const limit = length < this.limits.breadth ? length : this.limits.breadth;
    const out: unknown[] = [];
    this.fixed += 3;
    this.ancestors.push(value);
    for (let i = 0; i < limit; i++) {
      let item: unknown;
      try {
        item = value[i];
      } catch {
        item = FAILED;
      }
      this.path.push(i);
      out.push(this.walk(item, level + 1));
      this.path.pop();
    }
    this.ancestors.pop();
    if (length > limit) this.annotate({ len: length });
    return out;
  }

  private map(value: Map<unknown, unknown>, level: number): Record<string, unknown> {
    const size = value.size;
    const limit = size < this.limits.breadth ? size : this.limits.breadth;
    const out: Record<string, unknown> = {};
    this.fixed += 3;
    this.ancestors.push(value);
    const entries = Map.prototype.entries.call(value);
    for (let i = 0; i < limit; i++) {
      const step = entries.next();
      if (step.done) break;
      const [key, item] = step.value;
      this.entry(out, mapKey(key), item, level);
    }
    this.ancestors.pop();
    if (size > limit) this.annotate({ len: size });
    return out;
  }

  private set(value: Set<unknown>, level: number): unknown[] {
    const size = value.size;
    const limit = size < this.limits.breadth ? size : this.limits.breadth;
    const out: unknown[] = [];
    this.fixed += 3;
    this.ancestors.push(value);
    const items = Set.prototype.values.call(value);
    for (let i = 0; i < limit; i++) {
      const step = items.next();
      if (step.done) break;
      this.path.push(i);
      out.push(this.walk(step.value, level + 1));
      this.path.pop();
    }
    this.ancestors.pop();
    if (size > limit) this.annotate({ len: size });
    return out;
  }

  /** `{ name, message, stack, ...own enumerable props, cause }`: what `JSON.stringify` would lose. */
  private error(error: Error, level: number): Record<string, unknown> {
    const view: Record<string, unknown> = {
      name: readKey(error, 'name'),
      message: readKey(error, 'message'),
    };
    const stack = readKey(error, 'stack');
    if (typeof stack === 'string') view.stack = stack;
    for (const key of Object.keys(error)) if (!hasOwn.call(view, key)) setOwn(view, key, readKey(error, key));
    if (!hasOwn.call(view, 'cause') && 'cause' in error) view.cause = readKey(error, 'cause');
    this.ancestors.push(error);
    const out = this.plain(view, level);
    this.ancestors.pop();
    return out;
  }
}

const NOT_SPECIAL: unique symbol = Symbol('not special');

function readKey(value: object, key: string | number): unknown {
  try {
    return (value as Record<string | number, unknown>)[key];
  } catch {
    return FAILED;
  }
}

function arrayLength(value: unknown[]): number {
  const length: unknown = value.length;
  return typeof length === 'number' && length > 0 ? Math.floor(length) : 0;
}

/** Sets a key even when it is `__proto__` (plain assignment would change the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function functionLabel(fn: Function): string {
  let name: unknown;
  try {
    name = fn.name;
  } catch {
    name = undefined;
  }
  return `[Function: ${typeof name === 'string' && name ? name : '<anonymous>'}]`;
}

function className(value: object): string {
  try {
    const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
    if (typeof name === 'string' && name) return name;
  } catch {
    // fall through to the tag
  }
  return Object.prototype.toString.call(value).slice(8, -1);
}

function mapKey(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return key;
    case 'object':
      if (key === null) return 'null';
      return Array.isArray(key) ? ARRAY_CUT : `[${className(key)}]`;
    case 'function':
      return functionLabel(key);
    default:
      return String(key);
  }
}

function addAnnotation(root: MetaTree, path: MetaPath, note: Annotation): void {
  let node = root;
  for (const part of path) {
    const key = String(part);
    let child = hasOwn.call(node, key) ? node[key] : undefined;
    if (child === null || typeof child !== 'object' || Array.isArray(child)) {
      child = {};
      setOwn(node as Record<string, unknown>, key, child);
    }
    node = child as MetaTree;
  }
  const previous = hasOwn.call(node, '') ? (node[''] as Annotation) : undefined;
  node[''] = previous && typeof previous === 'object' ? mergeAnnotations(previous, note) : { ...note };
}

function mergeAnnotations(a: Annotation, b: Annotation): Annotation {
  const out: Annotation = { ...a };
  if (b.len !== undefined) out.len = a.len === undefined ? b.len : Math.max(a.len, b.len);
  if (b.rem) out.rem = Array.isArray(a.rem) ? [...a.rem, ...b.rem] : b.rem;
  return out;
}

function clampCount(value: unknown, fallback: number, max: number): number {
  if (typeof value !== 'number' || value !== value || value < 0) return fallback;
  return value > max ? max : Math.floor(value);
}

function validMaxValueLength(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 1 && value !== Infinity ? Math.floor(value) : undefined;
}

/**
 * Any value → a JSON-safe value: `JSON.stringify` cannot throw on it and `JSON.parse` gives it back
 * equal. Never throws. The mapping of each kind of value is in `Walker.walk` / `Walker.special`.
 */
export function normalize(value: unknown, opts?: NormalizeOptions): unknown {
  try {
    const walker = new Walker(
      typeof opts?.isDenied === 'function' ? opts.isDenied : undefined,
      validMaxValueLength(opts?.maxValueLength),
      false,
      {
        depth: clampCount(opts?.depth, DEFAULT_DEPTH, MAX_DEPTH),
        breadth: clampCount(opts?.breadth, DEFAULT_BREADTH, Infinity),
        scrub: true,
        truncate: true,
      },
    );
    return walker.walk(value, 1);
  } catch {
    return FAILED;
  }
}

// ------------------------------------------------------------------------------------ the event

/** How deep and wide each area of the event may be, derived once per call from the options. */
interface Profiles {
  databag: Limits;
  context: Limits;
  traceContext: Limits;
  protocol: Limits;
  other: Limits;
  sourceLines: Limits;
}

function profilesFor(depth: number, breadth: number): Profiles {
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

interface EventContext {
  w: Walker;
  p: Profiles;
  opts: NormalizeEventOptions;
}

const TAG_MAX = 200;
const TAG_KEY_OK = /^[a-zA-Z0-9_.:-]+$/;
const NEWLINES = /[\r\n]+/g;
const USER_STRING_FIELDS = new Set(['email', 'username', 'name', 'segment', 'sentry_user']);
const GEO_FIELDS = ['city', 'country_code', 'region', 'subdivision'];
const REQUEST_STRING_FIELDS = new Set(['url', 'method', 'fragment', 'protocol', 'api_target', 'inferred_content_type']);
const PII_HEADERS = new Set(['cookie', 'authorization']);
const THREAD_FIELDS = new Set(['id', 'name', 'crashed', 'current', 'main', 'state', 'held_locks']);
const STACKTRACE_FIELDS = new Set(['registers', 'lang', 'snapshot', 'instruction_addr_adjustment']);
/** Upper bound of a protocol field name with its quotes, colon and comma. */
const FIELD_BYTES = 20;

/**
 * The event as it may be sent: a new object, JSON-safe, scrubbed, within the depth/breadth limits
 * and at most `maxEventBytes` once serialized. The caller's objects are not touched. Never throws.
 */
export function normalizeEvent(event: Event, opts: NormalizeEventOptions): Event {
  try {
    return buildEvent(event, opts);
  } catch (error) {
    debugLog.error('normalizing the event failed; sending its protocol fields only', error);
    return protocolFieldsOnly(event);
  }
}

function buildEvent(event: Event, opts: NormalizeEventOptions): Event {
  const depth = clampCount(opts.depth, DEFAULT_DEPTH, MAX_DEPTH);
  const breadth = clampCount(opts.breadth, DEFAULT_BREADTH, Infinity);
  const p = profilesFor(depth, breadth);
  const attachMeta = opts.attachMeta === true;
  const isDenied = typeof opts.isDenied === 'function' ? opts.isDenied : undefined;
  const w = new Walker(isDenied, validMaxValueLength(opts.maxValueLength), attachMeta, p.protocol);
  const cx: EventContext = { w, p, opts };

  // Annotations made before us (the scope's breadcrumb count) are kept and added to.
  if (attachMeta) {
    const incoming = readKey(event, '_meta');
    if (incoming !== null && typeof incoming === 'object') {
      const copy = new Walker(undefined, undefined, false, p.protocol).run(incoming, p.protocol);
      if (copy !== null && typeof copy === 'object' && !Array.isArray(copy)) w.meta = copy as MetaTree;
    }
  }

  const out: Record<string, unknown> = {};
  w.fixed += 3;
  for (const key of Object.keys(event)) {
    if (key === '_meta') continue;
    const value = readKey(event, key);
    if (value === undefined) continue;
    const pathLength = w.path.length;
    w.path.push(key);
    let result: unknown;
    try {
      result = field(cx, key, value, event, out);
    } catch (error) {
      debugLog.warn(`dropped the event field "${key}": it could not be normalized`, error);
      result = undefined;
    }
    w.path.length = pathLength;
    if (result === undefined) continue;
    w.units += key.length;
    w.fixed += 3;
    setOwn(out, key, result);
  }

  const maxBytes = clampCount(opts.maxEventBytes, DEFAULT_MAX_EVENT_BYTES, Infinity);
  const annotate = attachMeta ? (path: MetaPath, note: Annotation) => w.annotateAt(path, note) : undefined;
  // The common case ends here: the bound from the walk proves the event small, nothing is serialized.
  const exactSize = w.upperBound() > maxBytes ? enforceEventSize(out, maxBytes, annotate) : undefined;
  if (attachMeta && w.meta && Object.keys(w.meta).length > 0) {
    out._meta = w.meta;
    // `_meta` is optional information: if carrying it breaks the limit, it is left out.
    const bound = (exactSize ?? w.upperBound()) + jsonByteLength(w.meta) + '"_meta":,'.length;
    if (bound > maxBytes && jsonByteLength(out) > maxBytes) delete out._meta;
  }
  return out as Event;
}

/** One top-level field; `undefined` leaves it out. */
function field(cx: EventContext, key: string, value: unknown, event: Event, out: Record<string, unknown>): unknown {
  const { w, p } = cx;
  switch (key) {
    case 'timestamp':
    case 'start_timestamp':
      return value instanceof Date ? w.number(value.getTime() / 1000) : protocolValue(cx, value);
    case 'extra':
      return asObjectResult(w.run(value, p.databag));
    case 'contexts':
      return contexts(cx, value);
    case 'tags':
      return tags(cx, value);
    case 'user':
      return user(cx, value);
    case 'request':
      return request(cx, value);
    case 'breadcrumbs':
      return breadcrumbs(cx, value);
    case 'exception':
      return exceptions(cx, value);
    case 'threads':
      return threads(cx, value);
    case 'stacktrace':
      return stacktrace(cx, value);
    case 'logentry':
      return logentry(cx, value);
    case 'message':
      // The schema has no top-level `message` (SPEC.md decision 5): it travels as `logentry`.
      if (readKey(event, 'logentry') === undefined && out.logentry === undefined) {
        w.path[w.path.length - 1] = 'logentry';
        w.path.push('formatted');
        const formatted = textValue(cx, value);
        if (formatted !== undefined) {
          w.fixed += '"logentry":{"formatted":},'.length;
          out.logentry = { formatted };
        }
      }
      return undefined;
    case 'fingerprint':
      if (!Array.isArray(value)) return undefined;
      w.fixed += 3;
      return value.map((item) => w.raw(stringify(item) ?? 'null'));
    case 'event_id':
    case 'platform':
    case 'level':
    case 'logger':
    case 'transaction':
    case 'server_name':
    case 'release':
    case 'dist':
    case 'environment':
    case 'type':
    case 'sdk':
    case 'modules':
    case 'transaction_info':
    case 'measurements':
    case 'debug_meta':
      return protocolValue(cx, value);
    default:
      return w.run(value, p.other);
  }
}

/** Identifiers and SDK-built structure: made JSON-safe, never cut or scrubbed. */
function protocolValue(cx: EventContext, value: unknown): unknown {
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

/** Free text (messages, exception values): a string, cut when maxValueLength is set. */
function textValue(cx: EventContext, value: unknown): string | undefined {
  cx.w.limits = cx.p.databag;
  if (typeof value === 'string') return cx.w.string(value);
  const s = stringify(value);
  return s === undefined ? undefined : cx.w.string(s);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asObjectResult(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** A short string form of any value (tag values, header values, fingerprint entries). */
function stringify(value: unknown): string | undefined {
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

function ownEntries(value: unknown, each: (key: string, item: unknown) => void): void {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const item = readKey(value, key);
    if (item !== undefined) each(key, item);
  }
}

// -------------------------------------------------------------------------------------- tags

function tags(cx: EventContext, value: unknown): Record<string, string> | undefined {
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

function contexts(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const { w, p } = cx;
  const out: Record<string, unknown> = {};
  w.fixed += 3;
  // The alias itself is a name, not data: `contexts.session` is not scrubbed away, only what is in it.
  ownEntries(value, (alias, ctx) => {
    if (ctx === null || typeof ctx !== 'object') return;
    w.path.push(alias);
    const result = w.run(ctx, alias === 'trace' ? p.traceContext : p.context);
    w.path.pop();
    if (!isRecord(result)) return;
    w.units += alias.length;
    w.fixed += 3;
    setOwn(out, alias, result);
  });
  return out;
}

// -------------------------------------------------------------------------------------- user

function user(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
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

// ----------------------------------------------------------------------------------- request

function request(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
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

// ------------------------------------------------------------------------------- breadcrumbs

function breadcrumbs(cx: EventContext, value: unknown): { values: unknown[] } | undefined {
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
  if ((v = crumb.level) !== undefined) {
    out.level = protocolValue(cx, v);
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

// ---------------------------------------------------------------------- exceptions and frames

function exceptions(cx: EventContext, value: unknown): { values: unknown[] } | undefined {
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
    out.mechanism = protocolValue(cx, v);
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

function threads(cx: EventContext, value: unknown): { values: unknown[] } | undefined {
  return valuesOf(cx, value, (_, entry) => {
    const out: Record<string, unknown> = {};
    eachField(cx, entry, out, (key, item) => {
      if (key === 'stacktrace') return stacktrace(cx, item);
      return THREAD_FIELDS.has(key) ? protocolValue(cx, item) : undefined;
    });
    return out;
  });
}

function stacktrace(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
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
    out.pre_context = w.run(v, p.sourceLines);
    w.path.pop();
    w.fixed += FIELD_BYTES;
  }
  if ((v = f.post_context) !== undefined) {
    w.path.push('post_context');
    out.post_context = w.run(v, p.sourceLines);
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

function logentry(cx: EventContext, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  eachField(cx, value, out, (key, item) => {
    if (key === 'message' || key === 'formatted') return textValue(cx, item);
    if (key === 'params') return cx.w.run(item, cx.p.databag);
    return undefined;
  });
  return out;
}

/** `{ values: [...] }` with each entry mapped (a bare list is accepted too, as Relay does). */
function valuesOf(
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
function eachField(
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

// --------------------------------------------------------------------------------- fallback

/** When normalization itself failed: the fields that make an event, and only if plainly valid. */
function protocolFieldsOnly(event: Event): Event {
  const out: Event = {};
  for (const key of ['event_id', 'timestamp', 'platform', 'level', 'release', 'environment'] as const) {
    let value: unknown;
    try {
      value = event[key];
    } catch {
      continue;
    }
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}
