// A custom transport (the `transport` option) that has only some of the Transport methods.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as faultline from '../../src/index.js';
import { debugLog } from '../../src/core/debug-log.js';
import type { Envelope } from '../../src/core/envelope.js';

const DSN = `http://${'a'.repeat(32)}@127.0.0.1:9/1`;

function initWith(transport: unknown): string[] {
  const lines: string[] = [];
  debugLog.setSink((line) => lines.push(line));
  faultline.init({ dsn: DSN, debug: true, defaultIntegrations: false, transport: (() => transport) as never });
  return lines;
}

afterEach(async () => {
  await faultline.close(0);
  debugLog.setSink(undefined);
});

test('a transport with only send: events reach it, flush has nothing to wait for, one warning at init', async () => {
  const sent: Envelope[] = [];
  const lines = initWith({ send: (envelope: Envelope) => void sent.push(envelope) });
  const id = faultline.captureException(new Error('to a bare transport'));
  assert.match(id ?? '', /^[0-9a-f]{32}$/);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.header.event_id, id);
  assert.equal(await faultline.flush(100), true);
  assert.deepEqual(
    lines.filter((l) => l.includes('transport')),
    ['[faultline] warning: the transport has no isRateLimited or flush: faultline assumes no rate limit and nothing to flush'],
  );
});

test("a transport's send that returns nothing or a promise accepts; one that returns false refuses", async () => {
  // With every method and without: the client reads send's answer the same way for both.
  const complete = { isRateLimited: () => false, flush: async () => true };
  for (const transport of [
    { send: async () => {}, flush: async () => true },
    { ...complete, send: async () => {} },
    { ...complete, send: () => undefined },
  ]) {
    initWith(transport);
    assert.match(faultline.captureMessage('accepted') ?? '', /^[0-9a-f]{32}$/);
    await faultline.close(0);
  }
  for (const transport of [{ send: () => false }, { ...complete, send: () => false }]) {
    initWith(transport);
    assert.equal(faultline.captureMessage('refused'), undefined);
    await faultline.close(0);
  }
});

test('a factory that returns no transport leaves faultline disabled, and says so', () => {
  for (const returned of [undefined, null, {}, { send: 'not a function' }]) {
    const lines = initWith(returned);
    assert.equal(faultline.captureMessage('nowhere to go'), undefined);
    assert.ok(
      lines.includes('[faultline] error: the transport factory returned no object with a send method; faultline stays disabled'),
      lines.join('\n'),
    );
  }
});
