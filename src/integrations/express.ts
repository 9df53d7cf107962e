// Express: an error-handling middleware that reports server errors, and route names
// (`GET /users/:id`) as the transaction. Express is never imported: the app is passed in and
// typed by the little we use.
import type { IncomingMessage } from 'node:http';
import { debugLog } from '../core/debug-log.js';
import { captureAutoException } from '../node/capture-auto.js';
import { isServerError } from '../node/http-error-status.js';
import { registerRequestResolver, requestDataProcessor, type RequestDetails } from '../node/request-data.js';

export interface ExpressAppLike {
  use(...handlers: unknown[]): unknown;
}

type ExpressRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: unknown; body?: unknown };
type ExpressErrorMiddleware = (error: unknown, req: ExpressRequest, res: unknown, next: (error?: unknown) => void) => void;

/**
 * Express keeps the matched route on `req.route` (relative to the router at `req.baseUrl`); it is
 * still there when the response ends, which is when tracing names the transaction with it.
 */
export function expressRouteOf(req: IncomingMessage): string | undefined {
  const r = req as ExpressRequest;
  const path = r.route?.path;
  if (typeof path !== 'string') return undefined;
  const base = typeof r.baseUrl === 'string' ? r.baseUrl : '';
  return base + path;
}

function expressDetails(req: IncomingMessage): RequestDetails | undefined {
  const route = expressRouteOf(req);
  return route === undefined ? undefined : { route };
}

/**
 * The middleware itself, for apps that mount it by hand: `app.use(expressErrorHandler())` after
 * all routes. Captures errors with status ≥ 500 or no status, then passes the error on.
 */
export function expressErrorHandler(): ExpressErrorMiddleware {
  registerRequestResolver(expressDetails);
  // Four parameters: that is how Express tells an error handler from a normal middleware.
  return function faultlineExpressErrorHandler(error, req, _res, next) {
    try {
      if (isServerError(error)) {
        captureAutoException(error, { type: 'auto.middleware.express', handled: false }, (scope) => {
          // Request data also when the HttpServer integration is off; it fills nothing twice.
          scope.addEventProcessor(requestDataProcessor(req));
        });
      }
    } catch (err) {
      debugLog.error('the Express error handler failed', err);
    }
    next(error);
  };
}

/** Adds the faultline error handler to `app`. Call it after all routes and before other error handlers. */
export function setupExpressErrorHandler(app: ExpressAppLike): void {
  try {
    app.use(expressErrorHandler());
  } catch (err) {
    debugLog.error('setupExpressErrorHandler: could not add the middleware', err);
  }
}
