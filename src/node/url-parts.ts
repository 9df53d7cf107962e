// Splitting a URL into what may be recorded. Outgoing breadcrumbs and incoming request data both
// need a URL without credentials and a query string whose secret values are hidden, so the rule
// lives here once.
import { FILTERED, type KeyMatcher } from '../core/scrub.js';

export interface UrlParts {
  /** scheme://host[:port]/path, never with user:password, query or fragment. */
  url: string;
  /** The raw query string without `?`, denied keys' values replaced; undefined when empty. */
  query?: string;
  /** Without `#`; undefined when empty. */
  fragment?: string;
}

/**
 * Replaces the values of denied keys in a raw query string (`token=abc&page=2` →
 * `token=[Filtered]&page=2`), keeping the rest byte for byte so nothing is re-encoded.
 */
export function scrubQueryString(query: string, isDenied: KeyMatcher): string {
  if (query === '') return query;
  const pairs = query.split('&');
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    if (isDenied(safeDecode(rawKey))) {
      pairs[i] = `${rawKey}=${FILTERED}`;
      changed = true;
    }
  }
  return changed ? pairs.join('&') : query;
}

/**
 * Splits `origin` + `path` (path may carry `?query#fragment`) into recordable parts. `origin` may
 * contain credentials (`http://user:pass@host`); they are dropped.
 */
export function splitUrl(origin: string, path: string, isDenied: KeyMatcher): UrlParts {
  let base = origin;
  const at = base.indexOf('@');
  const schemeEnd = base.indexOf('://');
  if (at !== -1 && schemeEnd !== -1 && at > schemeEnd) base = base.slice(0, schemeEnd + 3) + base.slice(at + 1);
  if (base.endsWith('/')) base = base.slice(0, -1);

  let rest = path || '/';
  let fragment: string | undefined;
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    fragment = rest.slice(hash + 1) || undefined;
    rest = rest.slice(0, hash);
  }
  let query: string | undefined;
  const q = rest.indexOf('?');
  if (q !== -1) {
    query = rest.slice(q + 1) || undefined;
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) rest = `/${rest}`;
  const parts: UrlParts = { url: base + rest };
  if (query !== undefined) parts.query = scrubQueryString(query, isDenied);
  if (fragment !== undefined) parts.fragment = fragment;
  return parts;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
