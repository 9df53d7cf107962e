// The crontab a monitor is configured with, from a scheduler's expression. Schedulers accept
// more than the server's five-field crontab: a leading seconds field (node-cron, cron) and
// month or weekday names. Monitors work per minute, so seconds are dropped ("every second" is
// monitored as "every minute"), and names become numbers.
import type { MonitorConfig } from '../../core/check-ins/monitor-config.js';
import { withMonitor } from '../../core/check-ins/with-monitor.js';
import { isThenable } from '../../core/thenable.js';
import { captureAutoException } from '../capture-auto.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function replaceNames(field: string, names: string[], offset: number): string {
  return field.replace(/[a-z]+/gi, (word) => {
    const i = names.indexOf(word.slice(0, 3).toLowerCase());
    return i === -1 ? word : String(i + offset);
  });
}

/** The five-field crontab of `expression`, or undefined when it is not a crontab string. */
export function crontabOf(expression: unknown): string | undefined {
  if (typeof expression !== 'string') return undefined;
  let fields = expression.trim().split(/\s+/);
  if (fields.length === 6) fields = fields.slice(1);
  if (fields.length !== 5) return undefined;
  fields[3] = replaceNames(fields[3]!, MONTHS, 1);
  fields[4] = replaceNames(fields[4]!, DAYS, 0);
  return fields.join(' ');
}

/** The monitor config of a scheduled job: its crontab and time zone, under the app's own settings. */
export function monitorConfigFor(
  expression: unknown,
  timezone: unknown,
  overrides?: Partial<MonitorConfig>,
): MonitorConfig | undefined {
  const crontab = crontabOf(expression);
  const base: Partial<MonitorConfig> = crontab ? { schedule: { type: 'crontab', value: crontab } } : {};
  if (typeof timezone === 'string' && timezone) base.timezone = timezone;
  const config = { ...base, ...overrides };
  return config.schedule ? (config as MonitorConfig) : undefined;
}

/** A job that throws is reported (the scheduler swallows it), then rethrown to the scheduler. */
export function reportJobError(error: unknown, mechanismType: string): void {
  captureAutoException(error, { type: mechanismType, handled: false });
}

type Job = (...args: unknown[]) => unknown;

/**
 * The scheduled function, run under `withMonitor(slug)`: check-ins around every run, and its
 * error (thrown, or the rejection of the promise it returns) reported, then passed on.
 */
export function monitoredJob(slug: string, job: Job, config: MonitorConfig | undefined, mechanismType: string): Job {
  return function (this: unknown, ...args: unknown[]): unknown {
    return withMonitor(
      slug,
      () => {
        try {
          const result = job.apply(this, args);
          if (isThenable(result)) {
            return result.then(undefined, (err: unknown) => {
              reportJobError(err, mechanismType);
              throw err;
            });
          }
          return result;
        } catch (err) {
          reportJobError(err, mechanismType);
          throw err;
        }
      },
      config,
    );
  };
}
