// Console, pino and winston records forwarded as structured logs (besides their breadcrumbs and
// events), and buffered logs delivered when the process ends by itself, crashes, or is stopped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import winston from 'winston';
import Transport from 'winston-transport';
import * as faultline from '../../src/index.js';
import { pinoIntegration } from '../../src/integrations/pino.js';
import { createWinstonTransport } from '../../src/integrations/winston.js';
import type { Integration } from '../../src/core/types.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { flushChecked } from '../helpers/flushed.js';
import { attr, logsOf, runApp } from './received.js';

const sentry = useSentryServer({ beforeEach: ['closeClient', 'resetScopes', 'clearEnvelopes'] });
const sink = new Writable({ write: (_chunk, _encoding, done) => done() });

function init(integrations: Integration[], enableLogs = true): void {
  faultline.init({ dsn: sentry.dsn, defaultIntegrations: false, enableLogs, integrations });
}

async function flushed(): Promise<any[]> {
  await flushChecked(sentry, 3000);
  return logsOf(sentry);
}

describe('pino', () => {
  test('records become logs with their fields, besides breadcrumbs and events', async () => {
    init([pinoIntegration()]);
    const log = pino({ name: 'billing', level: 'trace' }, sink);
    log.trace('tracing');
    log.child({ tenant: 't9' }).info({ orderId: 42 }, 'order %s received', 'A-1');
    log.error({ err: new TypeError('card expired') }, 'payment failed');
    const records = await flushed();
    assert.deepEqual(records.map((r) => [r.level, r.body]), [
      ['trace', 'tracing'],
      ['info', 'order A-1 received'],
      ['error', 'payment failed'],
    ]);
    assert.equal(attr(records[1], 'sentry.origin'), 'auto.log.pino');
    assert.equal(attr(records[1], 'logger.name'), 'billing');
    assert.equal(attr(records[1], 'tenant'), 't9');
    assert.equal(attr(records[1], 'orderId'), 42);
    assert.equal(attr(records[2], 'exception.type'), 'TypeError');
    assert.equal(attr(records[2], 'exception.message'), 'card expired');
    assert.equal(sentry.events().length, 1, 'the error record is still an event');
    assert.equal(records[2].trace_id, sentry.events()[0].contexts.trace.trace_id);
  });

  test('logs: false, logLevels, and enableLogs off keep records out of logs', async () => {
    init([pinoIntegration({ logs: false })]);
    pino(sink).warn('not a log');
    assert.equal((await flushed()).length, 0);

    init([pinoIntegration({ logLevels: ['warn'] })]);
    const log = pino(sink);
    log.info('skipped');
    log.warn('kept');
    assert.deepEqual((await flushed()).map((r) => r.body), ['kept']);

    sentry.envelopes.length = 0;
    init([pinoIntegration()], false);
    pino(sink).warn('logs are off');
    assert.equal((await flushed()).length, 0);
  });
});

describe('winston', () => {
  test('records become logs with their fields and level', async () => {
    const FaultlineTransport = createWinstonTransport(Transport, { logLevels: ['info', 'warn', 'error'] });
    init([]);
    const log = winston.createLogger({ level: 'silly', transports: [new FaultlineTransport()] });
    log.info('user signed in', { userId: 7 });
    log.warn('disk filling up', { disk: '91%' });
    log.debug('not in logLevels');
    log.error('charge failed', { error: new RangeError('amount') });
    const records = await flushed();
    assert.deepEqual(records.map((r) => [r.level, r.body]), [
      ['info', 'user signed in'],
      ['warn', 'disk filling up'],
      ['error', 'charge failed'],
    ]);
    assert.equal(attr(records[0], 'userId'), 7);
    assert.equal(attr(records[0], 'sentry.origin'), 'auto.log.winston');
    assert.equal(attr(records[1], 'disk'), '91%');
    assert.equal(attr(records[2], 'exception.type'), 'RangeError');
  });
});

describe('console, and delivery when the process ends', () => {
  /** The records of one run of the app: the logger record names the run, and all share its trace. */
  async function logsOfRun(end: string) {
    const run = randomUUID();
    const result = await runApp('logs/fixtures/logging-app.ts', sentry, { RUN_ID: run, APP_END: end });
    const all = logsOf(sentry);
    const marker = all.find((r) => attr(r, 'sentry.message.parameter.0') === run);
    const records = marker ? all.filter((r) => r.trace_id === marker.trace_id) : [];
    return { ...result, records };
  }

  test('console calls become logs (levels filter, templates); an app that just ends delivers them', async () => {
    const { records, code, stderr } = await logsOfRun('natural');
    assert.equal(code, 0, stderr);
    assert.deepEqual(sentry.errors(), []);
    assert.equal(records.length, 4, 'console.debug is not in levels');
    assert.deepEqual(records.slice(0, 3).map((r) => [r.level, r.body]), [
      ['info', 'plain formatted line'],
      ['info', 'user 42 logged in'],
      ['warn', '{ disk: 91 }'],
    ]);
    assert.match(records[3].body, /^run [0-9a-f-]+ ends by natural$/);
    assert.equal(attr(records[0], 'sentry.origin'), 'auto.log.console');
    assert.equal(attr(records[0], 'sentry.message.template'), 'plain %s line');
    assert.equal(attr(records[0], 'sentry.message.parameter.0'), 'formatted');
    assert.equal(attr(records[1], 'sentry.message.template'), 'user %s %s');
    assert.equal(attr(records[1], 'sentry.message.parameter.0'), 42);
    assert.equal(attr(records[0], 'sentry.release'), 'logging-app@1.0.0');
  });

  test('an uncaught exception still delivers the buffered logs, and the crash', async () => {
    const { records, code } = await logsOfRun('crash');
    assert.equal(code, 1);
    assert.equal(records.length, 4);
    assert.ok(sentry.events().some((e) => e.exception?.values?.at(-1)?.value === 'the app crashed'));
  });

  test('SIGTERM delivers the buffered logs before the process dies of the signal', async () => {
    const { records, signal } = await logsOfRun('sigterm');
    assert.equal(signal, 'SIGTERM');
    assert.equal(records.length, 4);
  });
});
