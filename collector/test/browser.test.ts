import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { envelopeUrl, eventEnvelope, newEventId, post, startTestCollector } from './helpers.js';

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1), so a test run never
// leaves the working tree changed; otherwise they go to a temporary folder.
const DOCS = process.env['UPDATE_SCREENSHOTS'] === '1'
  ? new URL('../../docs/', import.meta.url)
  : pathToFileURL(mkdtempSync(join(tmpdir(), 'faultline-shots-')) + '/');
const XSS = {
  script: '<script>alert("script")</script>',
  img: '<img src=x onerror=alert("img")>',
  url: 'javascript:alert("url")',
};

function richEvent(overrides: Record<string, unknown> = {}) {
  const now = Date.now() / 1000;
  return {
    platform: 'node',
    level: 'error',
    environment: 'production',
    release: 'shop@2.4.1',
    server_name: 'web-1',
    user: { id: 'u-17', email: 'ada@example.com', ip_address: '10.0.0.7' },
    tags: { region: 'eu-west-1', route: '/checkout' },
    request: { method: 'POST', url: 'https://shop.example.com/checkout', headers: { 'user-agent': 'demo' } },
    contexts: { runtime: { name: 'node', version: 'v20.20.2' }, os: { name: 'Linux' } },
    sdk: { name: 'faultline.node', version: '0.1.0' },
    breadcrumbs: { values: [
      { timestamp: now - 3, category: 'console', level: 'info', message: 'loading cart 42' },
      { timestamp: now - 2, category: 'http', type: 'http', level: 'info', data: { method: 'GET', url: 'https://payments.example.com/quote', status_code: 200 } },
      { timestamp: now - 1, category: 'console', level: 'warning', message: 'payment retry 1 of 3' },
    ] },
    exception: { values: [
      { type: 'FetchError', value: 'connect ECONNREFUSED 10.0.0.9:443', mechanism: { type: 'generic', handled: true },
        stacktrace: { frames: [{ function: 'request', module: 'node_modules.undici', filename: 'node_modules/undici/lib/fetch.js', lineno: 812, in_app: false }] } },
      { type: 'PaymentError', value: 'payment failed for order 42', mechanism: { type: 'generic', handled: false },
        stacktrace: { frames: [
          { function: 'processTicksAndRejections', filename: 'node:internal/process/task_queues', lineno: 95, in_app: false },
          { function: 'handleCheckout', module: 'shop.routes', filename: 'src/routes/checkout.ts', lineno: 31, colno: 9, in_app: true,
            pre_context: ['export async function handleCheckout(req) {', '  const cart = await loadCart(req.user);'], context_line: '  return charge(cart);', post_context: ['}'], vars: { cart: { id: 42, items: 3 } } },
          { function: 'charge', module: 'shop.billing', filename: 'src/billing.ts', lineno: 12, colno: 11, in_app: true,
            pre_context: ['export async function charge(cart) {', '  const total = sum(cart);'], context_line: "  throw new PaymentError(`payment failed for order ${cart.id}`, { cause });", post_context: ['}'], vars: { total: 99.5, currency: 'EUR' } },
        ] } },
    ] },
    ...overrides,
  };
}

test('the page: live list, issue page with stack and breadcrumbs, XSS stays text, keyboard, phone width', async (t) => {
  assert.ok(existsSync('/usr/bin/chromium'), 'Debian chromium is installed');
  const collector = await startTestCollector();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(collector.url);
    await page.locator('.empty').waitFor();
    await page.locator('#live.on').waitFor();

    await t.test('a new event shows in the list within a second', async () => {
      const started = Date.now();
      const reply = await post(envelopeUrl(collector), eventEnvelope(richEvent()));
      assert.equal(reply.status, 200);
      await page.locator('.issue-title', { hasText: 'PaymentError: payment failed for order 42' }).waitFor({ timeout: 1000 });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 1000, `shown after ${elapsed} ms`);
    });

    await t.test('an XSS payload stays text', async () => {
      const xss = richEvent({
        exception: { values: [{ type: XSS.img, value: XSS.script, stacktrace: { frames: [{ function: XSS.img, filename: XSS.url, lineno: 1, in_app: true, context_line: XSS.script, vars: { html: XSS.img } }] } }] },
        tags: { evil: XSS.script, link: XSS.url },
        request: { url: XSS.url, method: 'GET' },
        user: { id: XSS.img, email: XSS.url },
        breadcrumbs: { values: [{ message: XSS.script, category: XSS.img, data: { href: XSS.url } }] },
        logentry: { formatted: XSS.script },
      });
      assert.equal((await post(envelopeUrl(collector), eventEnvelope(xss))).status, 200);
      const row = page.locator('.issue-title', { hasText: XSS.script });
      await row.waitFor({ timeout: 2000 });
      assert.equal(await row.textContent(), `${XSS.img}: ${XSS.script}`);
      await row.click();
      await page.locator('.exc-type', { hasText: XSS.img }).waitFor();
      const text = (await page.locator('main').textContent()) ?? '';
      for (const payload of Object.values(XSS)) assert.ok(text.includes(payload), `shown as text: ${payload}`);
      assert.equal(await page.locator('main img').count(), 0, 'no <img> element was created');
      assert.equal(await page.locator('main script').count(), 0, 'no <script> element was created');
      assert.equal(await page.locator('a[href^="javascript"]').count(), 0, 'no javascript: link');
      await page.waitForTimeout(200);
      assert.deepEqual(dialogs, [], 'no dialog fired');
    });

    await t.test('issue page: exception chain, stack trace with source context and vars, breadcrumbs, chart', async () => {
      await page.goto(`${collector.url}#/`);
      await page.locator('.issue-title', { hasText: 'PaymentError' }).click();
      await page.locator('.exc-title').first().waitFor();
      const chain = await page.locator('.exc-title').allTextContents();
      assert.deepEqual(chain, ['PaymentError: payment failed for order 42', 'FetchError: connect ECONNREFUSED 10.0.0.9:443'], 'thrown error first, then its cause');
      assert.equal(await page.locator('.frame.in-app details[open]').count(), 2, 'in-app frames open');
      assert.equal(await page.locator('.frame:not(.in-app) details:not([open])').count(), 2, 'library frames folded');
      assert.equal(await page.locator('.line.current code').first().textContent(), "  throw new PaymentError(`payment failed for order ${cart.id}`, { cause });");
      assert.match((await page.locator('.vars-table').first().textContent()) ?? '', /currency\s*EUR/);
      assert.deepEqual(await page.locator('.crumb-msg').allTextContents(), ['loading cart 42', '', 'payment retry 1 of 3']);
      assert.equal(await page.locator('svg.chart rect.bar').count(), 1);
      for (const heading of ['Tags', 'Request', 'User', 'Contexts', 'SDK']) assert.equal(await page.locator('h3', { hasText: heading }).count(), 1, heading);
    });

    await t.test('screenshots and keyboard', async () => {
      for (const event of [
        { logentry: { formatted: 'inventory low for sku 8812' }, level: 'warning', environment: 'production', release: 'shop@2.4.1' },
        { exception: { values: [{ type: 'TypeError', value: "Cannot read properties of undefined (reading 'id')", stacktrace: { frames: [{ function: 'renderProfile', module: 'shop.profile', lineno: 8, in_app: true }] } }] }, environment: 'staging', release: 'shop@2.5.0-rc.1', user: { id: 'u-3' } },
        { logentry: { formatted: 'cache warmed' }, level: 'info', environment: 'production' },
      ]) assert.equal((await post(envelopeUrl(collector), eventEnvelope({ event_id: newEventId(), ...event }))).status, 200);
      await page.goto(`${collector.url}#/`);
      await page.locator('.issue-title', { hasText: 'cache warmed' }).waitFor();
      mkdirSync(DOCS, { recursive: true });
      await page.screenshot({ path: new URL('collector-issues.png', DOCS).pathname, fullPage: true });

      await page.keyboard.press('/');
      assert.equal(await page.evaluate('document.activeElement?.id'), 'search');
      await page.keyboard.press('Escape');
      await page.keyboard.press('j');
      assert.equal(await page.evaluate('document.activeElement?.className'), 'issue-link');
      await page.keyboard.press('Enter');
      await page.locator('.issue-head').waitFor();
      await page.keyboard.press('u');
      await page.locator('.filters').waitFor();

      await page.locator('.issue-title', { hasText: 'PaymentError' }).click();
      await page.locator('.crumb').first().waitFor();
      await page.screenshot({ path: new URL('collector-issue.png', DOCS).pathname, fullPage: true });

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(100);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(overflow <= 1, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
      assert.deepEqual(pageErrors, []);
    });

    await t.test('a live refresh keeps the focus where j/k moved it while the refresh was loading', async () => {
      await page.goto(`${collector.url}#/`);
      await page.locator('.issue-link').nth(1).waitFor();
      const focusedId = () => page.evaluate<string | null>("document.activeElement?.closest('[data-id]')?.getAttribute('data-id') ?? null");
      // The refresh's list request is held until the user has moved on.
      let requested!: () => void;
      const refreshing = new Promise<void>((resolve) => (requested = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/issues?*', async (route) => {
        requested();
        await released;
        await route.continue();
      });
      try {
        await page.keyboard.press('j');
        const first = await focusedId();
        assert.ok(first, 'j focuses the first issue');
        assert.equal((await post(envelopeUrl(collector), eventEnvelope({ event_id: newEventId(), logentry: { formatted: 'focus probe' }, level: 'info' }))).status, 200);
        await refreshing;
        await page.keyboard.press('j');
        const moved = await focusedId();
        assert.ok(moved && moved !== first, 'j moves to the next issue during the refresh');
        release();
        await page.locator('.issue-title', { hasText: 'focus probe' }).waitFor();
        assert.equal(await focusedId(), moved);
      } finally {
        release();
        await page.unroute('**/api/issues?*');
      }
    });
  } finally {
    await browser.close();
    await collector.close();
  }
});
