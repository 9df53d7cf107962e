import type { Db } from './database.js';

export interface RetentionLimits {
  /** Stored events per issue; older ones are deleted, counts stay. */
  maxEventsPerIssue: number;
  /** Payload bytes of events + items together; past it the oldest rows go until 90 % remain. */
  maxTotalBytes: number;
  /** Rows older than this are deleted. */
  maxAgeDays: number;
}

export const defaultRetention: RetentionLimits = {
  maxEventsPerIssue: 100,
  maxTotalBytes: 512 * 1024 * 1024,
  maxAgeDays: 90,
};

const CHUNK = 500;

/** Sum of stored payload bytes, read once at start; the writer keeps it current afterwards. */
export function storedBytes(db: Db): number {
  const events = db.prepare('SELECT coalesce(sum(size), 0) FROM events').pluck().get() as number;
  const items = db.prepare('SELECT coalesce(sum(size), 0) FROM items').pluck().get() as number;
  return events + items;
}

/**
 * Deletes the oldest events and items (whichever is older first, in chunks) until the total is at most
 * `target` bytes, and everything older than the age limit. Returns the bytes now stored.
 */
export function prune(db: Db, limits: RetentionLimits, currentBytes: number, now: number): number {
  let bytes = currentBytes;
  const cutoff = now - limits.maxAgeDays * 86400;
  const oldestEvent = db.prepare('SELECT id, received_at AS at FROM events ORDER BY id LIMIT 1');
  const oldestItem = db.prepare('SELECT id, received_at AS at FROM items ORDER BY id LIMIT 1');
  // The shortest run of oldest rows (at most CHUNK) whose sizes add up to what must go.
  const oldestRun = (table: string) =>
    `SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY id) - size AS before FROM (SELECT id, size FROM ${table} ORDER BY id LIMIT ${CHUNK})) WHERE before < @need`;
  const dropEvents = db.prepare(`DELETE FROM events WHERE id IN (${oldestRun('events')}) RETURNING size, issue_id AS issueId`);
  const dropItems = db.prepare(`DELETE FROM items WHERE id IN (${oldestRun('items')}) RETURNING size`);
  const dropOldEvents = db.prepare('DELETE FROM events WHERE received_at < ? RETURNING size, issue_id AS issueId');
  const dropOldItems = db.prepare('DELETE FROM items WHERE received_at < ? RETURNING size');
  const lowerStored = db.prepare('UPDATE issues SET stored_events = stored_events - 1 WHERE id = ?');
  const dropOldBuckets = db.prepare('DELETE FROM issue_buckets WHERE minute < ?');

  db.transaction(() => {
    for (const row of dropOldEvents.all(cutoff) as { size: number; issueId: number }[]) {
      bytes -= row.size;
      lowerStored.run(row.issueId);
    }
    for (const row of dropOldItems.all(cutoff) as { size: number }[]) bytes -= row.size;
    dropOldBuckets.run(Math.floor(cutoff / 60));
  })();

  if (bytes <= limits.maxTotalBytes) return Math.max(0, bytes);
  // Once over the limit, go well below it, so pruning runs rarely rather than on every batch.
  const target = limits.maxTotalBytes * 0.9;
  while (bytes > target) {
    const event = oldestEvent.get() as { at: number } | undefined;
    const item = oldestItem.get() as { at: number } | undefined;
    if (!event && !item) break;
    db.transaction(() => {
      if (event && (!item || event.at <= item.at)) {
        for (const row of dropEvents.all({ need: bytes - target }) as { size: number; issueId: number }[]) {
          bytes -= row.size;
          lowerStored.run(row.issueId);
        }
      } else {
        for (const row of dropItems.all({ need: bytes - target }) as { size: number }[]) bytes -= row.size;
      }
    })();
  }
  return Math.max(0, bytes);
}
