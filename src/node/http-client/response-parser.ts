// Reads HTTP/1.x responses off a connection that carries one request at a time: the status, the
// two headers a Sentry transport acts on, and where each response ends (Content-Length, chunked,
// or the close of the connection), so the connection can carry the next request. The body itself
// is skipped: Relay's answer to an envelope is a small JSON object nobody needs.

import { indexOfBytes, readLatin1 } from '../bytes.js';

export interface ResponseHead {
  statusCode: number;
  /** `Retry-After`: the first one, as node:http keeps it. */
  retryAfter: string | null;
  /** `X-Sentry-Rate-Limits`: all of them, joined with ", " as node:http joins them. */
  rateLimits: string | null;
}

/** A server that sends more head than this is not a Sentry server (node:http allows 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4 * 1024;
const CRLF = new Uint8Array([13, 10]);
const CRLF_CRLF = new Uint8Array([13, 10, 13, 10]);
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: |$)/;

const enum State {
  /** No request outstanding: any byte is a protocol error. */
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  /** The response is complete; `push` hands it over once it has looked at what follows. */
  Done,
}

export class ResponseParser {
  private state = State.Idle;
  /** Bytes of an unfinished head or line, from earlier reads. */
  private pending: Buffer | null = null;
  private remaining = 0;
  private keepAlive = false;
  /** What the last readUntil read, or null while it waits for more. */
  private text: string | null = null;

  /**
   * @param onHead the status and headers are in (the body may still follow).
   * @param onEnd the response is complete; `reusable` says whether the connection may carry another.
   */
  constructor(
    private readonly onHead: (head: ResponseHead) => void,
    private readonly onEnd: (reusable: boolean) => void,
  ) {}

  /** A request went out: what follows on the connection is its response. */
  expectResponse(): void {
    this.state = State.Head;
    this.pending = null;
  }

  /** Bytes from the connection. Throws on anything that is not a well-formed HTTP/1.x response. */
  push(data: Buffer): void {
    let pos = 0;
    while (pos < data.length && this.state !== State.Done) {
      switch (this.state) {
        case State.Idle:
          throw new Error('the server sent bytes while no request was outstanding');
        case State.Head:
          pos = this.readUntil(data, pos, CRLF_CRLF, MAX_HEAD_BYTES);
          if (this.text !== null) this.startBody(this.text);
          break;
        case State.Length:
          pos = this.skip(data, pos, State.Done);
          break;
        case State.ChunkSize:
          pos = this.readUntil(data, pos, CRLF, MAX_LINE_BYTES);
          if (this.text !== null) this.onChunkSize(this.text);
          break;
        case State.ChunkData:
          pos = this.skip(data, pos, State.ChunkDataEnd, 2); // then the CRLF after the data
          break;
        case State.ChunkDataEnd:
          pos = this.skip(data, pos, State.ChunkSize);
          break;
        case State.Trailers:
          pos = this.readUntil(data, pos, CRLF, MAX_LINE_BYTES);
          if (this.text === '') this.state = State.Done; // the empty line after the trailers
          break;
        case State.UntilClose:
          pos = data.length;
          break;
      }
    }
    if (this.state === State.Done) {
      this.state = State.Idle;
      // One request at a time: a server that sends more than the response is not speaking HTTP to us.
      if (pos < data.length) throw new Error('the server sent bytes after the end of the response');
      this.onEnd(this.keepAlive);
    }
  }

  /**
   * The server closed its side. Returns true when that was the end of the response (a body
   * delimited by the close); false when the response was cut short or none was outstanding.
   */
  end(): boolean {
    if (this.state !== State.UntilClose) return false;
    this.state = State.Idle;
    this.onEnd(false);
    return true;
  }

  private startBody(headText: string): void {
    const lines = headText.split('\r\n');
    const status = STATUS_LINE.exec(lines[0]!);
    if (!status) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const statusCode = Number(status[2]);
    if (statusCode < 200) {
      // 100 Continue and friends come before the real response; 101 would switch protocols.
      if (statusCode === 101) throw new Error('the server switched protocols');
      this.state = State.Head;
      return;
    }
    let retryAfter: string | null = null;
    let rateLimits: string | null = null;
    let contentLength: string | null = null;
    let transferEncoding = '';
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue; // an obsolete folded line or junk: nothing we act on
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      switch (name) {
        case 'content-length':
          if (contentLength !== null && contentLength !== value) throw new Error('conflicting Content-Length headers');
          contentLength = value;
          break;
        case 'transfer-encoding':
          transferEncoding = transferEncoding ? `${transferEncoding}, ${value}` : value;
          break;
        case 'connection':
          connection = connection ? `${connection}, ${value}` : value;
          break;
        case 'retry-after':
          retryAfter ??= value;
          break;
        case 'x-sentry-rate-limits':
          rateLimits = rateLimits === null ? value : `${rateLimits}, ${value}`;
          break;
      }
    }
    const tokens = connection.toLowerCase();
    this.keepAlive = status[1] === '1' ? !/(?:^|,)\s*close\s*(?:,|$)/.test(tokens) : /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(tokens);
    // Framing first: a response whose end cannot be told is refused before anyone acts on it.
    let next: State;
    if (statusCode === 204 || statusCode === 304) {
      next = State.Done;
    } else if (transferEncoding) {
      const codings = transferEncoding.toLowerCase().split(',');
      next = codings[codings.length - 1]!.trim() === 'chunked' ? State.ChunkSize : State.UntilClose;
    } else if (contentLength !== null) {
      if (!/^\d{1,15}$/.test(contentLength)) throw new Error(`bad Content-Length: ${JSON.stringify(contentLength)}`);
      this.remaining = Number(contentLength);
      next = this.remaining === 0 ? State.Done : State.Length;
    } else {
      next = State.UntilClose;
    }
    if (next === State.UntilClose) this.keepAlive = false;
    this.state = next;
    this.onHead({ statusCode, retryAfter, rateLimits });
  }

  private onChunkSize(line: string): void {
    const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
    if (!size) throw new Error(`bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
    this.remaining = parseInt(size[1]!, 16);
    this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
  }

  /**
   * Passes over up to `remaining` bytes (which may span reads); once they are all read, moves on
   * to `then`, with `thenRemaining` bytes for it.
   */
  private skip(data: Buffer, pos: number, then: State, thenRemaining = 0): number {
    const take = Math.min(this.remaining, data.length - pos);
    this.remaining -= take;
    if (this.remaining === 0) {
      this.state = then;
      this.remaining = thenRemaining;
    }
    return pos + take;
  }

  /**
   * Reads the text up to `delimiter`, which may arrive over several reads. Sets `text` to it
   * (without the delimiter) once it is all in, else to null; returns the position after what it
   * consumed.
   */
  private readUntil(data: Buffer, pos: number, delimiter: Uint8Array, max: number): number {
    if (this.pending === null) {
      const at = indexOfBytes(data, delimiter, pos);
      if (at !== -1) {
        this.text = readLatin1(data, pos, at);
        return at + delimiter.length;
      }
      this.pending = data.subarray(pos);
    } else {
      const carried = this.pending.length;
      const joined = Buffer.concat([this.pending, data.subarray(pos)]);
      const at = indexOfBytes(joined, delimiter, Math.max(0, carried - delimiter.length + 1));
      if (at !== -1) {
        this.pending = null;
        this.text = readLatin1(joined, 0, at);
        return pos + at + delimiter.length - carried;
      }
      this.pending = joined;
    }
    if (this.pending.length > max) throw new Error('response head or line too long');
    this.text = null;
    return data.length;
  }
}
