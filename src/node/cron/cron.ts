// The `cron` package (≥ 3): jobs created through the returned CronJob class are monitored, under
// `monitorSlug` or else the job's own `name`. cron is never imported: the app passes the class in.
//
//   import { CronJob } from 'cron';
//   const MonitoredCronJob = faultline.cron.instrumentCron(CronJob, 'nightly-report');
//   MonitoredCronJob.from({ cronTime: '0 3 * * *', onTick: runReport, start: true });
import type { MonitorConfig } from '../../core/check-ins/monitor-config.js';
import { debugLog } from '../../core/debug-log.js';
import { monitorConfigFor, monitoredJob } from './schedule.js';

const MECHANISM = 'auto.function.cron';

type Tick = (this: unknown, ...args: unknown[]) => unknown;

interface JobParams {
  cronTime?: unknown;
  onTick?: unknown;
  timeZone?: unknown;
  name?: unknown;
  [key: string]: unknown;
}

function monitoredTick(slug: string, onTick: Tick, config: MonitorConfig | undefined): Tick {
  return monitoredJob(slug, onTick, config, MECHANISM);
}

/**
 * A CronJob class whose jobs (from `new` or `CronJob.from`) send check-ins `in_progress` then
 * `ok` / `error` on every tick, with a monitor config from the job's crontab and time zone
 * (plus `monitorConfig`). Errors thrown by ticks are reported. Never throws.
 */
export function instrumentCron<T extends object>(CronJob: T, monitorSlug?: string, monitorConfig?: Partial<MonitorConfig>): T {
  if (typeof CronJob !== 'function') {
    debugLog.warn('instrumentCron expects the CronJob class; it is returned unchanged');
    return CronJob;
  }
  const slugs = new Set<string>();

  /** The tick to install, or the original when the job cannot be monitored. */
  const prepare = (params: JobParams): unknown => {
    const { onTick } = params;
    const slug = typeof monitorSlug === 'string' && monitorSlug ? monitorSlug : params.name;
    if (typeof onTick !== 'function') {
      debugLog.warn('cron: a job whose onTick is a command is not monitored');
      return onTick;
    }
    if (typeof slug !== 'string' || !slug) {
      debugLog.warn('cron: pass a monitor slug to instrumentCron or give the job a name; this job is not monitored');
      return onTick;
    }
    if (slugs.has(slug)) debugLog.warn(`cron: a second job reports to the monitor "${slug}"; their check-ins will mix`);
    slugs.add(slug);
    const config = monitorConfigFor(params.cronTime, params.timeZone, monitorConfig);
    if (!config) debugLog.warn(`cron: "${slug}" has no crontab schedule; its check-ins carry no monitor config`);
    return monitoredTick(slug, onTick as Tick, config);
  };

  return new Proxy(CronJob, {
    construct(target, args, newTarget) {
      const list = [...args];
      try {
        const [cronTime, onTick, , , timeZone] = list;
        list[1] = prepare({ cronTime, onTick, timeZone, name: list[11] });
      } catch (err) {
        debugLog.error('cron: could not monitor a job', err);
      }
      return Reflect.construct(target as unknown as new (...a: unknown[]) => object, list, newTarget);
    },
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'from' || typeof value !== 'function') return value;
      return function from(this: unknown, params: JobParams): unknown {
        let own = params;
        try {
          if (params && typeof params === 'object') own = { ...params, onTick: prepare(params) };
        } catch (err) {
          debugLog.error('cron: could not monitor a job', err);
        }
        return (value as (p: unknown) => unknown).call(this === receiver ? target : this, own);
      };
    },
  });
}
