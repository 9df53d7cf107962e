// DSN parsing and the two strings derived from it: the envelope endpoint and the auth header
// (PROTOCOL.md §1–2, SPEC-python.md §8). Parsed once at init, so clarity beats speed here.

import { debugLog } from './debug-log.js';

export interface Dsn {
  protocol: 'http' | 'https';
  publicKey: string;
  /** Deprecated by Sentry; only forwarded when the DSN carries one. */
  secretKey?: string;
  /** Host name as it appears in a URL (IPv6 keeps its brackets). */
  host: string;
  /** Explicit non-default port, as written. Absent for the scheme's default port. */
  port?: string;
  /** Path before the project id, with a leading `/` and no trailing `/`; '' when none. */
  pathPrefix: string;
  /** Decimal project id without leading zeros. */
  projectId: string;
  /** From a SaaS host like `o123.ingest.sentry.io`. */
  orgId?: string;
}

export type ParseDsnResult = { dsn: Dsn } | { error: string };

const ORG_HOST = /^o(\d+)\./;
const DECIMAL = /^\d+$/;

/**
 * Never throws. One or more trailing slashes after the project id are tolerated (Python rejects
 * them, but they are a common copy-paste slip and the meaning is unambiguous).
 */
export function parseDsn(input: unknown): ParseDsnResult {
  if (typeof input !== 'string' || input.trim() === '') return { error: 'DSN must be a non-empty string' };
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { error: 'DSN is not a valid URL' };
  }

  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return { error: `unsupported DSN scheme "${scheme}"` };
  if (!url.hostname) return { error: 'DSN has no host' };

  const publicKey = decode(url.username);
  if (!publicKey) return { error: 'DSN has no public key' };
  const secretKey = decode(url.password) || undefined;

  const segments = url.pathname.split('/').filter((s) => s !== '');
  const rawProjectId = segments.pop();
  if (rawProjectId === undefined) return { error: 'DSN has no project id' };
  if (!DECIMAL.test(rawProjectId)) return { error: `DSN project id "${rawProjectId}" is not a number` };
  // Relay routes on the numeric id, so "007" and "7" are the same project.
  const projectId = rawProjectId.replace(/^0+(?=\d)/, '');

  // Relay checks the key length (32 characters); a local collector may not, so only warn.
  if (publicKey.length !== 32) debugLog.warn(`DSN public key has ${publicKey.length} characters; Sentry expects 32`);

  const dsn: Dsn = {
    protocol: scheme,
    publicKey,
    host: url.hostname,
    pathPrefix: segments.length > 0 ? '/' + segments.join('/') : '',
    projectId,
  };
  if (secretKey) dsn.secretKey = secretKey;
  // URL drops the scheme's default port (":443" on https), which addresses the same endpoint.
  if (url.port) dsn.port = url.port;
  const org = ORG_HOST.exec(url.hostname);
  if (org) dsn.orgId = org[1];
  return { dsn };
}

/** `{scheme}://{host}[:{port}]{prefix}/api/{project}/envelope/` (trailing slash included). */
export function envelopeUrl(dsn: Dsn): string {
  return `${baseUrl(dsn)}/api/${dsn.projectId}/envelope/`;
}

/** Value of the `X-Sentry-Auth` header. `client` is `name/version`. */
export function authHeader(dsn: Dsn, client: string): string {
  let header = `Sentry sentry_key=${dsn.publicKey}, sentry_version=7, sentry_client=${client}`;
  if (dsn.secretKey) header += `, sentry_secret=${dsn.secretKey}`;
  return header;
}

/** The DSN written back in its canonical form (normalised project id, no trailing slash). */
export function dsnToString(dsn: Dsn): string {
  const secret = dsn.secretKey ? `:${encodeURIComponent(dsn.secretKey)}` : '';
  const auth = `${encodeURIComponent(dsn.publicKey)}${secret}@`;
  return `${dsn.protocol}://${auth}${hostPort(dsn)}${dsn.pathPrefix}/${dsn.projectId}`;
}

function baseUrl(dsn: Dsn): string {
  return `${dsn.protocol}://${hostPort(dsn)}${dsn.pathPrefix}`;
}

function hostPort(dsn: Dsn): string {
  return dsn.port ? `${dsn.host}:${dsn.port}` : dsn.host;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
