import type {
  Attachment,
  Breadcrumb,
  BreadcrumbHint,
  CaptureContext,
  ClientLike,
  Context,
  Contexts,
  EventProcessor,
  Primitive,
  SeverityLevel,
  SeverityLevelInput,
  User,
} from './types.js';
import { debugLog } from './debug-log.js';
import { toSeverityLevel } from './severity.js';
import { copyKeys, mergeKeys } from './copy-keys.js';

// A processor list longer than this is a leak in the app (one added per request); Python clears it.
const MAX_EVENT_PROCESSORS = 20;

/**
 * Holds the data that is applied to events: the global, isolation and current scopes are all
 * instances of this class (SPEC-python.md §2). Setters return `this` so calls can be chained, and
 * never throw: a bad argument is reported with `debug: true` and ignored.
 */
export class Scope {
  /** @internal */ _tags: Record<string, Primitive> = {};
  /** @internal */ _extra: Record<string, unknown> = {};
  /** @internal */ _contexts: Contexts = {};
  /** @internal */ _user: User | undefined;
  /** @internal */ _level: SeverityLevel | undefined;
  /** @internal */ _fingerprint: string[] | undefined;
  /** @internal */ _transactionName: string | undefined;
  /** @internal */ _breadcrumbs: Breadcrumb[] = [];
  /** @internal */ _truncatedBreadcrumbs = 0;
  /** @internal */ _eventProcessors: EventProcessor[] = [];
  /** @internal */ _attachments: Attachment[] = [];
  /** @internal */ _lastEventId: string | undefined;
  /** @internal */ _client: ClientLike | undefined;
  /** @internal */ _propagationContext: { traceId: string; spanId: string; parentSpanId?: string } | undefined;
  /**
   * @internal The active span (src/core/tracing owns its type). Kept on the current scope, so
   * `withScope` forks inherit it and a span's callback sees it as active.
   */
  _span: unknown;

  /** A copy whose changes do not leak back (a fork). The user object is copied too. */
  clone(): Scope {
    const s = new Scope();
    s._tags = copyKeys(this._tags);
    s._extra = copyKeys(this._extra);
    s._contexts = copyKeys(this._contexts);
    s._user = this._user;
    s._level = this._level;
    s._fingerprint = this._fingerprint;
    s._transactionName = this._transactionName;
    s._breadcrumbs = this._breadcrumbs.slice();
    s._truncatedBreadcrumbs = this._truncatedBreadcrumbs;
    s._eventProcessors = this._eventProcessors.slice();
    s._attachments = this._attachments.slice();
    s._lastEventId = this._lastEventId;
    s._client = this._client;
    s._propagationContext = this._propagationContext;
    s._span = this._span;
    return s;
  }

  setTag(key: string, value: Primitive): this {
    if (typeof key !== 'string' || key === '') return invalid(this, 'setTag', 'the key must be a non-empty string');
    this._tags[key] = value;
    return this;
  }

  setTags(tags: Record<string, Primitive>): this {
    if (!isPlainRecord(tags)) return invalid(this, 'setTags', 'expected an object of tags');
    copyOwn(this._tags, tags, 'setTags');
    return this;
  }

  removeTag(key: string): this {
    delete this._tags[key];
    return this;
  }

  setExtra(key: string, value: unknown): this {
    if (typeof key !== 'string' || key === '') return invalid(this, 'setExtra', 'the key must be a non-empty string');
    this._extra[key] = value;
    return this;
  }

  setExtras(extras: Record<string, unknown>): this {
    if (!isPlainRecord(extras)) return invalid(this, 'setExtras', 'expected an object');
    copyOwn(this._extra, extras, 'setExtras');
    return this;
  }

  removeExtra(key: string): this {
    delete this._extra[key];
    return this;
  }

  /** Replaces the whole context for `key`; `null` removes it. */
  setContext(key: string, context: Context | null): this {
    if (typeof key !== 'string' || key === '') return invalid(this, 'setContext', 'the key must be a non-empty string');
    if (context === null || context === undefined) {
      delete this._contexts[key];
    } else if (typeof context !== 'object') {
      return invalid(this, 'setContext', 'the context must be an object');
    } else {
      this._contexts[key] = context;
    }
    return this;
  }

  removeContext(key: string): this {
    delete this._contexts[key];
    return this;
  }

  /** `null` clears the user. */
  setUser(user: User | null): this {
    if (user === null || user === undefined) {
      this._user = undefined;
    } else if (typeof user !== 'object') {
      return invalid(this, 'setUser', 'the user must be an object or null');
    } else {
      this._user = user;
    }
    return this;
  }

  getUser(): User | undefined {
    return this._user;
  }

  setLevel(level: SeverityLevelInput | null): this {
    if (level === null || level === undefined) {
      this._level = undefined;
      return this;
    }
    const mapped = toSeverityLevel(level);
    if (!mapped) return invalid(this, 'setLevel', `unknown level ${safeString(level)}`);
    this._level = mapped;
    return this;
  }

  setFingerprint(fingerprint: string[] | null): this {
    if (fingerprint === null || fingerprint === undefined) {
      this._fingerprint = undefined;
    } else {
      try {
        if (!Array.isArray(fingerprint)) return invalid(this, 'setFingerprint', 'expected an array of strings');
        this._fingerprint = Array.from(fingerprint, (part) => (typeof part === 'string' ? part : safeString(part)));
      } catch (err) {
        return invalid(this, 'setFingerprint', `the array could not be read (${safeString(err)})`);
      }
    }
    return this;
  }

  setTransactionName(name: string | undefined): this {
    this._transactionName = typeof name === 'string' ? name : undefined;
    return this;
  }

  /**
   * Adds a breadcrumb to this scope, keeping at most `maxBreadcrumbs` (oldest dropped first).
   * The top-level `addBreadcrumb` also runs `beforeBreadcrumb`; this method is the raw store.
   */
  addBreadcrumb(breadcrumb: Breadcrumb, maxBreadcrumbs = 100): this {
    if (!breadcrumb || typeof breadcrumb !== 'object') return invalid(this, 'addBreadcrumb', 'expected an object');
    const max = maxBreadcrumbs >= 0 ? Math.floor(maxBreadcrumbs) : 100;
    if (max === 0) return this;
    let crumb: Breadcrumb;
    try {
      crumb = typeof breadcrumb.timestamp === 'number' ? breadcrumb : { ...breadcrumb, timestamp: Date.now() / 1000 };
    } catch (err) {
      return invalid(this, 'addBreadcrumb', `the breadcrumb could not be read (${safeString(err)})`);
    }
    this._breadcrumbs.push(crumb);
    if (this._breadcrumbs.length > max) {
      const excess = this._breadcrumbs.length - max;
      this._breadcrumbs.splice(0, excess);
      this._truncatedBreadcrumbs += excess;
    }
    return this;
  }

  clearBreadcrumbs(): this {
    this._breadcrumbs = [];
    this._truncatedBreadcrumbs = 0;
    return this;
  }

  getBreadcrumbs(): readonly Breadcrumb[] {
    return this._breadcrumbs;
  }

  addEventProcessor(processor: EventProcessor): this {
    if (typeof processor !== 'function') return invalid(this, 'addEventProcessor', 'expected a function');
    if (this._eventProcessors.length > MAX_EVENT_PROCESSORS) {
      debugLog.warn('more than 20 event processors on one scope; clearing them (a processor added per request?)');
      this._eventProcessors = [];
    }
    this._eventProcessors.push(processor);
    return this;
  }

  addAttachment(attachment: Attachment): this {
    try {
      if (!attachment || typeof attachment.filename !== 'string') throw new TypeError('no filename');
    } catch {
      return invalid(this, 'addAttachment', 'expected { filename, data }');
    }
    this._attachments.push(attachment);
    return this;
  }

  clearAttachments(): this {
    this._attachments = [];
    return this;
  }

  getLastEventId(): string | undefined {
    return this._lastEventId;
  }

  /** @internal */
  setLastEventId(id: string | undefined): void {
    this._lastEventId = id;
  }

  /** The client bound to this scope (set by init on the global scope). */
  getClient<C extends ClientLike = ClientLike>(): C | undefined {
    return this._client as C | undefined;
  }

  setClient(client: ClientLike | undefined): this {
    this._client = client;
    return this;
  }

  /** Resets every piece of data this scope holds; the client binding stays. */
  clear(): this {
    this._tags = {};
    this._extra = {};
    this._contexts = {};
    this._user = undefined;
    this._level = undefined;
    this._fingerprint = undefined;
    this._transactionName = undefined;
    this._breadcrumbs = [];
    this._truncatedBreadcrumbs = 0;
    this._eventProcessors = [];
    this._attachments = [];
    this._lastEventId = undefined;
    this._propagationContext = undefined;
    this._span = undefined;
    return this;
  }

  /**
   * Applies per-call data (`{ tags, extra, user, level, fingerprint, contexts }`) onto this scope,
   * the way a per-call context is layered on a fork. Unknown keys are reported, never thrown.
   */
  update(context: CaptureContext | Scope | undefined): this {
    try {
      return this.applyUpdate(context);
    } catch (err) {
      return invalid(this, 'update', `the context could not be read (${safeString(err)})`);
    }
  }

  private applyUpdate(context: CaptureContext | Scope | undefined): this {
    if (!context) return this;
    if (context instanceof Scope) {
      mergeScopeInto(this, context);
      return this;
    }
    if (typeof context !== 'object') return invalid(this, 'update', 'expected a Scope or an object');
    for (const key of Object.keys(context)) {
      if (!CAPTURE_CONTEXT_KEYS.has(key)) debugLog.warn(`unknown capture context key "${key}" ignored`);
    }
    const c = context as CaptureContext;
    if (c.tags) this.setTags(c.tags);
    if (c.extra) this.setExtras(c.extra);
    if (c.contexts && typeof c.contexts === 'object') {
      for (const key of Object.keys(c.contexts)) this.setContext(key, c.contexts[key] ?? null);
    }
    if (c.user !== undefined) this.setUser(c.user);
    if (c.level !== undefined) this.setLevel(c.level);
    if (c.fingerprint !== undefined) this.setFingerprint(c.fingerprint);
    return this;
  }
}

export const CAPTURE_CONTEXT_KEYS: ReadonlySet<string> = new Set([
  'tags',
  'extra',
  'user',
  'level',
  'fingerprint',
  'contexts',
]);

/** Layer `src` over `target`: keyed data merges (src wins), single values replace when set. */
export function mergeScopeInto(target: Scope, src: Scope): void {
  if (hasKeys(src._tags)) target._tags = mergeKeys(target._tags, src._tags);
  if (hasKeys(src._extra)) target._extra = mergeKeys(target._extra, src._extra);
  if (hasKeys(src._contexts)) target._contexts = mergeKeys(target._contexts, src._contexts);
  if (src._user) target._user = src._user;
  if (src._level) target._level = src._level;
  if (src._fingerprint) target._fingerprint = src._fingerprint;
  if (src._transactionName) target._transactionName = src._transactionName;
  if (src._breadcrumbs.length) target._breadcrumbs = target._breadcrumbs.concat(src._breadcrumbs);
  target._truncatedBreadcrumbs += src._truncatedBreadcrumbs;
  if (src._attachments.length) target._attachments = target._attachments.concat(src._attachments);
  if (src._propagationContext) target._propagationContext = src._propagationContext;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function copyOwn(target: Record<string, unknown>, src: Record<string, unknown>, where: string): void {
  try {
    for (const key of Object.keys(src)) target[key] = src[key];
  } catch (err) {
    debugLog.warn(`${where}: could not read the object`, err);
  }
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  try {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false; // a revoked Proxy
  }
}

function invalid<T>(self: T, method: string, why: string): T {
  debugLog.warn(`Scope.${method} ignored: ${why}`);
  return self;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return '<unprintable>';
  }
}

export type { BreadcrumbHint };
