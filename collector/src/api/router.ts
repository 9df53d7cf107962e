import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson, sendJsonText } from '../http/respond.js';
import type { IssueSort } from '../store/queries.js';
import type { Store } from '../store/store.js';
import type { LiveFeed } from './live.js';

export interface ApiContext {
  store: Store;
  live: LiveFeed;
  /** The public base URL, for DSNs in /api/projects. */
  baseUrl: () => string;
}

const SORTS: readonly IssueSort[] = ['last_seen', 'first_seen', 'new', 'count', 'users'];

/**
 * The JSON API behind the page (all GET). Returns false when the path is not an API route.
 * Routes are documented in collector/README.md.
 */
export function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext): boolean {
  const path = url.pathname.replace(/\/+$/, '');
  const q = url.searchParams;
  const { queries } = ctx.store;
  const int = (name: string): number | undefined => {
    const raw = q.get(name);
    if (raw === null || raw === '') return undefined;
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
  };
  let m: RegExpExecArray | null;

  if (path === '/api/live') {
    ctx.live.attach(req, res);
    return true;
  }
  if (path === '/api/issues') {
    const sort = q.get('sort') as IssueSort | null;
    sendJson(
      res,
      200,
      queries.listIssues({
        projectId: int('project'),
        level: q.get('level') || undefined,
        environment: q.get('environment') || undefined,
        release: q.get('release') || undefined,
        query: q.get('q') || undefined,
        sort: sort && SORTS.includes(sort) ? sort : 'last_seen',
        limit: int('limit'),
        offset: int('offset'),
      }),
    );
    return true;
  }
  if ((m = /^\/api\/issues\/(\d+)$/.exec(path))) {
    const issue = queries.getIssue(Number(m[1]));
    if (issue) sendJson(res, 200, issue);
    else sendError(res, 404, `no issue ${m[1]}`);
    return true;
  }
  if ((m = /^\/api\/issues\/(\d+)\/events$/.exec(path))) {
    sendJson(res, 200, { events: queries.issueEvents(Number(m[1]), int('limit'), int('before')) });
    return true;
  }
  if ((m = /^\/api\/issues\/(\d+)\/events\/latest$/.exec(path))) {
    sendEvent(res, queries.eventJson({ latestOfIssue: Number(m[1]) }), `issue ${m[1]} has no stored events`);
    return true;
  }
  if ((m = /^\/api\/events\/([0-9a-fA-F-]{32,36})$/.exec(path))) {
    sendEvent(res, queries.eventJson({ eventId: m[1]! }), `no event ${m[1]}`);
    return true;
  }
  if (path === '/api/search') {
    const text = q.get('q') ?? '';
    if (!text.trim()) {
      sendError(res, 400, 'search needs a q parameter');
      return true;
    }
    sendJson(res, 200, { issues: queries.listIssues({ query: text, limit: int('limit') }).issues, events: queries.searchEvents(text, int('limit')) });
    return true;
  }
  if (path === '/api/items') {
    sendJson(res, 200, { items: queries.listItems(q.get('type') || undefined, int('limit'), int('project')) });
    return true;
  }
  if ((m = /^\/api\/attachments\/(\d+)$/.exec(path))) {
    const attachment = queries.attachment(Number(m[1]));
    if (!attachment) sendError(res, 404, `no attachment ${m[1]}`);
    else {
      // Always a download, never rendered: an attachment could be HTML written by anyone.
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': attachment.payload.length,
        'Content-Disposition': `attachment; filename="${attachment.filename.replace(/[^\w.-]/g, '_')}"`,
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(attachment.payload);
    }
    return true;
  }
  if (path === '/api/facets') {
    sendJson(res, 200, queries.facets());
    return true;
  }
  if (path === '/api/projects') {
    const base = new URL(ctx.baseUrl());
    sendJson(res, 200, {
      projects: ctx.store.projects.list().map((p) => ({ id: p.id, name: p.name, dsn: `${base.protocol}//${p.publicKey}@${base.host}/${p.id}` })),
    });
    return true;
  }
  if (path === '/api/stats') {
    sendJson(res, 200, { ...queries.counts(), storedBytes: ctx.store.storedBytes });
    return true;
  }
  return false;
}

function sendEvent(res: ServerResponse, json: string | undefined, missing: string): void {
  if (json) sendJsonText(res, 200, json);
  else sendError(res, 404, missing);
}
