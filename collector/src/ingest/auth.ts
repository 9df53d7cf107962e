import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, unauthorized } from './errors.js';

/** Where the public key came from and what it was. */
export interface AuthClaim {
  publicKey: string;
  source: 'header' | 'query' | 'dsn';
  sentryVersion?: number;
}

/**
 * Finds the public key of a request (PROTOCOL.md §2): `X-Sentry-Auth` / `Authorization: Sentry …`,
 * `Authorization: Basic`, or `sentry_key` in the query. More than one is a 401 as in Relay.
 * The envelope header `dsn` is handled separately once the envelope is parsed.
 */
export function authFromRequest(headers: IncomingHttpHeaders, query: URLSearchParams): AuthClaim | undefined {
  const claims: AuthClaim[] = [];
  const sentryHeader = single(headers['x-sentry-auth']);
  if (sentryHeader) claims.push(parseSentryAuth(sentryHeader, 'header'));
  const authorization = single(headers['authorization']);
  if (authorization) {
    if (/^sentry\s/i.test(authorization)) claims.push(parseSentryAuth(authorization, 'header'));
    else if (/^basic\s/i.test(authorization)) claims.push(parseBasic(authorization));
  }
  const queryKey = query.get('sentry_key');
  if (queryKey !== null) {
    claims.push({ publicKey: queryKey.trim(), source: 'query', sentryVersion: versionOf(query.get('sentry_version') ?? undefined) });
  }
  if (claims.length > 1) throw unauthorized('multiple authorization payloads detected');
  const claim = claims[0];
  if (claim && claim.sentryVersion !== undefined && claim.sentryVersion > 7) {
    throw badRequest(`unsupported sentry_version ${claim.sentryVersion} (this collector speaks 7)`);
  }
  return claim;
}

/** `Sentry sentry_version=7, sentry_client=x/1, sentry_key=abc` — pairs split on commas, no quoting. */
function parseSentryAuth(value: string, source: AuthClaim['source']): AuthClaim {
  const body = value.replace(/^sentry\s+/i, '');
  const pairs = new Map<string, string>();
  for (const part of body.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    pairs.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const publicKey = pairs.get('sentry_key');
  if (!publicKey) throw unauthorized('X-Sentry-Auth header has no sentry_key');
  return { publicKey, source, sentryVersion: versionOf(pairs.get('sentry_version')) };
}

function parseBasic(value: string): AuthClaim {
  const decoded = Buffer.from(value.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const publicKey = decoded.split(':')[0]?.trim();
  if (!publicKey) throw unauthorized('Basic authorization carries no public key');
  return { publicKey, source: 'header' };
}

function versionOf(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const version = Math.trunc(Number(raw));
  if (!Number.isFinite(version)) throw badRequest(`malformed sentry_version "${raw}"`);
  return version;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The public key and project id of a DSN found in an envelope header; undefined when it is not one. */
export function parseDsnClaim(dsn: unknown): { publicKey: string; projectId: string } | undefined {
  if (typeof dsn !== 'string') return undefined;
  try {
    const url = new URL(dsn);
    const projectId = url.pathname.replace(/\/+$/, '').split('/').pop() ?? '';
    if (!url.username || !/^\d+$/.test(projectId)) return undefined;
    return { publicKey: decodeURIComponent(url.username), projectId };
  } catch {
    return undefined;
  }
}
