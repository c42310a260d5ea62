// First paint of the console on loopback: a release `serve` of the console tests' fixture,
// the console opened N times in fresh pages of headless Chromium, the browser's own
// first-contentful-paint and the time until the request list shows its rows.
//
// Usage: GLASSGATE_BIN=target/release/glassgate node bench/console_paint.mjs [N]
import { startServer, launchBrowser, gw } from '../tests/console/harness.mjs';

const n = Number(process.argv[2] || 10);
const server = await startServer();
const browser = await launchBrowser();
for (const token of ['alice-token', 'crash-token', 'nope']) {
  await gw(server, '/orders', { headers: { Authorization: `Bearer ${token}` } });
}
const paints = [];
const rows = [];
for (let i = 0; i < n; i++) {
  const page = await browser.context.newPage();
  const t0 = Date.now();
  await page.goto(`${server.admin}/console/#/requests`);
  await page.waitForSelector('tr.req');
  rows.push(Date.now() - t0);
  paints.push(await page.evaluate(() =>
    performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
  await page.close();
}
await browser.close();
await server.stop();
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`first-contentful-paint: median ${med(paints).toFixed(1)} ms, max ${Math.max(...paints).toFixed(1)} ms over ${n} loads`);
console.log(`request rows shown: median ${med(rows)} ms, max ${Math.max(...rows)} ms (navigation start to rows, from Node)`);
