// Shared by the framework tests: fire 50 concurrent requests, each with its own user, at an app
// whose handler fails with a 500 after an await, and check that every event carries its own
// request, user and breadcrumbs and nobody else's.
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/sentry-server.js';
import * as faultline from '../../src/index.js';

export const REQUESTS = 50;

export async function fireConcurrentFailures(base: string): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      fetch(`${base}/users/${i}?page=${i}&token=secret-${i}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-user': String(i),
          authorization: `Bearer secret-${i}`,
          cookie: `session=secret-${i}`,
        },
        body: JSON.stringify({ n: i }),
      }).then(async (r) => ({ status: r.status, body: await r.text() })),
    ),
  );
  for (const reply of replies) assert.equal(reply.status, 500);
}

export interface Expectations {
  transaction: string;
  mechanism: string;
  /** Whether the framework parsed the JSON body. */
  body: boolean;
}

export async function checkEvents(server: TestServer, expect: Expectations): Promise<void> {
  await server.waitFor(() => server.events().length >= REQUESTS, 5000);
  assert.equal(await faultline.flush(2000), true);
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
  const events = server.events();
  assert.equal(events.length, REQUESTS, 'one event per failing request');
  const seen = new Set<string>();
  for (const event of events) {
    const id = String(event.user?.id);
    seen.add(id);
    assert.equal(event.exception.values.at(-1).value, `failed for ${id}`, 'the error is this request’s');
    assert.deepEqual(event.exception.values.at(-1).mechanism, { type: expect.mechanism, handled: false });
    const request = event.request;
    assert.equal(request.method, 'POST');
    assert.match(request.url, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/users/${id}$`));
    assert.equal(request.query_string, `page=${id}&token=[Filtered]`);
    assert.equal(request.headers['x-user'], id);
    assert.equal(request.headers.authorization, undefined, 'no credentials without sendDefaultPii');
    assert.equal(request.headers.cookie, undefined);
    assert.equal(request.cookies, undefined);
    if (expect.body) assert.deepEqual(request.data, { n: Number(id) });
    assert.equal(event.transaction, expect.transaction);
    assert.equal(event.tags?.request_user, id, 'a tag set in the handler stays with its request');
    const crumbs = (event.breadcrumbs?.values ?? []).filter((c: any) => c.category === 'app');
    assert.deepEqual(
      crumbs.map((c: any) => c.message),
      [`start ${id}`, `after await ${id}`],
      'only this request’s breadcrumbs',
    );
    assert.equal(JSON.stringify(event).includes('secret-'), false, 'no secret reaches the event');
  }
  assert.equal(seen.size, REQUESTS, 'every request got its own event');
}

/** The handler body every app runs: a breadcrumb, an await, a breadcrumb, then a 500. */
export async function failingHandler(id: string): Promise<never> {
  faultline.setTag('request_user', id);
  faultline.addBreadcrumb({ category: 'app', message: `start ${id}` });
  await new Promise((r) => setTimeout(r, Math.random() * 30));
  await Promise.resolve();
  faultline.addBreadcrumb({ category: 'app', message: `after await ${id}` });
  throw new Error(`failed for ${id}`);
}
