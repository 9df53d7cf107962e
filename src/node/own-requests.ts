// Sentry ingest traffic, which faultline's instrumentation must leave alone. Outgoing: envelope
// posts to the DSN made through node:http or fetch (a custom transport, or the app's own code;
// faultline's transport has its own client and is never instrumented). A breadcrumb or span for
// each would describe the SDK, not the app, and tracing them would send a transaction per
// transaction. Incoming: a Sentry-compatible ingest running in the app's process (the collector,
// a test server), whose envelope posts must not become sessions or transactions of their own.
import type { ClientLike } from '../core/types.js';

/** host:port of URLs seen so far: an app talks to few hosts, and URL parsing is not free. */
const addresses = new Map<string, string | undefined>();

function addressOf(url: string): string | undefined {
  const known = addresses.get(url);
  if (known !== undefined || addresses.has(url)) return known;
  let address: string | undefined;
  try {
    const u = new URL(url);
    address = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`.toLowerCase();
  } catch {
    address = undefined;
  }
  if (addresses.size >= 256) addresses.clear();
  addresses.set(url, address);
  return address;
}

/** `host:port` of the client's DSN. */
function dsnAddress(client: ClientLike): string | undefined {
  const dsn = client.getDsn();
  if (!dsn) return undefined;
  return `${dsn.host}:${dsn.port ?? (dsn.protocol === 'https' ? '443' : '80')}`.toLowerCase();
}

/** Does an outgoing request to `url` (an origin is enough) go to the DSN's host? */
export function isToDsn(client: ClientLike, url: string): boolean {
  const address = dsnAddress(client);
  return address !== undefined && addressOf(url) === address;
}

/** An incoming request carrying Sentry auth: an envelope post to an ingest in this process. */
export function isSentryIngestRequest(request: { headers?: Record<string, unknown>; url?: string }): boolean {
  return request.headers?.['x-sentry-auth'] !== undefined || /[?&]sentry_key=/.test(request.url ?? '');
}
