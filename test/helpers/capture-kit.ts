import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { sentEvents } from './flushed.js';
import type { TestServer } from './sentry-server.js';

/**
 * What the capture tests share: `init` over the in-memory transport (`offline: false`; the
 * durable outbox that is the Node default has its own tests in test/delivery/), the events the
 * server received after a checked flush, and one of them by its message.
 */
export function captureKit(server: TestServer) {
  const init = (extra: faultline.Options = {}) =>
    faultline.init({ dsn: server.dsn, release: 'app@1.0.0', environment: 'test', offline: false, ...extra });
  const sent = () => sentEvents(server);
  return { init, sent };
}

/** The event whose message is `text`: envelopes travel in parallel, so arrival order is not capture order. */
export function byMessage(events: any[], text: string): any {
  const event = events.find((e) => e.logentry?.formatted === text);
  assert.ok(event, `an event with the message ${text}`);
  return event;
}

export const EVENT_ID = /^[0-9a-f]{32}$/;
