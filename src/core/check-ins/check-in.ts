// Cron monitoring: a check-in tells the server that a scheduled job started (`in_progress`) or
// ended (`ok` / `error`, with its duration). It is sent at once, alone in its envelope, as a
// `check_in` item (data category `monitor`, PROTOCOL.md §5), with the release, the environment
// and the trace of the unit of work.
import type { Client } from '../client.js';
import { getClient } from '../api.js';
import { debugLog } from '../debug-log.js';
import type { Envelope } from '../envelope.js';
import { uuid4 } from '../ids.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import { activeTrace } from '../logs/trace.js';
import { monitorConfigPayload, type MonitorConfig } from './monitor-config.js';

export type CheckInStatus = 'in_progress' | 'ok' | 'error';

export interface CheckIn {
  monitorSlug: string;
  status: CheckInStatus;
  /** The id of the `in_progress` check-in this one closes; a new id when absent. */
  checkInId?: string;
  /** Seconds the job ran (for `ok` / `error`). */
  duration?: number;
}

const STATUSES = new Set<string>(['in_progress', 'ok', 'error']);
const HEX_ID = /^[0-9a-f]{32}$/;

function checkInIdOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return uuid4();
  if (typeof value !== 'string') return undefined;
  const id = value.replace(/-/g, '').toLowerCase();
  return HEX_ID.test(id) ? id : undefined;
}

/**
 * Sends a check-in. Returns its id (32 hex characters; pass it as `checkInId` to close an
 * `in_progress` check-in) when it was handed to the send queue, `undefined` when it was not:
 * not initialized, invalid input (said with `debug: true`), or dropped (rate limited or queue
 * full; counted in client reports). Never throws.
 *
 * @example
 * const checkInId = faultline.captureCheckIn({ monitorSlug: 'nightly-report', status: 'in_progress' });
 * await runReport();
 * faultline.captureCheckIn({ monitorSlug: 'nightly-report', status: 'ok', checkInId });
 */
export function captureCheckIn(checkIn: CheckIn, monitorConfig?: MonitorConfig): string | undefined {
  try {
    const client = getClient<Client>();
    if (!client) return undefined;
    if (!checkIn || typeof checkIn !== 'object') {
      debugLog.warn('captureCheckIn expects { monitorSlug, status }');
      return undefined;
    }
    const { monitorSlug, status, duration } = checkIn;
    if (typeof monitorSlug !== 'string' || !monitorSlug.trim()) {
      debugLog.warn('captureCheckIn: monitorSlug must be a non-empty string');
      return undefined;
    }
    if (typeof status !== 'string' || !STATUSES.has(status)) {
      debugLog.warn(`captureCheckIn: status must be 'in_progress', 'ok' or 'error' (got ${String(status)})`);
      return undefined;
    }
    const id = checkInIdOf(checkIn.checkInId);
    if (!id) {
      debugLog.warn('captureCheckIn: checkInId must be the id an earlier captureCheckIn returned');
      return undefined;
    }
    const options = client.getOptions();
    const payload: Record<string, unknown> = { check_in_id: id, monitor_slug: monitorSlug.trim(), status };
    if (duration !== undefined && duration !== null) {
      if (typeof duration === 'number' && Number.isFinite(duration) && duration >= 0) payload['duration'] = duration;
      else debugLog.warn('captureCheckIn: duration must be a number of seconds ≥ 0; it is left out');
    }
    if (options.release) payload['release'] = options.release;
    if (options.environment) payload['environment'] = options.environment;
    const config = monitorConfigPayload(monitorConfig);
    if (config) payload['monitor_config'] = config;
    payload['contexts'] = { trace: { trace_id: activeTrace().traceId } };

    const envelope: Envelope = {
      header: { sdk: { name: SDK_NAME, version: SDK_VERSION } },
      items: [{ header: { type: 'check_in' }, payload }],
    };
    if (!client.sendEnvelope(envelope, 'monitor', 1)) {
      debugLog.log(`check-in for ${monitorSlug} not sent (rate limited, queue full or SDK closed)`);
      return undefined;
    }
    return id;
  } catch (err) {
    debugLog.error('captureCheckIn failed', err);
    return undefined;
  }
}
