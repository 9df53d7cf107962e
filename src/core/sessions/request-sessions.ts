// Follows each request from `requestStart` (inside its isolation scope) to the end of its
// response, and each queued error event back to the request it was captured in (through the
// isolation scope that is current while the event is captured). Runtime-agnostic: the response
// is only expected to be an event emitter with 'finish' / 'close' (node:http's ServerResponse).
import type { ClientLike, Event, EventHint } from '../types.js';
import type { Scope } from '../scope.js';
import { getIsolationScope } from '../async-context.js';
import { debugLog } from '../debug-log.js';
import type { SessionAggregator, SessionStatus } from './aggregator.js';

interface RequestSession {
  startedMs: number;
  status: SessionStatus;
  /** Counted already (its response ended, or it crashed). */
  done: boolean;
}

interface EmitterLike {
  once(event: string, listener: () => void): unknown;
}

/** Hooks a client's requests and errors to `aggregator`; returns the function that unhooks them. */
export function trackRequestSessions(
  client: ClientLike,
  aggregator: SessionAggregator,
  ignoreRequest?: (request: unknown) => boolean,
): () => void {
  // Keyed by the request's isolation scope, so the state dies with the request.
  const sessions = new WeakMap<Scope, RequestSession>();

  const end = (session: RequestSession): void => {
    if (session.done) return;
    session.done = true;
    aggregator.record(session.startedMs, session.status);
  };

  const offStart = client.on('requestStart', (request, response) => {
    if (ignoreRequest && isIgnored(ignoreRequest, request)) return;
    const session: RequestSession = { startedMs: Date.now(), status: 'exited', done: false };
    sessions.set(getIsolationScope(), session);
    const res = response as Partial<EmitterLike> | undefined;
    if (!res || typeof res.once !== 'function') {
      debugLog.warn('sessions: the response cannot be followed; the request is not counted');
      session.done = true;
      return;
    }
    // 'finish' when the response was sent; 'close' also when the client went away first.
    const onEnd = (): void => end(session);
    res.once('finish', onEnd);
    res.once('close', onEnd);
  });

  const offEvent = client.on('eventQueued', (event, hint) => {
    const outcome = errorOutcome(event, hint);
    if (!outcome) return;
    const session = sessions.get(getIsolationScope());
    if (session) {
      if (session.done) return;
      if (outcome === 'crashed') {
        // Crashed is final, and the process may be about to end: count it now.
        session.status = 'crashed';
        end(session);
      } else if (session.status === 'exited') {
        session.status = 'errored';
      }
    } else if (outcome === 'crashed' && event.level === 'fatal') {
      // Outside any request: only a crash of the process itself (an uncaught exception) counts.
      aggregator.record(Date.now(), 'crashed');
    }
  });

  return () => {
    offStart();
    offEvent();
  };
}

function isIgnored(ignoreRequest: (request: unknown) => boolean, request: unknown): boolean {
  try {
    return ignoreRequest(request) === true;
  } catch (err) {
    debugLog.error('sessions: ignoreRequest threw; the request is counted', err);
    return false;
  }
}

/** `crashed` for an unhandled error (mechanism handled: false), `errored` for any other error. */
function errorOutcome(event: Event, hint: EventHint): 'errored' | 'crashed' | undefined {
  if (event.type === 'transaction') return undefined;
  const values = event.exception?.values;
  if (!Array.isArray(values) || values.length === 0) return undefined;
  if (hint?.mechanism?.handled === false) return 'crashed';
  return values.some((v) => v?.mechanism?.handled === false) ? 'crashed' : 'errored';
}
