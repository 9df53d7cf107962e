// Breadcrumbs for outgoing HTTP requests: node:http/node:https (`http.client.*` channels) and
// fetch (undici's `undici:request:*` channels), with method, URL (no credentials, secret query
// values hidden), status code and duration. The SDK's own requests to the DSN are skipped.
//
// The breadcrumb goes to the scopes that were active when the request STARTED: the response
// arrives on a socket that a keep-alive agent may have opened for another request, so the scopes
// active at that moment can belong to someone else.
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { Breadcrumb, Integration, SeverityLevel } from '../core/types.js';
import { addBreadcrumb, getClient } from '../core/api.js';
import { getAsyncContextStrategy, getCurrentScopes, type ScopePair } from '../core/async-context.js';
import { debugLog } from '../core/debug-log.js';
import { isToDsn } from '../node/own-requests.js';
import { keyMatcherFor } from '../node/key-matcher-for.js';
import { splitUrl } from '../node/url-parts.js';

interface PendingRequest {
  scopes: ScopePair;
  method: string;
  origin: string;
  path: string;
  startedAt: number;
}

/** The parts of ClientRequest (node:http) and undici's Request this file reads. */
interface NodeClientRequest {
  method?: string;
  protocol?: string;
  host?: string;
  path?: string;
  getHeader?(name: string): unknown;
}
interface UndiciRequest {
  method?: string;
  origin?: string | URL;
  path?: string;
}

const pending = new WeakMap<object, PendingRequest>();

function levelFor(status: number | undefined): SeverityLevel | undefined {
  if (status === undefined) return 'error';
  if (status >= 500) return 'error';
  if (status >= 400) return 'warning';
  return undefined;
}

function start(key: object, method: string | undefined, origin: string, path: string | undefined): void {
  const client = getClient();
  if (!client) return;
  if (isToDsn(client, origin)) return;
  pending.set(key, {
    scopes: getCurrentScopes(),
    method: (method ?? 'GET').toUpperCase(),
    origin,
    path: path ?? '/',
    startedAt: performance.now(),
  });
}

function finish(key: object, status: number | undefined, error?: unknown): void {
  const request = pending.get(key);
  if (!request) return;
  pending.delete(key);
  const client = getClient();
  if (!client) return;
  const parts = splitUrl(request.origin, request.path, keyMatcherFor(client));
  const data: Record<string, unknown> = { 'http.method': request.method, url: parts.url };
  if (parts.query !== undefined) data['http.query'] = parts.query;
  if (parts.fragment !== undefined) data['http.fragment'] = parts.fragment;
  if (status !== undefined) data['status_code'] = status;
  data['duration_ms'] = Math.round((performance.now() - request.startedAt) * 100) / 100;
  if (error !== undefined) data['error'] = describe(error);
  const crumb: Breadcrumb = { type: 'http', category: 'http', data };
  const level = levelFor(status);
  if (level) crumb.level = level;
  getAsyncContextStrategy().runWithScopes(request.scopes, () => addBreadcrumb(crumb, { request: key }));
}

function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string') return e.message;
  }
  return String(error);
}

function guarded<M>(what: string, fn: (message: M) => void): (message: unknown) => void {
  return (message) => {
    try {
      fn(message as M);
    } catch (err) {
      debugLog.error(`http breadcrumbs: ${what} failed`, err);
    }
  };
}

// ---- node:http / node:https ----------------------------------------------------------------------

function nodeOrigin(req: NodeClientRequest): string {
  const protocol = req.protocol ?? 'http:';
  const hostHeader = req.getHeader?.('host');
  const host = typeof hostHeader === 'string' && hostHeader ? hostHeader : req.host ?? 'localhost';
  return `${protocol}//${host}`;
}

const onNodeStart = guarded<{ request: NodeClientRequest }>('request start', ({ request }) => {
  // Envelope posts (another SDK's, a custom transport's) carry X-Sentry-Auth: the cheapest way
  // to know them; the same rule as for incoming requests (own-requests.ts).
  if (request.getHeader?.('x-sentry-auth') !== undefined) return;
  start(request, request.method, nodeOrigin(request), request.path);
});
const onNodeResponse = guarded<{ request: object; response: { statusCode?: number } }>('response', (m) =>
  finish(m.request, m.response?.statusCode),
);
const onNodeError = guarded<{ request: object; error: unknown }>('request error', (m) =>
  finish(m.request, undefined, m.error),
);

// ---- fetch (undici) --------------------------------------------------------------------------------

const onUndiciCreate = guarded<{ request: UndiciRequest }>('fetch start', ({ request }) =>
  start(request, request.method, String(request.origin ?? ''), request.path),
);
const onUndiciHeaders = guarded<{ request: object; response: { statusCode?: number } }>('fetch response', (m) =>
  finish(m.request, m.response?.statusCode),
);
const onUndiciError = guarded<{ request: object; error: unknown }>('fetch error', (m) =>
  finish(m.request, undefined, m.error),
);

const SUBSCRIPTIONS: Array<[string, (message: unknown) => void]> = [
  ['http.client.request.start', onNodeStart],
  ['http.client.response.finish', onNodeResponse],
  ['http.client.request.error', onNodeError],
  ['undici:request:create', onUndiciCreate],
  ['undici:request:headers', onUndiciHeaders],
  ['undici:request:error', onUndiciError],
];

let owner: object | undefined;

/** Outgoing node:http(s) and fetch requests become `http` breadcrumbs. */
export function httpBreadcrumbsIntegration(): Integration {
  const self: Integration = {
    name: 'HttpBreadcrumbs',
    setup() {
      const subscribed = owner !== undefined;
      owner = self;
      if (subscribed) return;
      for (const [name, listener] of SUBSCRIPTIONS) diagnosticsChannel.subscribe(name, listener);
    },
    teardown() {
      if (owner !== self) return;
      owner = undefined;
      for (const [name, listener] of SUBSCRIPTIONS) diagnosticsChannel.unsubscribe(name, listener);
    },
  };
  return self;
}
