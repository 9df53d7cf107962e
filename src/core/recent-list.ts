// A short list of the most recently used entries, newest first, for memos that compare a few
// candidates by value (event-json.ts, node/gzip-body.ts). A hit moves to the front; an entry
// added past the limit pushes out the oldest. Linear on purpose: the lists hold eight entries,
// and a value comparison cannot be hashed cheaply.

export class RecentList<T> {
  private readonly items: T[] = [];

  constructor(private readonly max: number) {}

  /** The first entry for which `matches(entry, arg)` holds, moved to the front. */
  find<A>(matches: (entry: T, arg: A) => boolean, arg: A): T | undefined {
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const entry = items[i]!;
      if (!matches(entry, arg)) continue;
      if (i > 0) {
        items.splice(i, 1);
        items.unshift(entry);
      }
      return entry;
    }
    return undefined;
  }

  add(entry: T): void {
    this.items.unshift(entry);
    if (this.items.length > this.max) this.items.pop();
  }

  clear(): void {
    this.items.length = 0;
  }
}
