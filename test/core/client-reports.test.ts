import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ClientReports, discardedEventsOf } from '../../src/core/client-reports.js';
import { serializeEnvelope } from '../../src/core/envelope.js';

const { checkEnvelope } = (await import(path.resolve(process.cwd(), '../shared/protocol/check.mjs'))) as {
  checkEnvelope(bytes: Uint8Array): { errors: string[] };
};

test('counts are summed per (reason, category)', () => {
  const reports = new ClientReports();
  reports.record('queue_overflow', 'error');
  reports.record('queue_overflow', 'error', 2);
  reports.record('queue_overflow', 'attachment', 11);
  reports.record('sample_rate', 'error');
  assert.deepEqual(reports.snapshot(), [
    { reason: 'queue_overflow', category: 'error', quantity: 3 },
    { reason: 'queue_overflow', category: 'attachment', quantity: 11 },
    { reason: 'sample_rate', category: 'error', quantity: 1 },
  ]);
});

test('take returns a client_report item once and resets the counters', () => {
  const reports = new ClientReports();
  assert.equal(reports.hasPending(), false);
  assert.equal(reports.take(), undefined);
  reports.record('before_send', 'error', 2);
  assert.equal(reports.hasPending(), true);
  const item = reports.take(Date.UTC(2024, 10, 26, 10, 6, 0, 900));
  assert.deepEqual(item, {
    header: { type: 'client_report' },
    payload: { timestamp: 1732615560, discarded_events: [{ reason: 'before_send', category: 'error', quantity: 2 }] },
  });
  assert.equal(reports.hasPending(), false);
  assert.equal(reports.take(), undefined);
  assert.deepEqual(checkEnvelope(serializeEnvelope({ header: {}, items: [item!] })).errors, []);
});

test('snapshot is a copy', () => {
  const reports = new ClientReports();
  reports.record('network_error', 'error');
  reports.snapshot()[0]!.quantity = 99;
  assert.equal(reports.snapshot()[0]!.quantity, 1);
});

test('bad quantities are ignored, fractions floored', () => {
  const reports = new ClientReports();
  reports.record('send_error', 'error', 0);
  reports.record('send_error', 'error', -4);
  reports.record('send_error', 'error', Number.NaN);
  assert.equal(reports.hasPending(), false);
  reports.record('send_error', 'error', 2.7);
  assert.deepEqual(reports.snapshot(), [{ reason: 'send_error', category: 'error', quantity: 2 }]);
});

test('setEnabled(false) makes record a no-op and drops what was pending', () => {
  const reports = new ClientReports();
  reports.record('sample_rate', 'error');
  reports.setEnabled(false);
  reports.record('sample_rate', 'error');
  assert.equal(reports.hasPending(), false);
  const off = new ClientReports({ enabled: false });
  off.record('sample_rate', 'error');
  assert.equal(off.take(), undefined);
  off.setEnabled(true);
  off.record('sample_rate', 'error');
  assert.equal(off.snapshot().length, 1);
});

test('merge adds the counts of a taken report back', () => {
  const reports = new ClientReports();
  reports.record('ratelimit_backoff', 'error', 2);
  const item = reports.take()!;
  reports.record('ratelimit_backoff', 'error');
  reports.merge(discardedEventsOf(item));
  assert.deepEqual(reports.snapshot(), [{ reason: 'ratelimit_backoff', category: 'error', quantity: 3 }]);
});
