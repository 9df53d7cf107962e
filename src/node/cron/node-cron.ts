// node-cron (≥ 3): every job scheduled through the returned module is monitored under its `name`
// option. node-cron is never imported: the app passes its module in.
//
//   import nodeCron from 'node-cron';
//   const cron = faultline.cron.instrumentNodeCron(nodeCron);
//   cron.schedule('0 3 * * *', runReport, { name: 'nightly-report' });
import type { MonitorConfig } from '../../core/check-ins/monitor-config.js';
import { debugLog } from '../../core/debug-log.js';
import { monitorConfigFor, monitoredJob } from './schedule.js';

type ScheduleFn = (expression: string, task: unknown, options?: { name?: unknown; timezone?: unknown }) => unknown;

export interface NodeCronLike {
  schedule: ScheduleFn;
  createTask?: ScheduleFn;
}

const MECHANISM = 'auto.function.node_cron';

function wrapScheduler(original: ScheduleFn, overrides: Partial<MonitorConfig> | undefined): ScheduleFn {
  return function scheduleMonitored(this: unknown, expression, task, options) {
    const name = options?.name;
    if (typeof task !== 'function') {
      debugLog.warn('node-cron: a task given as a file path is not monitored');
      return original.call(this, expression, task, options);
    }
    if (typeof name !== 'string' || !name) {
      debugLog.warn('node-cron: give the job a `name` option to monitor it; this job is not monitored');
      return original.call(this, expression, task, options);
    }
    const config = monitorConfigFor(expression, options?.timezone, overrides);
    const monitored = monitoredJob(name, task as (...args: unknown[]) => unknown, config, MECHANISM);
    return original.call(this, expression, monitored, options);
  };
}

/**
 * A view of the node-cron module whose `schedule` and `createTask` monitor each named job:
 * check-ins `in_progress` then `ok` / `error` per run, the monitor configured with the job's
 * crontab and time zone (plus `monitorConfig`, e.g. `{ maxRuntime: 10 }`), and errors the job
 * throws reported. Everything else is the module itself. Never throws.
 */
export function instrumentNodeCron<T extends object>(nodeCron: T, monitorConfig?: Partial<MonitorConfig>): T {
  const lib = nodeCron as unknown as Partial<NodeCronLike>;
  if (!lib || typeof lib.schedule !== 'function') {
    debugLog.warn('instrumentNodeCron expects the node-cron module; it is returned unchanged');
    return nodeCron;
  }
  const wrapped = new Map<PropertyKey, ScheduleFn>();
  return new Proxy(nodeCron, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if ((prop === 'schedule' || prop === 'createTask') && typeof value === 'function') {
        let fn = wrapped.get(prop);
        if (!fn) wrapped.set(prop, (fn = wrapScheduler(value as ScheduleFn, monitorConfig)));
        return fn;
      }
      return value;
    },
  });
}
