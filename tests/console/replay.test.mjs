// Scenario 6: replay from the detail page, and edit & replay with a changed header.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, openConsole, goto, gw, screenshot,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await openConsole(browser.page, server.admin, '#/requests');
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

function idOfHash(url) {
  const m = /#\/requests\/([^/?#]+)$/.exec(url);
  return m ? decodeURIComponent(m[1]) : null;
}

test('replay makes a new request whose detail says "replay of" the original, and the original lists it', { timeout: 30000 }, async () => {
  const orig = await gw(server, '/orders', { headers: { Authorization: 'Bearer alice-token' } });
  assert.equal(orig.status, 200);
  const { page } = browser;
  await goto(page, `#/requests/${encodeURIComponent(orig.requestId)}`);
  await page.locator('#replay').click();
  await page.waitForFunction((id) => {
    const m = /#\/requests\/([^/?#]+)$/.exec(location.hash);
    return m && decodeURIComponent(m[1]) !== id;
  }, orig.requestId, { timeout: 5000 });
  const replayId = idOfHash(page.url());
  assert.ok(replayId && replayId !== orig.requestId);
  const link = page.locator('a.replay-of-link');
  await link.waitFor();
  assert.equal((await link.textContent()).trim(), orig.requestId);
  assert.match(await page.locator('.crumbs').textContent(), /replay of/);
  assert.match(await page.locator('.verdict-status').textContent(), /200/);
  await link.click();
  await page.locator(`#replays a[href$="${encodeURIComponent(replayId)}"]`).waitFor();
});

test('edit & replay with a changed header: a 401 replayed with another token passes', { timeout: 30000 }, async () => {
  const orig = await gw(server, '/orders', { headers: { Authorization: 'Bearer nobody-token' } });
  assert.equal(orig.status, 401);
  const { page } = browser;
  await goto(page, `#/requests/${encodeURIComponent(orig.requestId)}`);
  await page.locator('#edit-replay').click();
  const form = page.locator('#edit-form');
  await form.waitFor();
  const authRow = form.locator('.h-row[data-orig-name="authorization" i]').first();
  assert.equal(await authRow.getAttribute('data-masked'), 'true', 'the token is masked');
  assert.equal(await authRow.locator('.h-value').inputValue(), '', 'a masked value is not in the form');
  assert.doesNotMatch(await page.content(), /nobody-token/, 'no raw token in the DOM');
  await authRow.locator('.h-value').fill('Bearer alice-token');
  await form.locator('#edit-add-header').click();
  const added = form.locator('.h-row').last();
  await added.locator('.h-name').fill('X-Debug');
  await added.locator('.h-value').fill('edited');
  await screenshot(page, 'edit-replay');
  await form.locator('#edit-send').click();
  await page.waitForFunction((id) => {
    const m = /#\/requests\/([^/?#]+)$/.exec(location.hash);
    return m && decodeURIComponent(m[1]) !== id;
  }, orig.requestId, { timeout: 5000 });
  await page.locator('a.replay-of-link').waitFor();
  assert.equal((await page.locator('a.replay-of-link').textContent()).trim(), orig.requestId);
  assert.match(await page.locator('.verdict-status').textContent(), /200/);
  const req = page.locator('#panel-request');
  await req.waitFor();
  assert.match(await req.textContent(), /X-Debug/i);
  assert.match(await req.textContent(), /edited/);
  assert.doesNotMatch(await page.content(), /alice-token/, 'the typed token is not echoed back');
});

test('copy as curl renders a masked header as a shell variable', { timeout: 20000 }, async () => {
  const orig = await gw(server, '/orders/9', { headers: { Authorization: 'Bearer alice-token', 'X-Trace': 'abc' } });
  const { page } = browser;
  await goto(page, `#/requests/${encodeURIComponent(orig.requestId)}`);
  await page.locator('#copy-curl').click();
  const text = await page.locator('#curl-text').textContent();
  assert.match(text, /-H "Authorization: \$AUTHORIZATION"/);
  assert.match(text, /# Authorization is masked: set AUTHORIZATION/);
  assert.match(text, /X-Trace: abc/i);
  assert.match(text, /\/orders\/9/);
  assert.doesNotMatch(text, /alice-token/);
});
