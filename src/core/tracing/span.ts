// The native span model. A span is one timed operation; the first span of a trace in this
// process (the root, or "segment") carries the state its descendants share: the sampling
// decision, the finished children waiting to be sent with it, and where to send them. A span
// that is not sampled still has ids, so the trace propagates even when nothing is recorded.
import type { ClientLike } from '../types.js';
import type { ScopePair } from '../async-context.js';
import { spanId as newSpanId } from '../ids.js';
import { debugLog } from '../debug-log.js';
import { timestampInSeconds, toSeconds } from './time.js';
import { dscOfSpan } from './dsc.js';

/** Span statuses of the protocol (event.schema.json `SpanStatus`). */
export const SPAN_STATUSES = new Set([
  'ok', 'cancelled', 'unknown', 'invalid_argument', 'deadline_exceeded', 'not_found', 'already_exists',
  'permission_denied', 'resource_exhausted', 'failed_precondition', 'aborted', 'out_of_range', 'unimplemented',
  'internal_error', 'unavailable', 'data_loss', 'unauthenticated',
]);

export type SpanAttributeValue = string | number | boolean | Array<string | number | boolean> | undefined | null;
export type SpanAttributes = Record<string, SpanAttributeValue>;
/** How a transaction got its name (event.schema.json `TransactionSource`). */
export type TransactionSource = 'custom' | 'url' | 'route' | 'view' | 'component' | 'task';

/** The ids of a span as W3C names them; `traceFlags` 1 = sampled. Logs rely on this shape. */
export interface SpanContextData {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/** Spans kept per transaction; more are dropped and counted (`buffer_overflow`, `span`). */
export const MAX_SPANS_PER_TRANSACTION = 1000;

/** What a root span and all its descendants share. */
export interface Segment {
  client: ClientLike | undefined;
  /** The scopes active when the root started: their data goes on the transaction. */
  scopes: ScopePair | undefined;
  sampled: boolean;
  /** The rate the decision was made with (goes into the DSC), when one was. */
  sampleRate: number | undefined;
  sampleRand: number;
  /** An upstream service's dynamic sampling context, passed on unchanged (it is "frozen"). */
  frozenDsc: Record<string, string> | undefined;
  source: TransactionSource;
  finished: Span[];
  /** Children created under this root (recorded or not), for drop counts. */
  created: number;
  /** Children dropped over MAX_SPANS_PER_TRANSACTION. */
  overflow: number;
  measurements: Record<string, { value: number; unit?: string }> | undefined;
  /** Called once when the root ends; sends (or counts) the transaction. */
  onRootEnd: ((root: Span) => void) | undefined;
}

export interface SpanInit {
  name: string;
  op?: string;
  origin?: string;
  attributes?: SpanAttributes;
  startTime?: number;
  traceId: string;
  parentSpanId?: string;
  segment: Segment;
  /** The root of this span's segment; omitted for the root itself. */
  root?: Span;
  recording: boolean;
  /** Reuse an id (a non-recording span standing for the scope's trace); default: a new one. */
  spanId?: string;
}

export class Span {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** @internal */ _name: string;
  /** @internal */ _op: string | undefined;
  /** @internal */ _origin: string;
  /** @internal */ _attributes: Record<string, unknown> = {};
  /** @internal */ _status: string | undefined;
  /** @internal */ readonly _start: number;
  /** @internal */ _end: number | undefined;
  /** @internal */ readonly _segment: Segment;
  /** @internal */ readonly _root: Span;
  /** @internal */ readonly _recording: boolean;

  constructor(init: SpanInit) {
    this.traceId = init.traceId;
    this.spanId = init.spanId ?? newSpanId();
    this.parentSpanId = init.parentSpanId;
    this._name = typeof init.name === 'string' ? init.name : String(init.name);
    this._op = init.op;
    this._origin = init.origin ?? 'manual';
    this._start = toSeconds(init.startTime) ?? timestampInSeconds();
    this._segment = init.segment;
    this._root = init.root ?? this;
    this._recording = init.recording;
    if (init.recording && init.attributes) this.setAttributes(init.attributes);
  }

  spanContext(): SpanContextData {
    return { traceId: this.traceId, spanId: this.spanId, traceFlags: this._segment.sampled ? 1 : 0 };
  }

  /** True while the span records data: sampled and not ended. */
  isRecording(): boolean {
    return this._recording && this._end === undefined;
  }

  setAttribute(key: string, value: SpanAttributeValue): this {
    if (!this.isRecording()) return this;
    if (typeof key !== 'string' || key === '') {
      debugLog.warn('span.setAttribute ignored: the key must be a non-empty string');
      return this;
    }
    if (value === undefined || value === null) delete this._attributes[key];
    else this._attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    if (!this.isRecording()) return this;
    if (!attributes || typeof attributes !== 'object') {
      debugLog.warn('span.setAttributes ignored: expected an object');
      return this;
    }
    try {
      for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]);
    } catch (err) {
      debugLog.warn('span.setAttributes: the object could not be read', err);
    }
    return this;
  }

  /**
   * A status of the protocol (`ok`, `internal_error`, `not_found`, ...), or the OpenTelemetry
   * form `{ code: 1 }` (ok) / `{ code: 2, message }` (error; the message when it is a status).
   */
  setStatus(status: string | { code: number; message?: string }): this {
    if (!this.isRecording()) return this;
    const value = statusOf(status);
    if (value === undefined) debugLog.warn(`span.setStatus ignored: unknown status ${safeJson(status)}`);
    else if (value !== 'unset') this._status = value;
    return this;
  }

  /** Renames the span; for a root span the transaction name becomes `custom`. */
  updateName(name: string): this {
    if (typeof name !== 'string' || !this.isRecording()) return this;
    this._name = name;
    if (this._root === this) this._segment.source = 'custom';
    return this;
  }

  /** Ends the span (once; later calls are ignored). A root span's end sends the transaction. */
  end(endTimestamp?: number | Date): void {
    if (this._end !== undefined) return;
    const end = toSeconds(endTimestamp) ?? timestampInSeconds();
    this._end = Math.max(end, this._start);
    const segment = this._segment;
    if (this._root !== this) {
      if (!this._recording) return;
      if (segment.finished.length < MAX_SPANS_PER_TRANSACTION) segment.finished.push(this);
      else segment.overflow++;
      return;
    }
    const onEnd = segment.onRootEnd;
    segment.onRootEnd = undefined;
    if (!onEnd) return;
    try {
      onEnd(this);
    } catch (err) {
      debugLog.error('sending the transaction failed', err);
    }
  }

  /** @internal Sets the transaction name with its source (integrations: route names). */
  _setName(name: string, source: TransactionSource): void {
    if (this._end !== undefined && this._segment.onRootEnd === undefined) return;
    this._name = name;
    if (this._root === this) this._segment.source = source;
  }

  /**
   * @internal `contexts.trace` for an error captured while this span is active (read by the
   * client's addTraceContext without importing this module), with the dynamic sampling context
   * that the envelope builder moves into the envelope header.
   */
  _eventTraceContext(): Record<string, unknown> {
    const trace: Record<string, unknown> = { trace_id: this.traceId, span_id: this.spanId };
    if (this.parentSpanId) trace['parent_span_id'] = this.parentSpanId;
    // Only a span of a live trace has a DSC; a stand-in made while tracing is off has none.
    if (this._segment.client) trace['dynamic_sampling_context'] = dscOfSpan(this);
    return trace;
  }
}

function statusOf(status: unknown): string | undefined {
  if (typeof status === 'string') return SPAN_STATUSES.has(status) ? status : undefined;
  if (status && typeof status === 'object') {
    const { code, message } = status as { code?: unknown; message?: unknown };
    if (code === 0) return 'unset';
    if (code === 1) return 'ok';
    if (code === 2) return typeof message === 'string' && SPAN_STATUSES.has(message) ? message : 'internal_error';
  }
  return undefined;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return '<unprintable>';
  }
}

/** Is `value` a span of this module (also when two copies of faultline are loaded, by shape). */
export function isSpan(value: unknown): value is Span {
  return value instanceof Span || (
    typeof value === 'object' && value !== null && typeof (value as Span).spanContext === 'function' &&
    typeof (value as Span)._segment === 'object'
  );
}
