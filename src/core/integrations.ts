import type { Integration, ResolvedOptions } from './types.js';
import { debugLog } from './debug-log.js';

/**
 * The integrations a client runs: the defaults (unless `defaultIntegrations: false`, or the
 * list given there), then the user's. A user integration replaces a default of the same name;
 * `integrations` may also be a function that receives the defaults and returns the list.
 */
export function resolveIntegrations(options: ResolvedOptions, defaults: Integration[]): Integration[] {
  let base: Integration[] = defaults;
  if (options.defaultIntegrations === false) base = [];
  else if (Array.isArray(options.defaultIntegrations)) base = options.defaultIntegrations;

  let list: Integration[];
  const user = options.integrations;
  if (typeof user === 'function') {
    try {
      const result = user(base);
      list = Array.isArray(result) ? result : base;
    } catch (err) {
      debugLog.error('the integrations function threw; using the defaults', err);
      list = base;
    }
  } else {
    const extra = Array.isArray(user) ? user : [];
    const names = new Set(extra.map((i) => i?.name));
    list = base.filter((i) => !names.has(i.name)).concat(extra);
  }
  const seen = new Set<string>();
  const out: Integration[] = [];
  // The last one of a name wins, so a user's replaces a default's.
  for (let i = list.length - 1; i >= 0; i--) {
    const integration = list[i];
    if (!integration || typeof integration.name !== 'string') {
      debugLog.warn('an integration without a name was ignored');
      continue;
    }
    if (seen.has(integration.name)) continue;
    seen.add(integration.name);
    out.unshift(integration);
  }
  return out;
}
