// Outgoing requests in a trace: node:http/https and fetch (undici) requests carry `sentry-trace`
// and `baggage` to the hosts `tracePropagationTargets` allows, and with tracing on each one made
// under an active span is an `http.client` child span whose id the downstream service sees as
// its parent. faultline's own requests to the DSN are never touched.
//
// fetch: undici's `undici:request:create` channel fires in the caller's async context before
// the request is written, so headers are added there. node:http: Node 20 publishes
// `http.client.request.start` only once the headers are on their way, so `request`/`get` of
// node:http and node:https are wrapped instead (ESM named imports are updated with
// syncBuiltinESMExports); the response and error channels end the spans.
//
// Each of node:http and node:https is wrapped at init only when something loaded it already or
// tracing is on. Loading them ourselves would cost every app at start-up about 5 ms and 0.6 MiB
// (http, with net) and 7 ms and 4 MiB (https, with tls), and faultline's own transport needs
// neither. Without tracing, an app that loads one of them after init has it wrapped on its first
// request through it (seen on the `http.client.request.start` channel): that one request goes
// without trace headers, the rest carry them.
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { syncBuiltinESMExports } from 'node:module';
import type { ClientLike, Integration } from '../core/types.js';
import { getClient } from '../core/api.js';
import { getCurrentScopes } from '../core/async-context.js';
import { debugLog } from '../core/debug-log.js';
import { isToDsn } from '../node/own-requests.js';
import { createSpan } from '../core/tracing/create.js';
import { shouldPropagateTo, traceHeadersFor } from '../core/tracing/headers.js';
import { serializeBaggage } from '../core/tracing/propagation.js';
import { isTracingEnabled } from '../core/tracing/sampling.js';
import { spanStatusFromHttpCode } from '../core/tracing/http-status.js';
import type { Span } from '../core/tracing/span.js';
import { isBuiltinLoaded, loadHttp, loadHttps } from '../node/builtins.js';

interface NodeClientRequest {
  method?: string;
  protocol?: string;
  host?: string;
  path?: string;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
}
interface UndiciRequest {
  method?: string;
  origin?: string | URL;
  path?: string;
  headers?: string[] | string;
  addHeader?(name: string, value: string): unknown;
}

const spans = new WeakMap<object, Span>();
/** The wrappers stay after teardown (others may have wrapped on top); this turns them off. */
let propagating = false;
let recording = false;
let owner: object | undefined;
const WRAPPED = Symbol.for('faultline.tracing-http-client.wrapped');

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * Starts the request's span (only under an active span) and returns the headers to add, or
 * undefined when this request is none of our business.
 */
function begin(key: object, method: string | undefined, url: string): { sentryTrace: string; baggage: (existing?: string) => string } | undefined {
  const client = getClient();
  if (!client) return undefined;
  const u = parseUrl(url);
  if (!u) return undefined;
  if (isToDsn(client, url)) return undefined;
  const scopes = getCurrentScopes();
  let span: Span | undefined;
  if (recording) {
    const verb = (method ?? 'GET').toUpperCase();
    // No query string or credentials in names: they may hold secrets; the breadcrumb scrubs them.
    const bare = `${u.protocol}//${u.host}${u.pathname}`;
    span = createSpan({
      name: `${verb} ${bare}`,
      op: 'http.client',
      origin: 'auto.http.client',
      onlyIfParent: true,
      attributes: { 'http.request_method': verb, 'url.full': bare, 'server.address': u.hostname, 'url.scheme': u.protocol.slice(0, -1) },
    }, client, scopes);
    if (span) spans.set(key, span);
  }
  if (!shouldPropagateTo(client, url)) return undefined;
  const headers = traceHeadersFor(client, scopes, span);
  return { sentryTrace: headers.sentryTrace, baggage: (existing) => serializeBaggage(headers.dsc, existing) };
}

function end(key: object, status: number | undefined): void {
  const span = spans.get(key);
  if (!span) return;
  spans.delete(key);
  if (status !== undefined) {
    span.setAttribute('http.response.status_code', status);
    span.setStatus(spanStatusFromHttpCode(status));
  } else {
    span.setStatus('internal_error');
  }
  span.end();
}

function guarded<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch (err) {
      debugLog.error(`http tracing: ${what} failed`, err);
    }
  };
}

// ---- node:http / node:https ------------------------------------------------------------------------

const onNodeRequest = guarded('outgoing request', (req: NodeClientRequest, defaultProtocol: string) => {
  const protocol = req.protocol ?? defaultProtocol;
  const hostHeader = req.getHeader('host');
  const host = typeof hostHeader === 'string' && hostHeader ? hostHeader : req.host ?? 'localhost';
  const headers = begin(req, req.method, `${protocol}//${host}${req.path ?? '/'}`);
  if (!headers || req.getHeader('sentry-trace') !== undefined) return;
  const existing = req.getHeader('baggage');
  try {
    req.setHeader('sentry-trace', headers.sentryTrace);
    req.setHeader('baggage', headers.baggage(typeof existing === 'string' ? existing : undefined));
  } catch {
    // Headers given as an array are written at once; such a request goes without trace headers.
    debugLog.log('trace headers not added: the request headers were already written');
  }
});

type RequestFn = (...args: unknown[]) => NodeClientRequest & { end(): unknown };

function wrapModule(mod: { request: RequestFn; get: RequestFn; [WRAPPED]?: true }, protocol: string): void {
  if (mod[WRAPPED]) return;
  const original = mod.request;
  const request = function request(this: unknown, ...args: unknown[]) {
    const req = original.apply(this, args);
    if (propagating) onNodeRequest(req, protocol);
    return req;
  } as RequestFn;
  mod.request = request;
  // The module's own `get` calls its internal `request`, not the export: it is wrapped as well.
  mod.get = function get(this: unknown, ...args: unknown[]) {
    const req = request.apply(this, args);
    req.end();
    return req;
  } as RequestFn;
  mod[WRAPPED] = true;
}

const onNodeResponse = guarded('response', (m: unknown) => {
  const { request, response } = m as { request: object; response?: { statusCode?: number } };
  end(request, response?.statusCode);
});
const onNodeError = guarded('request error', (m: unknown) => end((m as { request: object }).request, undefined));

// ---- fetch (undici) ----------------------------------------------------------------------------------

function headerIndex(headers: string[], name: string): number {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return i;
  return -1;
}

const onUndiciCreate = guarded('fetch start', (m: unknown) => {
  const request = (m as { request: UndiciRequest }).request;
  const headers = begin(request, request.method, `${String(request.origin ?? '')}${request.path ?? '/'}`);
  if (!headers || typeof request.addHeader !== 'function') return;
  const list = request.headers;
  if (Array.isArray(list)) {
    if (headerIndex(list, 'sentry-trace') !== -1) return;
    const b = headerIndex(list, 'baggage');
    request.addHeader('sentry-trace', headers.sentryTrace);
    if (b === -1) request.addHeader('baggage', headers.baggage());
    else list[b + 1] = headers.baggage(list[b + 1]);
  } else {
    // Older undici keeps headers as one `name: value\r\n` string.
    if (typeof list === 'string' && /(^|\n)sentry-trace:/i.test(list)) return;
    request.addHeader('sentry-trace', headers.sentryTrace);
    if (!(typeof list === 'string' && /(^|\n)baggage:/i.test(list))) request.addHeader('baggage', headers.baggage());
  }
});
const onUndiciHeaders = guarded('fetch response', (m: unknown) => {
  const { request, response } = m as { request: object; response?: { statusCode?: number } };
  end(request, response?.statusCode);
});
const onUndiciError = guarded('fetch error', (m: unknown) => end((m as { request: object }).request, undefined));

const SPAN_CHANNELS: Array<[string, (message: unknown) => void]> = [
  ['http.client.response.finish', onNodeResponse],
  ['http.client.request.error', onNodeError],
  ['undici:request:headers', onUndiciHeaders],
  ['undici:request:error', onUndiciError],
];

function stop(): void {
  if (!propagating) return;
  propagating = false;
  diagnosticsChannel.unsubscribe('undici:request:create', onUndiciCreate);
  diagnosticsChannel.unsubscribe('http.client.request.start', onFirstNodeRequest);
  if (recording) for (const [name, fn] of SPAN_CHANNELS) diagnosticsChannel.unsubscribe(name, fn);
  recording = false;
}

type WrappableModule = Parameters<typeof wrapModule>[0];

/** The two modules whose `request`/`get` carry trace headers, loaded only when wrapped. */
const NODE_MODULES = [
  { name: 'http', protocol: 'http:', load: loadHttp },
  { name: 'https', protocol: 'https:', load: loadHttps },
] as const;
type NodeModule = (typeof NODE_MODULES)[number];

function wrapNodeModule(m: NodeModule): void {
  try {
    wrapModule(m.load() as unknown as WrappableModule, m.protocol);
    syncBuiltinESMExports();
  } catch (err) {
    debugLog.error(`could not instrument node:${m.name} for trace headers`, err);
  }
}

/** Not wrapped yet: loaded by nobody at init, and no request seen through it since. */
let unwrapped: NodeModule[] = [];

/**
 * A node:http(s) request of an app that loaded the module after init: wrap what is loaded now
 * (this request already has its headers written; the next ones get trace headers).
 */
const onFirstNodeRequest = guarded('http(s) detection', () => {
  // Asked on every node:http(s) request while one module stays unwrapped (an app that never
  // loads https): nothing is allocated until a module turns up loaded.
  let loaded: NodeModule[] | undefined;
  for (const m of unwrapped) if (isBuiltinLoaded(m.name)) (loaded ??= []).push(m);
  if (loaded === undefined) return;
  unwrapped = unwrapped.filter((m) => !loaded.includes(m));
  if (unwrapped.length === 0) diagnosticsChannel.unsubscribe('http.client.request.start', onFirstNodeRequest);
  if (propagating) for (const m of loaded) wrapNodeModule(m);
});

function start(client: ClientLike): void {
  // Decided once: with tracing off no span is built and the span channels stay unsubscribed.
  const tracing = isTracingEnabled(client.getOptions());
  unwrapped = [];
  for (const m of NODE_MODULES) {
    if (tracing || isBuiltinLoaded(m.name)) wrapNodeModule(m);
    else unwrapped.push(m);
  }
  if (unwrapped.length > 0) diagnosticsChannel.subscribe('http.client.request.start', onFirstNodeRequest);
  propagating = true;
  diagnosticsChannel.subscribe('undici:request:create', onUndiciCreate);
  recording = tracing;
  if (recording) for (const [name, fn] of SPAN_CHANNELS) diagnosticsChannel.subscribe(name, fn);
}

/**
 * Trace headers on outgoing node:http(s) and fetch requests, and, with tracing on, an
 * `http.client` span for each one made under an active span.
 */
export function httpClientTracingIntegration(): Integration {
  const self: Integration = {
    name: 'HttpClientTracing',
    setup(client) {
      // The newest client's integration is in charge (a re-init replaces the old one's mode).
      stop();
      owner = self;
      start(client);
    },
    teardown() {
      if (owner !== self) return;
      owner = undefined;
      stop();
    },
  };
  return self;
}
