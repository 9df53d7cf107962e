// Release health for servers: request-mode session aggregates (src/core/sessions). On when
// `autoSessionTracking` is (by default whenever a `release` is set). Requests are seen through
// the HttpServer integration's `requestStart` hook, so both integrations must be installed (both
// are defaults); an uncaught exception outside any request counts as one crashed session.
import type { Integration } from '../core/types.js';
import { debugLog } from '../core/debug-log.js';
import { SessionAggregator } from '../core/sessions/aggregator.js';
import { trackRequestSessions } from '../core/sessions/request-sessions.js';

export interface SessionsIntegrationOptions {
  /** How often aggregates are sent, in ms (default 60 000). */
  flushIntervalMs?: number;
  /** Requests that are not sessions, e.g. health checks: `(req) => req.url === '/healthz'`. */
  ignoreRequest?: (request: IncomingRequestLike) => boolean;
}

/** What `ignoreRequest` can look at (node:http's IncomingMessage has it all). */
export interface IncomingRequestLike {
  url?: string;
  method?: string;
  headers?: Record<string, string | string[] | undefined>;
}

export function sessionsIntegration(options: SessionsIntegrationOptions = {}): Integration {
  let stop: (() => void) | undefined;
  return {
    name: 'Sessions',
    setup(client) {
      const o = client.getOptions();
      if (o.autoSessionTracking !== true) return;
      if (!o.release) {
        debugLog.warn('autoSessionTracking needs a release: sessions are not tracked');
        return;
      }
      const interval =
        typeof options.flushIntervalMs === 'number' && options.flushIntervalMs > 0 ? options.flushIntervalMs : undefined;
      const aggregator = new SessionAggregator(client, { release: o.release, environment: o.environment }, interval);
      const ignore = typeof options.ignoreRequest === 'function' ? options.ignoreRequest : undefined;
      const untrack = trackRequestSessions(client, aggregator, ignore as ((request: unknown) => boolean) | undefined);
      stop = () => {
        untrack();
        aggregator.dispose();
      };
    },
    teardown() {
      // close() has flushed the aggregates already (the flush hook runs before teardown).
      stop?.();
      stop = undefined;
    },
  };
}
