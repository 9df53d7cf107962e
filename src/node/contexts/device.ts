import * as os from 'node:os';
import { isoSeconds } from '../../core/iso-time.js';
import type { Context } from '../../core/types.js';
import { compact, safe } from './os.js';

/**
 * The parts of `contexts.device` that do not change while the process runs. `os.cpus()` walks
 * /proc/cpuinfo, so this runs once; `free_memory` changes and is added per event by
 * `withFreeMemory` (one cheap sysinfo call).
 */
export function staticDeviceContext(): Context {
  const cpus = safe(() => os.cpus()) ?? [];
  const uptime = safe(() => os.uptime());
  return compact({
    arch: safe(() => os.arch()),
    memory_size: wholeBytes(safe(() => os.totalmem())),
    processor_count: cpus.length || wholeBytes(safe(() => os.availableParallelism())),
    cpu_description: cpus[0]?.model?.trim() || undefined,
    // Rounded to the second: uptime has jitter, and a stable value groups better in the UI.
    boot_time: typeof uptime === 'number' ? isoSeconds(Date.now() - uptime * 1000) : undefined,
  });
}

/** A fresh device context: the cached fields plus the current free memory. */
export function withFreeMemory(base: Context): Context {
  const free = wholeBytes(safe(() => os.freemem()));
  return free === undefined ? base : { ...base, free_memory: free };
}

/** The schema types memory sizes as unsigned integers. */
export function wholeBytes(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}
