import type { Db } from './database.js';
import type { ChangeNotice, EventRecord, ItemRecord, WriteRecord } from './records.js';

interface Pending {
  records: WriteRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriterOptions {
  /** How long a write may wait for company before its batch commits. */
  batchDelayMs: number;
  /** Commit early once this many records wait. */
  maxBatch: number;
  /** Oldest events of an issue beyond this are deleted (the issue keeps its counts). */
  maxEventsPerIssue: number;
  onCommit: (notice: ChangeNotice, bytesAdded: number) => void;
}

/**
 * Queues writes and commits them in one transaction every few milliseconds. One SQLite transaction per
 * request would cap ingest at the fsync rate; batching turns 20 concurrent senders into a handful of
 * commits. `enqueue` resolves once the batch holding the records is committed, so a 200 reply means stored.
 */
export class BatchWriter {
  private pending: Pending[] = [];
  private pendingCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly statements;
  private readonly commitBatch: (batch: WriteRecord[]) => { notice: ChangeNotice; bytes: number };

  constructor(
    private readonly db: Db,
    private readonly options: WriterOptions,
  ) {
    this.statements = {
      eventExists: db.prepare('SELECT 1 FROM events WHERE project_id = ? AND event_id = ?').pluck(),
      upsertIssue: db.prepare(
        `INSERT INTO issues (project_id, hash, title, culprit, level, event_type, first_seen, last_seen, count, stored_events)
         VALUES (@projectId, @hash, @title, @culprit, @level, @eventType, @timestamp, @timestamp, 1, 1)
         ON CONFLICT (project_id, hash) DO UPDATE SET
           title = excluded.title, culprit = excluded.culprit, level = excluded.level,
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
           count = count + 1, stored_events = stored_events + 1
         RETURNING id, stored_events AS storedEvents`,
      ),
      insertValue: db.prepare('INSERT OR IGNORE INTO issue_values (issue_id, kind, value, count, last_seen) VALUES (?, ?, ?, 1, ?)'),
      bumpValue: db.prepare('UPDATE issue_values SET count = count + 1, last_seen = max(last_seen, ?) WHERE issue_id = ? AND kind = ? AND value = ?'),
      bumpUsers: db.prepare('UPDATE issues SET user_count = user_count + 1 WHERE id = ?'),
      bumpBucket: db.prepare(
        'INSERT INTO issue_buckets (issue_id, minute, count) VALUES (?, ?, 1) ON CONFLICT (issue_id, minute) DO UPDATE SET count = count + 1',
      ),
      insertEvent: db.prepare(
        `INSERT INTO events (project_id, issue_id, event_id, event_type, received_at, timestamp, level, release, environment, user_key, title, search, size, payload)
         VALUES (@projectId, @issueId, @eventId, @eventType, @receivedAt, @timestamp, @level, @release, @environment, @userKey, @title, @search, @size, @payload)`,
      ),
      insertItem: db.prepare(
        'INSERT INTO items (project_id, event_id, type, received_at, size, headers, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      trimIssue: db.prepare(
        'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE issue_id = ? ORDER BY id ASC LIMIT ?) RETURNING size',
      ).pluck(),
      setStored: db.prepare('UPDATE issues SET stored_events = ? WHERE id = ?'),
    };
    this.commitBatch = db.transaction((batch: WriteRecord[]) => this.writeBatch(batch));
  }

  enqueue(records: WriteRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.pendingCount += records.length;
      if (this.pendingCount >= this.options.maxBatch) this.schedule(0);
      else this.schedule(this.options.batchDelayMs);
    });
  }

  /** Commits whatever waits now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingCount = 0;
    try {
      const { notice, bytes } = this.commitBatch(batch.flatMap((entry) => entry.records));
      for (const entry of batch) entry.resolve();
      this.options.onCommit(notice, bytes);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  /**
   * With no delay, the commit runs right after the current round of I/O callbacks: every request whose
   * body arrived in the same turn of the event loop shares the transaction, and none waits on a timer.
   */
  private schedule(delayMs: number): void {
    if (delayMs <= 0) {
      this.immediate ??= setImmediate(() => this.flush());
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), delayMs);
  }

  private writeBatch(batch: WriteRecord[]): { notice: ChangeNotice; bytes: number } {
    const issueIds = new Set<number>();
    const projectIds = new Set<number>();
    const overfull = new Map<number, number>();
    let events = 0;
    let items = 0;
    let bytes = 0;
    for (const record of batch) {
      projectIds.add(record.projectId);
      if (record.kind === 'event') {
        const written = this.writeEvent(record);
        if (written === undefined) continue; // duplicate event_id: Sentry keeps the first
        events++;
        bytes += Buffer.byteLength(record.payload);
        issueIds.add(written.issueId);
        if (written.storedEvents > this.options.maxEventsPerIssue) overfull.set(written.issueId, written.storedEvents);
      } else {
        this.writeItem(record);
        items++;
        bytes += record.payload.length;
      }
    }
    for (const [issueId, stored] of overfull) {
      const sizes = this.statements.trimIssue.all(issueId, stored - this.options.maxEventsPerIssue) as number[];
      for (const size of sizes) bytes -= size;
      this.statements.setStored.run(stored - sizes.length, issueId);
    }
    return { notice: { events, items, issueIds: [...issueIds], projectIds: [...projectIds] }, bytes };
  }

  private writeEvent(record: EventRecord): { issueId: number; storedEvents: number } | undefined {
    const s = this.statements;
    if (s.eventExists.get(record.projectId, record.eventId)) return undefined;
    const { summary } = record;
    const issue = s.upsertIssue.get({
      projectId: record.projectId,
      hash: record.hash,
      title: summary.title,
      culprit: summary.culprit,
      level: summary.level,
      eventType: record.eventType,
      timestamp: summary.timestamp,
    }) as { id: number; storedEvents: number };
    this.addValue(issue.id, 'release', summary.release, summary.timestamp);
    this.addValue(issue.id, 'environment', summary.environment, summary.timestamp);
    this.addValue(issue.id, 'level', summary.level, summary.timestamp);
    if (this.addValue(issue.id, 'user', summary.userKey, summary.timestamp)) s.bumpUsers.run(issue.id);
    s.bumpBucket.run(issue.id, Math.floor(summary.timestamp / 60));
    s.insertEvent.run({
      projectId: record.projectId,
      issueId: issue.id,
      eventId: record.eventId,
      eventType: record.eventType,
      receivedAt: record.receivedAt,
      timestamp: summary.timestamp,
      level: summary.level,
      release: summary.release ?? null,
      environment: summary.environment ?? null,
      userKey: summary.userKey ?? null,
      title: summary.title,
      search: summary.searchText,
      size: Buffer.byteLength(record.payload),
      payload: record.payload,
    });
    return { issueId: issue.id, storedEvents: issue.storedEvents };
  }

  /** Records a value on the issue; true when the value is new for it. */
  private addValue(issueId: number, kind: string, value: string | undefined, seen: number): boolean {
    if (value === undefined) return false;
    if (this.statements.insertValue.run(issueId, kind, value, seen).changes === 1) return true;
    this.statements.bumpValue.run(seen, issueId, kind, value);
    return false;
  }

  private writeItem(record: ItemRecord): void {
    this.statements.insertItem.run(record.projectId, record.eventId ?? null, record.type, record.receivedAt, record.payload.length, record.headers, record.payload);
  }
}
