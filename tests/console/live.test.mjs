// Scenarios 1, 2 and 7: a crashing authorizer shows up live in the list, its waterfall and
// process panel tell the story, and the stream reconnects and backfills after a real cut.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, openConsole, gw, rowSel, tcpProxy, until, screenshot,
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

let crashId;

test('a crashing authorizer appears live within 2 s with a red authorizer badge and its cause', { timeout: 30000 }, async () => {
  const { page } = browser;
  await openConsole(page, server.admin, '#/requests');
  const r = await gw(server, '/orders', { headers: { Authorization: 'Bearer crash-token' } });
  const answered = Date.now();
  assert.equal(r.status, 500);
  assert.ok(r.requestId, 'the gateway answers x-amzn-RequestId');
  crashId = r.requestId;
  const row = page.locator(rowSel(crashId));
  await row.waitFor({ timeout: 2000 });
  assert.ok(Date.now() - answered <= 2000, `row shown ${Date.now() - answered} ms after the answer`);
  const badge = row.locator('.badge');
  assert.equal(await badge.getAttribute('data-layer'), 'authorizer');
  assert.match(await badge.getAttribute('class'), /\blayer-authorizer\b/);
  const cause = (await row.locator('.c-cause').textContent()).trim();
  assert.equal(cause, r.cause || 'authorizer-crash');
  assert.match(cause, /crash/);
  assert.match(await row.locator('.c-status').textContent(), /500/);
});

test('its detail: authorize failed, integrate not reached, exit status and stderr line shown', { timeout: 30000 }, async () => {
  assert.ok(crashId, 'needs the first test');
  const { page } = browser;
  await page.locator(rowSel(crashId)).click();
  await page.waitForSelector('.wf-row[data-stage="authorize"]');
  const authorize = page.locator('.wf-row[data-stage="authorize"]');
  assert.match(await authorize.getAttribute('class'), /\bfailed\b/);
  assert.match(await authorize.textContent(), /crash/);
  const integrate = page.locator('.wf-row[data-stage="integrate"]');
  assert.match(await integrate.getAttribute('class'), /\bnot-reached\b/);
  assert.match(await integrate.textContent(), /not reached/);
  // the table twin says the same
  assert.match(await page.locator('table.waterfall-table tr[data-stage="integrate"]').textContent(), /not reached/);
  const proc = page.locator('.process-panel[data-kind="authorizer"]');
  await proc.waitFor();
  assert.match(await proc.locator('.exit').textContent(), /exit status 3/);
  assert.match(await proc.locator('.output-tail').textContent(), /lost the token service/);
  assert.match(await page.locator('#verdict').textContent(), /crash/);
  // The event the authorizer was sent, its token masked.
  await page.locator('#tab-event').click();
  const sentEvent = await page.locator('#panel-event').textContent();
  assert.match(sentEvent, /Authorizer event/);
  assert.match(sentEvent, /"type": "TOKEN"/);
  assert.doesNotMatch(sentEvent, /crash-token/);
  await screenshot(page, 'detail-crash');
  // The status page names the process that died, and how.
  await page.evaluate(() => { location.hash = '#/status'; });
  const fnRow = page.locator('#functions-table tr[data-function="AuthFunction"] .last-exit');
  await fnRow.waitFor();
  assert.match(await fnRow.textContent(), /exit status 3/);
});

test('the stream reconnects after a real cut and backfills what it missed, without a reload', { timeout: 40000 }, async () => {
  const proxy = await tcpProxy(server.admin);
  const { context } = browser;
  const page = await context.newPage();
  try {
    await openConsole(page, proxy.url, '#/requests');
    await page.evaluate(() => { window.__noReload = 'still here'; });
    // one event first, so that the stream has an id to resume from (Last-Event-ID)
    const seen = await gw(server, '/orders/99');
    await page.locator(rowSel(seen.requestId)).waitFor({ timeout: 3000 });
    proxy.cut();
    await page.waitForSelector('#stream-state:not([data-state="live"])', { timeout: 8000 });
    const missed = [];
    for (let i = 0; i < 2; i++) {
      const r = await gw(server, `/orders/${100 + i}`);
      assert.equal(r.status, 401);
      missed.push(r.requestId);
    }
    // nothing can arrive while cut, and the page says the stream cannot connect
    const notice = page.locator('#stream-notice');
    await notice.waitFor({ state: 'visible', timeout: 8000 });
    assert.match(await notice.textContent(), /cannot connect/);
    assert.equal(await page.locator(rowSel(missed[0])).count(), 0);
    proxy.resume();
    for (const id of missed) await page.locator(rowSel(id)).waitFor({ timeout: 15000 });
    await page.waitForSelector('#stream-state[data-state="live"]', { timeout: 8000 });
    await notice.waitFor({ state: 'hidden', timeout: 3000 });
    assert.equal(await page.evaluate(() => window.__noReload), 'still here', 'the page was not reloaded');
    // and it is live again
    const r = await gw(server, '/orders/200');
    await page.locator(rowSel(r.requestId)).waitFor({ timeout: 3000 });
    // each row once
    await until(async () => (await page.locator(rowSel(missed[0])).count()) === 1, { what: 'one row per request' });
  } finally {
    await page.close();
    await proxy.close();
  }
});
