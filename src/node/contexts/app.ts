import type { Context } from '../../core/types.js';
import { isoSeconds } from '../../core/iso-time.js';
import { wholeBytes } from './device.js';
import { compact, safe } from './os.js';

/** When this process started (UTC, ISO 8601): fixed for the process, so computed once. */
export function staticAppContext(): Context {
  return compact({ app_start_time: isoSeconds(Date.now() - process.uptime() * 1000) });
}

/**
 * A fresh app context with the resident set size now. `process.memoryUsage.rss()` is the cheap
 * call (the full `memoryUsage()` walks the V8 heap spaces).
 */
export function withAppMemory(base: Context): Context {
  const rss = wholeBytes(safe(() => process.memoryUsage.rss()));
  return rss === undefined ? base : { ...base, app_memory: rss };
}
