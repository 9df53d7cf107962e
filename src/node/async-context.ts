import { AsyncLocalStorage } from 'node:async_hooks';
import type { AsyncContextStrategy, ScopePair } from '../core/async-context.js';

/**
 * Scopes carried by AsyncLocalStorage: a unit of work keeps its scopes across `await`, timers
 * and callbacks, so 100 concurrent requests never see each other's tags or user.
 */
export function createAsyncLocalStorageStrategy(): AsyncContextStrategy {
  const storage = new AsyncLocalStorage<ScopePair>();
  return {
    getScopes: () => storage.getStore(),
    runWithScopes: (scopes, callback) => storage.run(scopes, callback),
  };
}
