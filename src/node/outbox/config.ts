// The outbox's settings, read once from the client options: where it lives and how big it may grow.

import * as os from 'node:os';
import * as path from 'node:path';
import type { TransportFactoryArgs } from '../../core/types.js';

export interface OutboxSettings {
  /** Most envelopes kept (oldest dropped first, counted as `cache_overflow`). */
  maxEntries: number;
  /** Most bytes kept on disk. */
  maxBytes: number;
  /**
   * Most bytes kept in memory: by the outbox when the disk cannot be used, and by writes under
   * way. The copy of stored envelopes that spares reading them back is at most 4 MiB of it
   * (state.ts).
   */
  maxMemoryBytes: number;
  /** Envelopes older than this are dropped (`cache_overflow`) instead of sent. */
  maxAgeMs: number;
  /** First retry delay after a network error or 5xx; doubles per failure, with jitter. */
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** fsync each file before it becomes visible (only matters for power loss). */
  fsync: boolean;
  /** Send what a burst spills from a worker thread while the caller's loop runs (burst-sender.ts). */
  burstThread: boolean;
}

export const OUTBOX_DEFAULTS: OutboxSettings = {
  maxEntries: 10_000,
  maxBytes: 128 * 1024 * 1024,
  maxMemoryBytes: 16 * 1024 * 1024,
  maxAgeMs: 30 * 24 * 60 * 60 * 1000,
  retryInitialDelayMs: 1000,
  retryMaxDelayMs: 60_000,
  fsync: false,
  burstThread: true,
};

/** `transportOptions.outbox` over the defaults; wrong values fall back to the default. */
export function outboxSettings(raw: unknown): OutboxSettings {
  const given = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const positive = (key: Exclude<keyof OutboxSettings, 'fsync' | 'burstThread'>): number => {
    const value = given[key];
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : (OUTBOX_DEFAULTS[key] as number);
  };
  return {
    maxEntries: Math.floor(positive('maxEntries')),
    maxBytes: positive('maxBytes'),
    maxMemoryBytes: positive('maxMemoryBytes'),
    maxAgeMs: positive('maxAgeMs'),
    retryInitialDelayMs: positive('retryInitialDelayMs'),
    retryMaxDelayMs: positive('retryMaxDelayMs'),
    fsync: given.fsync === true,
    burstThread: given.burstThread !== false,
  };
}

/**
 * One folder per DSN, so two projects in one process (or on one host) never send each other's
 * envelopes: `<cacheDir or os.tmpdir()/faultline>/<16 hex of FNV-1a 64(endpoint + key)>`.
 */
export function outboxDirectory(args: Pick<TransportFactoryArgs, 'url' | 'dsn' | 'options'>): string {
  const fromEnv = process.env['FAULTLINE_CACHE_DIR'];
  const base =
    typeof args.options.cacheDir === 'string' && args.options.cacheDir
      ? args.options.cacheDir
      : fromEnv || path.join(os.tmpdir(), 'faultline');
  return path.join(base, fnv1a64Hex(`${args.url}\n${args.dsn.publicKey}`));
}

/**
 * FNV-1a, 64 bits, of the text's UTF-8 bytes, as 16 hex characters. A folder name needs no
 * cryptographic hash, and `node:crypto` took about 4.5 ms of every start-up for this one call.
 */
export function fnv1a64Hex(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, '0');
}
