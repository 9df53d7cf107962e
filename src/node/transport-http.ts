// The Node I/O under the core transport policy: one POST per envelope over keep-alive
// connections (http-client/), gzip for larger bodies (gzip-body.ts), a hard deadline per
// request, and sockets that never keep the process alive.

import { BodyCompressor } from './gzip-body.js';
import { authHeader, envelopeUrl } from '../core/dsn.js';
import { createTransport, DEFAULT_CONCURRENCY, type CoreTransport, type MakeRequest } from '../core/transport.js';
import type { TransportFactoryArgs } from '../core/types.js';
import { ConnectionPool } from './http-client/connection-pool.js';
import { RequestHead } from './http-client/request-head.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_COMPRESSION_THRESHOLD = 1024;

export function makeNodeTransport(args: TransportFactoryArgs): CoreTransport {
  const options = args.transportOptions ?? {};
  const requester = envelopeRequester(args);
  const transport = createTransport(
    {
      bufferSize: options.bufferSize,
      concurrency: requester.concurrency,
      recordDroppedEvent: args.recordDroppedEvent,
      clientReports: args.clientReports,
    },
    requester.makeRequest,
  );

  return {
    send: (envelope) => transport.send(envelope),
    isRateLimited: (category) => transport.isRateLimited(category),
    flush: (timeout) => transport.flush(timeout),
    async close(timeout) {
      const flushed = await transport.close(timeout);
      requester.destroy(); // idle keep-alive sockets would otherwise linger until the server drops them
      return flushed;
    },
  };
}

export interface EnvelopeRequester {
  makeRequest: MakeRequest;
  /** Requests in flight at most (`transportOptions.concurrency`), one connection each. */
  concurrency: number;
  /** What the requests were made from (the durable outbox's burst thread makes its own from it). */
  config: RequesterConfig;
  /** Closes the connections. */
  destroy(): void;
}

/** The requests of a Node transport, from its options (shared with the durable transport). */
export function envelopeRequester(args: TransportFactoryArgs): EnvelopeRequester {
  const config = requesterConfig(args);
  return { ...httpRequester(config), concurrency: config.maxSockets, config };
}

/** What `httpRequester` needs, from the transport's options; plain data, so a worker thread can have it too. */
function requesterConfig(args: TransportFactoryArgs): RequesterConfig {
  const options = args.transportOptions ?? {};
  const client = sdkClient(args.options?._sdk);
  return {
    url: new URL(args.url || envelopeUrl(args.dsn)),
    headers: {
      ...options.headers,
      'Content-Type': 'application/x-sentry-envelope',
      'X-Sentry-Auth': authHeader(args.dsn, client),
      'User-Agent': client,
    },
    maxSockets: positive(options.concurrency, DEFAULT_CONCURRENCY),
    timeout: positive(options.timeout, DEFAULT_TIMEOUT_MS),
    compressionThreshold: nonNegative(options.compressionThreshold, DEFAULT_COMPRESSION_THRESHOLD),
  };
}

export interface RequesterConfig {
  url: URL;
  headers: Record<string, string>;
  maxSockets: number;
  timeout: number;
  compressionThreshold: number;
}

/** POSTs over a keep-alive pool. `makeRequest` rejects on any request failure (→ network_error). */
export function httpRequester(config: RequesterConfig): Omit<EnvelopeRequester, 'concurrency' | 'config'> {
  const pool = new ConnectionPool(
    {
      host: config.url.hostname.startsWith('[') ? config.url.hostname.slice(1, -1) : config.url.hostname,
      port: Number(config.url.port) || (config.url.protocol === 'https:' ? 443 : 80),
      tls: config.url.protocol === 'https:',
    },
    { maxSockets: config.maxSockets, timeoutMs: config.timeout },
  );
  const head = new RequestHead(config.url, config.headers);
  const compressor = new BodyCompressor();
  // Not an async function: a body compressed in place (every event-sized one) goes out in the
  // same turn, with no await to resume from, and V8 has less to compile for every request.
  const makeRequest: MakeRequest = (body) => {
    try {
      if (body.byteLength <= config.compressionThreshold) return pool.request(head.request(body, false));
      const payload = compressor.compress(body);
      if (payload instanceof Uint8Array) return pool.request(head.request(payload, true));
      return payload.then((compressed) => pool.request(head.request(compressed, true)));
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return { makeRequest, destroy: () => pool.destroy() };
}

/** `name/version` for User-Agent and X-Sentry-Auth (shared with the durable transport). */
export function sdkClient(sdk: unknown): string {
  const info = sdk as { name?: unknown; version?: unknown } | undefined;
  const name = typeof info?.name === 'string' && info.name ? info.name : 'faultline.node';
  const version = typeof info?.version === 'string' && info.version ? info.version : '0.0.0';
  return `${name}/${version}`;
}

export function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

export function nonNegative(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}
