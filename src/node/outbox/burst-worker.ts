// The burst sender's thread (burst-sender.ts has the main thread's side and the why). It is
// given envelopes that a burst spilled to segment files (or a large backlog on disk), and sends
// them oldest first while the main thread may still be busy with the caller's loop: it reads
// each file once, stamps `sent_at`, and posts them over its own keep-alive connections (the same
// request code as the main thread's sender).
//
// It only carries the plain case. The first answer that is not a plain 2xx (an error status, a
// rate limit header, a network failure) ends its work: what it has not started goes back to the
// main thread, whose sender owns backoff, rate limits and client reports. So every decision
// about an envelope that was not simply delivered is still taken in one place.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkerThreads } from '../builtins.js';
import { httpRequester, type RequesterConfig } from '../transport-http.js';
import { restamp } from './restamp.js';
import type { Envelope } from '../../core/envelope.js';
import type { TransportResponse } from '../../core/transport.js';

/** The thread's settings (its workerData): RequesterConfig with the URL as text. */
export interface BurstWorkerData {
  request: Omit<RequesterConfig, 'url'> & { url: string };
  directory: string;
}

/** One envelope to send: its entry's name, and where it lies in its file (a segment, or its own). */
export interface BurstJob {
  name: string;
  file: string;
  offset: number;
  length: number;
}

/** Main → thread. `stop`: start nothing more, give back what waits. */
export type BurstCommand = { jobs: BurstJob[] } | { stop: true };

/** How one request ended: the response's status and rate limit headers, or no response. */
export interface BurstOutcome {
  name: string;
  /** Undefined: the request failed without a response. */
  response?: TransportResponse;
}

/** Thread → main, batched: requests that ended, and jobs given back unsent. */
export interface BurstReport {
  outcomes: BurstOutcome[];
  returned: string[];
}

/** Outcomes are reported at least this often in a flood, so the main thread can delete files as it goes. */
const REPORT_EVERY = 64;
/** ...and at most this late (a timer, not each turn of the event loop). */
const REPORT_DELAY_MS = 5;

/** The MakeRequest signature wants an envelope; these are sent as bytes only. */
const EMPTY_ENVELOPE: Envelope = { header: {}, items: [] };

/** The thread's whole life: called by the worker's bootstrap code (burst-sender.ts). */
export function runBurstWorker(): void {
  const { parentPort, workerData } = loadWorkerThreads();
  if (!parentPort) return;
  const port = parentPort;
  const data = workerData as BurstWorkerData;
  const requester = httpRequester({ ...data.request, url: new URL(data.request.url) });
  const queue: BurstJob[] = [];
  let head = 0;
  let inFlight = 0;
  let stopped = false;
  let outcomes: BurstOutcome[] = [];
  let returned: string[] = [];
  let reportTimer: ReturnType<typeof setTimeout> | undefined;
  /** The file being sent from: read once, whole (a segment is one spill's worth). */
  let file: { name: string; bytes: Uint8Array } | undefined;

  const report = (): void => {
    clearTimeout(reportTimer);
    reportTimer = undefined;
    if (outcomes.length === 0 && returned.length === 0) return;
    const message: BurstReport = { outcomes, returned };
    outcomes = [];
    returned = [];
    port.postMessage(message);
  };
  const scheduleReport = (): void => {
    // Every few requests, or when the thread runs out of work; in between, a short timer. Not
    // after every turn of the event loop: a message per request or two cost more than the
    // request's own bookkeeping, on both threads.
    if (outcomes.length >= REPORT_EVERY || (inFlight === 0 && head >= queue.length)) return report();
    reportTimer ??= setTimeout(report, REPORT_DELAY_MS);
  };

  const giveBack = (): void => {
    for (; head < queue.length; head++) returned.push(queue[head]!.name);
    queue.length = 0;
    head = 0;
    file = undefined;
    scheduleReport();
  };

  const bytesOf = (job: BurstJob): Uint8Array => {
    if (file?.name !== job.file) file = { name: job.file, bytes: fs.readFileSync(path.join(data.directory, job.file)) };
    if (job.offset + job.length > file.bytes.byteLength) throw new Error(`${job.file} is shorter than its records`);
    // A view: restamp writes only inside this envelope's own bytes, and each is sent once.
    return file.bytes.subarray(job.offset, job.offset + job.length);
  };

  const ended = (outcome: BurstOutcome): void => {
    inFlight--;
    outcomes.push(outcome);
    const response = outcome.response;
    const plain = response !== undefined && response.statusCode >= 200 && response.statusCode < 300 && !response.retryAfter && !response.rateLimits;
    if (!plain && !stopped) {
      stopped = true;
      giveBack();
    }
    pump();
    scheduleReport();
  };

  const pump = (): void => {
    while (!stopped && inFlight < data.request.maxSockets && head < queue.length) {
      const job = queue[head]!;
      queue[head++] = undefined as unknown as BurstJob;
      let body: Uint8Array;
      try {
        body = restamp(bytesOf(job));
      } catch {
        // Unreadable here: the main thread's sender reads it again and decides (sender.ts giveUp).
        returned.push(job.name);
        scheduleReport();
        continue;
      }
      inFlight++;
      requester.makeRequest(body, EMPTY_ENVELOPE).then(
        // The parser's response is plain data already: it crosses to the main thread as it is.
        (response) => ended({ name: job.name, response }),
        () => ended({ name: job.name }),
      );
    }
    if (head === queue.length && head > 0) {
      queue.length = 0;
      head = 0;
    }
  };

  port.on('message', (command: BurstCommand) => {
    if ('stop' in command) {
      stopped = true;
      giveBack();
      return;
    }
    if (stopped) {
      for (const job of command.jobs) returned.push(job.name);
      scheduleReport();
      return;
    }
    for (const job of command.jobs) queue.push(job);
    pump();
  });
}
