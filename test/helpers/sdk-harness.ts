// The per-file life cycle most end-to-end tests share: one local Sentry server for the whole
// file, the SDK closed before it stops, and (optionally) a clean slate before each test. What a
// file starts besides the server goes in `setup`/`teardown`, not in hooks of its own: Node 20
// runs a file's top-level `before` hooks as they are registered, without one waiting for the
// other, so a second `before` could run before the server exists. beforeEach hooks do run in
// order, so a file's own beforeEach runs after the harness's.
import { after, before, beforeEach } from 'node:test';
import * as faultline from '../../src/index.js';
import { resetScopesForTests } from '../../src/core/async-context.js';
import { startSentryServer, type TestServer } from './sentry-server.js';

/** What is done before each test, always in this order whatever order they are listed in. */
export type BeforeEachStep =
  /** End the client the previous test left (for files where every test inits its own). */
  | 'closeClient'
  /** Drain the client's queue, so what a test left does not land in the next test's envelopes. */
  | 'flushClient'
  /** Fresh global, isolation and current scopes. */
  | 'resetScopes'
  /** Forget the envelopes received so far. */
  | 'clearEnvelopes'
  /** Answer 200 again, for files whose tests script other replies. */
  | 'resetReplies';

export interface SentryServerHarness {
  /** Steps run before each test (none by default: the file's tests share one client and server). */
  beforeEach?: BeforeEachStep[];
  /** The timeout of the faultline.close that ends the file (default 100 ms). */
  closeTimeoutMs?: number;
  /** False where the file closes its client itself (e.g. after every test). Default true. */
  closeAtEnd?: boolean;
  /** Runs once the server is up: the file's own init, apps and listeners. */
  setup?: () => Promise<void> | void;
  /** Stops what the file started besides the server (apps, listeners), after the client is closed. */
  teardown?: () => Promise<void> | void;
}

/**
 * Registers the hooks and returns the file's server. The server only exists once `before` has run,
 * so what is returned stands in for it: every property read or written goes to the real server,
 * and the file's code reads exactly as it did with a `let server` assigned in `before`.
 */
export function useSentryServer(options: SentryServerHarness = {}): TestServer {
  const steps = new Set(options.beforeEach ?? []);
  let server: TestServer | undefined;
  const real = (): TestServer => {
    if (!server) throw new Error('the test Sentry server is used before its `before` hook ran');
    return server;
  };

  before(async () => {
    server = await startSentryServer();
    await options.setup?.();
  });
  after(async () => {
    if (options.closeAtEnd !== false) await faultline.close(options.closeTimeoutMs ?? 100);
    await options.teardown?.();
    await server?.close();
  });
  if (steps.size > 0) {
    beforeEach(async () => {
      if (steps.has('closeClient')) await faultline.close(100);
      if (steps.has('flushClient')) await faultline.flush(2000);
      if (steps.has('resetScopes')) resetScopesForTests();
      if (steps.has('clearEnvelopes')) real().envelopes.length = 0;
      if (steps.has('resetReplies')) real().fallback = { status: 200 };
    });
  }

  return new Proxy({} as TestServer, {
    get: (_target, key) => Reflect.get(real(), key),
    set: (_target, key, value) => Reflect.set(real(), key, value),
    has: (_target, key) => Reflect.has(real(), key),
  });
}
