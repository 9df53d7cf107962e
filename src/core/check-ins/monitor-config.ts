// A monitor's configuration as the app writes it (camelCase) and as the protocol wants it in a
// check-in (snake_case). Sent with a check-in, it creates or updates the monitor on the server.
import { debugLog } from '../debug-log.js';

export type IntervalUnit = 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute';

export type MonitorSchedule =
  | { type: 'crontab'; value: string }
  | { type: 'interval'; value: number; unit: IntervalUnit };

export interface MonitorConfig {
  schedule: MonitorSchedule;
  /** Minutes a check-in may be late before it counts as missed. */
  checkinMargin?: number;
  /** Minutes a job may run before it counts as timed out. */
  maxRuntime?: number;
  /** IANA time zone of a crontab schedule, e.g. `Europe/Vienna`. */
  timezone?: string;
  /** Failed check-ins in a row before an issue is opened. */
  failureIssueThreshold?: number;
  /** Successful check-ins in a row before the issue is resolved. */
  recoveryThreshold?: number;
}

const UNITS = new Set<string>(['year', 'month', 'week', 'day', 'hour', 'minute']);
const NUMBER_FIELDS = [
  ['checkinMargin', 'checkin_margin'],
  ['maxRuntime', 'max_runtime'],
  ['failureIssueThreshold', 'failure_issue_threshold'],
  ['recoveryThreshold', 'recovery_threshold'],
] as const;

/**
 * The wire form, or undefined when the schedule is unusable (the check-in then goes without a
 * config). A bad optional field is left out with a warning; the rest is kept.
 */
export function monitorConfigPayload(config: unknown): Record<string, unknown> | undefined {
  if (config === undefined || config === null) return undefined;
  if (typeof config !== 'object') {
    debugLog.warn('monitorConfig must be an object; the check-in is sent without it');
    return undefined;
  }
  const c = config as Partial<MonitorConfig>;
  const schedule = schedulePayload(c.schedule);
  if (!schedule) {
    debugLog.warn(
      "monitorConfig.schedule must be { type: 'crontab', value } or { type: 'interval', value, unit }; the check-in is sent without a config",
    );
    return undefined;
  }
  const out: Record<string, unknown> = { schedule };
  for (const [from, to] of NUMBER_FIELDS) {
    const v = c[from];
    if (v === undefined || v === null) continue;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[to] = v;
    else debugLog.warn(`monitorConfig.${from} must be a number ≥ 0; it is left out`);
  }
  if (c.timezone !== undefined && c.timezone !== null) {
    if (typeof c.timezone === 'string' && c.timezone) out['timezone'] = c.timezone;
    else debugLog.warn('monitorConfig.timezone must be a string; it is left out');
  }
  return out;
}

function schedulePayload(schedule: unknown): Record<string, unknown> | undefined {
  if (!schedule || typeof schedule !== 'object') return undefined;
  const s = schedule as { type?: unknown; value?: unknown; unit?: unknown };
  if (s.type === 'crontab' && typeof s.value === 'string' && s.value.trim()) return { type: 'crontab', value: s.value.trim() };
  if (s.type === 'interval' && typeof s.value === 'number' && Number.isInteger(s.value) && s.value > 0 && typeof s.unit === 'string' && UNITS.has(s.unit)) {
    return { type: 'interval', value: s.value, unit: s.unit };
  }
  return undefined;
}
