// Incoming requests of node:http(s) servers (Express, Fastify and Koa included) as traces. Each
// request continues the caller's trace (`sentry-trace` + `baggage`, or W3C `traceparent`) in
// its isolation scope, so errors captured while handling it join that trace. With tracing on,
// the request also gets a root span (`http.server`), named by the route once one matched.
//
// It rides on the HttpServer integration's `requestStart` hook (emitted inside the request's
// fresh scopes), so it needs that integration; with tracing off it only parses headers.
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientLike, Integration } from '../core/types.js';
import { getCurrentScopes } from '../core/async-context.js';
import { debugLog } from '../core/debug-log.js';
import { createSpan } from '../core/tracing/create.js';
import { propagationContextFromHeaders } from '../core/tracing/propagation.js';
import { isTracingEnabled } from '../core/tracing/sampling.js';
import { spanStatusFromHttpCode } from '../core/tracing/http-status.js';
import type { Span } from '../core/tracing/span.js';
import { routeOfRequest, setRequestRoute } from '../node/tracing/route-name.js';

/** Fastify (≥ 5) publishes the matched route on this TracingChannel before its handler runs. */
const FASTIFY_HANDLER_START = 'tracing:fastify.request.handler:start';

export interface HttpServerTracingOptions {
  /** Requests for which no span is made (their errors still join the caller's trace). */
  ignoreIncomingRequests?: (url: string, request: IncomingMessage) => boolean;
}

function pathOf(url: unknown): string {
  const s = typeof url === 'string' ? url : '/';
  const end = s.search(/[?#]/);
  return end === -1 ? s : s.slice(0, end);
}

function onFastifyHandler(message: unknown): void {
  try {
    const store = message as { request?: { raw?: IncomingMessage }; route?: { url?: unknown } };
    setRequestRoute(store.request?.raw, store.route?.url);
  } catch (err) {
    debugLog.error('reading the Fastify route failed', err);
  }
}

function startRequestSpan(client: ClientLike, req: IncomingMessage, options: HttpServerTracingOptions): Span | undefined {
  const method = typeof req.method === 'string' ? req.method.toUpperCase() : 'GET';
  const path = pathOf(req.url);
  if (options.ignoreIncomingRequests?.(typeof req.url === 'string' ? req.url : '/', req)) return undefined;
  const attributes: Record<string, string> = { 'http.request_method': method, 'url.path': path };
  const scheme = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
  attributes['url.scheme'] = scheme;
  if (typeof req.headers?.host === 'string') attributes['server.address'] = req.headers.host;
  return createSpan(
    { name: `${method} ${path}`, op: 'http.server', origin: 'auto.http.node.server', attributes, parentSpan: null },
    client,
    getCurrentScopes(),
    'url',
  );
}

/** Ends the request's root span when its response finished (or the connection closed first). */
function endWithResponse(span: Span, req: IncomingMessage, res: ServerResponse): void {
  const method = typeof req.method === 'string' ? req.method.toUpperCase() : 'GET';
  // Routers rewrite `req.url` while routing (Express strips a sub-router's mount path) and do
  // not restore it when a handler answers; the transaction's request data wants the original.
  const originalUrl = req.url;
  const done = (): void => {
    try {
      if (span._end !== undefined) return;
      const route = routeOfRequest(req);
      if (route) span._setName(`${method} ${route}`, 'route');
      if (route) span.setAttribute('http.route', route);
      if (res.writableFinished || res.headersSent) {
        span.setAttribute('http.response.status_code', res.statusCode);
        span.setStatus(spanStatusFromHttpCode(res.statusCode));
      } else {
        span.setStatus('cancelled'); // the client went away before an answer
      }
      const current = req.url;
      req.url = originalUrl ?? current;
      try {
        span.end(); // builds and queues the transaction synchronously
      } finally {
        req.url = current;
      }
    } catch (err) {
      debugLog.error('ending the request span failed', err);
    }
  };
  res.once('finish', done);
  res.once('close', done);
}

/**
 * Traces incoming HTTP requests: continues the caller's trace in each request's scope and, with
 * tracing on, records a root span per request. Needs the HttpServer integration.
 */
export function httpServerTracingIntegration(options: HttpServerTracingOptions = {}): Integration {
  let unsubscribe: (() => void) | undefined;
  let fastifySubscribed = false;
  return {
    name: 'HttpServerTracing',
    setup(client) {
      // Decided once: with tracing off no span is ever built and no channel is subscribed.
      const tracing = isTracingEnabled(client.getOptions());
      unsubscribe = client.on('requestStart', (request, response) => {
        const req = request as IncomingMessage;
        const res = response as ServerResponse;
        const { scope, isolationScope } = getCurrentScopes();
        const h = req.headers ?? {};
        const ctx = propagationContextFromHeaders({ sentryTrace: h['sentry-trace'], baggage: h['baggage'], traceparent: h['traceparent'] });
        // The request is a unit of work of its own: nothing of the outer trace leaks into it.
        isolationScope._propagationContext = ctx;
        scope._propagationContext = undefined;
        scope._span = undefined;
        if (!tracing) return;
        const span = startRequestSpan(client, req, options);
        if (!span) return;
        scope._span = span;
        endWithResponse(span, req, res);
      });
      if (tracing && !fastifySubscribed) {
        diagnosticsChannel.subscribe(FASTIFY_HANDLER_START, onFastifyHandler);
        fastifySubscribed = true;
      }
    },
    teardown() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (fastifySubscribed) diagnosticsChannel.unsubscribe(FASTIFY_HANDLER_START, onFastifyHandler);
      fastifySubscribed = false;
    },
  };
}
