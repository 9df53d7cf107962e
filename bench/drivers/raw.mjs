// The raw floor: only the protocol work no SDK can avoid. Read err.stack, parse frames with one regexp,
// build an event, JSON.stringify an envelope, one keep-alive POST per event with node:http. No scopes,
// no integrations, no queue limits, no retries: whatever any real SDK costs above this is its own choice.
//
// `fullPayload()` (raw-payload.mjs) makes it carry what a faultline event carries, still with
// nothing else: five lines of source context either side of each frame (file lines read once and
// kept), the os/runtime/device/app/culture contexts, and a gzip (level 1) body. The same payload
// with only the unavoidable work: what faultline's own cost per event should be compared with.
import http from 'node:http';
import fs from 'node:fs';
import zlib from 'node:zlib';
import os from 'node:os';
import { randomUUID } from 'node:crypto';

const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;
let target;
let agent;
const pending = new Set();
let full = false;
let contexts;
const sourceLines = new Map();

export function fullPayload() {
  full = true;
}

function linesOf(file) {
  let lines = sourceLines.get(file);
  if (!lines) {
    try {
      lines = fs.readFileSync(file.startsWith('file://') ? new URL(file) : file, 'utf8').split('\n');
    } catch {
      lines = [];
    }
    sourceLines.set(file, lines);
  }
  return lines;
}

function withSourceContext(frame) {
  const lines = linesOf(frame.filename);
  const at = frame.lineno - 1;
  frame.pre_context = lines.slice(Math.max(0, at - 5), at);
  frame.context_line = lines[at] ?? '';
  frame.post_context = lines.slice(at + 1, at + 6);
  return frame;
}

export function init(dsn) {
  const url = new URL(dsn);
  const projectId = url.pathname.replace(/\//g, '');
  // As many connections as faultline uses in the same scenario: its application thread's 4 for
  // paced events, its burst thread's 16 in the flood (bench/child.mjs <driver> <scenario> ...).
  agent = new http.Agent({ keepAlive: true, maxSockets: process.argv[3] === 'flood' ? 16 : 4 });
  target = {
    host: url.hostname,
    port: Number(url.port),
    path: `/api/${projectId}/envelope/`,
    auth: `Sentry sentry_version=7, sentry_client=raw-floor/0, sentry_key=${url.username}`,
    dsn,
  };
  if (full) {
    const cpus = os.cpus();
    contexts = {
      runtime: { name: 'node', version: process.version },
      os: { name: os.type(), version: os.release() },
      device: { arch: os.arch(), memory_size: os.totalmem(), processor_count: cpus.length, cpu_description: cpus[0]?.model },
      app: { app_start_time: new Date(Date.now() - process.uptime() * 1000).toISOString() },
      culture: { timezone: 'UTC' },
    };
  }
}

function parseFrames(stack) {
  const frames = [];
  const lines = stack.split('\n');
  for (let i = lines.length - 1; i > 0; i--) {
    const m = FRAME.exec(lines[i]);
    if (!m) continue;
    const frame = {
      function: m[1] ?? '?',
      filename: m[2],
      lineno: Number(m[3]),
      colno: Number(m[4]),
      in_app: !m[2].includes('node_modules') && !m[2].startsWith('node:'),
    };
    frames.push(full ? withSourceContext(frame) : frame);
  }
  return frames;
}

function send(event) {
  const payload = JSON.stringify(event);
  const body = `${JSON.stringify({ event_id: event.event_id, dsn: target.dsn, sent_at: new Date().toISOString() })}\n${JSON.stringify({ type: 'event', length: Buffer.byteLength(payload) })}\n${payload}`;
  const headers = { 'content-type': 'application/x-sentry-envelope', 'x-sentry-auth': target.auth };
  let wire = body;
  if (full) {
    wire = zlib.gzipSync(body, { level: 1 });
    headers['content-encoding'] = 'gzip';
  }
  const req = http.request({ agent, method: 'POST', host: target.host, port: target.port, path: target.path, headers });
  pending.add(req);
  const done = () => pending.delete(req);
  req.on('response', (res) => { res.resume(); res.on('end', done); });
  req.on('error', done);
  req.end(wire);
  return event.event_id;
}

function baseEvent(level) {
  const event = { event_id: randomUUID().replace(/-/g, ''), timestamp: Date.now() / 1000, platform: 'node', level, sdk: { name: 'raw-floor', version: '0' } };
  if (full) {
    event.contexts = { ...contexts, device: { ...contexts.device, free_memory: os.freemem() }, app: { ...contexts.app, app_memory: process.memoryUsage.rss() } };
  }
  return event;
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
