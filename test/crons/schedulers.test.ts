// node-cron and cron jobs monitored through the helpers, proven with real every-second ticks:
// each run sends in_progress then ok (or error, with the job's error reported), under the job's
// name, with the monitor configured from its schedule.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import nodeCron from 'node-cron';
import { CronJob } from 'cron';
import * as faultline from '../../src/index.js';
import { instrumentCron, instrumentNodeCron } from '../../src/node/cron/index.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { checkInsOf } from '../logs/received.js';

const sentry = useSentryServer({ beforeEach: ['closeClient', 'resetScopes', 'clearEnvelopes'] });
beforeEach(() => {
  faultline.init({ dsn: sentry.dsn, defaultIntegrations: false, release: 'cron-app@1.0.0' });
});

function ofSlug(slug: string): any[] {
  return checkInsOf(sentry).filter((c) => c.monitor_slug === slug);
}

/**
 * Each run as [status of its opening check-in, status of its closing one], paired by check-in id.
 * The two are separate envelopes sent in parallel, so arrival order says nothing: in_progress is
 * the opening one.
 */
function runs(slug: string): Array<[string, string]> {
  const byId = new Map<string, string[]>();
  for (const c of ofSlug(slug)) byId.set(c.check_in_id, [...(byId.get(c.check_in_id) ?? []), c.status]);
  return [...byId.values()].map((s) => {
    const sorted = [...s].sort((a, b) => Number(b === 'in_progress') - Number(a === 'in_progress'));
    return [sorted[0]!, sorted.at(-1)!];
  });
}

/** The opening check-in of a slug, which carries the monitor config. */
const opening = (slug: string) => ofSlug(slug).find((c) => c.status === 'in_progress');

// node-cron prints a failing job's error; the test reads it from the server instead.
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const finishedRuns = (slug: string, n: number) => () => runs(slug).filter(([, end]) => end !== 'in_progress').length >= n;

test('node-cron: every run of a named job is monitored; a failing job sends error and is reported', async () => {
  const cron = instrumentNodeCron(nodeCron);
  let ticks = 0;
  const ok = cron.schedule('* * * * * *', () => void ticks++, { name: 'every-second' });
  const failing = cron.schedule(
    '* * * * * *',
    async () => {
      throw new Error('report generation failed');
    },
    { name: 'failing-job', timezone: 'Europe/Vienna', logger: quiet },
  );
  const unnamed = cron.schedule('* * * * * *', () => {});
  try {
    await sentry.waitFor(() => finishedRuns('every-second', 2)() && finishedRuns('failing-job', 1)(), 10_000);
  } finally {
    await ok.destroy();
    await failing.destroy();
    await unnamed.destroy();
  }
  assert.equal(await faultline.flush(3000), true);
  assert.deepEqual(sentry.errors(), []);
  assert.ok(ticks >= 2);
  assert.ok(runs('every-second').filter(([, end]) => end !== 'in_progress').every(([s, e]) => s === 'in_progress' && e === 'ok'));
  assert.ok(runs('failing-job').filter(([, end]) => end !== 'in_progress').every(([s, e]) => s === 'in_progress' && e === 'error'));
  const first = opening('every-second');
  assert.deepEqual(first.monitor_config, { schedule: { type: 'crontab', value: '* * * * *' } });
  assert.equal(first.release, 'cron-app@1.0.0');
  assert.deepEqual(opening('failing-job').monitor_config, {
    schedule: { type: 'crontab', value: '* * * * *' },
    timezone: 'Europe/Vienna',
  });
  const ended = ofSlug('failing-job').find((c) => c.status === 'error');
  assert.equal(typeof ended.duration, 'number');
  const event = sentry.events().find((e) => e.exception?.values?.at(-1)?.value === 'report generation failed');
  assert.ok(event, 'the job error is reported');
  assert.deepEqual(event.exception.values.at(-1).mechanism, { type: 'auto.function.node_cron', handled: false });
  assert.equal(checkInsOf(sentry).filter((c) => !['every-second', 'failing-job'].includes(c.monitor_slug)).length, 0);
});

test('cron: jobs from new and from CronJob.from are monitored under the slug or their name', async () => {
  const MonitoredCronJob = instrumentCron(CronJob, undefined, { maxRuntime: 1 });
  const Slugged = instrumentCron(CronJob, 'cron-slug');
  let ticks = 0;
  const named = MonitoredCronJob.from({ cronTime: '* * * * * *', onTick: () => void ticks++, start: true, name: 'cron-named' });
  const slugged = new Slugged('* * * * * *', async () => {
    await new Promise((r) => setTimeout(r, 10));
  }, null, true);
  const failing = MonitoredCronJob.from({
    cronTime: '* * * * * *',
    onTick: () => {
      throw new Error('cron tick failed');
    },
    errorHandler: () => {},
    start: true,
    name: 'cron-failing',
    timeZone: 'UTC',
  });
  try {
    await sentry.waitFor(
      () => finishedRuns('cron-named', 2)() && finishedRuns('cron-slug', 1)() && finishedRuns('cron-failing', 1)(),
      10_000,
    );
  } finally {
    await named.stop();
    await slugged.stop();
    await failing.stop();
  }
  assert.equal(await faultline.flush(3000), true);
  assert.deepEqual(sentry.errors(), []);
  assert.ok(named instanceof CronJob && slugged instanceof CronJob, 'still CronJob instances');
  assert.ok(ticks >= 2);
  for (const slug of ['cron-named', 'cron-slug']) {
    assert.ok(runs(slug).filter(([, end]) => end !== 'in_progress').every(([s, e]) => s === 'in_progress' && e === 'ok'), slug);
  }
  assert.ok(runs('cron-failing').filter(([, end]) => end !== 'in_progress').every(([, e]) => e === 'error'));
  assert.deepEqual(opening('cron-named').monitor_config, { schedule: { type: 'crontab', value: '* * * * *' }, max_runtime: 1 });
  assert.deepEqual(opening('cron-failing').monitor_config, {
    schedule: { type: 'crontab', value: '* * * * *' },
    max_runtime: 1,
    timezone: 'UTC',
  });
  const event = sentry.events().find((e) => e.exception?.values?.at(-1)?.value === 'cron tick failed');
  assert.deepEqual(event?.exception.values.at(-1).mechanism, { type: 'auto.function.cron', handled: false });
});
