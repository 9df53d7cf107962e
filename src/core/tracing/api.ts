// The public tracing API, named as in the Sentry SDKs. Every function is guarded: the SDK's own
// failures never reach the app (a non-recording span is handed out instead), while errors thrown
// by the app's callback pass through unchanged after the span recorded them.
import { getClient } from '../api.js';
import { getAsyncContextStrategy, getCurrentScopes, type ScopePair } from '../async-context.js';
import type { Scope } from '../scope.js';
import { debugLog } from '../debug-log.js';
import { isThenable } from '../thenable.js';
import { isSpan, type Span } from './span.js';
import { activeSpanOf, createSpan, nonRecordingSpan, type StartSpanOptions } from './create.js';
import { newPropagationContext, propagationContextFromHeaders, serializeBaggage } from './propagation.js';
import { isTracingEnabled } from './sampling.js';
import { traceHeadersFor } from './headers.js';

export type { StartSpanOptions };

function validOptions(options: unknown, fn: string): StartSpanOptions {
  if (options && typeof options === 'object' && typeof (options as StartSpanOptions).name === 'string') {
    return options as StartSpanOptions;
  }
  debugLog.warn(`${fn}: expected options with a string name; the span does not record`);
  return { name: '<invalid span options>', onlyIfParent: true, parentSpan: null };
}

/** The current scopes with a fork of the current scope, where `span` will be active. */
function forkWith(scopes: ScopePair): ScopePair {
  return { scope: scopes.scope.clone(), isolationScope: scopes.isolationScope };
}

/**
 * Prepares a span in a fork of the current scope; never throws. With tracing off nothing is
 * forked: `span` stands for the scope's trace and records nothing, and `scopes` is undefined.
 */
function prepare(options: unknown, fn: string): { scopes?: ScopePair; span: Span } | undefined {
  try {
    const opts = validOptions(options, fn);
    const client = getClient();
    if (!client || !isTracingEnabled(client.getOptions())) return { span: nonRecordingSpan(getCurrentScopes(), opts.name) };
    const scopes = forkWith(getCurrentScopes());
    const span = createSpan(opts, getClient(), scopes) ?? nonRecordingSpan(scopes, opts.name);
    scopes.scope._span = span;
    return { scopes, span };
  } catch (err) {
    debugLog.error(`${fn} could not start a span`, err);
    return undefined;
  }
}

function markFailed(span: Span): void {
  if (span._status === undefined || span._status === 'ok') span.setStatus('internal_error');
}

/**
 * Runs `callback(span)` and, when `autoEnd`, ends the span when it returns or its promise
 * settles. A throw or rejection sets the status `internal_error` and is passed on.
 */
function runCallback<T>(span: Span, callback: () => T, autoEnd: boolean): T {
  let result: T;
  try {
    result = callback();
  } catch (err) {
    markFailed(span);
    if (autoEnd) span.end();
    throw err;
  }
  if (isThenable(result)) {
    return result.then(
      (value) => {
        if (autoEnd) span.end();
        return value;
      },
      (err: unknown) => {
        markFailed(span);
        if (autoEnd) span.end();
        throw err;
      },
    ) as T;
  }
  if (autoEnd) span.end();
  return result;
}

/**
 * Runs `callback` with a new span active, ended when the callback returns or its promise
 * settles; a thrown error sets the status `internal_error`. Without an active span, the span is
 * a root: a transaction of its own, sampled by `tracesSampleRate` / `tracesSampler`.
 * @example await startSpan({ name: 'load user', op: 'db' }, () => db.users.find(id));
 */
export function startSpan<T>(options: StartSpanOptions, callback: (span: Span) => T): T {
  const prepared = prepare(options, 'startSpan');
  if (!prepared) return callback(fallbackSpan(options));
  const { scopes, span } = prepared;
  if (!scopes) return callback(span);
  return getAsyncContextStrategy().runWithScopes(scopes, () => runCallback(span, () => callback(span), true));
}

/** Like startSpan, but the span stays open until `span.end()` (or `finish()`) is called. */
export function startSpanManual<T>(options: StartSpanOptions, callback: (span: Span, finish: () => void) => T): T {
  const prepared = prepare(options, 'startSpanManual');
  if (!prepared) {
    const span = fallbackSpan(options);
    return callback(span, () => span.end());
  }
  const { scopes, span } = prepared;
  if (!scopes) return callback(span, () => span.end());
  return getAsyncContextStrategy().runWithScopes(scopes, () => runCallback(span, () => callback(span, () => span.end()), false));
}

/** A span that is not made active: its children must name it as `parentSpan`. End it yourself. */
export function startInactiveSpan(options: StartSpanOptions): Span {
  try {
    const opts = validOptions(options, 'startInactiveSpan');
    const scopes = getCurrentScopes();
    return createSpan(opts, getClient(), scopes) ?? nonRecordingSpan(scopes, opts.name);
  } catch (err) {
    debugLog.error('startInactiveSpan could not start a span', err);
    return fallbackSpan(options);
  }
}

/** The span active in the current scope, if any. */
export function getActiveSpan(): Span | undefined {
  try {
    return activeSpanOf(getCurrentScopes().scope);
  } catch {
    return undefined;
  }
}

/** Runs `callback` with `span` active (`null`: no active span, so new spans are roots). */
export function withActiveSpan<T>(span: Span | null, callback: (scope: Scope) => T): T {
  let scopes: ScopePair | undefined;
  try {
    scopes = forkWith(getCurrentScopes());
    if (span !== null && span !== undefined && !isSpan(span)) debugLog.warn('withActiveSpan: not a span; no span is active');
    scopes.scope._span = isSpan(span) ? span : undefined;
  } catch (err) {
    debugLog.error('withActiveSpan could not fork the scope', err);
  }
  if (!scopes) return callback(getCurrentScopes().scope);
  const forked = scopes;
  return getAsyncContextStrategy().runWithScopes(forked, () => callback(forked.scope));
}

/**
 * Runs `callback` in the trace described by incoming headers (`sentry-trace` and `baggage`,
 * or W3C `traceparent`): spans started inside continue it, errors captured inside carry it.
 * Invalid or missing headers start a new trace.
 */
export function continueTrace<T>(
  headers: { sentryTrace?: string | string[]; baggage?: string | string[]; traceparent?: string | string[] },
  callback: () => T,
): T {
  return withTrace(() => propagationContextFromHeaders(headers && typeof headers === 'object' ? headers : {}), callback);
}

/** Runs `callback` in a new trace of its own (a fresh trace id, no active span). */
export function startNewTrace<T>(callback: () => T): T {
  return withTrace(newPropagationContext, callback);
}

function withTrace<T>(make: () => ReturnType<typeof newPropagationContext>, callback: () => T): T {
  let scopes: ScopePair | undefined;
  try {
    scopes = forkWith(getCurrentScopes());
    scopes.scope._propagationContext = make();
    scopes.scope._span = undefined;
  } catch (err) {
    debugLog.error('could not set up the trace', err);
  }
  if (!scopes) return callback();
  return getAsyncContextStrategy().runWithScopes(scopes, callback);
}

/**
 * The `sentry-trace` and `baggage` header values for an outgoing request, from the active span
 * or, without one, from the scope's trace. Empty when faultline is not initialized.
 */
export function getTraceData(): { 'sentry-trace'?: string; baggage?: string } {
  try {
    const client = getClient();
    if (!client) return {};
    const headers = traceHeadersFor(client, getCurrentScopes());
    return { 'sentry-trace': headers.sentryTrace, baggage: serializeBaggage(headers.dsc) };
  } catch (err) {
    debugLog.error('getTraceData failed', err);
    return {};
  }
}

/** A measurement (`fp`, `memory_rss`, ...) on the active span's transaction. */
export function setMeasurement(name: string, value: number, unit?: string): void {
  try {
    const span = getActiveSpan();
    if (!span || !span._recording || typeof name !== 'string' || typeof value !== 'number' || !Number.isFinite(value)) return;
    const entry: { value: number; unit?: string } = { value };
    if (typeof unit === 'string') entry.unit = unit;
    (span._segment.measurements ??= {})[name] = entry;
  } catch (err) {
    debugLog.error('setMeasurement failed', err);
  }
}

/** The last resort when even preparing failed: a span with fresh ids that records nothing. */
function fallbackSpan(options: unknown): Span {
  const name = typeof (options as StartSpanOptions | undefined)?.name === 'string' ? (options as StartSpanOptions).name : '';
  return nonRecordingSpan({ scope: getCurrentScopes().scope.clone(), isolationScope: getCurrentScopes().isolationScope }, name);
}
