// The check that ends most end-to-end tests: everything captured was delivered, and the protocol
// kit found nothing wrong in any envelope the server received.
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import type { TestServer } from './sentry-server.js';

export async function flushChecked(server: TestServer, timeoutMs = 2000): Promise<void> {
  assert.equal(await faultline.flush(timeoutMs), true, 'flush delivers everything');
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
}

/** Every event payload the server received, after flushChecked. */
export async function sentEvents(server: TestServer, timeoutMs = 2000): Promise<any[]> {
  await flushChecked(server, timeoutMs);
  return server.events();
}
