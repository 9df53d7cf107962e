// The raw floor: only the protocol work no SDK can avoid. Read err.stack, parse frames with one regexp,
// build an event, JSON.stringify an envelope, one keep-alive POST per event with node:http. No scopes,
// no integrations, no queue limits, no retries: whatever any real SDK costs above this is its own choice.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;
let target;
let agent;
const pending = new Set();

export function init(dsn) {
  const url = new URL(dsn);
  const projectId = url.pathname.replace(/\//g, '');
  agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  target = {
    host: url.hostname,
    port: Number(url.port),
    path: `/api/${projectId}/envelope/`,
    auth: `Sentry sentry_version=7, sentry_client=raw-floor/0, sentry_key=${url.username}`,
    dsn,
  };
}

function parseFrames(stack) {
  const frames = [];
  const lines = stack.split('\n');
  for (let i = lines.length - 1; i > 0; i--) {
    const m = FRAME.exec(lines[i]);
    if (!m) continue;
    frames.push({
      function: m[1] ?? '?',
      filename: m[2],
      lineno: Number(m[3]),
      colno: Number(m[4]),
      in_app: !m[2].includes('node_modules') && !m[2].startsWith('node:'),
    });
  }
  return frames;
}

function send(event) {
  const payload = JSON.stringify(event);
  const body = `${JSON.stringify({ event_id: event.event_id, dsn: target.dsn, sent_at: new Date().toISOString() })}\n${JSON.stringify({ type: 'event', length: Buffer.byteLength(payload) })}\n${payload}`;
  const req = http.request({
    agent, method: 'POST', host: target.host, port: target.port, path: target.path,
    headers: { 'content-type': 'application/x-sentry-envelope', 'x-sentry-auth': target.auth },
  });
  pending.add(req);
  const done = () => pending.delete(req);
  req.on('response', (res) => { res.resume(); res.on('end', done); });
  req.on('error', done);
  req.end(body);
  return event.event_id;
}

function baseEvent(level) {
  return { event_id: randomUUID().replace(/-/g, ''), timestamp: Date.now() / 1000, platform: 'node', level, sdk: { name: 'raw-floor', version: '0' } };
}

export function captureException(err) {
  const event = baseEvent('error');
  event.exception = { values: [{ type: err.name, value: err.message, stacktrace: { frames: parseFrames(err.stack ?? '') } }] };
  return send(event);
}

export function captureMessage(msg) {
  const event = baseEvent('info');
  event.message = { formatted: msg };
  return send(event);
}

export async function flush(timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return pending.size === 0;
}

export async function close(timeoutMs) {
  const ok = await flush(timeoutMs);
  agent?.destroy();
  return ok;
}
