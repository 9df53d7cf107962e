import { exceptionsOf, isObject, messageOf, str, type Json } from './event-shape.js';

export type Level = 'fatal' | 'error' | 'warning' | 'info' | 'debug';

/** What an issue shows of an event: computed once at ingest, stored in columns. */
export interface EventSummary {
  title: string;
  culprit: string;
  level: Level;
  /** Unix seconds; the receive time when the event's own is missing, invalid or far off. */
  timestamp: number;
  release?: string;
  environment?: string;
  /** A stable key for "affected users": id, else email, else ip, else username. */
  userKey?: string;
  /** Lower-cased text the search filters match against. */
  searchText: string;
}

const MAX_TITLE = 200;

export function summarize(event: Json, receivedAt: number): EventSummary {
  const exceptions = exceptionsOf(event);
  const thrown = exceptions.at(-1);
  const message = messageOf(event);
  const title = clip(
    thrown
      ? [thrown.type, thrown.value].filter((part) => part !== undefined && part !== '').join(': ') || '<unknown error>'
      : message.formatted || str(event['transaction']) || '<unlabeled event>',
  );
  const culprit = clip(culpritOf(event, thrown?.frames ?? []));
  const tags = event['tags'];
  const tagText = isObject(tags) ? Object.entries(tags).map(([key, value]) => `${key}:${str(value) ?? ''}`).join(' ') : '';
  const release = nonEmpty(str(event['release']));
  const environment = nonEmpty(str(event['environment']));
  const userKey = userKeyOf(event['user']);
  return {
    title,
    culprit,
    level: normalizeLevel(event['level']),
    timestamp: normalizeTimestamp(event['timestamp'], receivedAt),
    release,
    environment,
    userKey,
    searchText: [title, culprit, message.formatted ?? '', ...exceptions.map((e) => `${e.type ?? ''} ${e.value ?? ''}`), tagText, release ?? '', environment ?? '', userKey ?? '', str(event['transaction']) ?? '']
      .join(' ')
      .toLowerCase()
      .slice(0, 4000),
  };
}

/** Sentry's culprit: the crashing in-app frame ("function (module)"), else the transaction. */
function culpritOf(event: Json, frames: ReturnType<typeof exceptionsOf>[number]['frames']): string {
  const crashing = [...frames].reverse().find((frame) => frame.in_app === true) ?? frames.at(-1);
  if (crashing) {
    const where = crashing.module ?? crashing.filename ?? crashing.abs_path;
    const fn = crashing.function ?? '?';
    return where ? `${fn} (${where})` : fn;
  }
  return str(event['transaction']) ?? str(event['culprit']) ?? '';
}

function userKeyOf(user: unknown): string | undefined {
  if (!isObject(user)) return undefined;
  for (const field of ['id', 'email', 'ip_address', 'username'] as const) {
    const value = nonEmpty(str(user[field]));
    if (value && value !== '{{auto}}') return `${field}:${value}`;
  }
  return undefined;
}

const LEVEL_ALIASES: Record<string, Level> = {
  fatal: 'fatal', critical: 'fatal', error: 'error', warning: 'warning', warn: 'warning',
  info: 'info', log: 'info', debug: 'debug', trace: 'debug',
};

export function normalizeLevel(raw: unknown): Level {
  if (typeof raw === 'number') {
    // Python's logging numbers, which Relay accepts.
    return raw >= 50 ? 'fatal' : raw >= 40 ? 'error' : raw >= 30 ? 'warning' : raw >= 20 ? 'info' : 'debug';
  }
  return (typeof raw === 'string' && LEVEL_ALIASES[raw.toLowerCase()]) || 'error';
}

/** Relay's rule: more than 60 s in the future or older than 30 days → the receive time. */
export function normalizeTimestamp(raw: unknown, receivedAt: number): number {
  let seconds: number | undefined;
  if (typeof raw === 'number') seconds = raw;
  else if (typeof raw === 'string') {
    const numeric = Number(raw);
    seconds = Number.isFinite(numeric) && raw.trim() !== '' ? numeric : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`) / 1000;
  }
  if (seconds === undefined || !Number.isFinite(seconds)) return receivedAt;
  if (seconds > receivedAt + 60 || seconds < receivedAt - 30 * 24 * 3600) return receivedAt;
  return seconds;
}

function clip(text: string): string {
  return text.length > MAX_TITLE ? `${text.slice(0, MAX_TITLE - 1)}…` : text;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
