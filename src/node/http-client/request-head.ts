// The bytes of one envelope POST: request line and headers, laid out once per transport, then
// per request only Content-Encoding and Content-Length, with the body in the same buffer so a
// request is one write (one segment on the wire for an event-sized body).

import { debugLog } from '../../core/debug-log.js';
import { allocBytes, writeLatin1 } from '../bytes.js';

/** RFC 9110 token characters: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible latin1 and blanks: what a header value may hold (no CR, LF or NUL, nothing past 0xFF). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the request itself decides; a user's `transportOptions.headers` cannot set them. */
const RESERVED = new Set(['host', 'content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer']);

export class RequestHead {
  private readonly prefix: string;

  /**
   * @param url the envelope endpoint.
   * @param headers sent with every request, in order; later names replace earlier ones
   *   (case-insensitively), and ones that are not valid HTTP are left out with a diagnostic.
   */
  constructor(url: URL, headers: Record<string, string>) {
    const chosen = new Map<string, [string, string]>();
    for (const [name, value] of Object.entries(headers)) {
      const text = String(value);
      if (!TOKEN.test(name) || !FIELD_VALUE.test(text)) {
        debugLog.warn(`transport: header ${JSON.stringify(name)} left out: not a valid HTTP header name and value`);
        continue;
      }
      if (RESERVED.has(name.toLowerCase())) {
        debugLog.warn(`transport: header ${JSON.stringify(name)} left out: the transport sets it itself`);
        continue;
      }
      chosen.set(name.toLowerCase(), [name, text.trim()]);
    }
    let prefix = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
    for (const [name, value] of chosen.values()) prefix += `${name}: ${value}\r\n`;
    this.prefix = `${prefix}Connection: keep-alive\r\n`;
  }

  /** Head and body in one buffer. `gzip`: the body is gzip-compressed. */
  request(body: Uint8Array, gzip: boolean): Uint8Array {
    const head = `${this.prefix}${gzip ? 'Content-Encoding: gzip\r\n' : ''}Content-Length: ${body.byteLength}\r\n\r\n`;
    // Every character is latin1 (checked above; the path and host are URL-encoded ASCII).
    const out = allocBytes(head.length + body.byteLength);
    writeLatin1(out, 0, head);
    out.set(body, head.length);
    return out;
  }
}
