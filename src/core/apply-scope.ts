import type { Breadcrumb, Event, EventHint, EventProcessor } from './types.js';
import type { Scope } from './scope.js';
import { debugLog } from './debug-log.js';
import { copyKeys } from './copy-keys.js';
import { freezeDeep } from './frozen-parts.js';
import { spanId, uuid4 } from './ids.js';
import { ignoreRejection, isThenable } from './thenable.js';

/**
 * The scopes one capture sees, least specific first (SPEC.md decision 3):
 * global → isolation → current → the per-call context (if any).
 */
export type ScopeChain = readonly Scope[];

/**
 * Writes the scopes' data into `event` without copying the scopes: keyed data (tags, extra,
 * contexts) merges with the more specific scope winning and the event's own keys winning over
 * all scopes; single values (user, level, fingerprint, transaction) are taken from the most
 * specific place that has one, the event itself first. Returns the scopes' attachments.
 */
export function applyScopesToEvent(
  event: Event,
  chain: ScopeChain,
  maxBreadcrumbs: number,
): EventHint['attachments'] {
  let tags: Event['tags'];
  let extra: Event['extra'];
  let contexts: Event['contexts'];
  let crumbs: Breadcrumb[] | undefined;
  let crumbSources = 0;
  let truncated = 0;
  let attachments: EventHint['attachments'];

  for (const scope of chain) {
    // Copied with copyKeys (not spread) because the next scopes and the event add keys to them.
    if (notEmpty(scope._tags)) tags = tags ? Object.assign(tags, scope._tags) : copyKeys(scope._tags);
    if (notEmpty(scope._extra)) extra = extra ? Object.assign(extra, scope._extra) : copyKeys(scope._extra);
    if (notEmpty(scope._contexts)) contexts = contexts ? Object.assign(contexts, scope._contexts) : copyKeys(scope._contexts);
    if (scope._breadcrumbs.length) {
      crumbs = crumbs ? crumbs.concat(scope._breadcrumbs) : scope._breadcrumbs;
      crumbSources++;
    }
    truncated += scope._truncatedBreadcrumbs;
    if (scope._attachments.length) attachments = (attachments ?? []).concat(scope._attachments);
  }

  if (tags) event.tags = event.tags ? Object.assign(tags, event.tags) : tags;
  if (extra) event.extra = event.extra ? Object.assign(extra, event.extra) : extra;
  if (contexts) event.contexts = event.contexts ? Object.assign(contexts, event.contexts) : contexts;

  for (let i = chain.length - 1; i >= 0; i--) {
    const scope = chain[i]!;
    if (event.user === undefined && scope._user) event.user = scope._user;
    if (event.level === undefined && scope._level) event.level = scope._level;
    if (event.fingerprint === undefined && scope._fingerprint) event.fingerprint = scope._fingerprint;
    if (event.transaction === undefined && scope._transactionName) event.transaction = scope._transactionName;
  }

  const own = Array.isArray(event.breadcrumbs) ? event.breadcrumbs : event.breadcrumbs?.values;
  if (own && own.length) {
    crumbs = crumbs ? crumbs.concat(own) : own;
    crumbSources++;
  }
  if (crumbs) {
    // Crumbs from several scopes interleave in time; each scope's list is already in order.
    if (crumbSources > 1) crumbs = crumbs.slice().sort(byTimestamp);
    if (crumbs.length > maxBreadcrumbs) {
      truncated += crumbs.length - maxBreadcrumbs;
      crumbs = crumbs.slice(crumbs.length - maxBreadcrumbs);
    } else if (crumbSources === 1 && crumbs !== own) {
      // One scope's own list, not yet copied: the event gets a list of its own, so a processor or
      // beforeSend that edits it does not edit what the scope keeps for the events after.
      crumbs = crumbs.slice();
    }
    event.breadcrumbs = { values: crumbs };
    if (truncated > 0) {
      const meta = (event._meta ??= {}) as Record<string, unknown>;
      meta['breadcrumbs'] = { '': { len: crumbs.length + truncated } };
    }
  } else if (event.breadcrumbs !== undefined && !own) {
    delete event.breadcrumbs;
  }

  return attachments;
}

function byTimestamp(a: Breadcrumb, b: Breadcrumb): number {
  return (a.timestamp ?? 0) - (b.timestamp ?? 0);
}

function notEmpty(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/**
 * Runs processors in order. A processor that returns null drops the event; one that throws is
 * reported (with `debug`) and skipped, the event passing on unchanged (SPEC-python.md §2.4).
 */
export function runProcessors(
  event: Event,
  hint: EventHint,
  processors: readonly EventProcessor[],
): Event | null {
  let current: Event = event;
  for (const processor of processors) {
    let result: Event | null | undefined;
    try {
      result = processor(current, hint);
    } catch (err) {
      debugLog.error('an event processor threw; the event continues unchanged', err);
      continue;
    }
    if (result === null || result === undefined) return null;
    if (typeof result !== 'object') {
      debugLog.warn('an event processor returned a non-object; ignored');
      continue;
    }
    if (isThenable(result)) {
      ignoreRejection(result);
      debugLog.error('an event processor returned a Promise; processors run synchronously, so its result is ignored and the event continues unchanged');
      continue;
    }
    current = result;
  }
  return current;
}

/**
 * Joins errors to a trace: the active span (the most specific scope's `_span`, whose
 * `_eventTraceContext` also brings the dynamic sampling context for the envelope header), else
 * the most specific scope's propagation context (lazily created).
 */
export function addTraceContext(event: Event, chain: ScopeChain): void {
  if (event.contexts?.['trace']) return;
  for (let i = chain.length - 1; i >= 0; i--) {
    const span = chain[i]!._span as { _eventTraceContext?: () => Record<string, unknown> } | undefined;
    if (typeof span?._eventTraceContext !== 'function') continue;
    event.contexts = Object.assign({}, event.contexts, { trace: span._eventTraceContext() });
    return;
  }
  let ctx;
  for (let i = chain.length - 1; i >= 0 && !ctx; i--) ctx = chain[i]!._propagationContext;
  if (!ctx) {
    // The isolation scope (index 1) owns the trace of a unit of work.
    const owner = chain[1] ?? chain[0];
    if (!owner) return;
    ctx = owner._propagationContext = { traceId: uuid4(), spanId: spanId() };
  }
  event.contexts = Object.assign({}, event.contexts, { trace: traceContextOf(ctx) });
}

type PropagationContext = NonNullable<Scope['_propagationContext']>;

/** Each propagation context's `contexts.trace`: frozen, made once, shared by its events (core/frozen-parts.ts). */
const traceContexts = new WeakMap<PropagationContext, Readonly<Record<string, unknown>>>();

function traceContextOf(ctx: PropagationContext): Readonly<Record<string, unknown>> {
  const parent = ctx.parentSpanId || undefined;
  let trace = traceContexts.get(ctx);
  // The object is the key, but its fields may have been set again since.
  if (trace === undefined || trace['trace_id'] !== ctx.traceId || trace['span_id'] !== ctx.spanId || trace['parent_span_id'] !== parent) {
    const made: Record<string, unknown> = { trace_id: ctx.traceId, span_id: ctx.spanId };
    if (parent) made['parent_span_id'] = parent;
    trace = freezeDeep(made);
    traceContexts.set(ctx, trace);
  }
  return trace;
}
