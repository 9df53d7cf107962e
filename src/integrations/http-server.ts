// Per-request isolation for every node:http(s) server: each request runs in its own isolation
// scope, so the user, tags and breadcrumbs set while handling it stay with it, and events
// captured there carry the request (src/node/request-data.ts).
//
// Why an emit wrapper and not only the channel: `http.server.request.start` is published just
// before the server emits 'request', but a subscriber cannot run the handler inside a context.
// So the channel is used to find each server once, and that server's `emit` is wrapped so the
// 'request' event is dispatched inside `withIsolationScope`. The request's and response's own
// events ('data', 'end', 'finish') come from the socket, whose async context predates the
// request; they are re-entered into the request's scopes too, or a body parser's `next()` would
// run without them.
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientLike, Integration } from '../core/types.js';
import { withIsolationScope } from '../core/api.js';
import { getAsyncContextStrategy, getCurrentScopes, type ScopePair } from '../core/async-context.js';
import { debugLog } from '../core/debug-log.js';
import { requestDataProcessor } from '../node/request-data.js';
import { isSentryIngestRequest } from '../node/own-requests.js';

const CHANNEL = 'http.server.request.start';
const WRAPPED = Symbol.for('faultline.http-server.wrapped');

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;
interface ServerLike {
  emit: Emit;
  [WRAPPED]?: true;
}

let owner: object | undefined;
/** The client of the integration in charge; tracing and sessions hear of each request through it. */
let client: ClientLike | undefined;
/** The wrappers stay on servers after teardown; this switch turns them into pass-throughs. */
let active = false;

function onRequestStart(message: unknown): void {
  try {
    const server = (message as { server?: ServerLike }).server;
    if (server && typeof server.emit === 'function' && !server[WRAPPED]) wrapServer(server);
  } catch (err) {
    debugLog.error('http server instrumentation failed', err);
  }
}

function wrapServer(server: ServerLike): void {
  const original = server.emit;
  server.emit = function emitWithIsolation(this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'request' || !active) return original.call(this, event, ...args);
    const [req, res] = args as [IncomingMessage, ServerResponse];
    return withIsolationScope((isolationScope) => {
      try {
        isolationScope.addEventProcessor(requestDataProcessor(req));
        const scopes = getCurrentScopes();
        bindEmitter(req, scopes);
        bindEmitter(res, scopes);
        // Tracing and sessions follow the app's requests, not the envelope posts to a Sentry
        // ingest in this process (a transaction for each would feed itself forever).
        if (!isSentryIngestRequest(req)) client?.emit('requestStart', req, res);
      } catch (err) {
        debugLog.error('could not prepare the request scope', err);
      }
      return original.call(this, event, ...args);
    });
  };
  server[WRAPPED] = true;
}

function bindEmitter(emitter: { emit: Emit } | undefined, scopes: ScopePair): void {
  if (!emitter || typeof emitter.emit !== 'function') return;
  const emit = emitter.emit;
  const strategy = getAsyncContextStrategy();
  emitter.emit = function emitInRequestScope(this: unknown, ...args: Parameters<Emit>): boolean {
    return strategy.runWithScopes(scopes, () => emit.apply(this, args));
  };
}

/**
 * Isolation scope and request data for incoming requests of every node:http and node:https
 * server in the process, including those made by Express, Fastify and Koa.
 */
export function httpServerIntegration(): Integration {
  const self: Integration = {
    name: 'HttpServer',
    setup(c) {
      owner = self;
      client = c;
      if (active) return;
      active = true;
      diagnosticsChannel.subscribe(CHANNEL, onRequestStart);
    },
    teardown() {
      // A newer client's integration took over; its subscription must stay.
      if (owner !== self) return;
      active = false;
      owner = undefined;
      client = undefined;
      diagnosticsChannel.unsubscribe(CHANNEL, onRequestStart);
    },
  };
  return self;
}
