import type { Context } from '../../core/types.js';
import { compact, safe } from './os.js';

/** `contexts.culture`: the locale and time zone the process formats dates and numbers with. */
export function cultureContext(): Context | undefined {
  const resolved = safe(() => Intl.DateTimeFormat().resolvedOptions());
  if (!resolved) return undefined;
  const ctx = compact({ locale: resolved.locale, timezone: resolved.timeZone, calendar: resolved.calendar });
  return Object.keys(ctx).length ? ctx : undefined;
}
