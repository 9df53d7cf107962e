// Counters of what the SDK dropped and why, sent to Sentry as `client_report` items
// (PROTOCOL.md §8). Recording is on drop paths that can run under load: one map update.

import type { DataCategory, DiscardReason } from './types.js';
import type { EnvelopeItem } from './envelope.js';

export interface DiscardedEvents {
  reason: DiscardReason;
  category: DataCategory;
  quantity: number;
}

export interface ClientReportsOptions {
  /** Option `sendClientReports`; when false, `record` does nothing. */
  enabled?: boolean;
}

export class ClientReports {
  private enabled: boolean;
  /** Keyed by `reason:category`; entries are summed in place. */
  private counters = new Map<string, DiscardedEvents>();

  constructor(options: ClientReportsOptions = {}) {
    this.enabled = options.enabled ?? true;
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    if (!on) this.counters.clear();
  }

  record(reason: DiscardReason, category: DataCategory, quantity = 1): void {
    if (!this.enabled) return;
    // Relay wants positive integer quantities; anything else would poison the whole report.
    const amount = Math.floor(quantity);
    if (!(amount > 0)) return;
    const key = `${reason}:${category}`;
    const entry = this.counters.get(key);
    if (entry) entry.quantity += amount;
    else this.counters.set(key, { reason, category, quantity: amount });
  }

  /** Adds counts back, e.g. those of a report whose delivery failed, so they are not lost. */
  merge(entries: readonly DiscardedEvents[]): void {
    for (const e of entries) this.record(e.reason, e.category, e.quantity);
  }

  hasPending(): boolean {
    return this.counters.size > 0;
  }

  /** A `client_report` item with everything counted so far, and the counters reset. */
  take(now: number = Date.now()): EnvelopeItem | undefined {
    if (this.counters.size === 0) return undefined;
    const discarded = this.snapshot();
    this.counters = new Map();
    return {
      header: { type: 'client_report' },
      // Unix seconds, as the Python SDK sends; whole seconds are precise enough for a report.
      payload: { timestamp: Math.floor(now / 1000), discarded_events: discarded },
    };
  }

  snapshot(): DiscardedEvents[] {
    return Array.from(this.counters.values(), (e) => ({ ...e }));
  }
}

/** The entries carried by a `client_report` item built by `take` (for merging back). */
export function discardedEventsOf(item: EnvelopeItem): DiscardedEvents[] {
  const payload = item.payload as { discarded_events?: unknown } | null;
  return Array.isArray(payload?.discarded_events) ? (payload.discarded_events as DiscardedEvents[]) : [];
}
