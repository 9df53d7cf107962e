// The apps under test listen on an ephemeral port of 127.0.0.1; these two calls bring one up and
// take it down, so a file's before/after hooks only say which app it is.
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The base URL of a server whose listen(0, '127.0.0.1') was already called (by node:http, Express,
 * Koa or Fastify), once it listens.
 */
export async function localUrl(server: http.Server): Promise<string> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops an app at once: its keep-alive connections would otherwise hold close() open. */
export async function closeApp(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
