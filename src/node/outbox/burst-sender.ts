// The burst sender: a worker thread that sends what a burst spilled to disk while the caller's
// loop is still running.
//
// Why: a loop that captures thousands of errors without yielding keeps the event loop from
// sending anything until it ends; the envelopes pile up in segment files (writer.ts, spillSync)
// and go out afterwards, on the same thread, at the speed of one core. With a thread of its own,
// the sending (reading the file back, gzip, the requests) runs on the machine's other core
// during the loop. On the project's 2-core VM that took a 10,000-error flood from 0.6× to about
// 0.8× the raw protocol floor's delivery rate (README "Performance"). This is the Python SDK's
// model too: its transport sends from a background thread.
//
// The thread is started by the first spill (a single capture, or a steady trickle, never starts
// it: those are sent by the main thread as they come), or by a large backlog on disk (what an
// earlier run left, or what piled up while the server was away: see offerBacklog), and ended
// once it has nothing left, so it costs neither start-up time nor memory outside a burst. It
// only carries the plain case (burst-worker.ts); anything else comes back to the main thread's
// sender, which still owns every entry, file, rate limit, backoff and client report: the thread
// reports how each request ended, and the main thread settles the entry exactly as if it had
// sent it itself.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { debugLog } from '../../core/debug-log.js';
import type { TransportResponse } from '../../core/transport.js';
import { loadWorkerThreads } from '../builtins.js';
import type { RequesterConfig } from '../transport-http.js';
import type { BurstCommand, BurstJob, BurstReport, BurstWorkerData } from './burst-worker.js';
import type { OutboxEntry } from './entry.js';
import { countLimited } from './limited-items.js';
import type { OutboxSender } from './sender.js';
import type { OutboxState } from './state.js';

// The thread loads the module it comes from and runs this (see `bootstrap` below).
export { runBurstWorker as __faultlineBurstWorker } from './burst-worker.js';

/**
 * The thread's first code: loads faultline's own module file in the thread and runs the worker
 * part of it. Not a file of its own, so the package stays one bundle per format.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.entry).then((m) => {
  const run = m.__faultlineBurstWorker || (m.default && m.default.__faultlineBurstWorker);
  if (typeof run !== 'function') throw new Error('faultline: no burst sender in ' + workerData.entry);
  run();
});
`;

/**
 * Requests the thread keeps in flight when `transportOptions.concurrency` is not set (when it is,
 * the thread keeps to it like the main thread's sender). More than the main thread's 4: the
 * thread builds its requests on its own core, so more at once cost the application nothing, and a
 * spilled burst is when they pay. Over a network each connection carries one request per round
 * trip (at 100 ms, 160 events a second with 16, 40 with 4; `@sentry/node` allows 30 sockets). On
 * the benchmark's loopback the flood went about a tenth faster than with 4 (bench/FINDINGS.md):
 * with more requests waiting, the receiver wakes less often per request.
 */
export const DEFAULT_BURST_CONCURRENCY = 16;

/**
 * Envelopes waiting to be sent from which a backlog (left by an earlier run, or piled up during
 * an outage) is worth starting the thread for. Below it, the main thread's sender drains it soon
 * enough: over a network with 100 ms round trips its 4 connections send 256 envelopes in about 6
 * seconds, against the thread's start-up of about 75 ms of CPU (on the other core) and its memory.
 */
export const BACKLOG_FOR_THREAD = 256;

export class BurstSender {
  private worker: Worker | undefined;
  /** Entries the thread has, by name; each counts in `state.inFlight` and is marked `sending`. */
  private readonly claimed = new Map<string, OutboxEntry>();
  /** The thread could not be started, or failed: this outbox sends everything itself from now on. */
  private broken = false;
  /** For stats(): threads started, and envelopes they sent that got an answer. */
  starts = 0;
  sent = 0;

  constructor(
    private readonly state: OutboxState,
    private readonly sender: OutboxSender,
    private readonly request: RequesterConfig,
  ) {}

  /**
   * Envelopes a spill just admitted (on the caller's tick), or a backlog (offerBacklog): the
   * thread takes those it may send now.
   */
  offer(entries: readonly OutboxEntry[]): void {
    const state = this.state;
    try {
      const store = state.config.store;
      const now = Date.now();
      if (this.broken || state.closed || !store || state.mode !== 'disk' || !this.sender.mayHandOff(now)) return;
      const rateLimits = state.config.rateLimits;
      const maxAgeMs = state.config.maxAgeMs;
      const jobs: BurstJob[] = [];
      const taken: OutboxEntry[] = [];
      for (const entry of entries) {
        // Only what lies on disk: an envelope kept in memory (a write that failed) stays here.
        if (entry.sending || entry.bytes) continue;
        // Limited ones stay with the main thread's sender, which sends them without those items,
        // and so do expired ones (a backlog after a long outage), which it drops and counts.
        if (countLimited(entry.categories, rateLimits, now) > 0 || now - entry.createdAt > maxAgeMs) continue;
        // One of a segment file, or a file of its own (a backlog's lone captures), read whole.
        const place = entry.segment ?? { name: entry.name, offset: 0, length: entry.size };
        jobs.push({ name: entry.name, file: place.name, offset: place.offset, length: place.length });
        taken.push(entry);
      }
      if (jobs.length === 0) return;
      const worker = this.worker ?? this.start(store.directory);
      if (!worker) return;
      for (const entry of taken) {
        entry.sending = true;
        state.inFlight++;
        this.claimed.set(entry.name, entry);
      }
      worker.postMessage({ jobs } satisfies BurstCommand);
    } catch (err) {
      debugLog.warn('outbox: could not hand a burst to the sender thread', err);
    }
  }

  /**
   * A backlog the main thread's sender would drain `concurrency` at a time: what an earlier run
   * left (once the loader has adopted it) or what an outage piled up (once the server answers
   * again), or what a closed outbox of this process hands over, file by file (`init()` again).
   * When it is large, or the thread is running anyway, the thread takes it, as it takes a burst:
   * envelopes in segment files and in files of their own alike.
   */
  offerBacklog(): void {
    const state = this.state;
    if (!this.worker && state.entries.length - state.inFlight < BACKLOG_FOR_THREAD) return;
    this.offer(state.entries);
  }

  /** close(): the thread starts nothing more; what it still had comes back (and goes to the next outbox). */
  stop(): void {
    try {
      this.worker?.postMessage({ stop: true } satisfies BurstCommand);
    } catch (err) {
      debugLog.warn('outbox: could not stop the sender thread', err);
    }
  }

  private start(directory: string): Worker | undefined {
    const entry = burstEntry();
    if (!entry) {
      this.broken = true;
      return undefined;
    }
    try {
      const data: BurstWorkerData & { entry: string } = {
        entry,
        directory,
        request: { ...this.request, url: this.request.url.href },
      };
      const worker = new (loadWorkerThreads().Worker)(BOOTSTRAP, {
        eval: true,
        workerData: data,
        // The thread needs no flag of the application's (a profiler, an inspector, a loader),
        // and must not run its preloads: Node runs NODE_OPTIONS' --require and --import again in
        // every worker, and an instrumentation file there would init a second SDK in the thread.
        execArgv: [],
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      // Like the sockets: the thread never keeps the process alive (flush() does, while asked to).
      worker.unref();
      worker.on('message', (report: BurstReport) => this.onReport(report));
      worker.on('error', (err) => this.fail(worker, err));
      worker.on('exit', (code) => this.fail(worker, new Error(`the sender thread exited (${code})`)));
      this.worker = worker;
      this.starts++;
      return worker;
    } catch (err) {
      this.broken = true;
      debugLog.warn('outbox: could not start the sender thread; sending from the main thread', err);
      return undefined;
    }
  }

  private onReport(report: BurstReport): void {
    const settled: Array<[OutboxEntry, TransportResponse | undefined]> = [];
    for (const { name, response } of report.outcomes) {
      const entry = this.take(name);
      if (!entry) continue;
      settled.push([entry, response]);
      if (response) this.sent++;
    }
    const returned: OutboxEntry[] = [];
    for (const name of report.returned) {
      const entry = this.take(name);
      if (entry) returned.push(entry);
    }
    this.sender.settleElsewhere(settled, returned);
    if (this.claimed.size === 0) this.end();
  }

  private take(name: string): OutboxEntry | undefined {
    const entry = this.claimed.get(name);
    if (entry) this.claimed.delete(name);
    return entry;
  }

  /** Nothing left with the thread: end it, and its memory with it. The next burst starts another. */
  private end(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  /**
   * The thread failed (or ended while it still had envelopes): they come back to the main
   * thread's sender. Some of them may have been delivered just before; they are sent again, and
   * Sentry drops the duplicates by event_id, as after a crash.
   */
  private fail(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    this.broken = true;
    debugLog.warn('outbox: the sender thread failed; sending from the main thread', err);
    const returned = [...this.claimed.values()];
    this.claimed.clear();
    this.sender.settleElsewhere([], returned);
  }
}

let entryFound: string | null | undefined;

/**
 * The module file the thread loads: faultline's own build, dist/index.js or dist/index.cjs.
 * Nothing else. Bundled into an application, this code's file is the application's, and loading
 * that in a thread would start the application a second time. Run from its TypeScript source
 * (this project's tests), a thread could not load it without the test's loader: the tests of the
 * thread run the build.
 */
function burstEntry(): string | undefined {
  if (entryFound !== undefined) return entryFound ?? undefined;
  entryFound = null;
  try {
    const url = import.meta.url;
    const file = fileURLToPath(url);
    if (!/[\\/]index\.c?js$/.test(file)) return undefined;
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(file), '..', 'package.json'), 'utf8')) as { name?: unknown };
    if (pkg.name === 'faultline') entryFound = url;
  } catch {
    // No file of our own to load (an unusual bundler or runtime): the main thread sends.
  }
  return entryFound ?? undefined;
}
