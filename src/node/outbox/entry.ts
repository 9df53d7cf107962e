// What the outbox remembers about one stored envelope, without holding its bytes: enough to
// order it, bound the store, obey rate limits and count it if it is ever dropped.

import { itemCategory, itemOutcomes, type Envelope, type ItemOutcome } from '../../core/envelope.js';
import type { DataCategory } from '../../core/types.js';
import type { SegmentPlace } from './segment.js';

export interface OutboxEntry {
  /** File name on disk; also the entry's identity in memory-only mode. */
  name: string;
  createdAt: number;
  size: number;
  /** Rate-limit categories of its items: limited ones are left out when it is sent (sender.ts). */
  categories: DataCategory[];
  /** What to record in client reports if it is dropped. */
  outcomes: ItemOutcome[];
  /** Set when the envelope lives only in memory (read-only disk, or a write that failed). */
  bytes?: Uint8Array;
  /** A copy of the file's bytes kept in memory (bounded), so sending needs no read. */
  cached?: Uint8Array;
  /**
   * Set when the envelope is one of several in a segment file (segment.ts); `name` is then
   * `<file>#<i>`. The file's length is kept so that reading back never asks for more.
   */
  segment?: SegmentPlace;
  /** A request for it is in flight; it must not be evicted or sent twice. */
  sending: boolean;
}

export function describeEnvelope(name: string, createdAt: number, size: number, envelope: Envelope): OutboxEntry {
  // Plain arrays and loops: this runs for every envelope, and an envelope has one item or a few.
  const categories: DataCategory[] = [];
  const outcomes: ItemOutcome[] = [];
  const items = envelope.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const category = itemCategory(item.header.type);
    if (!categories.includes(category)) categories.push(category);
    const itemOut = itemOutcomes(item);
    for (let j = 0; j < itemOut.length; j++) outcomes.push(itemOut[j]!);
  }
  // Every field from the start, the optional ones undefined: entries then share one hidden class
  // whichever of them get set later (a segment, a cached copy, memory-only bytes), and the sender's
  // optimized code does not meet a new one mid-run and get thrown away.
  return { name, createdAt, size, categories, outcomes, bytes: undefined, cached: undefined, segment: undefined, sending: false };
}
