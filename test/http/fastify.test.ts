// Fastify 5 under 50 concurrent failing requests, each with its own user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import * as faultline from '../../src/index.js';
import { httpServerIntegration } from '../../src/integrations/http-server.js';
import { faultlineFastifyPlugin, setupFastifyErrorHandler } from '../../src/integrations/fastify.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { checkEvents, failingHandler, fireConcurrentFailures } from './concurrent-apps.js';

const apps: FastifyInstance[] = [];
const sentry = useSentryServer({
  setup: initClient,
  teardown: async () => {
    for (const app of apps) await app.close();
  },
});

async function startApp(install: (app: FastifyInstance) => Promise<void> | void): Promise<string> {
  const app = Fastify({ logger: false });
  await install(app);
  app.addHook('preHandler', async (request) => {
    faultline.setUser({ id: String(request.headers['x-user']) });
  });
  app.post<{ Params: { id: string } }>('/users/:id', async (request) => failingHandler(request.params.id));
  app.get('/bad-input', async () => {
    throw Object.assign(new Error('bad input'), { statusCode: 400 });
  });
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

function initClient(): void {
  faultline.init({ dsn: sentry.dsn, integrations: [httpServerIntegration()], transportOptions: { bufferSize: 1000 } });
}

test('setupFastifyErrorHandler: 50 concurrent requests each report their own request, user and route', async () => {
  const base = await startApp((app) => setupFastifyErrorHandler(app));
  sentry.envelopes.length = 0;
  await fireConcurrentFailures(base);
  await checkEvents(sentry, { transaction: 'POST /users/:id', mechanism: 'auto.function.fastify', body: true });

  sentry.envelopes.length = 0;
  assert.equal((await fetch(`${base}/bad-input`)).status, 400);
  assert.equal(await faultline.flush(1000), true);
  assert.equal(sentry.events().length, 0, 'a 4xx is not reported');
});

test('the plugin form does the same', async () => {
  const base = await startApp(async (app) => {
    await app.register(faultlineFastifyPlugin);
  });
  sentry.envelopes.length = 0;
  await fireConcurrentFailures(base);
  await checkEvents(sentry, { transaction: 'POST /users/:id', mechanism: 'auto.function.fastify', body: true });
});
