import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeNotice } from '../store/records.js';
import type { Store } from '../store/store.js';

/** Notices are merged for this long so a burst of commits becomes one message, not hundreds. */
const COALESCE_MS = 100;
const HEARTBEAT_MS = 15_000;

/**
 * Server-Sent Events at `GET /api/live`: one `change` message (issue ids, counts) after new data is
 * committed, at most every 100 ms. The page refetches what it shows when one arrives.
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private pending: ChangeNotice | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onChange = (notice: ChangeNotice): void => this.queue(notice);

  constructor(private readonly store: Store) {
    store.on('change', this.onChange);
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), HEARTBEAT_MS).unref();
  }

  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
    };
    req.on('close', drop);
    res.on('error', drop);
  }

  close(): void {
    this.store.off('change', this.onChange);
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private queue(notice: ChangeNotice): void {
    if (this.clients.size === 0) return;
    if (!this.pending) this.pending = { events: 0, items: 0, issueIds: [], projectIds: [] };
    const merged = this.pending;
    merged.events += notice.events;
    merged.items += notice.items;
    merged.issueIds = [...new Set([...merged.issueIds, ...notice.issueIds])].slice(0, 500);
    merged.projectIds = [...new Set([...merged.projectIds, ...notice.projectIds])];
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const payload = this.pending;
      this.pending = undefined;
      if (payload) this.broadcast(`event: change\ndata: ${JSON.stringify(payload)}\n\n`);
    }, COALESCE_MS);
  }

  private broadcast(text: string): void {
    for (const client of this.clients) {
      try {
        client.write(text);
      } catch {
        this.clients.delete(client);
      }
    }
  }
}
