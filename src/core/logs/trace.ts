// The trace a log record or a check-in belongs to, picked like errors pick theirs: the active
// span when there is one (tracing's contract: `scope._span.spanContext()`), otherwise the
// propagation context of the most specific scope, created on the isolation scope when missing so
// that the logs and the errors of one unit of work share a trace id (see addTraceContext in
// client.ts).
import { getCurrentScope, getGlobalScope, getIsolationScope } from '../async-context.js';
import { spanId as newSpanId, uuid4 } from '../ids.js';

export interface ActiveTrace {
  traceId: string;
  /** Only when a span is active: the span the record happened in. */
  spanId?: string;
}

interface SpanLike {
  spanContext(): { traceId: string; spanId: string };
}

function spanOf(value: unknown): SpanLike | undefined {
  return value && typeof (value as SpanLike).spanContext === 'function' ? (value as SpanLike) : undefined;
}

export function activeTrace(): ActiveTrace {
  const current = getCurrentScope();
  const span = spanOf(current._span);
  if (span) {
    try {
      const ctx = span.spanContext();
      if (ctx && typeof ctx.traceId === 'string' && ctx.traceId) return { traceId: ctx.traceId, spanId: ctx.spanId };
    } catch {
      // A broken span falls back to the propagation context.
    }
  }
  const isolation = getIsolationScope();
  const ctx = current._propagationContext ?? isolation._propagationContext ?? getGlobalScope()._propagationContext;
  if (ctx) return { traceId: ctx.traceId };
  isolation._propagationContext = { traceId: uuid4(), spanId: newSpanId() };
  return { traceId: isolation._propagationContext.traceId };
}
