// Trace headers on the wire: `sentry-trace` (`<trace id>-<span id>[-<0|1>]`), W3C `traceparent`
// (`00-<trace id>-<span id>-<flags>`) and the `sentry-*` members of `baggage` (the dynamic
// sampling context). Parsing is strict about ids and lenient about everything else: a malformed
// header is ignored and the request starts a trace of its own.
import { spanId as newSpanId, uuid4 } from '../ids.js';

/**
 * The trace a scope belongs to when no span is active (Sentry's "propagation context"). Stored
 * in `Scope._propagationContext`, whose declared type has the first three fields.
 */
export interface PropagationContext {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** The upstream decision, when one arrived. */
  sampled?: boolean;
  /** The random number in [0, 1) every sampling decision of this trace compares against. */
  sampleRand?: number;
  /** The upstream dynamic sampling context, passed on unchanged. */
  dsc?: Record<string, string>;
}

export interface IncomingTraceHeaders {
  sentryTrace?: unknown;
  baggage?: unknown;
  traceparent?: unknown;
}

const SENTRY_TRACE = /^[ \t]*([0-9a-f]{32})-([0-9a-f]{16})(?:-([01]))?[ \t]*$/i;
const TRACEPARENT = /^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?[ \t]*$/i;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const BAGGAGE_PREFIX = 'sentry-';
/** The W3C limit for the whole header; members that do not fit are left out. */
const MAX_BAGGAGE_LENGTH = 8192;

export interface ParsedParent {
  traceId: string;
  parentSpanId: string;
  sampled: boolean | undefined;
}

export function parseSentryTrace(header: unknown): ParsedParent | undefined {
  const value = firstString(header);
  const m = value === undefined ? null : SENTRY_TRACE.exec(value);
  if (!m) return undefined;
  const sampled = m[3] === '1' ? true : m[3] === '0' ? false : undefined;
  return { traceId: m[1]!.toLowerCase(), parentSpanId: m[2]!.toLowerCase(), sampled };
}

/**
 * W3C traceparent. Flag 01 is taken as "sampled"; 00 as "no decision": proxies and meshes send
 * 00 for traces nobody records, and it must not switch sampling off downstream.
 */
export function parseTraceparent(header: unknown): ParsedParent | undefined {
  const value = firstString(header);
  const m = value === undefined ? null : TRACEPARENT.exec(value);
  if (!m || m[1]!.toLowerCase() === 'ff') return undefined;
  const traceId = m[2]!.toLowerCase();
  const parentSpanId = m[3]!.toLowerCase();
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return undefined;
  return { traceId, parentSpanId, sampled: (parseInt(m[4]!, 16) & 1) === 1 ? true : undefined };
}

/** The `sentry-*` members of one or more baggage headers, prefix removed; undefined if none. */
export function parseBaggage(header: unknown): Record<string, string> | undefined {
  const values = Array.isArray(header) ? header : [header];
  let dsc: Record<string, string> | undefined;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    for (const member of value.split(',')) {
      const eq = member.indexOf('=');
      if (eq === -1) continue;
      const key = safeDecode(member.slice(0, eq).trim());
      if (!key || !key.startsWith(BAGGAGE_PREFIX) || key.length === BAGGAGE_PREFIX.length) continue;
      // Properties after `;` are metadata about the member, not part of its value.
      const raw = member.slice(eq + 1).split(';')[0]!.trim();
      const decoded = safeDecode(raw);
      if (decoded !== undefined) (dsc ??= {})[key.slice(BAGGAGE_PREFIX.length)] = decoded;
    }
  }
  return dsc;
}

/**
 * `dsc` as `sentry-` baggage members, appended to `existing` (another vendor's members are
 * kept; sentry members already there win, as they were put there on purpose).
 */
export function serializeBaggage(dsc: Record<string, string | undefined>, existing?: string): string {
  const base = typeof existing === 'string' ? existing.trim() : '';
  if (base && /(^|,)\s*sentry-/.test(base)) return base;
  let out = base;
  for (const key of Object.keys(dsc)) {
    const value = dsc[key];
    if (value === undefined) continue;
    const member = `${BAGGAGE_PREFIX}${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
    const next = out ? `${out},${member}` : member;
    if (next.length > MAX_BAGGAGE_LENGTH) continue;
    out = next;
  }
  return out;
}

export function sentryTraceHeader(traceId: string, spanId: string, sampled: boolean | undefined): string {
  return sampled === undefined ? `${traceId}-${spanId}` : `${traceId}-${spanId}-${sampled ? '1' : '0'}`;
}

/** A fresh trace: new ids, no parent, no decision yet. */
export function newPropagationContext(): PropagationContext {
  return { traceId: uuid4(), spanId: newSpanId() };
}

/**
 * The propagation context that continues the incoming headers (`sentry-trace` before
 * `traceparent`), or a fresh one when none is valid. The baggage only counts when it belongs to
 * the same request as a valid parent: alone, it says nothing about which trace to join.
 */
export function propagationContextFromHeaders(headers: IncomingTraceHeaders): PropagationContext {
  const parent = parseSentryTrace(headers.sentryTrace) ?? parseTraceparent(headers.traceparent);
  if (!parent) return newPropagationContext();
  const ctx: PropagationContext = { traceId: parent.traceId, spanId: newSpanId(), parentSpanId: parent.parentSpanId };
  const dsc = parseBaggage(headers.baggage);
  // A DSC about another trace (a stale header) must not be passed on as this trace's.
  if (dsc && (dsc['trace_id'] === undefined || dsc['trace_id'] === parent.traceId)) ctx.dsc = dsc;
  let sampled = parent.sampled;
  if (sampled === undefined && dsc?.['sampled'] !== undefined) sampled = dsc['sampled'] === 'true';
  if (sampled !== undefined) ctx.sampled = sampled;
  ctx.sampleRand = sampleRandFor(dsc, sampled);
  return ctx;
}

/**
 * The trace's random number: the upstream one when it is valid; else one consistent with the
 * upstream decision and rate (below the rate when sampled, at or above it when not), so this
 * service decides like the upstream would have; else a new one.
 */
function sampleRandFor(dsc: Record<string, string> | undefined, sampled: boolean | undefined): number {
  const given = dsc?.['sample_rand'] !== undefined ? Number(dsc['sample_rand']) : NaN;
  if (given >= 0 && given < 1) return given;
  const rate = dsc?.['sample_rate'] !== undefined ? Number(dsc['sample_rate']) : NaN;
  if (sampled !== undefined && rate >= 0 && rate <= 1) {
    return sampled ? Math.random() * rate : rate + Math.random() * (1 - rate);
  }
  return Math.random();
}

function firstString(header: unknown): string | undefined {
  if (typeof header === 'string') return header;
  if (Array.isArray(header) && typeof header[0] === 'string') return header[0];
  return undefined;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
