// The flat public API. Every function is a thin, guarded delegation: it never throws into the
// application and reports misuse with `debug: true` (SPEC.md decision 15).
import type {
  Breadcrumb,
  BreadcrumbHint,
  CaptureContext,
  Context,
  Event,
  EventHint,
  Primitive,
  SeverityLevel,
  SeverityLevelInput,
  User,
} from './types.js';
import { Scope } from './scope.js';
import type { Client } from './client.js';
import type { ScopeChain } from './apply-scope.js';
import {
  getAsyncContextStrategy,
  getCurrentScope,
  getCurrentScopes,
  getGlobalScope,
  getIsolationScope,
} from './async-context.js';
import { debugLog } from './debug-log.js';
import { toSeverityLevel } from './severity.js';

/**
 * A per-call context: a Scope or scope data (laid over the current scope for that one event), or
 * a function given a copy of the current scope, which stands in for it for that one event; a Scope
 * the function returns is laid over the copy, as in `@sentry/node`.
 */
export type CaptureContextArg = Scope | CaptureContext | ((scope: Scope) => Scope | void);

/** The client bound to the running scopes (init binds it to the global scope). */
export function getClient<C = Client>(): C | undefined {
  const { scope, isolationScope } = getCurrentScopes();
  return (scope._client ?? isolationScope._client ?? getGlobalScope()._client) as C | undefined;
}

export function isInitialized(): boolean {
  return getClient() !== undefined;
}

function warnNotInitialized(what: string): void {
  debugLog.warn(`${what} called before init(); nothing is captured`);
}

function chainFor(context: CaptureContextArg | undefined): ScopeChain {
  const { scope, isolationScope } = getCurrentScopes();
  const global = getGlobalScope();
  if (context === undefined || context === null) return [global, isolationScope, scope];
  let perCall: Scope | undefined;
  if (context instanceof Scope) {
    perCall = context;
  } else if (typeof context === 'function') {
    // A copy, so the function can read, change and remove the current scope's data for this
    // event (Python hands its function the merged scopes) without touching the scope itself.
    const copy = scope.clone();
    try {
      const result = context(copy);
      if (!(result instanceof Scope) || result === copy) return [global, isolationScope, copy];
      return [global, isolationScope, copy, result];
    } catch (err) {
      debugLog.error('the capture context function threw; it is ignored', err);
    }
  } else if (typeof context === 'object') {
    perCall = new Scope().update(context);
  } else {
    debugLog.warn('the capture context must be a Scope, an object or a function; it is ignored');
  }
  return perCall ? [global, isolationScope, scope, perCall] : [global, isolationScope, scope];
}

/** An Error whose stack is the capture site's, when the SDK needs one (non-Error input, attachStacktrace). */
function syntheticError(message: string, above: Function): Error {
  const err = new Error(message);
  if (typeof Error.captureStackTrace === 'function') Error.captureStackTrace(err, above);
  return err;
}

function remember(id: string | undefined): string | undefined {
  if (id) getIsolationScope().setLastEventId(id);
  return id;
}

/**
 * Captures an error (or any value: non-Errors become a readable synthetic exception). Returns the
 * event id when the event was queued for sending, `undefined` when it was not.
 */
export function captureException(error?: unknown, context?: CaptureContextArg): string | undefined {
  try {
    const client = getClient();
    if (!client) return warnNotInitialized('captureException'), undefined;
    const hint: EventHint = { originalException: error, syntheticException: null };
    if (!(error instanceof Error)) hint.syntheticException = syntheticError('synthetic', captureException);
    return remember(client.captureException(error, hint, chainFor(context), arguments.length === 0));
  } catch (err) {
    debugLog.error('captureException failed', err);
    return undefined;
  }
}

/**
 * Captures a message, `info` unless a level is given. The second argument is a level or a
 * per-call context.
 */
export function captureMessage(
  message: string,
  levelOrContext?: SeverityLevelInput | CaptureContextArg,
  context?: CaptureContextArg,
): string | undefined {
  try {
    const client = getClient();
    if (!client) return warnNotInitialized('captureMessage'), undefined;
    let level: SeverityLevel | undefined;
    let ctx = context;
    if (typeof levelOrContext === 'string') {
      level = toSeverityLevel(levelOrContext);
      if (!level) debugLog.warn(`captureMessage: unknown level "${levelOrContext}"; using the default`);
    } else if (levelOrContext !== undefined) {
      ctx = levelOrContext;
    }
    const text = typeof message === 'string' ? message : safeString(message);
    const hint: EventHint = { syntheticException: null };
    if (client.getOptions().attachStacktrace) hint.syntheticException = syntheticError(text, captureMessage);
    return remember(client.captureMessage(text, level, hint, chainFor(ctx)));
  } catch (err) {
    debugLog.error('captureMessage failed', err);
    return undefined;
  }
}

/** Captures a hand-built event; the hint reaches event processors and `beforeSend` as given. */
export function captureEvent(event: Event, hint?: EventHint, context?: CaptureContextArg): string | undefined {
  try {
    const client = getClient();
    if (!client) return warnNotInitialized('captureEvent'), undefined;
    if (!event || typeof event !== 'object' || Array.isArray(event)) {
      debugLog.warn('captureEvent expects an event object');
      return undefined;
    }
    const h: EventHint = hint && typeof hint === 'object' ? { ...hint } : {};
    return remember(client.captureEvent(event, h, chainFor(context)));
  } catch (err) {
    debugLog.error('captureEvent failed', err);
    return undefined;
  }
}

/** Records a breadcrumb on the isolation scope, through `beforeBreadcrumb`. */
export function addBreadcrumb(breadcrumb: Breadcrumb, hint?: BreadcrumbHint): void {
  try {
    const client = getClient();
    if (!client) return;
    if (!breadcrumb || typeof breadcrumb !== 'object') {
      debugLog.warn('addBreadcrumb expects an object');
      return;
    }
    const options = client.getOptions();
    if (options.maxBreadcrumbs <= 0) return;
    let crumb: Breadcrumb | null | undefined = {
      type: 'default',
      ...breadcrumb,
      timestamp: typeof breadcrumb.timestamp === 'number' ? breadcrumb.timestamp : Date.now() / 1000,
    };
    if (crumb.level !== undefined) {
      const level = toSeverityLevel(crumb.level);
      if (level) crumb.level = level;
      else delete crumb.level;
    }
    if (options.beforeBreadcrumb) {
      try {
        crumb = options.beforeBreadcrumb(crumb, hint);
      } catch (err) {
        debugLog.error('beforeBreadcrumb threw; the breadcrumb is kept unchanged', err);
      }
      if (!crumb || typeof crumb !== 'object') return;
    }
    getIsolationScope().addBreadcrumb(crumb, options.maxBreadcrumbs);
  } catch (err) {
    debugLog.error('addBreadcrumb failed', err);
  }
}

/** Runs `callback` with a fork of the current scope; sync or async, its result is returned. */
export function withScope<T>(callback: (scope: Scope) => T): T {
  let scopes;
  try {
    const { scope, isolationScope } = getCurrentScopes();
    scopes = { scope: scope.clone(), isolationScope };
  } catch (err) {
    debugLog.error('withScope could not fork the scope', err);
  }
  if (!scopes) return callback(new Scope());
  const forked = scopes.scope;
  return getAsyncContextStrategy().runWithScopes(scopes, () => callback(forked));
}

/** Runs `callback` with its own isolation scope (one unit of work, such as a request). */
export function withIsolationScope<T>(callback: (scope: Scope) => T): T {
  let scopes;
  try {
    const { scope, isolationScope } = getCurrentScopes();
    scopes = { scope: scope.clone(), isolationScope: isolationScope.clone() };
  } catch (err) {
    debugLog.error('withIsolationScope could not fork the scopes', err);
  }
  if (!scopes) return callback(new Scope());
  const isolation = scopes.isolationScope;
  return getAsyncContextStrategy().runWithScopes(scopes, () => callback(isolation));
}

// ---- setters on the isolation scope -------------------------------------------------------------

function onIsolation(what: string, fn: (scope: Scope) => void): void {
  try {
    fn(getIsolationScope());
  } catch (err) {
    debugLog.error(`${what} failed`, err);
  }
}

export const setTag = (key: string, value: Primitive): void => onIsolation('setTag', (s) => s.setTag(key, value));
export const setTags = (tags: Record<string, Primitive>): void => onIsolation('setTags', (s) => s.setTags(tags));
export const setExtra = (key: string, value: unknown): void => onIsolation('setExtra', (s) => s.setExtra(key, value));
export const setExtras = (extras: Record<string, unknown>): void => onIsolation('setExtras', (s) => s.setExtras(extras));
export const setUser = (user: User | null): void => onIsolation('setUser', (s) => s.setUser(user));
export const setContext = (key: string, context: Context | null): void =>
  onIsolation('setContext', (s) => s.setContext(key, context));
export const setLevel = (level: SeverityLevelInput | null): void => onIsolation('setLevel', (s) => s.setLevel(level));
export const setFingerprint = (fingerprint: string[] | null): void =>
  onIsolation('setFingerprint', (s) => s.setFingerprint(fingerprint));

/** The id of the last event queued in this unit of work (not a promise of delivery). */
export function lastEventId(): string | undefined {
  try {
    return getIsolationScope().getLastEventId();
  } catch {
    return undefined;
  }
}

/** Waits until queued events are delivered; `true` when all were within the timeout (ms). */
export async function flush(timeout?: number): Promise<boolean> {
  try {
    const client = getClient();
    return client ? await client.flush(timeout) : true;
  } catch (err) {
    debugLog.error('flush failed', err);
    return false;
  }
}

/** Flushes, then disables the SDK: later captures return `undefined`. */
export async function close(timeout?: number): Promise<boolean> {
  try {
    const client = getClient();
    return client ? await client.close(timeout) : true;
  } catch (err) {
    debugLog.error('close failed', err);
    return false;
  }
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return '<unprintable message>';
  }
}

export { getCurrentScope, getGlobalScope, getIsolationScope };
