// Which keys hold secrets. The lists are SPEC-python.md §7; the matching rule is SPEC.md decision 10:
// exact key, case-insensitive, with `-` and `_` treated alike (so the header `X-Api-Key` matches
// `x_api_key`). The matcher is built once per client and asked for every key of every capture,
// so it is a Set lookup behind two cheap early exits and a small cache.

/** Keys whose values are always replaced by `[Filtered]`. */
export const DEFAULT_DENYLIST: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'secret',
  'api_key',
  'apikey',
  'auth',
  'credentials',
  'mysql_pwd',
  'privatekey',
  'private_key',
  'token',
  'session',
  'csrftoken',
  'sessionid',
  'x_csrftoken',
  'x_forwarded_for',
  'set_cookie',
  'cookie',
  'authorization',
  'proxy-authorization',
  'x_api_key',
  'aiohttp_session',
  'connect.sid',
  'csrf_token',
  'csrf',
  '_csrf',
  '_csrf_token',
  'PHPSESSID',
  '_session',
  'symfony',
  'user_session',
  '_xsrf',
  'XSRF-TOKEN',
]);

/** Keys that identify a person; scrubbed too unless `sendDefaultPii` is true. */
export const DEFAULT_PII_DENYLIST: readonly string[] = Object.freeze([
  'x_forwarded_for',
  'x_real_ip',
  'ip_address',
  'remote_addr',
]);

/** The value a denied key's value is replaced with. */
export const FILTERED = '[Filtered]';

export interface KeyMatcherOptions {
  /** Replaces DEFAULT_DENYLIST. */
  denyList?: readonly string[];
  /** Added to the deny list (default or replaced). */
  extraDenyList?: readonly string[];
  sendDefaultPii: boolean;
}

export type KeyMatcher = (key: string) => boolean;

// Remembering answers matters because the same few keys (extra names, header names) come back on
// every event; the cache is dropped whole when full so hostile key churn cannot grow it.
const MAX_CACHED_KEYS = 2048;

/** The form both the lists and the keys are compared in. */
export function canonicalKey(key: string): string {
  return key.toLowerCase().replace(/-/g, '_');
}

/**
 * Builds `(key) => boolean`: true when the key's value must be scrubbed. Never throws; a
 * non-string key (or list entry) is never denied.
 */
export function createKeyMatcher(opts: KeyMatcherOptions): KeyMatcher {
  const denied = new Set<string>();
  const add = (list: readonly unknown[] | undefined): void => {
    if (!Array.isArray(list)) return;
    for (const entry of list) if (typeof entry === 'string') denied.add(canonicalKey(entry));
  };
  add(Array.isArray(opts?.denyList) ? opts.denyList : DEFAULT_DENYLIST);
  add(opts?.extraDenyList);
  if (!opts?.sendDefaultPii) add(DEFAULT_PII_DENYLIST);

  if (denied.size === 0) return () => false;
  // Lowercasing and replacing preserve the length, so a key outside the lengths on the list can
  // be refused without allocating anything.
  let minLength = Infinity;
  let maxLength = 0;
  for (const entry of denied) {
    if (entry.length < minLength) minLength = entry.length;
    if (entry.length > maxLength) maxLength = entry.length;
  }
  const cache = new Map<string, boolean>();

  return (key: string): boolean => {
    if (typeof key !== 'string' || key.length < minLength || key.length > maxLength) return false;
    let answer = cache.get(key);
    if (answer === undefined) {
      answer = denied.has(canonicalKey(key));
      if (cache.size >= MAX_CACHED_KEYS) cache.clear();
      cache.set(key, answer);
    }
    return answer;
  };
}
