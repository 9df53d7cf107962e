// A stored envelope that comes up for sending while some of its categories are rate limited goes
// without those items (PROTOCOL.md §7 step 5: drop matching items before sending), as the
// in-memory transport does; an event whose attachments are limited still goes. Only this rare
// case parses and serializes a stored envelope again; the usual one is sent as its bytes.

import { itemCategory, itemOutcomes, parseEnvelope, payloadJson, serializeEnvelope, type EnvelopeItem, type ItemOutcome } from '../../core/envelope.js';
import type { RateLimits } from '../../core/rate-limits.js';
import type { DataCategory } from '../../core/types.js';

export interface LimitedSplit {
  /** The envelope without its limited items, `sent_at` stamped now; undefined when none is left. */
  body: Uint8Array | undefined;
  /** What the items sent count for (send_error if the server refuses them). */
  kept: ItemOutcome[];
  /** What the items left out count for, as `ratelimit_backoff`. */
  dropped: ItemOutcome[];
}

/** How many of `categories` are limited at `now`. */
export function countLimited(categories: readonly DataCategory[], rateLimits: RateLimits, now: number): number {
  let limited = 0;
  for (const category of categories) if (rateLimits.isLimited(category, now)) limited++;
  return limited;
}

/** Throws on bytes that are not an envelope (a damaged file): the caller gives it up. */
export function withoutLimitedItems(stored: Uint8Array, rateLimits: RateLimits, now: number): LimitedSplit {
  const envelope = parseEnvelope(stored);
  const items: EnvelopeItem[] = [];
  const kept: ItemOutcome[] = [];
  const dropped: ItemOutcome[] = [];
  for (const item of envelope.items) {
    const limited = rateLimits.isLimited(itemCategory(item.header.type), now);
    if (!limited) items.push(item);
    (limited ? dropped : kept).push(...storedItemOutcomes(item));
  }
  const body = items.length > 0 ? serializeEnvelope({ header: envelope.header, items }, now) : undefined;
  return { body, kept, dropped };
}

/** A parsed payload is bytes; a transaction's span count needs its JSON. */
function storedItemOutcomes(item: EnvelopeItem): ItemOutcome[] {
  if (item.header.type !== 'transaction') return itemOutcomes(item);
  try {
    return itemOutcomes({ header: item.header, payload: payloadJson(item) });
  } catch {
    return itemOutcomes(item);
  }
}
