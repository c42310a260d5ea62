// Scenarios 8 and 9: a walk through every page sees only same-origin requests and no console
// or page error; a screenshot of each page goes to target/console-screenshots/ for review.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, openConsole, goto, gw, watch, rowSel, screenshot,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('every page: only same-origin requests, no console errors, a screenshot each', { timeout: 45000 }, async () => {
  const { page } = browser;
  const seen = watch(page);
  // some history first: a success, the trap, a crash, an error, a routing miss, a 401
  const alice = { Authorization: 'Bearer alice-token' };
  await gw(server, '/orders', { headers: alice });
  const trap = await gw(server, '/orders/7', { headers: alice });
  const crash = await gw(server, '/orders', { headers: { Authorization: 'Bearer crash-token' } });
  await gw(server, '/orders', { headers: { Authorization: 'Bearer error-token' } });
  await gw(server, '/nope');
  await gw(server, '/health');

  await openConsole(page, server.admin, '#/requests');
  await page.locator(rowSel(crash.requestId)).waitFor();
  const live = await gw(server, '/orders/1', { headers: { Authorization: 'Bearer someone-token' } });
  await page.locator(rowSel(live.requestId)).waitFor({ timeout: 3000 });
  assert.match(await page.locator('#gateway-url').textContent(), /^http:\/\/127\.0\.0\.1:\d+/);
  assert.match(await page.locator('#fidelity').textContent(), /diagnostic|faithful/);
  // keys: / focuses the filter, j / k move, Enter opens
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'filter-text');
  await page.keyboard.type('crash');
  await page.locator('#request-rows tr.req').first().waitFor();
  assert.equal(await page.locator(`#request-rows tr.req:not(${rowSel(crash.requestId)})`).count(), 0, 'the filter keeps the crash only');
  await page.keyboard.press('Escape');
  await page.locator('#filter-text').fill('');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  assert.equal(await page.locator('#request-rows tr.selected').count(), 1);
  // the strip filters by layer and cause
  const strip = page.locator('.strip-item[data-layer="authorizer"]').first();
  await strip.waitFor();
  const layerCause = [await strip.getAttribute('data-layer'), await strip.getAttribute('data-cause')];
  await strip.click();
  const shownLayers = await page.locator('#request-rows .badge').evaluateAll((bs) => [...new Set(bs.map((b) => b.dataset.layer))]);
  assert.deepEqual(shownLayers, [layerCause[0]]);
  await page.locator('.strip-item.active').click();
  await screenshot(page, 'requests');

  await goto(page, `#/requests/${encodeURIComponent(trap.requestId)}`);
  await page.locator('#policy-check').waitFor();
  for (const tab of ['response', 'backend', 'log', 'raw', 'request']) {
    await page.locator(`#tab-${tab}`).click();
    await page.locator(`#panel-${tab}:not([hidden])`).waitFor();
  }
  await page.locator('#tab-log').click();
  assert.match(await page.locator('#panel-log').textContent(), /Gateway response type|authorizer/i);
  await screenshot(page, 'detail');

  await goto(page, `#/requests/${encodeURIComponent(crash.requestId)}`);
  await page.locator('.wf-row[data-stage="authorize"].failed').waitFor();
  await screenshot(page, 'waterfall-crash');

  await goto(page, '#/authorizers');
  await page.locator('.authorizer-card').first().waitFor();
  const card = page.locator('.authorizer-card[data-authorizer="TokenAuth"]');
  await card.locator('form.test-invoke textarea[name="headers"]').fill('Authorization: Bearer alice-token');
  await card.locator('form.test-invoke input[name="path"]').fill('/orders');
  await card.locator('form.test-invoke button[type="submit"]').click();
  await card.locator('.test-answer').waitFor({ timeout: 5000 });
  // TestInvokeAuthorizer reports clientStatus 0 for an allowed request
  assert.match(await card.locator('.test-answer .client-status').textContent(), /^(0|200)$/);
  assert.match(await card.locator('.test-answer').textContent(), /alice/);
  await screenshot(page, 'authorizers-page');

  await goto(page, '#/routes');
  await page.locator('#routes-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#routes-table tbody tr').count(), 3);
  // the fixture's authorizer reads event.methodArn with caching on: validate's trap lint
  await page.locator('#lints li').first().waitFor();
  assert.match(await page.locator('#lints').textContent(), /methodArn/);
  await screenshot(page, 'routes');

  await goto(page, '#/status');
  await page.locator('#functions-table tbody tr').first().waitFor();
  assert.match(await page.locator('.page-status').textContent(), /AuthFunction/);
  await screenshot(page, 'status');

  await goto(page, '#/requests');
  await page.locator('#request-rows tr.req').first().waitFor();

  const origin = new URL(server.admin).origin;
  const foreign = seen.requests.filter((u) => new URL(u).origin !== origin);
  assert.deepEqual(foreign, [], 'requests to another origin');
  assert.ok(seen.requests.some((u) => new URL(u).pathname === '/events'), 'the stream was opened');
  assert.deepEqual(seen.errors, [], 'console or page errors');
});
