// Fastify: server errors are captured from the `onError` hook (it runs before Fastify's error
// handler answers, whatever handler the app set), and every request is annotated with its route
// (`request.routeOptions.url`) and parsed body. Fastify is never imported: the instance is
// passed in and typed by the little we use.
import type { IncomingMessage } from 'node:http';
import { debugLog } from '../core/debug-log.js';
import { captureAutoException } from '../node/capture-auto.js';
import { isServerError } from '../node/http-error-status.js';
import { annotateRequest, requestDataProcessor } from '../node/request-data.js';
import { setRequestRoute } from '../node/tracing/route-name.js';

interface FastifyRequestLike {
  raw: IncomingMessage;
  body?: unknown;
  routeOptions?: { url?: string };
}
type HookDone = (error?: unknown) => void;

/**
 * The one method of a Fastify instance we call. Loosely typed on purpose: Fastify's own overloads
 * (one per hook name) must be assignable to it without importing Fastify's types.
 */
export interface FastifyInstanceLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  addHook(name: string, hook: (...args: any[]) => unknown): unknown;
}

function onRequest(request: FastifyRequestLike, _reply: unknown, done: HookDone): void {
  try {
    // Read lazily: the body is parsed after this hook, and only a captured event needs it.
    annotateRequest(request.raw, () => ({ route: request.routeOptions?.url, body: request.body }));
    // The route is known from here on; the transaction of this request is named by it.
    setRequestRoute(request.raw, request.routeOptions?.url);
  } catch (err) {
    debugLog.error('the Fastify onRequest hook failed', err);
  }
  done();
}

function onError(request: FastifyRequestLike, _reply: unknown, error: unknown, done: HookDone): void {
  try {
    if (isServerError(error)) {
      captureAutoException(error, { type: 'auto.function.fastify', handled: false }, (scope) => {
        scope.addEventProcessor(requestDataProcessor(request.raw));
      });
    }
  } catch (err) {
    debugLog.error('the Fastify onError hook failed', err);
  }
  done();
}

/**
 * Adds faultline's hooks to `fastify` (the root instance, before routes are added, so every route
 * gets them). Errors with status ≥ 500 or none are captured.
 */
export function setupFastifyErrorHandler(fastify: FastifyInstanceLike): void {
  try {
    fastify.addHook('onRequest', onRequest);
    fastify.addHook('onError', onError);
  } catch (err) {
    debugLog.error('setupFastifyErrorHandler: could not add the hooks', err);
  }
}

/**
 * The same as a Fastify plugin: `await fastify.register(faultlineFastifyPlugin)`. It is marked to
 * skip encapsulation, so its hooks apply to the whole app, not only to a child context.
 */
export const faultlineFastifyPlugin = Object.assign(
  function faultlineFastifyPlugin(fastify: FastifyInstanceLike, _options: unknown, done: (error?: Error) => void): void {
    setupFastifyErrorHandler(fastify);
    done();
  },
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'faultline',
  },
);
