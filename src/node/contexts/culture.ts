import * as fs from 'node:fs';
import type { Context } from '../../core/types.js';
import { compact, safe } from './os.js';

/**
 * `contexts.culture`: the locale and time zone the process formats dates and numbers with.
 *
 * Read the way ICU itself finds its defaults (environment, then /etc/localtime), not through
 * `Intl`: the first `Intl.DateTimeFormat()` of a process loads ICU's data, about 20 ms and 8 MiB
 * that an app which never formats a date should not pay for its error monitoring. `Intl` is used
 * only where the environment says nothing and no file tells the zone.
 */
export function cultureContext(env: Record<string, string | undefined> = process.env): Context | undefined {
  const zone = timeZoneFromEnv(env) ?? timeZoneFromFile();
  const ctx = compact({ locale: localeFromEnv(env), timezone: zone && UTC_ALIASES.has(zone) ? 'UTC' : zone });
  return Object.keys(ctx).length ? ctx : undefined;
}

/** Names ECMA-402 reports as `UTC` (Debian links /etc/localtime to Etc/UTC). */
const UTC_ALIASES = new Set([
  'Etc/UTC', 'Etc/UCT', 'Etc/Universal', 'Etc/Zulu', 'Etc/GMT', 'Etc/GMT0', 'Etc/GMT+0', 'Etc/GMT-0',
  'Etc/Greenwich', 'GMT', 'GMT0', 'GMT+0', 'GMT-0', 'Greenwich', 'UCT', 'Universal', 'Zulu',
]);

/** POSIX precedence (LC_ALL, LC_MESSAGES, LANG); `C` and `POSIX` are ICU's en-US. */
export function localeFromEnv(env: Record<string, string | undefined>): string | undefined {
  const raw = env['LC_ALL'] || env['LC_MESSAGES'] || env['LANG'];
  if (raw === undefined) return safe(() => Intl.DateTimeFormat().resolvedOptions().locale);
  const name = raw.split('.')[0]!.split('@')[0]!;
  if (name === '' || name === 'C' || name === 'POSIX') return 'en-US';
  return /^[A-Za-z]{2,3}(_[A-Za-z0-9]{2,3})?$/.test(name) ? name.replace('_', '-') : undefined;
}

/** `TZ=Europe/Vienna` or `TZ=:Europe/Vienna`; POSIX rule strings (`EST5EDT,M3.2.0`) are not zone names. */
export function timeZoneFromEnv(env: Record<string, string | undefined>): string | undefined {
  const tz = env['TZ']?.replace(/^:/, '');
  if (!tz) return undefined;
  return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz) ? tz : undefined;
}

/** /etc/localtime links into the zoneinfo tree; without it the zone is UTC, as for ICU. */
function timeZoneFromFile(): string | undefined {
  const target = safe(() => fs.readlinkSync('/etc/localtime'));
  if (target) {
    const i = target.indexOf('zoneinfo/');
    if (i !== -1) return target.slice(i + 'zoneinfo/'.length);
  }
  if (process.platform === 'linux' && !safe(() => fs.existsSync('/etc/localtime'))) return 'UTC';
  return safe(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
}
