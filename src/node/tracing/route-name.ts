// The route pattern an incoming request matched (`/users/:id`), which names its transaction.
// Frameworks tell it here when they know it (Fastify's handler channel and hook, the Koa
// middleware); Express keeps it on the request itself, read when the response ends.
import type { IncomingMessage } from 'node:http';
import { expressRouteOf } from '../../integrations/express.js';

const routes = new WeakMap<object, string>();

export function setRequestRoute(req: IncomingMessage | undefined, route: unknown): void {
  if (req && typeof req === 'object' && typeof route === 'string' && route) routes.set(req, route);
}

/** The route `req` matched, if a framework told or Express recorded one. */
export function routeOfRequest(req: IncomingMessage): string | undefined {
  try {
    return routes.get(req) ?? expressRouteOf(req);
  } catch {
    return undefined;
  }
}
