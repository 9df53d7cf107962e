// Keep-alive connections to one server, each carrying one request at a time. A request is one
// buffer (head and body together, see request-head.ts) written to a socket; its promise settles
// when the response's status and headers are in, and the socket goes back to the pool once the
// response has ended.
//
// Why not node:http: for a request that is written whole and whose answer is only a status and
// two headers, node:http's ClientRequest, Agent, header objects and IncomingMessage stream cost
// about 120 µs of CPU per request on our 2-core machine, more than everything else faultline
// does for an event; this costs about 45 (README "Performance").

import type * as net from 'node:net';
import { loadNet, loadTls } from '../builtins.js';
import { ResponseParser, type ResponseHead } from './response-parser.js';
import { timerDelay } from '../../core/timer-delay.js';

export interface PoolTarget {
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
  tls: boolean;
}

export interface PoolOptions {
  maxSockets: number;
  /** Deadline for a whole exchange (connect, send, the response to its last byte). */
  timeoutMs: number;
}

/**
 * An idle connection older than this is not reused: Node's servers close idle keep-alive
 * connections after 5 s, and a request written as the server closes would be lost in transit.
 */
const IDLE_REUSE_MS = 4000;

interface Exchange {
  readonly bytes: Uint8Array;
  readonly resolve: (head: ResponseHead) => void;
  readonly reject: (err: Error) => void;
  /** `performance.now()` after which the exchange fails (see `checkDeadlines`). */
  readonly deadlineAt: number;
  /** Ended, failed or expired: nothing more happens to it. */
  done: boolean;
  connection: Connection | null;
  /** The head arrived and the promise is resolved; only the body is still coming. */
  answered: boolean;
  retried: boolean;
}

interface Connection {
  readonly socket: net.Socket;
  readonly parser: ResponseParser;
  exchange: Exchange | null;
  /** Requests written on it so far. */
  used: number;
  /** A byte of the current exchange's response has arrived. */
  heard: boolean;
  idleSince: number;
}

export class ConnectionPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiting: Exchange[] = [];
  private tlsSession: Buffer | undefined;
  private closed = false;
  /**
   * Exchanges not yet done, oldest first, and one timer for the oldest one's deadline. Every
   * exchange gets the same timeout, so the oldest is always the next to expire. One timer per
   * pool instead of one per request: a timer armed and cleared for every event was measurable,
   * and the timer objects of finished requests are short-lived ones whose hidden classes a full
   * garbage collection can take, deoptimizing the code that makes them.
   */
  private readonly timed: Exchange[] = [];
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly target: PoolTarget,
    private readonly options: PoolOptions,
  ) {}

  /** Sends one request. Rejects when it fails before its response head arrives. */
  request(bytes: Uint8Array): Promise<ResponseHead> {
    if (this.closed) return Promise.reject(new Error('the connection pool is closed'));
    return new Promise<ResponseHead>((resolve, reject) => {
      const deadlineAt = performance.now() + this.options.timeoutMs;
      const exchange: Exchange = { bytes, resolve, reject, deadlineAt, done: false, connection: null, answered: false, retried: false };
      this.timed.push(exchange);
      if (this.deadlineTimer === undefined) this.armDeadline(this.options.timeoutMs);
      this.waiting.push(exchange);
      this.dispatch();
    });
  }

  /** Closes every connection; requests not yet answered reject. */
  destroy(): void {
    this.closed = true;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const exchange of this.waiting.splice(0)) this.fail(exchange, new Error('the connection pool is closed'));
    for (const connection of [...this.all]) this.drop(connection, new Error('the connection pool is closed'));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const connection = this.takeIdle() ?? (this.all.size < this.options.maxSockets ? this.connect() : undefined);
      if (!connection) return;
      this.start(connection, this.waiting.shift()!);
    }
  }

  private takeIdle(): Connection | undefined {
    const now = Date.now();
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (now - connection.idleSince < IDLE_REUSE_MS) return connection;
      this.drop(connection, undefined);
    }
    return undefined;
  }

  private start(connection: Connection, exchange: Exchange): void {
    connection.exchange = exchange;
    connection.used++;
    connection.heard = false;
    exchange.connection = connection;
    connection.parser.expectResponse();
    connection.socket.write(exchange.bytes);
  }

  private connect(): Connection {
    const { host, port } = this.target;
    let socket: net.Socket;
    if (this.target.tls) {
      const tlsSocket = loadTls().connect({
        host,
        port,
        // SNI takes host names only (RFC 6066); Node warns when given an address.
        servername: loadNet().isIP(host) ? undefined : host,
        session: this.tlsSession,
        ALPNProtocols: ['http/1.1'],
      });
      // A resumed session skips the full handshake when a connection is replaced.
      tlsSocket.on('session', (session: Buffer) => (this.tlsSession = session));
      socket = tlsSocket;
    } else {
      socket = loadNet().connect({ host, port });
    }
    socket.setNoDelay(true);
    // Like node:http's sockets under faultline: a connection never keeps the process alive.
    socket.unref();

    const connection: Connection = {
      socket,
      parser: new ResponseParser(
        (head) => this.answered(connection, head),
        (reusable) => this.ended(connection, reusable),
      ),
      exchange: null,
      used: 0,
      heard: false,
      idleSince: 0,
    };
    this.all.add(connection);
    socket.on('data', (data: Buffer) => {
      connection.heard = true;
      try {
        connection.parser.push(data);
      } catch (err) {
        this.lose(connection, err as Error);
      }
    });
    socket.on('end', () => {
      if (!connection.parser.end()) this.lose(connection, new Error('socket hang up'));
    });
    socket.on('error', (err) => this.lose(connection, err));
    socket.on('close', () => this.lose(connection, new Error('socket hang up')));
    return connection;
  }

  private answered(connection: Connection, head: ResponseHead): void {
    const exchange = connection.exchange;
    if (!exchange || exchange.answered) return;
    exchange.answered = true;
    exchange.resolve(head);
  }

  private ended(connection: Connection, reusable: boolean): void {
    const exchange = connection.exchange;
    connection.exchange = null;
    if (exchange) this.finish(exchange);
    if (reusable && !this.closed) {
      connection.idleSince = Date.now();
      this.idle.push(connection);
    } else {
      this.drop(connection, undefined);
    }
    this.dispatch();
  }

  /** A connection failed or closed under us: drop it, and let what waits use the freed slot. */
  private lose(connection: Connection, err: Error): void {
    this.drop(connection, err);
    if (!this.closed) this.dispatch();
  }

  /**
   * Ends a connection (once), and settles the exchange it was carrying with `err`, or puts it
   * back in line for a second attempt. Never dispatches: callers inside `dispatch` use it.
   */
  private drop(connection: Connection, err: Error | undefined): void {
    if (!this.all.delete(connection)) return;
    const idleAt = this.idle.indexOf(connection);
    if (idleAt !== -1) this.idle.splice(idleAt, 1);
    connection.socket.destroy();
    const exchange = connection.exchange;
    connection.exchange = null;
    if (exchange) {
      exchange.connection = null;
      if (exchange.answered) {
        this.finish(exchange); // only the body was left; the answer stands
      } else if (connection.used > 1 && !connection.heard && !exchange.retried && !this.closed) {
        // A reused connection that died before any answer: the server most likely closed it as
        // we wrote, so the request never reached it. Once more, on another connection.
        exchange.retried = true;
        this.waiting.unshift(exchange);
      } else {
        this.fail(exchange, err ?? new Error('socket hang up'));
      }
    }
  }

  private expire(exchange: Exchange): void {
    const err = new Error(`request timed out after ${this.options.timeoutMs} ms`);
    if (exchange.connection) {
      exchange.retried = true; // no second attempt after the deadline
      this.lose(exchange.connection, err);
      return;
    }
    const at = this.waiting.indexOf(exchange);
    if (at !== -1) this.waiting.splice(at, 1);
    this.fail(exchange, err);
  }

  private fail(exchange: Exchange, err: Error): void {
    this.finish(exchange);
    if (!exchange.answered) exchange.reject(err);
  }

  /** Nothing more happens to `exchange`; the finished ones at the front of `timed` leave it. */
  private finish(exchange: Exchange): void {
    exchange.done = true;
    const timed = this.timed;
    while (timed.length > 0 && timed[0]!.done) timed.shift();
  }

  private armDeadline(ms: number): void {
    // A deadline further off than a timer can wait is checked again when this one fires.
    this.deadlineTimer = setTimeout(() => this.checkDeadlines(), timerDelay(ms));
    this.deadlineTimer.unref();
  }

  /** Expires every exchange past its deadline, then waits for the oldest one left. */
  private checkDeadlines(): void {
    this.deadlineTimer = undefined;
    const timed = this.timed;
    const now = performance.now();
    while (timed.length > 0 && (timed[0]!.done || timed[0]!.deadlineAt <= now)) {
      const exchange = timed.shift()!;
      if (!exchange.done) this.expire(exchange);
    }
    if (timed.length > 0 && !this.closed) this.armDeadline(timed[0]!.deadlineAt - now);
  }
}
