import type { IncomingMessage, ServerResponse } from 'node:http';
import { inflateSync } from 'node:zlib';
import { corsHeaders, sendError, sendJson } from '../http/respond.js';
import type { Store } from '../store/store.js';
import { authFromRequest, parseDsnClaim, type AuthClaim } from './auth.js';
import { readBody } from './body.js';
import { parseEnvelope, type Envelope } from './envelope.js';
import { IngestError, badRequest, unauthorized } from './errors.js';
import { recordsFromEnvelope } from './items.js';
import type { IngestLimits } from './limits.js';

export interface IngestContext {
  store: Store;
  limits: IngestLimits;
}

/** Longest we keep reading (and discarding) a refused upload so the client can read our answer. */
const DRAIN_MS = 5000;

/**
 * `POST /api/<project>/envelope/` and `POST /api/<project>/store/`: authenticate, read (inflating within
 * limits), parse, store, answer `{"id": …}`. Every failure becomes a JSON 4xx; nothing escapes.
 */
export async function handleIngest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: { projectId: string; endpoint: 'envelope' | 'store' },
  ctx: IngestContext,
): Promise<void> {
  try {
    const requestClaim = authFromRequest(req.headers, url.searchParams);
    // A wrong key is refused before reading a possibly large body.
    if (requestClaim) projectForKey(requestClaim.publicKey, route.projectId, ctx);
    const body = await readBody(req, ctx.limits);
    const receivedAt = Date.now() / 1000;
    const envelope = route.endpoint === 'envelope' ? parseEnvelope(body, ctx.limits.maxJsonDepth) : envelopeFromStoreBody(body, ctx.limits);
    const projectId = authorize(requestClaim, envelope, route.projectId, ctx);
    const { id, records } = recordsFromEnvelope(envelope, projectId, ctx.limits, receivedAt);
    await ctx.store.write(records);
    sendJson(res, 200, id ? { id } : {}, corsHeaders);
  } catch (error) {
    if (error instanceof IngestError) {
      refuse(req, res, error);
      return;
    }
    sendError(res, 500, `the collector failed to store this request: ${(error as Error)?.message ?? String(error)}`, corsHeaders);
  }
}

function authorize(claim: AuthClaim | undefined, envelope: Envelope, urlProject: string, ctx: IngestContext): number {
  const dsn = envelope.header['dsn'];
  const dsnClaim = dsn === undefined ? undefined : parseDsnClaim(dsn);
  if (dsn !== undefined && !dsnClaim) throw badRequest('envelope header "dsn" is not a valid DSN');
  if (claim && dsnClaim && (claim.publicKey !== dsnClaim.publicKey || dsnClaim.projectId !== urlProject)) {
    throw badRequest('envelope header "dsn" does not match the request authentication');
  }
  const publicKey = claim?.publicKey ?? dsnClaim?.publicKey;
  if (!publicKey) throw unauthorized('missing authorization information (X-Sentry-Auth header, sentry_key query parameter or envelope dsn)');
  return projectForKey(publicKey, urlProject, ctx);
}

function projectForKey(publicKey: string, urlProject: string, ctx: IngestContext): number {
  const projectId = ctx.store.projects.projectOfKey(publicKey);
  if (projectId === undefined) throw unauthorized(`unknown public key "${publicKey.slice(0, 64)}"`);
  if (String(projectId) !== urlProject) throw unauthorized(`public key does not belong to project ${urlProject}`);
  return projectId;
}

/** The legacy store endpoint takes one bare event: JSON, or base64 of zlib-deflated JSON (very old SDKs). */
function envelopeFromStoreBody(body: Buffer, limits: IngestLimits): Envelope {
  let payload = body;
  const first = body.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  if (first !== undefined && first !== 0x7b) {
    try {
      payload = inflateSync(Buffer.from(body.toString('latin1'), 'base64'), { maxOutputLength: limits.maxEventBytes });
    } catch {
      throw badRequest('store body is neither a JSON event nor base64-encoded deflated JSON');
    }
  }
  return { header: {}, items: [{ header: { type: 'event', length: payload.length }, payload }] };
}

function refuse(req: IncomingMessage, res: ServerResponse, error: IngestError): void {
  const bodyUnread = !req.complete;
  sendError(res, error.status, error.message, { ...corsHeaders, ...(bodyUnread ? { Connection: 'close' } : {}) });
  if (bodyUnread) {
    // Keep reading and discarding, so the client gets to read the answer instead of a reset connection.
    req.resume();
    setTimeout(() => req.destroy(), DRAIN_MS).unref();
  }
}
