// The trace headers an outgoing request carries: from the request's own span when one was made,
// else the active span, else the scope's trace ("tracing without performance": downstream
// services and their errors still join the trace, with no span recorded here).
import type { ClientLike } from '../types.js';
import type { ScopePair } from '../async-context.js';
import type { Span } from './span.js';
import { activeSpanOf, propagationContextOf } from './create.js';
import { dscOfPropagationContext, dscOfSpan, type DynamicSamplingContext } from './dsc.js';
import { sentryTraceHeader } from './propagation.js';

export interface TraceHeaders {
  sentryTrace: string;
  dsc: DynamicSamplingContext;
}

export function traceHeadersFor(client: ClientLike, scopes: ScopePair, own?: Span): TraceHeaders {
  const span = own ?? activeSpanOf(scopes.scope);
  // A stand-in span made while tracing is off has no client: it speaks for the scope's trace.
  if (span && span._segment.client) {
    return { sentryTrace: sentryTraceHeader(span.traceId, span.spanId, span._segment.sampled), dsc: dscOfSpan(span) };
  }
  const ctx = propagationContextOf(scopes);
  return { sentryTrace: sentryTraceHeader(ctx.traceId, ctx.spanId, ctx.sampled), dsc: dscOfPropagationContext(ctx, client) };
}

/** Do requests to `url` carry trace headers? `tracePropagationTargets`: substrings or RegExps; default all. */
export function shouldPropagateTo(client: ClientLike, url: string): boolean {
  const targets = client.getOptions().tracePropagationTargets;
  if (!targets) return true;
  for (const t of targets) {
    if (typeof t === 'string' ? url.includes(t) : t.test(url)) return true;
  }
  return false;
}
