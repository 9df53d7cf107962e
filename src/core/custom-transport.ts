// What a transport factory returned, checked once at init. The built-in transports have every
// method; a custom one (a test double, a forwarder to a queue) is often just `send`, maybe with
// `flush`, and without `isRateLimited` every capture threw inside the client and its event was
// lost. Missing parts get a neutral stand-in: never rate limited, nothing to flush. Without `send`
// there is nothing to deliver with, and the client stays disabled, as when the factory throws.

import { debugLog } from './debug-log.js';
import type { Transport } from './types.js';

/** `value` as a Transport, or undefined (with a diagnostic) when it cannot send. */
export function checkTransport(value: unknown): Transport | undefined {
  const candidate = value as Partial<Transport> | null | undefined;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.send !== 'function') {
    debugLog.error('the transport factory returned no object with a send method; faultline stays disabled');
    return undefined;
  }
  const missing = (['isRateLimited', 'flush'] as const).filter((name) => typeof candidate[name] !== 'function');
  if (missing.length === 0) return candidate as Transport;
  debugLog.warn(`the transport has no ${missing.join(' or ')}: faultline assumes no rate limit and nothing to flush`);
  return {
    send: candidate.send.bind(candidate),
    isRateLimited: typeof candidate.isRateLimited === 'function' ? candidate.isRateLimited.bind(candidate) : () => false,
    flush: typeof candidate.flush === 'function' ? candidate.flush.bind(candidate) : async () => true,
    ...(typeof candidate.close === 'function' ? { close: candidate.close.bind(candidate) } : {}),
  };
}
