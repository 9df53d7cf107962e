/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Append new steps,
 * never edit old ones: a collector database lives for months across upgrades.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
  );
  CREATE TABLE project_keys (
    public_key TEXT PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    created_at REAL NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    hash TEXT NOT NULL,
    title TEXT NOT NULL,
    culprit TEXT NOT NULL,
    level TEXT NOT NULL,
    event_type TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    user_count INTEGER NOT NULL DEFAULT 0,
    stored_events INTEGER NOT NULL DEFAULT 0,
    UNIQUE (project_id, hash)
  );
  CREATE INDEX issues_last_seen ON issues(last_seen);
  -- Distinct releases, environments and users per issue, with how often each was seen.
  CREATE TABLE issue_values (
    issue_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    count INTEGER NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (issue_id, kind, value)
  ) WITHOUT ROWID;
  CREATE INDEX issue_values_by_value ON issue_values(kind, value);
  -- Events per minute per issue, for the chart.
  CREATE TABLE issue_buckets (
    issue_id INTEGER NOT NULL,
    minute INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (issue_id, minute)
  ) WITHOUT ROWID;
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    issue_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    received_at REAL NOT NULL,
    timestamp REAL NOT NULL,
    level TEXT NOT NULL,
    release TEXT,
    environment TEXT,
    user_key TEXT,
    title TEXT NOT NULL,
    search TEXT NOT NULL,
    size INTEGER NOT NULL,
    payload TEXT NOT NULL
  );
  CREATE UNIQUE INDEX events_by_event_id ON events(project_id, event_id);
  CREATE INDEX events_by_issue ON events(issue_id, id);
  -- Every other item type (transactions, sessions, client reports, check-ins, logs, attachments, unknown).
  CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    event_id TEXT,
    type TEXT NOT NULL,
    received_at REAL NOT NULL,
    size INTEGER NOT NULL,
    headers TEXT NOT NULL,
    payload BLOB NOT NULL
  );
  CREATE INDEX items_by_type ON items(type, id);
  CREATE INDEX items_by_event ON items(event_id);
  `,
];
