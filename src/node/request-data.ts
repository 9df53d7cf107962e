// What an event says about the incoming HTTP request being handled: `request` (method, URL, query
// string, headers, body), `transaction` and, with sendDefaultPii, the client's IP. Built from the
// node:http request at capture time, not when the request arrives, so data that a framework adds
// later (its route, the parsed body) is seen, and requests that never fail cost nothing.
import type { IncomingMessage } from 'node:http';
import type { ClientLike, Event, EventProcessor, RequestData } from '../core/types.js';
import { getClient } from '../core/api.js';
import { keyMatcherFor } from './key-matcher-for.js';
import { splitUrl } from './url-parts.js';
import { markOwn } from '../core/own-code.js';

/** What a framework knows about a request that node:http does not. */
export interface RequestDetails {
  /** The route pattern, e.g. `/users/:id`. */
  route?: string;
  /** The body as the framework parsed it. faultline never reads the stream itself. */
  body?: unknown;
}

type DetailsSource = () => RequestDetails | undefined;
type RouteResolver = (req: IncomingMessage) => RequestDetails | undefined;

const annotations = new WeakMap<object, DetailsSource>();
const resolvers: RouteResolver[] = [];

/** Frameworks call this with a lazy source: it is read only when an event is captured. */
export function annotateRequest(req: IncomingMessage, source: DetailsSource): void {
  if (req && typeof req === 'object') annotations.set(req, source);
}

/** For frameworks whose details live on the request itself (Express's `req.route`). */
export function registerRequestResolver(resolver: RouteResolver): void {
  if (!resolvers.includes(resolver)) resolvers.push(resolver);
}

const BODY_LIMITS: Record<string, number> = { never: 0, small: 1000, medium: 10_000, always: Infinity };
/** Dropped unless sendDefaultPii: they carry sessions and credentials, not debugging help. */
const PII_HEADERS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization']);

/** An event processor that fills `request`, `transaction` and `user.ip_address` from `req`. */
export function requestDataProcessor(req: IncomingMessage): EventProcessor {
  return markOwn((event: Event): Event => {
    try {
      addRequestData(event, req, getClient());
    } catch {
      // A strange request object must never cost the event.
    }
    return event;
  });
}

export function addRequestData(event: Event, req: IncomingMessage, client: ClientLike | undefined): void {
  if (!client || (event.request && event.transaction)) return;
  const options = client.getOptions();
  const details = detailsOf(req);
  const method = typeof req.method === 'string' ? req.method : 'GET';
  const parts = splitUrl(originOf(req), typeof req.url === 'string' ? req.url : '/', keyMatcherFor(client));

  if (!event.request) {
    const request: RequestData = { method, url: parts.url };
    if (parts.query !== undefined) request.query_string = parts.query;
    const { headers, cookies } = recordableHeaders(req, options.sendDefaultPii);
    request.headers = headers;
    if (cookies !== undefined) request.cookies = cookies;
    const data = bodyWithinLimit(details.body ?? (req as { body?: unknown }).body, options.maxRequestBodySize);
    if (data !== undefined) request.data = data;
    event.request = request;
  }
  if (event.transaction === undefined) {
    event.transaction = `${method} ${details.route ?? pathOf(req.url)}`;
  }
  if (options.sendDefaultPii) {
    const ip = req.socket?.remoteAddress;
    if (ip && !event.user?.ip_address) event.user = { ...event.user, ip_address: ip };
  }
}

function pathOf(url: unknown): string {
  const s = typeof url === 'string' ? url : '/';
  const end = s.search(/[?#]/);
  return end === -1 ? s : s.slice(0, end);
}

function detailsOf(req: IncomingMessage): RequestDetails {
  const merged: RequestDetails = {};
  for (const resolve of resolvers) Object.assign(merged, defined(safeCall(() => resolve(req))));
  Object.assign(merged, defined(safeCall(annotations.get(req))));
  return merged;
}

function originOf(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const host = req.headers?.host ?? req.socket?.localAddress ?? 'localhost';
  return `${encrypted ? 'https' : 'http'}://${host}`;
}

function recordableHeaders(
  req: IncomingMessage,
  sendDefaultPii: boolean,
): { headers: Record<string, string>; cookies?: string } {
  const headers: Record<string, string> = {};
  let cookies: string | undefined;
  const raw = req.headers ?? {};
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    if (value === undefined) continue;
    if (name === 'cookie') {
      if (sendDefaultPii) cookies = String(value);
      continue;
    }
    if (!sendDefaultPii && PII_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return cookies === undefined ? { headers } : { headers, cookies };
}

/** The parsed body when it fits `maxRequestBodySize` (never/small/medium/always, default medium). */
function bodyWithinLimit(body: unknown, setting: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  const limit = BODY_LIMITS[typeof setting === 'string' ? setting : 'medium'] ?? BODY_LIMITS['medium']!;
  if (limit === 0) return undefined;
  const value = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  if (typeof value === 'string') return limit === Infinity || Buffer.byteLength(value) <= limit ? value : undefined;
  if (typeof value !== 'object') return value;
  if (limit === Infinity) return value;
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return undefined;
  }
  return size <= limit ? value : undefined;
}

function safeCall<T>(fn: (() => T) | undefined): T | undefined {
  if (!fn) return undefined;
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function defined(d: RequestDetails | undefined): RequestDetails {
  const out: RequestDetails = {};
  if (d && typeof d.route === 'string' && d.route) out.route = d.route;
  if (d && d.body !== undefined) out.body = d.body;
  return out;
}
