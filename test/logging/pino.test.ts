// pino records through the `tracing:pino_asJson` channel: breadcrumbs below the event level,
// events (message or exception) at and above it, with the record's fields.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import pino from 'pino';
import * as faultline from '../../src/index.js';
import { pinoIntegration, type PinoIntegrationOptions } from '../../src/integrations/pino.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { sentEvents } from '../helpers/flushed.js';

const sentry = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes'] });
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});

function init(options: PinoIntegrationOptions = {}) {
  faultline.init({ dsn: sentry.dsn, integrations: [pinoIntegration(options)] });
}

const sent = () => sentEvents(sentry);

beforeEach(() => {
  lines.length = 0;
});

test('records become breadcrumbs with fields; an error record becomes an event with its fields', async () => {
  init();
  const logger = pino({ name: 'billing' }, sink);
  logger.info({ orderId: 42 }, 'order %s received', 'A-1');
  logger.child({ tenant: 't9' }).warn('stock low');
  logger.error({ orderId: 42, password: 'hunter2' }, 'payment declined');
  const [event] = await sent();
  assert.equal(lines.length, 3, 'pino still writes every record');
  assert.equal(event.level, 'error');
  assert.equal(event.logger, 'billing');
  assert.deepEqual(event.logentry, { formatted: 'payment declined' });
  assert.equal(event.extra.orderId, 42);
  assert.equal(event.extra.password, '[Filtered]');
  const crumbs = event.breadcrumbs.values;
  assert.equal(crumbs.length, 2, 'the event does not list its own record');
  assert.deepEqual(
    crumbs.map((c: any) => [c.type, c.category, c.level, c.message]),
    [
      ['log', 'billing', 'info', 'order A-1 received'],
      ['log', 'billing', 'warning', 'stock low'],
    ],
  );
  assert.deepEqual(crumbs[0].data, { orderId: 42 });
  assert.deepEqual(crumbs[1].data, { tenant: 't9' });
});

test('an err field becomes an exception event; fatal keeps its level', async () => {
  init();
  const logger = pino(sink);
  const err = new TypeError('card expired');
  logger.fatal({ err, cardId: 'c1' }, 'charging failed');
  logger.error(new RangeError('out of range'));
  const [first, second] = await sent();
  assert.equal(first.level, 'fatal');
  assert.equal(first.logger, 'pino');
  const exc = first.exception.values.at(-1);
  assert.equal(exc.type, 'TypeError');
  assert.equal(exc.value, 'card expired');
  assert.deepEqual(exc.mechanism, { type: 'auto.log.pino', handled: true });
  assert.match(exc.stacktrace.frames.at(-1).abs_path, /pino\.test\.ts$/);
  assert.equal(first.extra.cardId, 'c1');
  assert.equal(first.logentry.formatted, 'charging failed');
  assert.equal(second.exception.values.at(-1).type, 'RangeError');
  assert.equal(second.level, 'error');
});

test('options: level warn makes warnings events; breadcrumbs false records none', async () => {
  init({ level: 'warn', breadcrumbs: false });
  const logger = pino(sink);
  logger.info('quiet');
  logger.warn({ disk: '91%' }, 'disk filling up');
  const [event] = await sent();
  assert.equal(sentry.events().length, 1);
  assert.equal(event.level, 'warning');
  assert.equal(event.extra.disk, '91%');
  assert.equal(event.breadcrumbs, undefined);
});

test('close unsubscribes, so pino runs at full speed again', async () => {
  const channel = diagnosticsChannel.channel('tracing:pino_asJson:start');
  init();
  assert.equal(channel.hasSubscribers, true);
  await faultline.close(100);
  assert.equal(channel.hasSubscribers, false);
});
