import * as http from 'node:http';
import * as https from 'node:https';
import { authHeader, envelopeUrl, parseDsn } from '../core/dsn.js';
import { createEventEnvelope, serializeEnvelope } from '../core/envelope.js';
import { uuid4 } from '../core/ids.js';
import { SDK_NAME, SDK_VERSION } from '../core/version.js';

export interface TestEventResult {
  ok: boolean;
  eventId?: string;
  status?: number;
  /** A plain sentence: accepted, or why not. */
  message: string;
}

const STATUS_REASONS: Record<number, string> = {
  400: 'the server rejected the envelope as malformed (400)',
  401: 'the server does not know this DSN key (401): check the public key and project id',
  403: 'the project or key is disabled (403)',
  404: 'no Sentry ingest endpoint at this address (404): check the host and path of the DSN',
  413: 'the event is larger than the server accepts (413)',
  429: 'the server is rate limiting this project right now (429)',
};

/**
 * Sends one test event straight to the DSN's server (no queue, no retry) and reports what the
 * server said, so a setup problem shows up as a sentence instead of silence.
 */
export async function sendTestEvent(dsnText: string | undefined, timeoutMs = 10_000): Promise<TestEventResult> {
  if (!dsnText) return { ok: false, message: 'no DSN: pass --dsn or set SENTRY_DSN' };
  const parsed = parseDsn(dsnText);
  if ('error' in parsed) return { ok: false, message: `bad DSN: ${parsed.error}` };
  const dsn = parsed.dsn;
  const eventId = uuid4();
  const sdk = { name: SDK_NAME, version: SDK_VERSION };
  const envelope = createEventEnvelope(
    {
      event_id: eventId,
      timestamp: Date.now() / 1000,
      platform: 'node',
      level: 'info',
      logentry: { formatted: 'faultline test event: this DSN works' },
      sdk,
      tags: { 'faultline.test': 'true' },
    },
    { sdk, dsn },
  );
  const body = serializeEnvelope(envelope);
  const url = new URL(envelopeUrl(dsn));
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<TestEventResult>((resolve) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-sentry-envelope',
        'X-Sentry-Auth': authHeader(dsn, `${SDK_NAME}/${SDK_VERSION}`),
        'User-Agent': `${SDK_NAME}/${SDK_VERSION}`,
        'Content-Length': String(body.byteLength),
      },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED'
          ? `nothing listens at ${url.host} (connection refused)`
          : err.code === 'ENOTFOUND'
            ? `the host ${url.hostname} does not resolve`
            : err.message;
      resolve({ ok: false, eventId, message: `unreachable: ${why}` });
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 2000) text += chunk;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve({ ok: true, eventId, status, message: `accepted (${status}): event ${eventId}` });
          return;
        }
        let reason = STATUS_REASONS[status] ?? `the server answered ${status}`;
        if (status === 429 && res.headers['retry-after']) reason += `; retry after ${res.headers['retry-after']} s`;
        const detail = text.trim().slice(0, 300);
        resolve({ ok: false, eventId, status, message: `not accepted: ${reason}${detail ? ` — ${detail}` : ''}` });
      });
    });
    req.end(body);
  });
}
