// winston through the FaultlineTransport built on winston-transport's base class: breadcrumbs
// below the event level, events (message or exception) at and above it, with the record's fields.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import winston from 'winston';
import Transport from 'winston-transport';
import * as faultline from '../../src/index.js';
import { createWinstonTransport } from '../../src/integrations/winston.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { sentEvents } from '../helpers/flushed.js';

const sentry = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes'] });

const sent = () => sentEvents(sentry);

function logger(transport: object) {
  return winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winston.format.colorize(), winston.format.json()),
    transports: [transport as Transport],
  });
}

beforeEach(() => {
  faultline.init({ dsn: sentry.dsn });
});

test('records become breadcrumbs with fields; an error record becomes an event with its fields', async () => {
  const FaultlineTransport = createWinstonTransport(Transport);
  const log = logger(new FaultlineTransport());
  log.info('order received', { orderId: 42 });
  log.child({ tenant: 't9' }).warn('stock low');
  log.debug('cache miss');
  log.error('payment declined', { orderId: 42, token: 'abc' });
  const [event] = await sent();
  assert.equal(event.level, 'error');
  assert.equal(event.logger, 'winston');
  assert.deepEqual(event.logentry, { formatted: 'payment declined' });
  assert.equal(event.extra.orderId, 42);
  assert.equal(event.extra.token, '[Filtered]');
  const crumbs = event.breadcrumbs.values;
  assert.deepEqual(
    crumbs.map((c: any) => [c.type, c.category, c.level, c.message]),
    [
      ['log', 'winston', 'info', 'order received'],
      ['log', 'winston', 'warning', 'stock low'],
      ['log', 'winston', 'debug', 'cache miss'],
    ],
    'levels mapped even though colorize rewrote `level`; the event does not list its own record',
  );
  assert.deepEqual(crumbs[0].data, { orderId: 42 });
  assert.deepEqual(crumbs[1].data, { tenant: 't9' });
});

test('an Error, logged alone or as a field, becomes an exception event', async () => {
  const FaultlineTransport = createWinstonTransport(Transport, { logger: 'payments' });
  const log = logger(new FaultlineTransport());
  log.error(new TypeError('card expired'));
  log.error('charging failed', { err: new RangeError('amount out of range'), cardId: 'c1' });
  log.error('refund failed:', new SyntaxError('bad payload')); // winston keeps only the message and stack
  const [first, second, third] = await sent();
  assert.equal(third.exception.values.at(-1).type, 'SyntaxError');
  assert.match(third.exception.values.at(-1).value, /refund failed: bad payload/);
  assert.match(third.exception.values.at(-1).stacktrace.frames.at(-1).abs_path, /winston\.test\.ts$/);
  assert.equal(first.exception.values.at(-1).type, 'TypeError');
  assert.equal(first.exception.values.at(-1).value, 'card expired');
  assert.deepEqual(first.exception.values.at(-1).mechanism, { type: 'auto.log.winston', handled: true });
  assert.match(first.exception.values.at(-1).stacktrace.frames.at(-1).abs_path, /winston\.test\.ts$/);
  assert.equal(first.logger, 'payments');
  assert.equal(second.exception.values.at(-1).type, 'RangeError');
  assert.equal(second.extra.cardId, 'c1');
  assert.equal(second.logentry.formatted, 'charging failed');
});

test('options: level warn makes warnings events; breadcrumbs false records none', async () => {
  const FaultlineTransport = createWinstonTransport(Transport, { level: 'warn', breadcrumbs: false });
  const log = logger(new FaultlineTransport());
  log.info('quiet');
  log.warn('disk filling up', { disk: '91%' });
  const events = await sent();
  assert.equal(events.length, 1);
  assert.equal(events[0].level, 'warning');
  assert.equal(events[0].extra.disk, '91%');
  assert.equal(events[0].breadcrumbs, undefined);
});
