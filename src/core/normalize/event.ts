// `normalizeEvent`: the event as it may be sent. Each top-level field goes to the normalizer that
// knows its shape (tags, user, request, breadcrumbs, exceptions, …); free-form fields go through the
// generic walk with the limits of their area. One walk does it all, because it runs on every
// capture: keys are checked against the deny list as they are met, limits are applied as containers
// are entered, and the serialized size is bounded on the way, so a small event is never serialized
// just to be measured (SPEC-python.md §6, SPEC.md decisions 9 and 10).

import type { Event } from '../types.js';
import { DEFAULT_MAX_EVENT_BYTES, enforceEventSize, type Annotation, type MetaPath } from '../size-limit.js';
import { jsonByteLength } from '../json-size.js';
import { debugLog } from '../debug-log.js';
import { DEFAULT_BREADTH, DEFAULT_DEPTH, MAX_DEPTH, clampCount, readKey, setOwn, validMaxValueLength, type MetaTree } from './shared.js';
import { Walker, releaseWalker, takeWalker } from './walker.js';
import {
  asObjectResult,
  levelValue,
  profilesFor,
  protocolValue,
  stringify,
  textValue,
  type EventContext,
  type NormalizeEventOptions,
} from './context.js';
import { contexts, tags } from './tags.js';
import { user } from './user.js';
import { request } from './request.js';
import { breadcrumbs } from './breadcrumbs.js';
import { exceptions, logentry, stacktrace, threads } from './frames.js';
import { sdkInfoCopy } from './built-parts.js';
import { proveShared, sharedPart } from './shared-parts.js';
import { thawEventParts } from '../frozen-parts.js';
import { frozenStringMap } from '../frozen-string-map.js';

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
  const maxValueLength = validMaxValueLength(opts.maxValueLength);
  const w = takeWalker(isDenied, maxValueLength, attachMeta, p.protocol);
  try {
    const cx: EventContext = { w, p, opts, ownPipeline: opts.ownPipeline === true && maxValueLength === undefined, share: opts.shareFrozen === true };

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
    // `exception` goes last but for `modules`. The serialized event then ends with the parts that
    // repeat from one event of an error to the next, its stack trace and the package list, and
    // that end is compressed once (node/gzip-body.ts); both are also serialized once
    // (core/event-json.ts). JSON key order means nothing to the protocol.
    let hasException = false;
    let hasModules = false;
    for (const key of Object.keys(event)) {
      if (key === 'exception') hasException = true;
      else if (key === 'modules') hasModules = true;
      else if (key !== '_meta') addField(cx, event, out, key);
    }
    if (hasException) addField(cx, event, out, 'exception');
    if (hasModules) addField(cx, event, out, 'modules');

    const maxBytes = clampCount(opts.maxEventBytes, DEFAULT_MAX_EVENT_BYTES, Infinity);
    const annotate = attachMeta ? (path: MetaPath, note: Annotation) => w.annotateAt(path, note) : undefined;
    // The common case ends here: the bound from the walk proves the event small, nothing is serialized.
    // The size limit trims parts in place: shared ones are first made the event's own.
    const exactSize = w.upperBound() > maxBytes ? enforceEventSize(thawEventParts(out), maxBytes, annotate) : undefined;
    if (attachMeta && w.meta && Object.keys(w.meta).length > 0) {
      out._meta = w.meta;
      // `_meta` is optional information: if carrying it breaks the limit, it is left out.
      const bound = (exactSize ?? w.upperBound()) + jsonByteLength(w.meta) + '"_meta":,'.length;
      if (bound > maxBytes && jsonByteLength(out) > maxBytes) delete out._meta;
    }
    return out as Event;
  } finally {
    releaseWalker(w);
  }
}

/** One top-level field of the event, normalized into `out` (left out when it normalizes to nothing). */
function addField(cx: EventContext, event: Event, out: Record<string, unknown>, key: string): void {
  const { w } = cx;
  const value = readKey(event, key);
  if (value === undefined) return;
  const pathLength = w.path.length;
  w.path.push(key);
  let result: unknown;
  try {
    result = field(cx, key, value, event, out);
  } catch (error) {
    debugLog.warn(`dropped the event field "${key}": it could not be normalized`, error);
    result = undefined;
  }
  // pop, not `length =`: setting an array's length takes a runtime call (about 50 ns against 3),
  // and this runs for every field of every event.
  while (w.path.length > pathLength) w.path.pop();
  if (result === undefined) return;
  w.units += key.length;
  w.fixed += 3;
  setOwn(out, key, result);
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
    case 'sdk': {
      // The client's description is one frozen object for all its events (shared-parts.ts).
      const shared = sharedPart(cx, value, p.protocol);
      if (shared !== undefined) return shared;
      const { units, fixed } = w;
      const copy = sdkInfoCopy(w, value) ?? protocolValue(cx, value);
      proveShared(cx, value, p.protocol, copy, units, fixed);
      return copy;
    }
    case 'level':
      return levelValue(cx, value);
    case 'modules':
      return sharedModules(cx, value) ?? protocolValue(cx, value);
    case 'event_id':
    case 'platform':
    case 'logger':
    case 'transaction':
    case 'server_name':
    case 'release':
    case 'dist':
    case 'environment':
    case 'type':
    case 'transaction_info':
    case 'measurements':
    case 'debug_meta':
      return protocolValue(cx, value);
    default:
      return w.run(value, p.other);
  }
}


/**
 * A frozen package list (the `Modules` integration's) as it is: nothing can change it, so every
 * event may share it, counted as the copy would count it (walker.ts: 3 bytes for the object, 3 for
 * each key and 3 for each value, besides their code units). Undefined for anything else, which
 * takes the copy.
 */
function sharedModules(cx: EventContext, value: unknown): unknown {
  const map = frozenStringMap(value);
  if (map === undefined || map.count > cx.p.protocol.breadth) return undefined;
  cx.w.units += map.units;
  cx.w.fixed += 3 + 6 * map.count;
  return value;
}

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
