import type { Options, ResolvedOptions } from './types.js';

export interface OptionDefaults {
  /** Environment variables of the runtime (Node: process.env). */
  env?: Record<string, string | undefined>;
  serverName?: string;
  projectRoot?: string;
}

export type ResolveResult = { options: ResolvedOptions; problems: string[]; warnings: string[] };

// Every option faultline knows, so a typo can be pointed out (with `debug`) instead of ignored silently.
const KNOWN_OPTIONS = new Set([
  'dsn', 'debug', 'release', 'environment', 'dist', 'serverName', 'sampleRate', 'errorSampler',
  'maxBreadcrumbs', 'attachStacktrace', 'sendDefaultPii', 'maxValueLength', 'normalizeDepth',
  'normalizeMaxBreadth', 'ignoreErrors', 'beforeSend', 'beforeBreadcrumb', 'integrations',
  'defaultIntegrations', 'transport', 'transportOptions', 'shutdownTimeout', 'denyList', 'extraDenyList',
  'maxErrorDepth', 'inAppInclude', 'inAppExclude', 'projectRoot', 'sendClientReports', 'collector',
  'includeSourceContext', 'includeLocalVariables', 'maxRequestBodySize', 'unhandledRejections', 'offline',
  'cacheDir', 'tracesSampleRate', 'tracesSampler', 'tracePropagationTargets', 'beforeSendTransaction',
  'beforeSendSpan', 'ignoreTransactions', 'enableLogs', 'beforeSendLog', 'autoSessionTracking',
]);

/**
 * Validates the user's options and fills in defaults (SPEC-python.md §4 in camelCase). Never
 * throws: a wrong value is a `problem` (the SDK then stays disabled, SPEC.md 15 and issue 2),
 * an unknown key a `warning`.
 */
export function resolveOptions(input: unknown, defaults: OptionDefaults = {}): ResolveResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const env = defaults.env ?? {};
  const o: Options = input && typeof input === 'object' ? { ...(input as Options) } : {};
  if (input !== undefined && (input === null || typeof input !== 'object')) {
    problems.push('init() expects an options object');
  }
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(key) && !key.startsWith('_')) warnings.push(`unknown option "${key}" ignored`);
  }

  const str = (key: keyof Options, fallback?: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') {
      problems.push(`option ${String(key)} must be a string`);
      return fallback;
    }
    return v.trim();
  };
  const num = (key: keyof Options, fallback: number, min: number, max: number): number => {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) {
      problems.push(`option ${String(key)} must be a number from ${min} to ${max}`);
      return fallback;
    }
    return v;
  };
  const bool = (key: keyof Options, fallback: boolean): boolean => {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      problems.push(`option ${String(key)} must be true or false`);
      return fallback;
    }
    return v;
  };
  const fn = (key: keyof Options): void => {
    const v = o[key];
    if (v !== undefined && v !== null && typeof v !== 'function') problems.push(`option ${String(key)} must be a function`);
  };
  const stringList = (key: keyof Options): string[] => {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      problems.push(`option ${String(key)} must be an array of strings`);
      return [];
    }
    return v as string[];
  };

  const dsn = o.dsn === undefined || o.dsn === null ? env['SENTRY_DSN'] : str('dsn');
  const ignoreErrors = o.ignoreErrors ?? [];
  if (!Array.isArray(ignoreErrors) || ignoreErrors.some((x) => typeof x !== 'string' && !(x instanceof RegExp))) {
    problems.push('option ignoreErrors must be an array of strings and RegExps');
  }
  for (const key of ['errorSampler', 'beforeSend', 'beforeBreadcrumb', 'transport', 'tracesSampler',
    'beforeSendTransaction', 'beforeSendSpan', 'beforeSendLog'] as const) fn(key);
  for (const key of ['tracePropagationTargets', 'ignoreTransactions'] as const) {
    const v = o[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && !(x instanceof RegExp)))) {
      problems.push(`option ${key} must be an array of strings and RegExps`);
    }
  }
  if (o.integrations !== undefined && !Array.isArray(o.integrations) && typeof o.integrations !== 'function') {
    problems.push('option integrations must be an array of integrations or a function');
  }
  const transportOptions = o.transportOptions ?? {};
  if (typeof transportOptions !== 'object') problems.push('option transportOptions must be an object');

  const debugEnv = env['SENTRY_DEBUG'];
  const options: ResolvedOptions = {
    ...o,
    dsn: dsn || undefined,
    debug: bool('debug', debugEnv === 'true' || debugEnv === '1'),
    release: str('release', env['SENTRY_RELEASE'] || undefined),
    environment: str('environment', env['SENTRY_ENVIRONMENT'] || 'production') ?? 'production',
    dist: str('dist'),
    serverName: str('serverName', defaults.serverName),
    sampleRate: num('sampleRate', 1, 0, 1),
    maxBreadcrumbs: Math.floor(num('maxBreadcrumbs', 100, 0, 10_000)),
    attachStacktrace: bool('attachStacktrace', false),
    sendDefaultPii: bool('sendDefaultPii', false),
    maxValueLength: o.maxValueLength === undefined ? undefined : num('maxValueLength', 0, 4, Number.MAX_SAFE_INTEGER),
    normalizeDepth: Math.floor(num('normalizeDepth', 5, 0, 100)),
    normalizeMaxBreadth: Math.floor(num('normalizeMaxBreadth', 10, 1, 100_000)),
    ignoreErrors: Array.isArray(ignoreErrors) ? ignoreErrors : [],
    shutdownTimeout: num('shutdownTimeout', 2000, 0, 3_600_000),
    maxErrorDepth: Math.floor(num('maxErrorDepth', 5, 1, 100)),
    inAppInclude: stringList('inAppInclude'),
    inAppExclude: stringList('inAppExclude'),
    projectRoot: str('projectRoot', defaults.projectRoot),
    sendClientReports: bool('sendClientReports', true),
    transportOptions: typeof transportOptions === 'object' ? { ...transportOptions } : {},
  };
  if (o.maxRequestBodySize !== undefined && !['never', 'small', 'medium', 'always'].includes(o.maxRequestBodySize as string)) {
    problems.push("option maxRequestBodySize must be 'never', 'small', 'medium' or 'always'");
  }
  if (o.unhandledRejections !== undefined && !['warn', 'strict', 'none'].includes(o.unhandledRejections as string)) {
    problems.push("option unhandledRejections must be 'warn', 'strict' or 'none'");
  }
  if (o.tracesSampleRate !== undefined) options.tracesSampleRate = num('tracesSampleRate', 0, 0, 1);
  options.enableLogs = bool('enableLogs', false);
  // Release health needs a release to be about (SPEC-python.md: sessions are per release).
  options.autoSessionTracking = bool('autoSessionTracking', options.release !== undefined);
  if (o.denyList !== undefined) options.denyList = stringList('denyList');
  if (o.extraDenyList !== undefined) options.extraDenyList = stringList('extraDenyList');
  return { options, problems, warnings };
}
