// Server-imposed backoff per data category (PROTOCOL.md §7, SPEC.md decision 11).
// One instance per transport (per DSN). Reads are on the capture path, so they are two map
// lookups; all parsing happens when a response arrives.

import type { DataCategory } from './types.js';

export interface RateLimitHeaders {
  retryAfter?: string | null;
  rateLimits?: string | null;
}

/** Applied on a 429 that names no usable duration (SPEC-python.md §10.3). */
export const DEFAULT_RETRY_AFTER_MS = 60_000;

const ALL = '__all__';

const KNOWN_CATEGORIES: ReadonlySet<string> = new Set<DataCategory>([
  'default', 'error', 'transaction', 'span', 'security', 'attachment', 'session', 'monitor',
  'log_item', 'log_byte', 'profile', 'profile_chunk', 'replay', 'feedback', 'internal',
]);

const SECONDS = /^\d+(?:\.\d+)?$/;

export class RateLimits {
  /** Category (or ALL) -> epoch ms until which it is disabled. */
  private readonly until = new Map<string, number>();

  /**
   * Learns from one response. `X-Sentry-Rate-Limits` wins whenever it is present, on any status;
   * otherwise a 429 disables everything for `Retry-After` (seconds or HTTP-date), or 60 s when
   * that is missing, zero, past or unreadable. A shorter new limit never shortens a stored one.
   */
  update(statusCode: number, headers: RateLimitHeaders, now: number = Date.now()): void {
    const rateLimits = headers.rateLimits?.trim();
    if (rateLimits) {
      this.applyRateLimitsHeader(rateLimits, now);
    } else if (statusCode === 429) {
      this.extend(ALL, now + retryAfterMs(headers.retryAfter, now));
    }
  }

  isLimited(category: DataCategory, now: number = Date.now()): boolean {
    return this.limitedUntil(category) > now;
  }

  /** Epoch ms until which the category is disabled (0 when it never was). */
  limitedUntil(category: DataCategory): number {
    const until = Math.max(this.until.get(ALL) ?? 0, this.until.get(category) ?? 0);
    // A `log` item counts in log_item and log_byte (PROTOCOL.md §7), and Relay refuses logs when
    // either quota is spent; every check asks for an item's category (itemCategory: log →
    // log_item), so log_item answers for both: the log buffer and both transports drop logs
    // during a log_byte limit as during a log_item one.
    return category === 'log_item' ? Math.max(until, this.until.get('log_byte') ?? 0) : until;
  }

  private applyRateLimitsHeader(value: string, now: number): void {
    for (const entry of value.split(',')) {
      const fields = entry.trim().split(':');
      if (fields.length < 2) continue;
      const seconds = fields[0]!.trim();
      if (!SECONDS.test(seconds)) continue;
      const until = now + Number(seconds) * 1000;
      const categories = fields[1]!.split(';').map((c) => c.trim()).filter((c) => c !== '');
      if (categories.length === 0) {
        this.extend(ALL, until);
        continue;
      }
      // A limit naming only categories we do not know is ignored; it must not become "all".
      for (const category of categories) if (KNOWN_CATEGORIES.has(category)) this.extend(category, until);
    }
  }

  private extend(key: string, until: number): void {
    if (until > (this.until.get(key) ?? 0)) this.until.set(key, until);
  }
}

function retryAfterMs(value: string | null | undefined, now: number): number {
  const text = value?.trim();
  if (!text) return DEFAULT_RETRY_AFTER_MS;
  if (SECONDS.test(text)) {
    const ms = Number(text) * 1000;
    return ms > 0 ? ms : DEFAULT_RETRY_AFTER_MS;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date) || date <= now) return DEFAULT_RETRY_AFTER_MS;
  return date - now;
}
