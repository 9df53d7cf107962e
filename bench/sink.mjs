// A loopback Sentry-protocol sink: accepts envelopes, gunzips them, and counts what each sender delivered.
// The sender is the numeric project id in the DSN path (/api/<id>/envelope/), one id per child process.
import http from 'node:http';
import zlib from 'node:zlib';

function emptyCounts() {
  return { envelopes: 0, items: 0, events: 0, messages: 0, clientReports: 0, discarded: 0, discardedByReason: {}, firstAt: 0, lastEventAt: 0, badEnvelopes: 0 };
}

/** Splits an envelope buffer into { header, items: [{ header, payload }] }; throws on malformed input. */
export function parseEnvelope(buf) {
  let pos = 0;
  const nextLine = () => {
    let end = buf.indexOf(0x0a, pos);
    if (end === -1) end = buf.length;
    const line = buf.subarray(pos, end);
    pos = end + 1;
    return line;
  };
  const header = JSON.parse(nextLine().toString('utf8'));
  const items = [];
  while (pos < buf.length) {
    const headerLine = nextLine();
    if (headerLine.length === 0) continue;
    const itemHeader = JSON.parse(headerLine.toString('utf8'));
    let payload;
    if (typeof itemHeader.length === 'number') {
      payload = buf.subarray(pos, pos + itemHeader.length);
      pos += itemHeader.length + 1;
    } else {
      payload = nextLine();
    }
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

function countEnvelope(counts, body) {
  const { items } = parseEnvelope(body);
  counts.envelopes++;
  for (const item of items) {
    counts.items++;
    if (item.header.type === 'event') {
      counts.events++;
      counts.lastEventAt = Date.now();
      try {
        if (!JSON.parse(item.payload.toString('utf8')).exception) counts.messages++;
      } catch { counts.badEnvelopes++; }
    } else if (item.header.type === 'client_report') {
      counts.clientReports++;
      const report = JSON.parse(item.payload.toString('utf8'));
      for (const d of report.discarded_events ?? []) {
        if (d.category !== 'error' && d.category !== 'default') continue;
        counts.discarded += d.quantity ?? 0;
        counts.discardedByReason[d.reason] = (counts.discardedByReason[d.reason] ?? 0) + (d.quantity ?? 0);
      }
    }
  }
}

export async function startSink() {
  const bySender = new Map();
  const countsFor = (id) => {
    let c = bySender.get(id);
    if (!c) { c = emptyCounts(); c.firstAt = Date.now(); bySender.set(id, c); }
    return c;
  };
  const server = http.createServer((req, res) => {
    const match = /^\/api\/(\d+)\/envelope\/?/.exec(req.url ?? '');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (!match) { res.writeHead(404).end(); return; }
      const counts = countsFor(match[1]);
      try {
        let body = Buffer.concat(chunks);
        if (/gzip/i.test(String(req.headers['content-encoding'] ?? ''))) body = zlib.gunzipSync(body);
        countEnvelope(counts, body);
      } catch {
        counts.badEnvelopes++;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    countsFor: (id) => bySender.get(String(id)) ?? emptyCounts(),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
