// Koa: a middleware that captures server errors thrown by anything after it and rethrows them,
// so Koa's own error handling (status, 'error' event) is unchanged. Koa is never imported.
import type { IncomingMessage } from 'node:http';
import { debugLog } from '../core/debug-log.js';
import { captureAutoException } from '../node/capture-auto.js';
import { isServerError } from '../node/http-error-status.js';
import { annotateRequest, requestDataProcessor } from '../node/request-data.js';
import { setRequestRoute } from '../node/tracing/route-name.js';

export interface KoaContextLike {
  req: IncomingMessage;
  request?: { body?: unknown };
  /** Set by @koa/router. */
  _matchedRoute?: unknown;
  routerPath?: unknown;
}

type KoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

function routeOf(ctx: KoaContextLike): string | undefined {
  const route = ctx._matchedRoute ?? ctx.routerPath;
  return typeof route === 'string' ? route : undefined;
}

/** The router matched a route only once `next()` ran: that names the request's transaction. */
function nameTransaction(ctx: KoaContextLike): void {
  try {
    setRequestRoute(ctx.req, routeOf(ctx));
  } catch (err) {
    debugLog.error('the Koa middleware could not read the route', err);
  }
}

/** `app.use(koaErrorHandler())` first, so it sees every error below it. */
export function koaErrorHandler(): KoaMiddleware {
  return async function faultlineKoaErrorHandler(ctx, next) {
    try {
      annotateRequest(ctx.req, () => ({ route: routeOf(ctx), body: ctx.request?.body }));
    } catch (err) {
      debugLog.error('the Koa middleware could not annotate the request', err);
    }
    try {
      await next();
      nameTransaction(ctx);
    } catch (error) {
      nameTransaction(ctx);
      if (isServerError(error)) {
        captureAutoException(error, { type: 'auto.middleware.koa', handled: false }, (scope) => {
          scope.addEventProcessor(requestDataProcessor(ctx.req));
        });
      }
      throw error;
    }
  };
}
