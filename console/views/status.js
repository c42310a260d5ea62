// #/status: GET /health: version, uptime, template, and per function its pool.

import { el, replace, fmtAge, fmtMs, facts, errorText } from '../ui.js';

let timer = null;
let token = 0;

function fnRows(functions) {
  return Object.entries(functions || {}).map(([name, f]) => {
    const q = f.queueWaitMs || {};
    return el('tr', { 'data-function': name, class: f.unhealthy ? 'unhealthy' : null },
      el('th', { scope: 'row' }, name),
      el('td', null, String(f.live ?? '—')),
      el('td', null, String(f.busy ?? '—')),
      el('td', null, String(f.idle ?? '—')),
      el('td', null, String(f.starting ?? '—')),
      el('td', null, String(f.queued ?? '—')),
      el('td', null, String(f.started ?? '—')),
      el('td', null, String(f.reaped ?? '—')),
      el('td', null, String(f.ended ?? '—')),
      el('td', null, String(f.invocations ?? '—')),
      el('td', null, q.samples ? `${fmtMs(q.p50)} / ${fmtMs(q.p99)}` : '—'),
      el('td', null, f.lastStart ? `${f.lastStart.reason} (${fmtAge(f.lastStart.secondsAgo)} ago)` : '—'),
      el('td', { class: f.lastExit ? 'last-exit' : 'muted' }, f.lastExit
        ? `pid ${f.lastExit.pid ?? '?'}: ${f.lastExit.exit} (${fmtAge(f.lastExit.secondsAgo)} ago)` : '—'),
      el('td', { class: f.unhealthy ? 'error-text' : 'muted' }, f.unhealthy
        ? `${f.unhealthy.error} (${f.unhealthy.initFailures} failed inits${f.unhealthy.retryInSeconds ? `, retry in ${fmtAge(f.unhealthy.retryInSeconds)}` : ''})`
        : 'healthy'));
  });
}

function draw(body, h) {
  replace(body, el('section', { class: 'panel' },
    facts([
      ['status', h.status],
      ['version', h.version],
      ['uptime', h.uptimeS === undefined ? undefined : fmtAge(h.uptimeS)],
      ['template', h.template ? el('code', null, h.template) : null],
      ['mode', h.faithful === undefined ? undefined : (h.faithful ? 'faithful' : 'diagnostic')],
      ['gateway', h.gateway ? el('code', null, h.gateway) : undefined],
      ['admin', h.admin ? el('code', null, h.admin) : undefined],
    ])),
    el('section', { class: 'panel' }, el('h2', null, 'Functions'),
    el('table', { class: 'functions', id: 'functions-table' },
      el('thead', null, el('tr', null, ['function', 'live', 'busy', 'idle', 'starting', 'queued', 'started', 'reaped', 'ended',
        'invocations', 'queue wait p50 / p99 ms', 'last start', 'last exit', 'health'].map((x) => el('th', { scope: 'col' }, x)))),
      el('tbody', null, fnRows(h.functions)))));
}

export function render(ctx) {
  const my = ++token;
  const body = el('div', { class: 'status-body' }, el('p', { class: 'muted' }, 'Loading…'));
  const node = el('div', { class: 'page page-status' }, el('h1', null, 'Status'), body);
  const load = async () => {
    try {
      const h = await ctx.refreshHealth();
      if (my !== token) return;
      if (!h) throw new Error('GET /health did not answer');
      draw(body, h);
    } catch (e) {
      if (my === token) replace(body, el('p', { class: 'error-text' }, `Could not load the status: ${errorText(e)}`));
    }
  };
  load();
  clearInterval(timer);
  timer = setInterval(load, 3000);
  return node;
}

export function dispose() {
  token++;
  clearInterval(timer);
  timer = null;
}
