// First paint of the console on loopback: release `serve`s of the console tests' fixture, the
// console opened N times in fresh pages of headless Chromium, the browser's own
// first-contentful-paint and the time until the request list shows its rows.
//
// This VM's Chromium is slow and noisy (a page with one line of text and nothing else takes
// 60-110 ms to its first paint), so every variant is loaded in turn, load by load, in one run,
// beside that floor page served the same way: the difference to the floor is the console's own
// cost, the rest is the browser's.
//
// Usage: GLASSGATE_BIN=target/release/glassgate node bench/console_paint.mjs [N] [DIR ...]
//   N      loads of each variant (default 20)
//   DIR    a console/ folder to serve with --console-dir (default: the console built into the
//          binary); several DIRs compare builds of the console side by side
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, gw } from '../tests/console/harness.mjs';

const n = Number(process.argv[2] || 20);
const dirs = process.argv.slice(3);

// The floor: the console's header text alone, no style sheet, no script.
const floorDir = mkdtempSync(path.join(tmpdir(), 'gg-paint-floor-'));
writeFileSync(path.join(floorDir, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8">'
  + '<title>glassgate console</title></head><body><header><a href="#/requests">glassgate</a></header>'
  + '<table><tr class="req"><td>floor</td></tr></table></body></html>\n');

const variants = [
  ...(dirs.length ? dirs.map((d) => ({ name: d, args: ['--console-dir', path.resolve(d)] })) : [{ name: 'built-in console', args: [] }]),
  { name: 'floor (one line of text)', args: ['--console-dir', floorDir], floor: true },
];
for (const v of variants) {
  v.server = await startServer({ args: v.args });
  v.paints = [];
  v.rows = [];
  for (const token of ['alice-token', 'crash-token', 'nope']) {
    await gw(v.server, '/orders', { headers: { Authorization: `Bearer ${token}` } });
  }
}
const browser = await launchBrowser();
for (let i = 0; i < n; i++) {
  // Alternate the order too, so that neither variant always follows the other.
  const order = i % 2 ? [...variants].reverse() : variants;
  for (const v of order) {
    const page = await browser.context.newPage();
    const t0 = Date.now();
    await page.goto(`${v.server.admin}/console/#/requests`);
    await page.waitForSelector('tr.req');
    v.rows.push(Date.now() - t0);
    v.paints.push(await page.evaluate(() => new Promise((resolve) => {
      // The entry can land a frame after the rows: wait for it rather than read NaN.
      const get = () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
      const t = get();
      if (t !== undefined) return resolve(t);
      new PerformanceObserver(() => resolve(get())).observe({ type: 'paint', buffered: true });
    })));
    await page.close();
  }
}
await browser.close();
for (const v of variants) await v.server.stop();
rmSync(floorDir, { recursive: true, force: true });

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const q = (xs, p) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const floor = variants.find((v) => v.floor);
const version = execFileSync(process.env.CHROMIUM_BIN || '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
console.log(`${n} loads of each, interleaved; ${version.toString().trim()}`);
console.log('| variant | first paint median | p90 | max | median - floor | rows shown median |');
console.log('|---|---|---|---|---|---|');
for (const v of variants) {
  const m = q(v.paints, 0.5);
  console.log(`| ${v.name} | ${m.toFixed(1)} ms | ${q(v.paints, 0.9).toFixed(1)} ms | ${Math.max(...v.paints).toFixed(1)} ms | ${v.floor ? '-' : `${(m - q(floor.paints, 0.5)).toFixed(1)} ms`} | ${v.floor ? '-' : `${q(v.rows, 0.5)} ms`} |`);
}
