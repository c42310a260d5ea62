// Shared helpers of the console's browser tests: start the real `glassgate serve` on the
// fixture, drive the system Chromium with playwright-core, talk to the gateway and to the
// admin API from Node, and a TCP proxy that can really cut the browser's connections.
//
// Every wait is bounded: a server that misbehaves fails a test, it never hangs the suite.
//
// GLASSGATE_BIN names the binary (default target/debug/glassgate); GLASSGATE_CONSOLE_DIR, when
// set, serves console/ from that folder instead of the copy built into the binary.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE = 'tests/console/fixture/template.yaml';
export const SCREENSHOTS = path.join(ROOT, 'target', 'console-screenshots');
const BIN = process.env.GLASSGATE_BIN || 'target/debug/glassgate';
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A sleep that does not keep the process alive (for the deadline side of a race). */
const deadline = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/** Poll `fn` until it answers something truthy, for at most `timeout` ms. */
export async function until(fn, { timeout = 5000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(interval);
  }
}

// ---- the server ---------------------------------------------------------------------------

/**
 * Start `glassgate serve` on the fixture on free ports; resolves once it printed
 * `Admin API on http://HOST:PORT` and then `Listening on http://HOST:PORT`.
 */
export async function startServer({ args = [], timeout = 30000 } = {}) {
  const bin = path.isAbsolute(BIN) ? BIN : path.join(ROOT, BIN);
  // The console built into the binary, unless GLASSGATE_CONSOLE_DIR names a folder to serve
  // it from (the edit-and-reload loop while working on console/).
  const consoleDir = process.env.GLASSGATE_CONSOLE_DIR ? ['--console-dir', process.env.GLASSGATE_CONSOLE_DIR] : [];
  const proc = spawn(bin, ['serve', FIXTURE, '--port', '0', '--log-format', 'off', ...consoleDir, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  let admin = null;
  let gateway = null;
  let exited = null;
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`glassgate did not start within ${timeout} ms:\n${output}`)), timeout);
    const onLine = (line) => {
      const a = /Admin API on (http:\/\/[^\s]+)/.exec(line);
      if (a) admin = a[1].replace(/\/+$/, '');
      const l = /Listening on (http:\/\/[^\s]+)/.exec(line);
      if (l) {
        gateway = l[1].replace(/\/+$/, '');
        clearTimeout(timer);
        if (!admin) reject(new Error(`glassgate printed "Listening on" without "Admin API on" before it:\n${output}`));
        else resolve();
      }
    };
    for (const stream of [proc.stdout, proc.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        output += chunk;
        if (output.length > 200000) output = output.slice(-100000);
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin}: ${e.message} (build it, or set GLASSGATE_BIN)`));
    });
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      clearTimeout(timer);
      reject(new Error(`glassgate exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  try {
    await ready;
  } catch (e) {
    if (!exited) proc.kill('SIGKILL');
    throw e;
  }
  const server = {
    proc,
    admin,
    gateway,
    console: `${admin}/console/`,
    output: () => output,
    async stop() {
      if (exited || proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = await Promise.race([gone.then(() => 'exited'), deadline(5000).then(() => 'timeout')]);
      if (t === 'timeout') {
        proc.kill('SIGKILL');
        await Promise.race([gone, deadline(2000)]);
      }
    },
  };
  return server;
}

/** A request to the gateway; answers status, headers, body text and the request id. */
export async function gw(server, p, { method = 'GET', headers = {}, body } = {}) {
  const res = await fetch(server.gateway + p, { method, headers, body, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text,
    requestId: res.headers.get('x-amzn-requestid'),
    layer: res.headers.get('x-glassgate-layer'),
    cause: res.headers.get('x-glassgate-cause'),
  };
}

/** A call to the admin API from Node (changes carry the admin header). */
export async function admin(server, method, p, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-Glassgate-Admin'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(server.admin + p, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = text; }
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return json;
}

// ---- the browser ----------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Chromium with a fresh profile; `close()` removes the profile. */
export async function launchBrowser() {
  const dir = mkdtempSync(path.join(tmpdir(), 'gg-console-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    timeout: 30000,
  });
  context.setDefaultTimeout(8000);
  const page = context.pages()[0] || await context.newPage();
  return {
    context,
    page,
    async close() {
      await Promise.race([context.close().catch(() => {}), deadline(10000)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Record what a page does: every request URL, console errors and page errors. */
export function watch(page) {
  const seen = { requests: [], errors: [] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const loc = m.location() || {};
    seen.errors.push(`console: ${m.text()} ${loc.url || ''}`);
  });
  page.on('pageerror', (e) => seen.errors.push(`pageerror: ${e.message}`));
  return seen;
}

/** Open the console at `hash` and wait for its stream to be live. */
export async function openConsole(page, base, hash = '#/requests') {
  await page.goto(`${base.replace(/\/+$/, '')}/console/${hash}`, { timeout: 10000 });
  await page.waitForSelector('#stream-state[data-state="live"]', { timeout: 8000 });
}

export async function goto(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true, timeout: 10000 });
}

export const rowSel = (id) => `tr.req[data-request-id="${id}"]`;

// ---- a proxy that can really cut connections ------------------------------------------------

/**
 * A TCP proxy to host:port. `cut()` destroys every open connection and refuses new ones
 * (accepted, then closed at once) until `resume()`. Chromium's offline emulation does not
 * cut a loopback EventSource, this does.
 */
export async function tcpProxy(target) {
  const u = new URL(target);
  let cut = false;
  const pairs = new Set();
  const srv = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(u.port), u.hostname);
    const pair = { client, upstream };
    pairs.add(pair);
    const done = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', done);
    upstream.on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    cut() {
      cut = true;
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
    },
    resume() {
      cut = false;
    },
    connections: () => pairs.size,
    async close() {
      cut = true;
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise((r) => srv.close(() => r()));
    },
  };
}
