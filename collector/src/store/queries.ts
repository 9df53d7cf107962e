import type { Db } from './database.js';

export type IssueSort = 'last_seen' | 'first_seen' | 'count' | 'users' | 'new';

export interface IssueFilter {
  projectId?: number;
  level?: string;
  environment?: string;
  release?: string;
  /** Free text, matched case-insensitively against titles, culprits and the events' text. */
  query?: string;
  sort?: IssueSort;
  limit?: number;
  offset?: number;
}

export interface IssueRow {
  id: number;
  projectId: number;
  title: string;
  culprit: string;
  level: string;
  type: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  userCount: number;
  storedEvents: number;
}

export interface EventMeta {
  id: number;
  eventId: string;
  issueId: number;
  projectId: number;
  type: string;
  receivedAt: string;
  timestamp: string;
  level: string;
  release: string | null;
  environment: string | null;
  user: string | null;
  title: string;
  size: number;
}

const SORT_SQL: Record<IssueSort, string> = {
  last_seen: 'i.last_seen DESC',
  first_seen: 'i.first_seen ASC',
  new: 'i.first_seen DESC',
  count: 'i.count DESC',
  users: 'i.user_count DESC',
};

const ISSUE_COLUMNS = `i.id, i.project_id AS projectId, i.title, i.culprit, i.level, i.event_type AS type,
  i.first_seen AS firstSeen, i.last_seen AS lastSeen, i.count, i.user_count AS userCount, i.stored_events AS storedEvents`;

const EVENT_COLUMNS = `id, event_id AS eventId, issue_id AS issueId, project_id AS projectId, event_type AS type,
  received_at AS receivedAt, timestamp, level, release, environment, user_key AS user, title, size`;

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function issueOut(row: Record<string, unknown>): IssueRow {
  return { ...(row as unknown as IssueRow), firstSeen: iso(row['firstSeen'] as number), lastSeen: iso(row['lastSeen'] as number) };
}

function eventOut(row: Record<string, unknown>): EventMeta {
  return { ...(row as unknown as EventMeta), receivedAt: iso(row['receivedAt'] as number), timestamp: iso(row['timestamp'] as number) };
}

/** Read side of the store: every query the JSON API answers. */
export class Queries {
  constructor(private readonly db: Db) {}

  listIssues(filter: IssueFilter): { issues: IssueRow[]; total: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.projectId !== undefined) {
      where.push('i.project_id = ?');
      params.push(filter.projectId);
    }
    if (filter.level) {
      where.push('i.level = ?');
      params.push(filter.level);
    }
    for (const kind of ['environment', 'release'] as const) {
      const value = filter[kind];
      if (value) {
        where.push(`EXISTS (SELECT 1 FROM issue_values v WHERE v.issue_id = i.id AND v.kind = '${kind}' AND v.value = ?)`);
        params.push(value);
      }
    }
    if (filter.query && filter.query.trim()) {
      const pattern = likePattern(filter.query.trim());
      where.push(`(lower(i.title) LIKE ? ESCAPE '\\' OR lower(i.culprit) LIKE ? ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id AND e.search LIKE ? ESCAPE '\\'))`);
      params.push(pattern, pattern, pattern);
    }
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const order = SORT_SQL[filter.sort ?? 'last_seen'] ?? SORT_SQL.last_seen;
    const limit = clampInt(filter.limit, 50, 1, 500);
    const offset = clampInt(filter.offset, 0, 0, 1_000_000);
    const rows = this.db
      .prepare(`SELECT ${ISSUE_COLUMNS} FROM issues i ${whereSql} ORDER BY ${order}, i.id DESC LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as Record<string, unknown>[];
    const total = this.db.prepare(`SELECT count(*) FROM issues i ${whereSql}`).pluck().get(...params) as number;
    return { issues: rows.map(issueOut), total };
  }

  getIssue(id: number, now = Date.now() / 1000) {
    const row = this.db.prepare(`SELECT ${ISSUE_COLUMNS} FROM issues i WHERE i.id = ?`).get(id) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    const values = this.db
      .prepare('SELECT kind, value, count, last_seen AS lastSeen FROM issue_values WHERE issue_id = ? AND kind != ? ORDER BY count DESC LIMIT 200')
      .all(id, 'user') as { kind: string; value: string; count: number; lastSeen: number }[];
    const pick = (kind: string) => values.filter((v) => v.kind === kind).map((v) => ({ value: v.value, count: v.count, lastSeen: iso(v.lastSeen) }));
    return {
      ...issueOut(row),
      releases: pick('release'),
      environments: pick('environment'),
      levels: pick('level'),
      series: this.series(id, now),
    };
  }

  /** Events per minute over the last hour and per hour over the last 24 hours, oldest first. */
  series(issueId: number, now: number): { minutes: number[]; hours: number[]; end: string } {
    const nowMinute = Math.floor(now / 60);
    const rows = this.db
      .prepare('SELECT minute, count FROM issue_buckets WHERE issue_id = ? AND minute > ?')
      .all(issueId, nowMinute - 24 * 60) as { minute: number; count: number }[];
    const minutes = new Array<number>(60).fill(0);
    const hours = new Array<number>(24).fill(0);
    for (const { minute, count } of rows) {
      const age = nowMinute - minute;
      if (age < 0) continue;
      if (age < 60) minutes[59 - age]! += count;
      const hourAge = Math.floor(age / 60);
      if (hourAge < 24) hours[23 - hourAge]! += count;
    }
    return { minutes, hours, end: iso(now) };
  }

  issueEvents(issueId: number, limit?: number, beforeId?: number): EventMeta[] {
    const rows = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE issue_id = ? AND id < ? ORDER BY id DESC LIMIT ?`)
      .all(issueId, beforeId ?? Number.MAX_SAFE_INTEGER, clampInt(limit, 50, 1, 500)) as Record<string, unknown>[];
    return rows.map(eventOut);
  }

  /** One stored event as a JSON text: meta + neighbours + attachments + the payload exactly as stored. */
  eventJson(ref: { id?: number; eventId?: string; latestOfIssue?: number }): string | undefined {
    let row: Record<string, unknown> | undefined;
    if (ref.latestOfIssue !== undefined) {
      row = this.db.prepare(`SELECT ${EVENT_COLUMNS}, payload FROM events WHERE issue_id = ? ORDER BY id DESC LIMIT 1`).get(ref.latestOfIssue) as typeof row;
    } else if (ref.eventId !== undefined) {
      row = this.db.prepare(`SELECT ${EVENT_COLUMNS}, payload FROM events WHERE event_id = ? ORDER BY id DESC LIMIT 1`).get(ref.eventId.replace(/-/g, '').toLowerCase()) as typeof row;
    } else if (ref.id !== undefined) {
      row = this.db.prepare(`SELECT ${EVENT_COLUMNS}, payload FROM events WHERE id = ?`).get(ref.id) as typeof row;
    }
    if (!row) return undefined;
    const { payload, ...metaRow } = row;
    const meta = eventOut(metaRow);
    const previous = this.db.prepare('SELECT event_id FROM events WHERE issue_id = ? AND id < ? ORDER BY id DESC LIMIT 1').pluck().get(meta.issueId, meta.id);
    const next = this.db.prepare('SELECT event_id FROM events WHERE issue_id = ? AND id > ? ORDER BY id ASC LIMIT 1').pluck().get(meta.issueId, meta.id);
    const attachments = this.db
      .prepare("SELECT id, size, headers FROM items WHERE type = 'attachment' AND event_id = ? ORDER BY id")
      .all(meta.eventId) as { id: number; size: number; headers: string }[];
    const wrapped = {
      ...meta,
      previousEventId: previous ?? null,
      nextEventId: next ?? null,
      attachments: attachments.map((a) => {
        const headers = safeParse(a.headers);
        return { id: a.id, size: a.size, filename: String(headers['filename'] ?? 'attachment'), contentType: String(headers['content_type'] ?? 'application/octet-stream') };
      }),
    };
    // The payload was valid JSON when stored; splicing it in avoids re-serializing a large event.
    return `${JSON.stringify(wrapped).slice(0, -1)},"event":${payload as string}}`;
  }

  searchEvents(query: string, limit?: number): EventMeta[] {
    const rows = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE search LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?`)
      .all(likePattern(query), clampInt(limit, 50, 1, 500)) as Record<string, unknown>[];
    return rows.map(eventOut);
  }

  attachment(id: number): { payload: Buffer; filename: string; contentType: string } | undefined {
    const row = this.db.prepare("SELECT headers, payload FROM items WHERE id = ? AND type = 'attachment'").get(id) as { headers: string; payload: Buffer } | undefined;
    if (!row) return undefined;
    const headers = safeParse(row.headers);
    return { payload: row.payload, filename: String(headers['filename'] ?? 'attachment'), contentType: String(headers['content_type'] ?? 'application/octet-stream') };
  }

  /** Non-event items (sessions, logs, client reports, …), newest first, JSON payloads as text. */
  listItems(type: string | undefined, limit?: number, projectId?: number) {
    const rows = this.db
      .prepare(
        `SELECT id, project_id AS projectId, event_id AS eventId, type, received_at AS receivedAt, size, headers,
           CASE WHEN type = 'attachment' THEN NULL ELSE substr(CAST(payload AS TEXT), 1, 65536) END AS payload
         FROM items WHERE (@type IS NULL OR type = @type) AND (@projectId IS NULL OR project_id = @projectId) ORDER BY id DESC LIMIT @limit`,
      )
      .all({ type: type ?? null, projectId: projectId ?? null, limit: clampInt(limit, 50, 1, 500) }) as Record<string, unknown>[];
    return rows.map((row) => ({ ...row, receivedAt: iso(row['receivedAt'] as number), headers: safeParse(row['headers'] as string) }));
  }

  facets(): { environments: string[]; releases: string[]; levels: string[] } {
    const distinct = (kind: string) =>
      this.db.prepare('SELECT DISTINCT value FROM issue_values WHERE kind = ? ORDER BY value LIMIT 500').pluck().all(kind) as string[];
    return { environments: distinct('environment'), releases: distinct('release'), levels: distinct('level') };
  }

  counts(): { issues: number; events: number; items: Record<string, number> } {
    const items: Record<string, number> = {};
    for (const row of this.db.prepare('SELECT type, count(*) AS n FROM items GROUP BY type').all() as { type: string; n: number }[]) items[row.type] = row.n;
    return {
      issues: this.db.prepare('SELECT count(*) FROM issues').pluck().get() as number,
      events: this.db.prepare('SELECT count(*) FROM events').pluck().get() as number,
      items,
    };
  }
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

function safeParse(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
