import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LiveFeed } from './api/live.js';
import { handleApi } from './api/router.js';
import { corsHeaders, sendError } from './http/respond.js';
import { handleIngest } from './ingest/handler.js';
import type { IngestLimits } from './ingest/limits.js';
import type { Store } from './store/store.js';
import { StaticAssets } from './web/static.js';

const INGEST_ROUTE = /^\/api\/(\d+)\/(envelope|store)\/?$/;

export interface ServerParts {
  server: Server;
  live: LiveFeed;
}

/** The one HTTP server: ingest (POST), the JSON API and the page (GET). Every request is fenced by try/catch. */
export function createCollectorServer(store: Store, limits: IngestLimits, baseUrl: () => string, log: (line: string) => void): ServerParts {
  const live = new LiveFeed(store);
  const assets = new StaticAssets();
  const ingestContext = { store, limits };
  const apiContext = { store, live, baseUrl };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://collector.invalid');
    const ingest = INGEST_ROUTE.exec(url.pathname);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, corsHeaders);
      res.end();
      return;
    }
    if (ingest) {
      if (req.method !== 'POST') return sendError(res, 405, 'ingest endpoints take POST', { ...corsHeaders, Allow: 'POST, OPTIONS' });
      return handleIngest(req, res, url, { projectId: ingest[1]!, endpoint: ingest[2] as 'envelope' | 'store' }, ingestContext);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, `${req.method} is not supported here`);
    if (url.pathname.startsWith('/api/')) {
      if (!handleApi(req, res, url, apiContext)) sendError(res, 404, `no API route ${url.pathname}`);
      return;
    }
    if (!assets.serve(url.pathname, res)) sendError(res, 404, `not found: ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`request failed: ${(error as Error)?.stack ?? String(error)}`);
      try {
        sendError(res, 500, 'internal error');
      } catch {
        res.destroy();
      }
    });
  });
  // A client that opens a connection and never finishes its request must not hold it forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return { server, live };
}
