import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page's policy: scripts only from the collector itself, no inline script, no plugins. Event data is
 * rendered with textContent, and this header is the second wall should a bug ever let markup through.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The assets folder: beside this file in the source tree, under dist/web/ in the built package. */
function assetsDir(): string {
  const candidates = [new URL('./assets/', import.meta.url), new URL('./web/assets/', import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(join(path, 'index.html'))) return path;
  }
  throw new Error('faultline-collector: web assets not found (run the build)');
}

/** Loads the page's few files once: they are small and never change while the collector runs. */
export class StaticAssets {
  private readonly files = new Map<string, { body: Buffer; type: string }>();

  constructor() {
    const dir = assetsDir();
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type) this.files.set(name, { body: readFileSync(join(dir, name)), type });
    }
  }

  /** Serves `/` and `/assets/<file>`; false when the path is neither. */
  serve(pathname: string, res: ServerResponse): boolean {
    const name = pathname === '/' || pathname === '/index.html' ? 'index.html' : /^\/assets\/([\w.-]+)$/.exec(pathname)?.[1];
    const file = name ? this.files.get(name) : undefined;
    if (!file) return false;
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
    res.end(file.body);
    return true;
  }
}
