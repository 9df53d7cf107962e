// captureCheckIn and withMonitor end to end: the check_in items the local server receives
// (snake_case monitor config, release, environment, trace), sync and async jobs that succeed or
// throw, bad input, and the monitor rate limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { captureCheckIn, withMonitor } from '../../src/core/check-ins/index.js';
import type { Options } from '../../src/core/types.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { flushChecked } from '../helpers/flushed.js';
import { checkInsOf } from '../logs/received.js';

const sentry = useSentryServer({ beforeEach: ['closeClient', 'resetScopes', 'clearEnvelopes'] });

function init(options: Options = {}): void {
  faultline.init({ dsn: sentry.dsn, defaultIntegrations: false, release: 'jobs@2.0.0', environment: 'production', ...options });
}

async function sent(): Promise<any[]> {
  await flushChecked(sentry, 3000);
  return checkInsOf(sentry);
}

/**
 * A monitor's two check-ins, by status: each is its own envelope and the transport sends
 * envelopes in parallel, so they may arrive in either order.
 */
function runOf(checkIns: any[], slug: string): [any, any] {
  const mine = checkIns.filter((c) => c.monitor_slug === slug);
  assert.equal(mine.length, 2, `two check-ins for ${slug}`);
  const start = mine.find((c) => c.status === 'in_progress');
  const end = mine.find((c) => c.status !== 'in_progress');
  assert.ok(start && end, `${slug}: one in_progress and one final check-in`);
  return [start, end];
}

test('captureCheckIn sends the check-in with its monitor config in snake_case', async () => {
  init();
  const id = captureCheckIn(
    { monitorSlug: 'nightly-report', status: 'in_progress' },
    {
      schedule: { type: 'crontab', value: '0 3 * * *' },
      checkinMargin: 5,
      maxRuntime: 30,
      timezone: 'Europe/Vienna',
      failureIssueThreshold: 2,
      recoveryThreshold: 3,
    },
  );
  assert.match(id ?? '', /^[0-9a-f]{32}$/);
  const closed = captureCheckIn({ monitorSlug: 'nightly-report', status: 'ok', checkInId: id, duration: 12.5 });
  assert.equal(closed, id);
  captureCheckIn({ monitorSlug: 'hourly', status: 'ok' }, { schedule: { type: 'interval', value: 1, unit: 'hour' } });

  const checkIns = await sent();
  assert.equal(checkIns.length, 3);
  const [open, ok] = runOf(checkIns, 'nightly-report');
  const hourly = checkIns.find((c) => c.monitor_slug === 'hourly');
  assert.deepEqual(open, {
    check_in_id: id,
    monitor_slug: 'nightly-report',
    status: 'in_progress',
    release: 'jobs@2.0.0',
    environment: 'production',
    monitor_config: {
      schedule: { type: 'crontab', value: '0 3 * * *' },
      checkin_margin: 5,
      max_runtime: 30,
      failure_issue_threshold: 2,
      recovery_threshold: 3,
      timezone: 'Europe/Vienna',
    },
    contexts: { trace: { trace_id: open.contexts.trace.trace_id } },
  });
  assert.match(open.contexts.trace.trace_id, /^[0-9a-f]{32}$/);
  assert.equal(ok.check_in_id, id);
  assert.equal(ok.status, 'ok');
  assert.equal(ok.duration, 12.5);
  assert.equal(ok.monitor_config, undefined);
  assert.deepEqual(hourly.monitor_config, { schedule: { type: 'interval', value: 1, unit: 'hour' } });
  assert.notEqual(hourly.check_in_id, id);
  assert.equal(sentry.envelopes.filter((e) => e.items.some((i) => i.header['type'] === 'check_in')).length, 3, 'one check-in per envelope');
});

test('bad input is refused with undefined; a bad config leaves the check-in without it', async () => {
  init();
  const bad = captureCheckIn as (...args: unknown[]) => string | undefined;
  assert.equal(bad(), undefined);
  assert.equal(bad({ status: 'ok' }), undefined);
  assert.equal(bad({ monitorSlug: 'x', status: 'done' }), undefined);
  assert.equal(bad({ monitorSlug: 'x', status: 'ok', checkInId: 'not-an-id' }), undefined);
  const id = bad({ monitorSlug: 'x', status: 'ok', duration: -1 }, { schedule: { type: 'crontab' }, maxRuntime: 'long' });
  assert.match(id ?? '', /^[0-9a-f]{32}$/);
  const [only, ...rest] = await sent();
  assert.equal(rest.length, 0);
  assert.equal(only.duration, undefined);
  assert.equal(only.monitor_config, undefined);
});

test('withMonitor: a sync job that returns sends in_progress then ok, and returns its result', async () => {
  init();
  const result = withMonitor('sync-job', () => 41 + 1, { schedule: { type: 'crontab', value: '*/5 * * * *' } });
  assert.equal(result, 42);
  const [start, end] = runOf(await sent(), 'sync-job');
  assert.deepEqual([start.status, end.status], ['in_progress', 'ok']);
  assert.equal(end.check_in_id, start.check_in_id);
  assert.equal(typeof end.duration, 'number');
  assert.ok(end.duration >= 0);
  assert.deepEqual(start.monitor_config, { schedule: { type: 'crontab', value: '*/5 * * * *' } });
});

test('withMonitor: a sync job that throws sends in_progress then error, and the error is rethrown', async () => {
  init();
  const boom = new Error('sync failure');
  assert.throws(() => withMonitor('failing-sync', () => {
    throw boom;
  }), (err) => err === boom);
  const [start, end] = runOf(await sent(), 'failing-sync');
  assert.deepEqual([start.status, end.status], ['in_progress', 'error']);
  assert.equal(end.check_in_id, start.check_in_id);
  assert.ok(end.duration >= 0);
});

test('withMonitor: async jobs resolve and reject as they would without it', async () => {
  init();
  const value = await withMonitor('async-ok', async () => {
    await new Promise((r) => setTimeout(r, 20));
    return 'done';
  });
  assert.equal(value, 'done');
  const boom = new TypeError('async failure');
  await assert.rejects(
    withMonitor('async-error', async () => {
      await new Promise((r) => setTimeout(r, 20));
      throw boom;
    }),
    (err) => err === boom,
  );
  const checkIns = await sent();
  assert.equal(checkIns.length, 4);
  const [okStart, okEnd] = runOf(checkIns, 'async-ok');
  const [errorStart, errorEnd] = runOf(checkIns, 'async-error');
  assert.deepEqual([okStart.status, okEnd.status], ['in_progress', 'ok']);
  assert.deepEqual([errorStart.status, errorEnd.status], ['in_progress', 'error']);
  assert.equal(okEnd.check_in_id, okStart.check_in_id);
  assert.equal(errorEnd.check_in_id, errorStart.check_in_id);
  assert.ok(okEnd.duration >= 0.015, 'the duration covers the awaited work');
  assert.ok(errorEnd.duration >= 0.015);
});

test('a job runs in its own unit of work, and its check-ins share the trace of its errors', async () => {
  init();
  withMonitor('traced-job', () => {
    faultline.setTag('job', 'traced');
    faultline.captureException(new Error('inside the job'));
  });
  faultline.captureMessage('outside the job');
  const [start, end] = runOf(await sent(), 'traced-job');
  const inside = sentry.events().find((e) => e.exception);
  const outside = sentry.events().find((e) => !e.exception);
  assert.equal(start.contexts.trace.trace_id, inside.contexts.trace.trace_id);
  assert.equal(end.contexts.trace.trace_id, inside.contexts.trace.trace_id);
  assert.equal(inside.tags.job, 'traced');
  assert.equal(outside.tags?.job, undefined, 'the job scope does not leak');
});

test('a monitor rate limit: no check-in is sent during the window, drops are counted, jobs still run', async () => {
  // The in-memory transport: the durable outbox would hold the 429'd envelope for a later retry.
  init({ offline: false });
  sentry.reply({ status: 429, headers: { 'X-Sentry-Rate-Limits': '60:monitor:organization' } });
  captureCheckIn({ monitorSlug: 'limited', status: 'ok' });
  await sent();
  sentry.envelopes.length = 0;

  let runs = 0;
  withMonitor('limited', () => runs++);
  assert.equal(captureCheckIn({ monitorSlug: 'limited', status: 'ok' }), undefined);
  faultline.captureMessage('errors still go out');
  const checkIns = await sent();
  assert.equal(runs, 1);
  assert.equal(checkIns.length, 0);
  assert.equal(sentry.events().length, 1);
  assert.equal(sentry.discarded()['ratelimit_backoff:monitor'], 3);
});
