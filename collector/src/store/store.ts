import { EventEmitter } from 'node:events';
import { openDatabase, type Db } from './database.js';
import { ProjectRegistry } from './projects.js';
import { Queries } from './queries.js';
import type { ChangeNotice, WriteRecord } from './records.js';
import { defaultRetention, prune, storedBytes, type RetentionLimits } from './retention.js';
import { BatchWriter } from './writer.js';

export interface StoreOptions {
  path: string;
  retention?: Partial<RetentionLimits>;
  /** Milliseconds a write waits to share a transaction with others. */
  batchDelayMs?: number;
}

/**
 * The collector's storage: one SQLite database, a batching writer, the read queries, and a 'change'
 * event after every commit (the page's live updates listen to it).
 */
export class Store extends EventEmitter<{ change: [ChangeNotice] }> {
  readonly db: Db;
  readonly projects: ProjectRegistry;
  readonly queries: Queries;
  private readonly writer: BatchWriter;
  private readonly retention: RetentionLimits;
  private bytes: number;
  private readonly ageTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: StoreOptions) {
    super();
    this.db = openDatabase(options.path);
    this.retention = { ...defaultRetention, ...options.retention };
    this.projects = new ProjectRegistry(this.db);
    this.queries = new Queries(this.db);
    this.bytes = storedBytes(this.db);
    this.writer = new BatchWriter(this.db, {
      batchDelayMs: options.batchDelayMs ?? 0,
      maxBatch: 1000,
      maxEventsPerIssue: this.retention.maxEventsPerIssue,
      onCommit: (notice, added) => this.afterCommit(notice, added),
    });
    this.pruneNow();
    // Age-based retention needs no precision: hourly is plenty.
    this.ageTimer = setInterval(() => this.pruneNow(), 3600_000).unref();
  }

  /** Resolves once the records are committed. */
  write(records: WriteRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.writer.enqueue(records);
  }

  /** Bytes of payload currently stored (events + items). */
  get storedBytes(): number {
    return this.bytes;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ageTimer);
    this.writer.flush();
    this.db.close();
  }

  private afterCommit(notice: ChangeNotice, added: number): void {
    this.bytes += added;
    if (this.bytes > this.retention.maxTotalBytes) this.pruneNow();
    this.emit('change', notice);
  }

  private pruneNow(): void {
    try {
      this.bytes = prune(this.db, this.retention, this.bytes, Date.now() / 1000);
    } catch (error) {
      // Retention is housekeeping; a failure must not stop ingest. It runs again on the next trigger.
      process.emitWarning(`faultline-collector: retention failed: ${(error as Error).message}`);
    }
  }
}
