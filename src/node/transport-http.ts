// The Node I/O under the core transport policy: one POST per envelope over node:http(s),
// gzip in the thread pool for larger bodies, a hard deadline per request, and sockets that
// never keep the process alive.

import * as http from 'node:http';
import { loadHttps, loadZlib } from './builtins.js';
import { authHeader, envelopeUrl } from '../core/dsn.js';
import { createTransport, DEFAULT_CONCURRENCY, type CoreTransport, type MakeRequest, type TransportResponse } from '../core/transport.js';
import type { TransportFactoryArgs } from '../core/types.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_COMPRESSION_THRESHOLD = 1024;

export function makeNodeTransport(args: TransportFactoryArgs): CoreTransport {
  const options = args.transportOptions ?? {};
  const concurrency = positive(options.concurrency, DEFAULT_CONCURRENCY);
  const url = new URL(args.url || envelopeUrl(args.dsn));
  const client = sdkClient(args.options?._sdk);
  const module = url.protocol === 'https:' ? loadHttps() : http;
  // One keep-alive pool: reconnecting per event costs more than the event itself.
  const agent = new module.Agent({ keepAlive: true, maxSockets: concurrency });

  const headers: Record<string, string> = {
    ...options.headers,
    'Content-Type': 'application/x-sentry-envelope',
    'X-Sentry-Auth': authHeader(args.dsn, client),
    'User-Agent': client,
  };

  const makeRequest = httpRequester({
    url,
    request: module.request,
    agent,
    headers,
    timeout: positive(options.timeout, DEFAULT_TIMEOUT_MS),
    compressionThreshold: nonNegative(options.compressionThreshold, DEFAULT_COMPRESSION_THRESHOLD),
  });

  const transport = createTransport(
    {
      bufferSize: options.bufferSize,
      concurrency,
      recordDroppedEvent: args.recordDroppedEvent,
      clientReports: args.clientReports,
    },
    makeRequest,
  );

  return {
    send: (envelope) => transport.send(envelope),
    isRateLimited: (category) => transport.isRateLimited(category),
    flush: (timeout) => transport.flush(timeout),
    async close(timeout) {
      const flushed = await transport.close(timeout);
      agent.destroy(); // idle keep-alive sockets would otherwise linger until the server drops them
      return flushed;
    },
  };
}

interface RequesterConfig {
  url: URL;
  request: typeof http.request;
  agent: http.Agent;
  headers: Record<string, string>;
  timeout: number;
  compressionThreshold: number;
}

/** A MakeRequest over node:http(s). It rejects on any request failure (→ network_error). */
export function httpRequester(config: RequesterConfig): MakeRequest {
  // Taken apart once: given the URL object, http.request would re-read it on every request.
  const target: http.RequestOptions = {
    protocol: config.url.protocol,
    hostname: config.url.hostname.startsWith('[') ? config.url.hostname.slice(1, -1) : config.url.hostname,
    port: config.url.port || undefined,
    path: `${config.url.pathname}${config.url.search}`,
    method: 'POST',
    agent: config.agent,
  };
  return async (body) => {
    const headers = { ...config.headers };
    let payload = body;
    if (body.byteLength > config.compressionThreshold) {
      payload = await gzipAsync(body);
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = String(payload.byteLength);
    return post(config, target, headers, payload);
  };
}

function post(
  config: RequesterConfig,
  target: http.RequestOptions,
  headers: Record<string, string>,
  payload: Uint8Array,
): Promise<TransportResponse> {
  return new Promise<TransportResponse>((resolve, reject) => {
    const req = config.request({ ...target, headers });
    // A deadline for the whole exchange, not an idle timeout: a server that trickles bytes
    // must not hold a request slot for longer than `timeout`.
    const deadline = setTimeout(() => req.destroy(new Error(`request timed out after ${config.timeout} ms`)), config.timeout);
    deadline.unref();
    req.on('socket', (socket) => socket.unref());
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.on('response', (res) => {
      // Status and headers are all we need; drain the body so the socket can be reused.
      resolve({
        statusCode: res.statusCode ?? 0,
        retryAfter: headerValue(res.headers['retry-after']),
        rateLimits: headerValue(res.headers['x-sentry-rate-limits']),
      });
      res.on('error', () => {}); // a reset while draining changes nothing any more
      res.on('close', () => clearTimeout(deadline));
      res.resume();
    });
    req.end(payload);
  });
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

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
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
