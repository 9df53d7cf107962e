import type { EventSummary } from '../grouping/summary.js';

/** An error or message event, grouped and summarized at ingest, waiting to be written. */
export interface EventRecord {
  kind: 'event';
  projectId: number;
  eventId: string;
  eventType: 'error' | 'default';
  hash: string;
  summary: EventSummary;
  receivedAt: number;
  /** The event JSON as received (re-serialized only when the envelope header overrode its event_id). */
  payload: string;
}

/** Any other item, kept as sent. */
export interface ItemRecord {
  kind: 'item';
  projectId: number;
  eventId?: string;
  type: string;
  receivedAt: number;
  headers: string;
  payload: Buffer;
}

export type WriteRecord = EventRecord | ItemRecord;

/** What one committed batch changed, for live updates. */
export interface ChangeNotice {
  events: number;
  items: number;
  issueIds: number[];
  projectIds: number[];
}
