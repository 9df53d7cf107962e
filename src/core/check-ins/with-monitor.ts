// `withMonitor` wraps one run of a scheduled job in check-ins: `in_progress` before, `ok` or
// `error` after, with the duration. The job runs in its own isolation scope (one unit of work),
// sync or async; its result is returned and its error rethrown unchanged.
import { withIsolationScope } from '../api.js';
import { debugLog } from '../debug-log.js';
import { isThenable } from '../thenable.js';
import { captureCheckIn, type CheckInStatus } from './check-in.js';
import type { MonitorConfig } from './monitor-config.js';

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * @example
 * await faultline.withMonitor('nightly-report', () => runReport(), {
 *   schedule: { type: 'crontab', value: '0 3 * * *' }, maxRuntime: 30, timezone: 'Europe/Vienna',
 * });
 */
export function withMonitor<T>(monitorSlug: string, callback: () => T, monitorConfig?: MonitorConfig): T {
  if (typeof callback !== 'function') {
    debugLog.warn('withMonitor expects a callback; nothing was run');
    return undefined as T;
  }
  if (typeof monitorSlug !== 'string' || !monitorSlug.trim()) {
    debugLog.warn('withMonitor: monitorSlug must be a non-empty string; the job runs unmonitored');
    return callback();
  }
  return withIsolationScope(() => {
    const started = now();
    const checkInId = captureCheckIn({ monitorSlug, status: 'in_progress' }, monitorConfig);
    const finish = (status: CheckInStatus): void => {
      captureCheckIn({ monitorSlug, status, checkInId, duration: (now() - started) / 1000 });
    };

    let result: T;
    try {
      result = callback();
    } catch (err) {
      finish('error');
      throw err;
    }
    if (isThenable(result)) {
      // The same settlement reaches the caller; only the check-in is added on the way.
      return Promise.resolve(result).then(
        (value) => {
          finish('ok');
          return value;
        },
        (err: unknown) => {
          finish('error');
          throw err;
        },
      ) as T;
    }
    finish('ok');
    return result;
  });
}
