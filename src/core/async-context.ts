import { Scope } from './scope.js';

/** The pair of context-local scopes a unit of work sees. */
export interface ScopePair {
  scope: Scope;
  isolationScope: Scope;
}

/**
 * How scopes travel with asynchronous work. The core has no async carrier of its own: Node
 * installs one backed by AsyncLocalStorage (src/node/async-context.ts); without one, a
 * synchronous stack keeps `withScope` correct for synchronous callbacks.
 */
export interface AsyncContextStrategy {
  /** The scopes of the running unit of work, or undefined outside any. */
  getScopes(): ScopePair | undefined;
  /** Runs `callback` with `scopes` active; they stay active across its awaits and timers. */
  runWithScopes<T>(scopes: ScopePair, callback: () => T): T;
}

const defaults: ScopePair = { scope: new Scope(), isolationScope: new Scope() };
let globalScope: Scope | undefined;

function createStackStrategy(): AsyncContextStrategy {
  const stack: ScopePair[] = [];
  return {
    getScopes: () => stack[stack.length - 1],
    runWithScopes<T>(scopes: ScopePair, callback: () => T): T {
      stack.push(scopes);
      try {
        return callback();
      } finally {
        stack.pop();
      }
    },
  };
}

let strategy: AsyncContextStrategy = createStackStrategy();

export function setAsyncContextStrategy(next: AsyncContextStrategy | undefined): void {
  strategy = next ?? createStackStrategy();
}

export function getAsyncContextStrategy(): AsyncContextStrategy {
  return strategy;
}

/** The process-wide scope (created lazily). `init` binds the client here. */
export function getGlobalScope(): Scope {
  if (!globalScope) globalScope = new Scope();
  return globalScope;
}

export function getCurrentScopes(): ScopePair {
  return strategy.getScopes() ?? defaults;
}

export function getCurrentScope(): Scope {
  return getCurrentScopes().scope;
}

export function getIsolationScope(): Scope {
  return getCurrentScopes().isolationScope;
}

/** @internal For tests: forget all scope data. */
export function resetScopesForTests(): void {
  defaults.scope = new Scope();
  defaults.isolationScope = new Scope();
  globalScope = undefined;
}
