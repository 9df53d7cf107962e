// One log record from the call site to the buffer: the SDK's attributes are added, `beforeSendLog`
// may change or drop it, and it is typed for the wire. Runs synchronously in the logging call;
// the buffer sends later. Off unless `enableLogs: true`.
import type { Client } from '../client.js';
import { getClient } from '../api.js';
import { getCurrentScope, getIsolationScope } from '../async-context.js';
import { debugLog } from '../debug-log.js';
import { createKeyMatcher, type KeyMatcher } from '../scrub.js';
import type { ResolvedOptions, User } from '../types.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import { serializeAttributes } from './attributes.js';
import { logBufferFor } from './buffer.js';
import { isParameterized, safeString } from './template.js';
import { activeTrace } from './trace.js';
import { isLogLevel, SEVERITY_NUMBER, type Log, type LogAttributes, type LogLevel, type SerializedLog } from './types.js';

/** Attributes the SDK sets itself: never scrubbed, whatever the deny list says. */
const SDK_KEYS = new Set([
  'sentry.release', 'sentry.environment', 'sentry.sdk.name', 'sentry.sdk.version', 'server.address',
  'sentry.message.template', 'sentry.origin', 'sentry.trace.parent_span_id', 'user.id', 'user.email', 'user.name',
]);

const matchers = new WeakMap<ResolvedOptions, KeyMatcher>();
let warnedDisabled = false;

function matcherFor(options: ResolvedOptions): KeyMatcher {
  let matcher = matchers.get(options);
  if (!matcher) {
    matcher = createKeyMatcher({
      denyList: options.denyList,
      extraDenyList: options.extraDenyList,
      sendDefaultPii: options.sendDefaultPii,
    });
    matchers.set(options, matcher);
  }
  return matcher;
}

/** Whether a log call would be recorded now (a client that is enabled and has enableLogs on). */
export function logsEnabled(): boolean {
  const client = getClient<Client>();
  return !!client && client.getOptions().enableLogs === true && (typeof client.isEnabled !== 'function' || client.isEnabled());
}

/**
 * Records one log. `message` may be a string or the result of `logger.fmt`; `attributes` are
 * the record's own (the SDK's are added). Never throws.
 */
export function captureLog(level: LogLevel, message: unknown, attributes?: LogAttributes, origin?: string): void {
  try {
    const client = getClient<Client>();
    if (!client) return;
    const options = client.getOptions();
    if (options.enableLogs !== true) {
      if (!warnedDisabled) debugLog.warn('a log was ignored: set enableLogs: true to send logs');
      warnedDisabled = true;
      return;
    }
    if (typeof client.isEnabled === 'function' && !client.isEnabled()) return;

    const attrs: LogAttributes = {};
    if (attributes !== undefined && attributes !== null) {
      if (typeof attributes === 'object' && !Array.isArray(attributes)) Object.assign(attrs, attributes);
      else debugLog.warn('logger: attributes must be an object; they are ignored');
    }
    if (isParameterized(message)) {
      attrs['sentry.message.template'] = message.__template;
      message.__params.forEach((value, i) => (attrs[`sentry.message.parameter.${i}`] = value));
    }
    if (origin) attrs['sentry.origin'] = origin;
    addScopeUser(attrs);
    if (options.release) attrs['sentry.release'] = options.release;
    if (options.environment) attrs['sentry.environment'] = options.environment;
    attrs['sentry.sdk.name'] = SDK_NAME;
    attrs['sentry.sdk.version'] = SDK_VERSION;
    if (options.serverName) attrs['server.address'] = options.serverName;
    const trace = activeTrace();
    if (trace.spanId) attrs['sentry.trace.parent_span_id'] = trace.spanId;

    let log: Log | undefined = { level, message: typeof message === 'string' ? message : safeString(message), attributes: attrs };
    if (options.beforeSendLog) log = runBeforeSendLog(options.beforeSendLog, log);
    if (!log) {
      client.recordDroppedEvent('before_send', 'log_item', 1);
      debugLog.log('log dropped by beforeSendLog');
      return;
    }

    const record: SerializedLog = {
      timestamp: Date.now() / 1000,
      trace_id: trace.traceId,
      level: log.level,
      body: log.message,
      severity_number: typeof log.severity_number === 'number' ? log.severity_number : SEVERITY_NUMBER[log.level],
      attributes: serializeAttributes(
        log.attributes,
        {
          isDenied: matcherFor(options),
          depth: options.normalizeDepth,
          breadth: options.normalizeMaxBreadth,
          maxValueLength: options.maxValueLength,
        },
        SDK_KEYS,
      ),
    };
    if (trace.spanId) record.span_id = trace.spanId;
    logBufferFor(client).add(record);
  } catch (err) {
    debugLog.error('capturing a log failed', err);
  }
}

/** The user of the unit of work, as `user.*` attributes (the record's own win). */
function addScopeUser(attrs: LogAttributes): void {
  const user: User | undefined = getCurrentScope().getUser() ?? getIsolationScope().getUser();
  if (!user) return;
  if (user.id !== undefined && attrs['user.id'] === undefined) attrs['user.id'] = String(user.id);
  if (user.email !== undefined && attrs['user.email'] === undefined) attrs['user.email'] = user.email;
  if (user.username !== undefined && attrs['user.name'] === undefined) attrs['user.name'] = user.username;
}

/** A hook that throws or returns no object drops the log; a returned log is checked field by field. */
function runBeforeSendLog(hook: NonNullable<ResolvedOptions['beforeSendLog']>, log: Log): Log | undefined {
  let result: unknown;
  try {
    result = hook(log);
  } catch (err) {
    debugLog.error('beforeSendLog threw; the log is dropped', err);
    return undefined;
  }
  if (!result || typeof result !== 'object') return undefined;
  const changed = result as Partial<Log>;
  return {
    level: isLogLevel(changed.level) ? changed.level : log.level,
    message: typeof changed.message === 'string' ? changed.message : safeString(changed.message ?? log.message),
    attributes: changed.attributes && typeof changed.attributes === 'object' ? changed.attributes : {},
    severity_number: typeof changed.severity_number === 'number' ? changed.severity_number : undefined,
  };
}
