// Building spans: a child of the active span, or a root that continues the scope's trace (its
// propagation context) and takes the sampling decision. Internal to tracing; the public
// functions are in ./api.ts.
import type { ClientLike } from '../types.js';
import type { ScopePair } from '../async-context.js';
import type { Scope } from '../scope.js';
import { isSpan, Span, type Segment, type SpanAttributes, type TransactionSource } from './span.js';
import { newPropagationContext, type PropagationContext } from './propagation.js';
import { decideSampling, isTracingEnabled, roundSampleRand } from './sampling.js';
import { dscOfSpan } from './dsc.js';
import { finishSegment } from './transaction.js';

export interface StartSpanOptions {
  /** What the span is about; a root span's name is its transaction name. */
  name: string;
  /** The kind of operation: `http.server`, `http.client`, `db`, `function`, ... */
  op?: string;
  attributes?: SpanAttributes;
  /** Unix seconds, Unix milliseconds or a Date; default now. */
  startTime?: number | Date;
  /** The parent instead of the active span; `null` starts a root span (a new transaction). */
  parentSpan?: Span | null;
  /** Only create the span when there is a parent; otherwise the callback gets a non-recording span. */
  onlyIfParent?: boolean;
  /** Make a root span (a transaction of its own) even below an active span, in the same trace. */
  forceTransaction?: boolean;
  /** What created the span (`manual` by default; integrations use `auto.*`). */
  origin?: string;
}

/** For spans made while tracing is off: they carry the trace's ids and record nothing. */
const OFF_SEGMENT: Segment = {
  client: undefined, scopes: undefined, sampled: false, sampleRate: undefined, sampleRand: 0,
  frozenDsc: undefined, source: 'custom', finished: [], created: 0, overflow: 0, measurements: undefined,
  onRootEnd: undefined,
};

/** The span active in `scope` (the current scope's `_span`), if any. */
export function activeSpanOf(scope: Scope | undefined): Span | undefined {
  const span = scope?._span;
  return isSpan(span) ? span : undefined;
}

/** The propagation context that applies to `scopes`, created on the isolation scope if none. */
export function propagationContextOf(scopes: ScopePair): PropagationContext {
  let ctx = (scopes.scope._propagationContext ?? scopes.isolationScope._propagationContext) as PropagationContext | undefined;
  if (!ctx) ctx = scopes.isolationScope._propagationContext = newPropagationContext();
  // Every root of this trace compares the same number, so they decide alike.
  ctx.sampleRand ??= roundSampleRand(Math.random());
  return ctx;
}

/** A span that records nothing, with the ids of the trace in `scopes` (tracing off, or no parent). */
export function nonRecordingSpan(scopes: ScopePair, name: string): Span {
  const parent = activeSpanOf(scopes.scope);
  if (parent) {
    return new Span({ name, traceId: parent.traceId, parentSpanId: parent.spanId, segment: parent._segment, root: parent._root, recording: false });
  }
  const ctx = propagationContextOf(scopes);
  return new Span({ name, traceId: ctx.traceId, spanId: ctx.spanId, parentSpanId: ctx.parentSpanId, segment: OFF_SEGMENT, recording: false });
}

function nameOf(options: StartSpanOptions): string {
  return typeof options.name === 'string' ? options.name : '<unnamed span>';
}

/**
 * The span `options` ask for, in `scopes` (whose current scope is where it will be active).
 * Undefined when tracing is off or `onlyIfParent` finds no parent: the caller then hands out a
 * non-recording span.
 */
export function createSpan(
  options: StartSpanOptions,
  client: ClientLike | undefined,
  scopes: ScopePair,
  source: TransactionSource = 'custom',
): Span | undefined {
  if (!client || !isTracingEnabled(client.getOptions())) return undefined;
  const name = nameOf(options);
  const parent = options.parentSpan === undefined ? activeSpanOf(scopes.scope) : options.parentSpan ?? undefined;
  // A span made while tracing was off (before a re-init) cannot parent a recorded one.
  const validParent = isSpan(parent) && parent._segment !== OFF_SEGMENT ? parent : undefined;
  if (validParent && !options.forceTransaction) {
    const segment = validParent._segment;
    segment.created++;
    const root = validParent._root;
    return new Span({
      name, op: options.op, origin: options.origin, attributes: options.attributes, startTime: toStart(options.startTime),
      traceId: validParent.traceId, parentSpanId: validParent.spanId, segment, root,
      recording: validParent._recording && root._end === undefined,
    });
  }
  if (!validParent && options.onlyIfParent) return undefined;
  return createRoot(options, name, client, scopes, source, validParent);
}

function createRoot(
  options: StartSpanOptions,
  name: string,
  client: ClientLike,
  scopes: ScopePair,
  source: TransactionSource,
  parent: Span | undefined,
): Span {
  let traceId: string;
  let parentSpanId: string | undefined;
  let parentSampled: boolean | undefined;
  let frozenDsc: Record<string, string> | undefined;
  let sampleRand: number;
  if (parent) {
    // forceTransaction below a span: a new segment in the same trace, with the same decision.
    traceId = parent.traceId;
    parentSpanId = parent.spanId;
    parentSampled = parent._segment.sampled;
    frozenDsc = dscOfSpan(parent);
    sampleRand = parent._segment.sampleRand;
  } else {
    const ctx = propagationContextOf(scopes);
    traceId = ctx.traceId;
    parentSpanId = ctx.parentSpanId;
    parentSampled = ctx.sampled;
    frozenDsc = ctx.dsc;
    sampleRand = ctx.sampleRand!;
  }
  const parentRate = frozenDsc?.['sample_rate'] !== undefined ? Number(frozenDsc['sample_rate']) : NaN;
  const attributes = options.attributes && typeof options.attributes === 'object' ? options.attributes : {};
  const decision = decideSampling(client.getOptions(), {
    name,
    attributes,
    parentSampled,
    parentSampleRate: parentRate >= 0 && parentRate <= 1 ? parentRate : undefined,
    sampleRand,
  });
  if (!decision.sampled) client.recordDroppedEvent('sample_rate', 'transaction', 1);
  // An upstream that propagated without deciding made this service the trace's head: the
  // decision taken here travels on with the upstream's context.
  if (frozenDsc && frozenDsc['sampled'] === undefined) {
    frozenDsc = { ...frozenDsc, sampled: String(decision.sampled), sample_rand: String(sampleRand) };
    if (decision.sampleRate !== undefined) frozenDsc['sample_rate'] = String(decision.sampleRate);
  }
  const segment: Segment = {
    client,
    scopes: { scope: scopes.scope, isolationScope: scopes.isolationScope },
    sampled: decision.sampled,
    sampleRate: decision.sampleRate,
    sampleRand,
    frozenDsc,
    source,
    finished: [],
    created: 0,
    overflow: 0,
    measurements: undefined,
    onRootEnd: finishSegment,
  };
  return new Span({
    name, op: options.op, origin: options.origin, attributes, startTime: toStart(options.startTime),
    traceId, parentSpanId, segment, recording: decision.sampled,
  });
}

function toStart(t: number | Date | undefined): number | undefined {
  return t instanceof Date ? t.getTime() / 1000 : t;
}
