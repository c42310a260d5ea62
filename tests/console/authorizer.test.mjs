// Scenarios 3, 4 and 5: the cached narrow-policy trap seen in the detail page, a cache
// entry flushed from the authorizers page, and bypass mode with its banner.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, openConsole, goto, gw, admin, rowSel, until, screenshot,
} from './harness.mjs';

const ALICE = { Authorization: 'Bearer alice-token' };

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await openConsole(browser.page, server.admin, '#/requests');
  browser.page.on('dialog', (d) => d.accept());
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('the cached-policy trap: the second route\'s detail shows the policy check ✗ and another cachedForMethodArn', { timeout: 30000 }, async () => {
  await admin(server, 'DELETE', '/authorizers/cache');
  const first = await gw(server, '/orders', { headers: ALICE });
  assert.equal(first.status, 200, first.body);
  const second = await gw(server, '/orders/7', { headers: ALICE });
  assert.equal(second.status, 403, second.body);
  const { page } = browser;
  await goto(page, `#/requests/${encodeURIComponent(second.requestId)}`);
  const check = page.locator('#policy-check');
  await check.waitFor();
  const row = check.locator('tbody tr').first();
  assert.equal(await row.getAttribute('data-matches'), 'false');
  assert.match(await row.locator('.matches').textContent(), /✗/);
  const methodArn = (await page.locator('#method-arn').textContent()).trim();
  assert.match(methodArn, /\/GET\/orders\/7$/);
  const cached = page.locator('#cached-for-arn');
  assert.equal(await cached.getAttribute('data-differs'), 'true');
  assert.match(await cached.getAttribute('class'), /\barn-differs\b/);
  const cachedArn = (await cached.locator('code').textContent()).trim();
  assert.match(cachedArn, /\/GET\/orders$/);
  assert.notEqual(cachedArn, methodArn);
  assert.match(await page.locator('#verdict').textContent(), /cached-policy-not-covered/);
  // the cache marker of the waterfall
  assert.match(await page.locator('.wf-row[data-stage="authorize"] .marker.cache-hit').textContent(), /cache hit, age/);
  await screenshot(page, 'detail-cached-policy');
});

test('a cache entry appears on the authorizers page, flush from the UI removes it, the next request misses', { timeout: 30000 }, async () => {
  await admin(server, 'DELETE', '/authorizers/cache');
  const { page } = browser;
  await goto(page, '#/authorizers');
  const card = page.locator('.authorizer-card[data-authorizer="TokenAuth"]');
  await card.waitFor();
  await card.locator('.empty-cache').waitFor();
  const r = await gw(server, '/orders', { headers: ALICE });
  assert.equal(r.status, 200);
  // refreshed by the request event, no reload
  const entry = card.locator('tr.cache-entry');
  await entry.first().waitFor({ timeout: 4000 });
  assert.equal(await entry.count(), 1);
  assert.match(await entry.first().textContent(), /alice/);
  assert.match(await entry.first().textContent(), /exact method ARN ⚠/);
  // the TTL counts down
  const ttl = entry.first().locator('td.ttl-left');
  const before = await ttl.textContent();
  await until(async () => (await ttl.textContent()) !== before, { timeout: 3000, what: 'the TTL to count down' });
  await screenshot(page, 'authorizers');
  await entry.first().locator('button.flush-entry').click();
  await card.locator('.empty-cache').waitFor({ timeout: 4000 });
  assert.equal(await entry.count(), 0);
  const list = await admin(server, 'GET', '/authorizers');
  assert.equal(list.find((a) => a.name === 'TokenAuth').entries.length, 0, 'the server has no entry left');
  const next = await gw(server, '/orders', { headers: ALICE });
  assert.equal(next.status, 200);
  await goto(page, '#/requests');
  const row = page.locator(rowSel(next.requestId));
  await row.waitFor({ timeout: 3000 });
  assert.equal((await row.locator('.c-cache').textContent()).trim(), 'miss');
});

test('bypass from the UI: banner on every page, a request without a token passes, marked bypass; back to normal', { timeout: 30000 }, async () => {
  const { page } = browser;
  try {
    await goto(page, '#/authorizers');
    const card = page.locator('.authorizer-card[data-authorizer="TokenAuth"]');
    await card.waitFor();
    await card.locator('button.mode-btn[data-mode="bypass"]').click();
    const banner = page.locator('#banner');
    await banner.waitFor({ state: 'visible', timeout: 4000 });
    assert.match(await banner.textContent(), /authorizer TokenAuth: BYPASS, requests are not authorized/);
    await card.locator('button.mode-btn[data-mode="bypass"][aria-pressed="true"]').waitFor();
    const r = await gw(server, '/orders');
    assert.equal(r.status, 200, r.body);
    await goto(page, '#/requests');
    assert.ok(await banner.isVisible(), 'the banner stays on the requests page');
    const row = page.locator(rowSel(r.requestId));
    await row.waitFor({ timeout: 3000 });
    assert.match(await row.locator('.c-status').textContent(), /200/);
    assert.equal((await row.locator('.c-cache').textContent()).trim(), 'bypass');
    await row.click();
    const mode = page.locator('#authorizer-panel [data-mode]');
    await mode.waitFor();
    assert.equal(await mode.getAttribute('data-mode'), 'bypass');
    await screenshot(page, 'detail-bypass');
    await goto(page, '#/authorizers');
    await card.locator('button.mode-btn[data-mode="normal"]').click();
    await banner.waitFor({ state: 'hidden', timeout: 4000 });
    const back = await gw(server, '/orders');
    assert.equal(back.status, 401, 'normal again: no token, no entry');
  } finally {
    await admin(server, 'PUT', '/authorizers/TokenAuth/mode', { mode: 'normal' }).catch(() => {});
  }
});

test('context values are flagged as API Gateway treats them: a nested one, a number', { timeout: 30000 }, async () => {
  const r = await gw(server, '/orders', { headers: { Authorization: 'Bearer nested-token' } });
  assert.equal(r.status, 500, r.body);
  const { page } = browser;
  await goto(page, `#/requests/${encodeURIComponent(r.requestId)}`);
  const table = page.locator('#authorizer-panel table.context-table');
  await table.waitFor();
  const roles = table.locator('tr', { hasText: 'roles' });
  assert.equal(await roles.locator('[data-flag]').getAttribute('data-flag'), 'nested');
  const level = table.locator('tr', { hasText: 'level' });
  assert.equal(await level.locator('[data-flag]').getAttribute('data-flag'), 'stringified');
  assert.equal(await table.locator('tr', { hasText: 'user' }).locator('[data-flag]').count(), 0);
});
