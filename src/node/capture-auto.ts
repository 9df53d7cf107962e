// Captures an error that an integration caught on the app's behalf (a framework's error path, a
// log record). Unlike the public captureException it sets the mechanism (how the error reached
// us, and whether the app handled it), which the public API deliberately does not expose.
import type { Mechanism } from '../core/types.js';
import type { Client } from '../core/client.js';
import { Scope } from '../core/scope.js';
import { getClient } from '../core/api.js';
import { getCurrentScope, getGlobalScope, getIsolationScope } from '../core/async-context.js';
import { debugLog } from '../core/debug-log.js';

/**
 * `editScope` fills a per-call scope (level, extra, processors) that is the most specific in the
 * chain. Returns the event id when queued. Never throws.
 */
export function captureAutoException(
  error: unknown,
  mechanism: Mechanism,
  editScope?: (scope: Scope) => void,
): string | undefined {
  try {
    const client = getClient<Client>();
    if (!client || typeof client.captureException !== 'function') return undefined;
    const isolation = getIsolationScope();
    const chain = [getGlobalScope(), isolation, getCurrentScope()];
    if (editScope) {
      const perCall = new Scope();
      editScope(perCall);
      chain.push(perCall);
    }
    const hint = {
      originalException: error,
      // A thrown non-Error has no stack of its own; the capture site is better than nothing.
      syntheticException: error instanceof Error ? null : new Error('synthetic'),
      mechanism,
    };
    const id = client.captureException(error, hint, chain);
    if (id) isolation.setLastEventId(id);
    return id;
  } catch (err) {
    debugLog.error(`capturing an error from ${mechanism.type} failed`, err);
    return undefined;
  }
}
