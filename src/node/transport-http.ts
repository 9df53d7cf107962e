// The Node I/O under the core transport policy: one POST per envelope over keep-alive
// connections (http-client/), gzip for larger bodies, a hard deadline per request, and sockets
// that never keep the process alive.

import { loadZlib } from './builtins.js';
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
  /** Closes the connections. */
  destroy(): void;
}

/** The requests of a Node transport, from its options (shared with the durable transport). */
export function envelopeRequester(args: TransportFactoryArgs): EnvelopeRequester {
  const options = args.transportOptions ?? {};
  const client = sdkClient(args.options?._sdk);
  const concurrency = positive(options.concurrency, DEFAULT_CONCURRENCY);
  return {
    ...httpRequester({
      url: new URL(args.url || envelopeUrl(args.dsn)),
      headers: {
        ...options.headers,
        'Content-Type': 'application/x-sentry-envelope',
        'X-Sentry-Auth': authHeader(args.dsn, client),
        'User-Agent': client,
      },
      maxSockets: concurrency,
      timeout: positive(options.timeout, DEFAULT_TIMEOUT_MS),
      compressionThreshold: nonNegative(options.compressionThreshold, DEFAULT_COMPRESSION_THRESHOLD),
    }),
    concurrency,
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
export function httpRequester(config: RequesterConfig): Omit<EnvelopeRequester, 'concurrency'> {
  const pool = new ConnectionPool(
    {
      host: config.url.hostname.startsWith('[') ? config.url.hostname.slice(1, -1) : config.url.hostname,
      port: Number(config.url.port) || (config.url.protocol === 'https:' ? 443 : 80),
      tls: config.url.protocol === 'https:',
    },
    { maxSockets: config.maxSockets, timeoutMs: config.timeout },
  );
  const head = new RequestHead(config.url, config.headers);
  const makeRequest: MakeRequest = async (body) => {
    const gzip = body.byteLength > config.compressionThreshold;
    const payload = gzip ? await gzipAsync(body) : body;
    return pool.request(head.request(payload, gzip));
  };
  return { makeRequest, destroy: () => pool.destroy() };
}

/** Bodies up to this size are compressed in place (see gzipAsync). */
const INLINE_GZIP_MAX = 16 * 1024;

/**
 * Level 1: on event-sized JSON it is about 10% larger than the default level 6 and takes 60% of
 * its CPU. Small bodies (an error event is about 8 kB) are compressed synchronously, in the
 * transport's own callback, never on a capture call: about 50 µs, where a round trip through
 * libuv's thread pool costs 200–300 µs of CPU per call in stream and thread hand-over overhead
 * (measured: that alone was as much CPU as the raw protocol floor spends per event). Larger bodies
 * go to the thread pool, so the event loop is never held for long.
 */
function gzipAsync(body: Uint8Array): Promise<Uint8Array> {
  const zlib = loadZlib();
  if (body.byteLength <= INLINE_GZIP_MAX) {
    try {
      return Promise.resolve(zlib.gzipSync(body, { level: 1, windowBits: windowBitsFor(body.byteLength) }));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return new Promise((resolve, reject) => zlib.gzip(body, { level: 1 }, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * The smallest deflate window that still reaches back over the whole body (a match can never be
 * farther back than that), so the output is the same as with the default 32 KiB window; zlib
 * allocates and clears the window on every call, and for an event-sized body that was a third
 * of the compression's CPU.
 */
function windowBitsFor(length: number): number {
  let bits = 9;
  while (bits < 15 && (1 << bits) - 262 < length) bits++;
  return bits;
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
