// Shared by the delivery tests: a fresh cache folder per test and a durable-transport init.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as faultline from '../../src/index.js';
import { makeDurableNodeTransport, type DurableTransport } from '../../src/node/transport-durable.js';
import { ENVELOPE_SUFFIX } from '../../src/node/outbox/disk-store.js';
import { decodeSegment, SEGMENT_SUFFIX } from '../../src/node/outbox/segment.js';

export function tempCacheDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-delivery-'));
}

/** Fast retries so outages of a few hundred ms play out quickly. */
export const FAST_OUTBOX = { retryInitialDelayMs: 20, retryMaxDelayMs: 200 };

export function initDurable(dsn: string, cacheDir: string, extra: faultline.Options = {}) {
  const { transportOptions, ...rest } = extra;
  return faultline.init({
    dsn,
    cacheDir,
    defaultIntegrations: false,
    transport: makeDurableNodeTransport,
    ...rest,
    transportOptions: { timeout: 500, outbox: FAST_OUTBOX, ...transportOptions },
  });
}

export function durableTransport(): DurableTransport {
  return faultline.getClient()!.getTransport() as DurableTransport;
}

/**
 * The envelopes stored under a cache folder (all DSN subfolders), one path per envelope: a
 * segment file that holds several is listed once per envelope, as `<file>#<index>`.
 */
export function storedFiles(cacheDir: string): string[] {
  if (!fs.existsSync(cacheDir)) return [];
  return fs
    .readdirSync(cacheDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => (f.endsWith(ENVELOPE_SUFFIX) || f.endsWith(SEGMENT_SUFFIX)) && !path.basename(f).startsWith('.'))
    .map((f) => path.join(cacheDir, f))
    .flatMap((file) => {
      if (!file.endsWith(SEGMENT_SUFFIX)) return [file];
      return decodeSegment(fs.readFileSync(file)).map((_, i) => `${file}#${i}`);
    });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Event ids → how many times the server received each. */
export function countById(events: any[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.event_id, (counts.get(e.event_id) ?? 0) + 1);
  return counts;
}
