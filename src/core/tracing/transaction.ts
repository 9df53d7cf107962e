// A finished root span and its finished children become one `transaction` envelope item, built
// like an error event (the same scope data, processors, scrubbing and normalization), with the
// dynamic sampling context as the envelope header `trace`. Every way a transaction can be lost
// is counted twice: once as `transaction`, once as `span` × (its spans + the root).
import type { ClientLike, DiscardReason, Event, EventProcessor, Integration, SdkInfo } from '../types.js';
import { applyScopesToEvent, runProcessors, type ScopeChain } from '../apply-scope.js';
import { getGlobalScope } from '../async-context.js';
import { createEventEnvelope } from '../envelope.js';
import { normalizeEvent } from '../normalize/index.js';
import { createKeyMatcher, type KeyMatcher } from '../scrub.js';
import { debugLog } from '../debug-log.js';
import { uuid4 } from '../ids.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import type { Span } from './span.js';
import { dscOfSpan } from './dsc.js';

/** The parts of the Node client this file reads without importing it (no cycle, no Node). */
interface FullClient extends ClientLike {
  isEnabled?(): boolean;
  getSdkInfo?(): SdkInfo;
  getIntegration?(name: string): Integration | undefined;
  getTransport?(): { isRateLimited(category: string): boolean } | undefined;
}

type SpanJson = Record<string, unknown>;

const matchers = new WeakMap<ClientLike, KeyMatcher>();

function matcherFor(client: ClientLike): KeyMatcher {
  let m = matchers.get(client);
  if (!m) {
    const o = client.getOptions();
    m = createKeyMatcher({ denyList: o.denyList, extraDenyList: o.extraDenyList, sendDefaultPii: o.sendDefaultPii });
    matchers.set(client, m);
  }
  return m;
}

/** A span as the protocol has it inside `spans` (and, for the root, `contexts.trace`). */
export function spanToJson(span: Span): SpanJson {
  const json: SpanJson = {
    span_id: span.spanId,
    trace_id: span.traceId,
    start_timestamp: span._start,
    timestamp: span._end ?? span._start,
    status: span._status ?? 'ok',
    origin: span._origin,
  };
  if (span.parentSpanId) json['parent_span_id'] = span.parentSpanId;
  if (span._op) json['op'] = span._op;
  json['description'] = span._name;
  for (const _ in span._attributes) {
    json['data'] = { ...span._attributes };
    break;
  }
  return json;
}

function matchesName(patterns: Array<string | RegExp> | undefined, name: string): boolean {
  if (!patterns) return false;
  for (const p of patterns) {
    if (typeof p === 'string' ? name.includes(p) : p.test(name)) return true;
  }
  return false;
}

const TRACE_CONTEXT_KEYS = ['trace_id', 'span_id', 'parent_span_id', 'op', 'status', 'origin', 'data'];

/** The root span as `contexts.trace`. */
function traceContextOf(json: SpanJson): Record<string, unknown> {
  const trace: Record<string, unknown> = {};
  for (const key of TRACE_CONTEXT_KEYS) if (json[key] !== undefined) trace[key] = json[key];
  return trace;
}

/**
 * `beforeSendSpan` on every child (`null` drops it, counted as `before_send`, `span`) and on the
 * root (as it sits in `contexts.trace`; it cannot be dropped). Runs on the processed event, like
 * beforeSend, so it only sees spans that are about to be sent.
 */
function applyBeforeSendSpan(client: ClientLike, event: Event): void {
  const hook = client.getOptions().beforeSendSpan;
  if (!hook) return;
  const call = (json: SpanJson): SpanJson | null | undefined => {
    try {
      return hook(json);
    } catch (err) {
      debugLog.error('beforeSendSpan threw; the span is kept unchanged', err);
      return json;
    }
  };
  const spans = Array.isArray(event.spans) ? (event.spans as SpanJson[]) : [];
  const kept: SpanJson[] = [];
  for (const span of spans) {
    const result = call(span);
    if (result && typeof result === 'object') kept.push(result);
  }
  if (kept.length < spans.length) client.recordDroppedEvent('before_send', 'span', spans.length - kept.length);
  event.spans = kept;
  const trace = event.contexts?.['trace'];
  if (trace) {
    const root = call({ ...trace, description: event.transaction });
    if (root && typeof root === 'object') event.contexts = { ...event.contexts, trace: traceContextOf(root) };
    else debugLog.warn('beforeSendSpan cannot drop the root span of a transaction; it is kept');
  }
}

function integrationProcessors(client: FullClient): EventProcessor[] {
  const names = client.getSdkInfo?.().integrations ?? [];
  const out: EventProcessor[] = [];
  for (const name of names) {
    const integration = client.getIntegration?.(name);
    if (integration?.processEvent) out.push((event, hint) => integration.processEvent!(event, hint, client));
  }
  return out;
}

/**
 * Sends the transaction of `root` (called once, when the root ends). Runs on the tick that ends
 * the root span: building is synchronous and the send only enqueues.
 */
export function finishSegment(root: Span): void {
  const segment = root._segment;
  const client = segment.client as FullClient | undefined;
  if (!client || client.isEnabled?.() === false) return;
  // Not sampled: the transaction was counted when it was decided; its spans are known only now.
  if (!segment.sampled) return void client.recordDroppedEvent('sample_rate', 'span', segment.created + 1);
  if (segment.overflow) client.recordDroppedEvent('buffer_overflow', 'span', segment.overflow);

  const options = client.getOptions();
  const name = root._name;
  let spanCount = segment.finished.length;
  const drop = (reason: DiscardReason, what: string): void => {
    client.recordDroppedEvent(reason, 'transaction', 1);
    client.recordDroppedEvent(reason, 'span', spanCount + 1);
    debugLog.log(`transaction "${name}" dropped: ${what}`);
  };
  if (matchesName(options.ignoreTransactions, name)) return drop('ignored', 'matched ignoreTransactions');
  // Checked before building anything: a rate-limited server would refuse the work anyway.
  if (client.getTransport?.()?.isRateLimited('transaction')) return drop('ratelimit_backoff', 'the server rate limits transactions');

  const spans = segment.finished.map(spanToJson);
  const sdk = client.getSdkInfo?.() ?? { name: SDK_NAME, version: SDK_VERSION };
  const event: Event = {
    event_id: uuid4(),
    type: 'transaction',
    transaction: name,
    transaction_info: { source: segment.source },
    start_timestamp: root._start,
    timestamp: root._end ?? root._start,
    platform: 'node',
    contexts: { trace: traceContextOf(spanToJson(root)) },
    spans,
    sdk,
  };
  if (segment.measurements) event.measurements = segment.measurements;
  if (options.release !== undefined) event.release = options.release;
  if (options.environment !== undefined) event.environment = options.environment;
  if (options.dist !== undefined) event.dist = options.dist;
  if (options.serverName !== undefined) event.server_name = options.serverName;

  const scopes = segment.scopes;
  const chain: ScopeChain = scopes ? [getGlobalScope(), scopes.isolationScope, scopes.scope] : [getGlobalScope()];
  applyScopesToEvent(event, chain, options.maxBreadcrumbs);
  // Breadcrumbs belong to errors; a transaction's timeline is its spans (as in the Python SDK).
  delete event.breadcrumbs;
  if (event._meta) delete event._meta['breadcrumbs'];

  const hint = {};
  let processed: Event | null = runProcessors(event, hint, integrationProcessors(client));
  for (const scope of chain) {
    if (!processed || scope._eventProcessors.length === 0) continue;
    processed = runProcessors(processed, hint, scope._eventProcessors);
  }
  if (!processed) return drop('event_processor', 'an event processor returned null');

  let final: Event | null | undefined = normalizeEvent(processed, {
    depth: options.normalizeDepth,
    breadth: options.normalizeMaxBreadth,
    maxValueLength: options.maxValueLength,
    isDenied: matcherFor(client),
    sendDefaultPii: options.sendDefaultPii,
  });
  applyBeforeSendSpan(client, final);
  spanCount = Array.isArray(final.spans) ? final.spans.length : 0;
  if (options.beforeSendTransaction) {
    try {
      final = options.beforeSendTransaction(final, hint);
    } catch (err) {
      debugLog.error('beforeSendTransaction threw; the transaction is dropped', err);
      final = null;
    }
    if (!final || typeof final !== 'object') return drop('before_send', 'beforeSendTransaction returned null');
  }

  const envelope = createEventEnvelope(final, { sdk, dsn: client.getDsn() });
  const dsc: Record<string, unknown> = { ...dscOfSpan(root) };
  if (dsc['public_key'] === undefined) {
    const key = client.getDsn()?.publicKey;
    if (key) dsc['public_key'] = key;
  }
  envelope.header['trace'] = dsc;
  // Queue overflow and limits that started meanwhile are counted by the transport / sendEnvelope.
  if (!client.sendEnvelope(envelope, 'transaction')) debugLog.log(`transaction "${name}" was not queued`);
}
