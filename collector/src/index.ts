import { resolve } from 'node:path';
import { defaultLimits, type IngestLimits } from './ingest/limits.js';
import type { RetentionLimits } from './store/retention.js';
import { Store } from './store/store.js';
import { createCollectorServer } from './server.js';

export { Store } from './store/store.js';
export type { IngestLimits } from './ingest/limits.js';
export type { RetentionLimits } from './store/retention.js';
export { groupingHash, groupingComponents } from './grouping/fingerprint.js';
export { parseEnvelope } from './ingest/envelope.js';

export interface CollectorOptions {
  /** Default 8969 (Spotlight's port); 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1: the collector is for this machine unless told otherwise. */
  host?: string;
  /** Default ./.faultline/collector.db; ':memory:' keeps nothing. */
  dbPath?: string;
  /** No log lines on stdout/stderr. */
  quiet?: boolean;
  limits?: Partial<IngestLimits>;
  retention?: Partial<RetentionLimits>;
}

export interface RunningCollector {
  /** The page, e.g. http://127.0.0.1:8969/ */
  url: string;
  /** DSN of the default project. */
  dsn: string;
  port: number;
  store: Store;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8969;
export const DEFAULT_DB_PATH = '.faultline/collector.db';

/** Starts the collector: opens (or creates) the database, ensures the default project, listens. */
export async function startCollector(options: CollectorOptions = {}): Promise<RunningCollector> {
  const host = options.host ?? '127.0.0.1';
  const dbPath = options.dbPath === ':memory:' ? ':memory:' : resolve(options.dbPath ?? DEFAULT_DB_PATH);
  const log = options.quiet ? () => {} : (line: string) => console.error(`[faultline-collector] ${line}`);
  const store = new Store({ path: dbPath, retention: options.retention });
  let parts;
  try {
    const project = store.projects.ensureDefault();
    store.projects.acceptLocalDevelopmentKey = isLoopback(host);
    let baseUrl = '';
    parts = createCollectorServer(store, { ...defaultLimits, ...options.limits }, () => baseUrl, log);
    const { server } = parts;
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_PORT);
    const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    baseUrl = `http://${urlHost}:${port}/`;
    const live = parts.live;
    let closing: Promise<void> | undefined;
    return {
      url: baseUrl,
      dsn: `http://${project.publicKey}@${urlHost}:${port}/${project.id}`,
      port,
      store,
      close: () =>
        (closing ??= new Promise<void>((resolveClose) => {
          live.close();
          server.close(() => {
            store.close();
            resolveClose();
          });
          server.closeAllConnections();
        })),
    };
  } catch (error) {
    parts?.live.close();
    store.close();
    throw error;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
