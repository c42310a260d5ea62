// #/requests: the live list, newest first, with filters, a layer × cause strip over the last
// five minutes, pause and clear. At most MAX_ROWS rows are in the DOM.

import {
  el, replace, fmtTime, fmtMs, shortId, layerKey, badge, cacheLabel, statusClass, LAYERS, requestHash,
} from '../ui.js';
import { stageBar } from './waterfall.js';

const MAX_ROWS = 500;
const WINDOW_MS = 5 * 60 * 1000;

let ctx = null;
let dom = null;
let selected = -1;
let stripTimer = null;
let onKey = null;
let pendingWhilePaused = 0;

function matches(s, f) {
  if (f.failures && (s.ok === true || (s.ok === undefined && !s.cause))) return false;
  if (f.status && statusClass(s.status) !== f.status) return false;
  if (f.layer && layerKey(s) !== f.layer) return false;
  if (f.cause && (s.cause || '') !== f.cause) return false;
  if (f.authorizer && !(s.authorizer && s.authorizer.name === f.authorizer)) return false;
  if (f.text) {
    const hay = [s.requestId, s.extendedRequestId, s.method, s.path, s.route, s.status, s.errorType,
      s.layer, s.cause, s.api, s.authorizer && s.authorizer.name].filter(Boolean).join(' ').toLowerCase();
    for (const word of f.text.toLowerCase().split(/\s+/).filter(Boolean)) {
      if (!hay.includes(word)) return false;
    }
  }
  return true;
}

function row(s) {
  const layer = layerKey(s);
  const a = s.authorizer;
  const href = requestHash(s.requestId);
  const cache = cacheLabel(a);
  return el('tr', {
    class: ['req', s.ok === false && 'failed-row'],
    'data-seq': s.seq,
    'data-request-id': s.requestId,
    'data-href': href,
  },
  el('td', { class: 'c-time' }, fmtTime(s.receivedAt)),
  el('td', { class: 'c-id' }, el('a', { href, title: s.requestId }, shortId(s.requestId)),
    s.replayOf ? el('span', { class: 'tag tag-replay', title: `replay of ${s.replayOf}` }, 'replay') : null),
  el('td', { class: 'c-method' }, s.method),
  el('td', { class: 'c-path', title: s.path }, s.path),
  el('td', { class: 'c-route' }, s.route || el('span', { class: 'muted' }, 'no route')),
  el('td', { class: `c-status st-${statusClass(s.status)}` }, String(s.status ?? '—'),
    s.errorType ? el('span', { class: 'errtype' }, ` ${s.errorType}`) : null),
  el('td', { class: 'c-layer' }, badge(layer)),
  el('td', { class: 'c-cause' }, s.cause || ''),
  el('td', { class: ['c-cache', a && a.mode && a.mode !== 'normal' && 'cache-mode'], 'data-cache': a ? (a.mode !== 'normal' ? a.mode : a.cache) : 'none' }, cache),
  el('td', { class: 'c-latency' }, fmtMs(s.latencyMs)),
  el('td', { class: 'c-bar' }, stageBar(s)));
}

function visible() {
  const f = ctx.state.filters;
  const out = [];
  for (const s of ctx.state.requests) {
    if (matches(s, f)) {
      out.push(s);
      if (out.length >= MAX_ROWS) break;
    }
  }
  return out;
}

function renderRows() {
  if (!dom) return;
  const list = visible();
  const frag = document.createDocumentFragment();
  for (const s of list) frag.append(row(s));
  replace(dom.tbody, frag);
  selected = -1;
  renderEmpty(list.length);
  renderCount();
}

function renderEmpty(n) {
  const st = ctx.state;
  if (n) {
    dom.empty.hidden = true;
    return;
  }
  dom.empty.hidden = false;
  if (st.loadError) dom.empty.textContent = `Could not load the requests: ${st.loadError}`;
  else if (!st.loaded) dom.empty.textContent = 'Loading…';
  else if (st.requests.length) dom.empty.textContent = 'No request matches the filters.';
  else {
    const gw = st.health && st.health.gateway;
    dom.empty.textContent = gw
      ? `No requests yet. Send one to ${gw} and it shows up here.`
      : 'No requests yet. Send one to the gateway and it shows up here.';
  }
}

function renderCount() {
  const shown = dom.tbody.childElementCount;
  const all = ctx.state.requests.length;
  dom.count.textContent = `${shown} shown of ${all} kept` +
    (ctx.state.paused && pendingWhilePaused ? `, ${pendingWhilePaused} new while paused` : '');
}

// ---- the layer × cause strip ------------------------------------------------------------

function renderStrip() {
  if (!dom) return;
  const since = Date.now() - WINDOW_MS;
  const counts = new Map();
  for (const s of ctx.state.requests) {
    const t = Date.parse(s.receivedAt);
    if (!Number.isNaN(t) && t < since) break;
    const layer = layerKey(s);
    const k = `${layer}\u0000${s.cause || ''}`;
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  const items = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const f = ctx.state.filters;
  replace(dom.strip,
    el('span', { class: 'strip-title' }, 'last 5 min'),
    items.length ? null : el('span', { class: 'muted' }, 'nothing yet'),
    items.map(([k, n]) => {
      const [layer, cause] = k.split('\u0000');
      const active = f.layer === layer && f.cause === cause;
      return el('button', {
        type: 'button',
        class: ['strip-item', active && 'active'],
        'data-layer': layer,
        'data-cause': cause,
        'aria-pressed': active ? 'true' : 'false',
        title: active ? 'click to clear this filter' : 'click to show only these',
        onclick: () => {
          if (active) setFilters({ layer: '', cause: '' });
          else setFilters({ layer, cause });
        },
      }, badge(layer), cause ? ` ${cause}` : '', el('span', { class: 'strip-n' }, String(n)));
    }));
}

// ---- filters ----------------------------------------------------------------------------

function setFilters(patch) {
  Object.assign(ctx.state.filters, patch);
  syncControls();
  renderRows();
  renderStrip();
}

function option(value, text, current) {
  return el('option', { value, selected: value === current }, text);
}

function causeOptions() {
  const causes = new Set();
  for (const s of ctx.state.requests) if (s.cause) causes.add(s.cause);
  if (ctx.state.filters.cause) causes.add(ctx.state.filters.cause);
  return [...causes].sort();
}

function authorizerOptions() {
  const names = new Set(ctx.state.authorizers.map((a) => a.name));
  for (const s of ctx.state.requests) if (s.authorizer && s.authorizer.name) names.add(s.authorizer.name);
  if (ctx.state.filters.authorizer) names.add(ctx.state.filters.authorizer);
  return [...names].sort();
}

function syncControls() {
  if (!dom) return;
  const f = ctx.state.filters;
  if (dom.text.value !== f.text) dom.text.value = f.text;
  dom.status.value = f.status;
  dom.layer.value = f.layer;
  replace(dom.cause, option('', 'any cause', f.cause), causeOptions().map((c) => option(c, c, f.cause)));
  replace(dom.authorizer, option('', 'any authorizer', f.authorizer),
    authorizerOptions().map((c) => option(c, c, f.authorizer)));
  dom.failures.checked = f.failures;
}

function refreshOptionsLater() {
  // New causes and authorizers show up in the selects (cheap, but not on every event).
  if (dom && !dom.optTimer) {
    dom.optTimer = setTimeout(() => {
      if (!dom) return;
      dom.optTimer = null;
      const f = ctx.state.filters;
      const have = new Set([...dom.cause.options].map((o) => o.value));
      if (causeOptions().some((c) => !have.has(c))) {
        replace(dom.cause, option('', 'any cause', f.cause), causeOptions().map((c) => option(c, c, f.cause)));
      }
      const haveA = new Set([...dom.authorizer.options].map((o) => o.value));
      if (authorizerOptions().some((c) => !haveA.has(c))) {
        replace(dom.authorizer, option('', 'any authorizer', f.authorizer),
          authorizerOptions().map((c) => option(c, c, f.authorizer)));
      }
    }, 500);
  }
}

// ---- keyboard ----------------------------------------------------------------------------

function select(i) {
  const rows = dom.tbody.children;
  if (!rows.length) return;
  if (selected >= 0 && rows[selected]) {
    rows[selected].classList.remove('selected');
    rows[selected].removeAttribute('aria-selected');
  }
  selected = Math.max(0, Math.min(rows.length - 1, i));
  const r = rows[selected];
  r.classList.add('selected');
  r.setAttribute('aria-selected', 'true');
  r.scrollIntoView({ block: 'nearest' });
  const a = r.querySelector('a');
  if (a) a.focus({ preventScroll: true });
}

function keyHandler(e) {
  if (!dom || e.ctrlKey || e.metaKey || e.altKey) return;
  const tag = e.target && e.target.tagName;
  const typing = tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
  if (e.key === '/' && !typing) {
    e.preventDefault();
    dom.text.focus();
    dom.text.select();
    return;
  }
  if (e.key === 'Escape' && e.target === dom.text) {
    e.preventDefault();
    if (dom.text.value || ctx.state.filters.text) setFilters({ text: '' });
    else dom.text.blur();
    return;
  }
  if (typing) return;
  if (e.key === 'j' || e.key === 'ArrowDown') {
    e.preventDefault();
    select(selected + 1);
  } else if (e.key === 'k' || e.key === 'ArrowUp') {
    e.preventDefault();
    select(selected - 1);
  } else if ((e.key === 'Enter' || e.key === 'o') && selected >= 0) {
    const r = dom.tbody.children[selected];
    if (r) {
      e.preventDefault();
      ctx.navigate(r.dataset.href);
    }
  }
}

// ---- render -------------------------------------------------------------------------------

export function render(c) {
  ctx = c;
  const f = ctx.state.filters;
  pendingWhilePaused = 0;
  const text = el('input', {
    type: 'search', id: 'filter-text', class: 'filter-text', placeholder: 'filter: id, path, route, cause…  ( / )',
    'aria-label': 'filter the requests', value: f.text,
    oninput: () => setFilters({ text: text.value }),
    onsearch: () => setFilters({ text: text.value }),
  });
  const status = el('select', { id: 'filter-status', 'aria-label': 'status class', onchange: () => setFilters({ status: status.value }) },
    option('', 'any status', f.status), ['2xx', '3xx', '4xx', '5xx'].map((s) => option(s, s, f.status)));
  const layer = el('select', { id: 'filter-layer', 'aria-label': 'layer', onchange: () => setFilters({ layer: layer.value }) },
    option('', 'any layer', f.layer), LAYERS.map((l) => option(l, l, f.layer)));
  const cause = el('select', { id: 'filter-cause', 'aria-label': 'cause', onchange: () => setFilters({ cause: cause.value }) });
  const authorizer = el('select', { id: 'filter-authorizer', 'aria-label': 'authorizer', onchange: () => setFilters({ authorizer: authorizer.value }) });
  const failures = el('input', { type: 'checkbox', id: 'filter-failures', checked: f.failures, onchange: () => setFilters({ failures: failures.checked }) });
  const pause = el('button', { type: 'button', id: 'pause', class: 'btn', 'aria-pressed': ctx.state.paused ? 'true' : 'false',
    onclick: () => {
      ctx.setPaused(!ctx.state.paused);
      pause.textContent = ctx.state.paused ? 'Resume' : 'Pause';
      pause.setAttribute('aria-pressed', ctx.state.paused ? 'true' : 'false');
      if (!ctx.state.paused) {
        pendingWhilePaused = 0;
        renderRows();
        renderStrip();
      }
      renderCount();
    } }, ctx.state.paused ? 'Resume' : 'Pause');
  const clearBtn = el('button', { type: 'button', id: 'clear', class: 'btn', title: 'clear the list (the gateway keeps its history)',
    onclick: () => {
      ctx.clearRequests();
      renderRows();
      renderStrip();
    } }, 'Clear');
  const reset = el('button', { type: 'button', class: 'btn btn-link', title: 'show every request again',
    onclick: () => setFilters({ text: '', status: '', layer: '', cause: '', authorizer: '', failures: false }) }, 'reset filters');
  const tbody = el('tbody', { id: 'request-rows' });
  tbody.addEventListener('click', (e) => {
    if (e.target.closest('a')) return;
    const tr = e.target.closest('tr.req');
    if (tr) ctx.navigate(tr.dataset.href);
  });
  const table = el('table', { class: 'requests', id: 'requests' },
    el('thead', null, el('tr', null,
      ['time', 'id', 'method', 'path', 'route', 'status', 'layer', 'cause', 'cache', 'ms', 'stages']
        .map((h) => el('th', { scope: 'col' }, h)))),
    tbody);
  const empty = el('p', { class: 'empty muted', id: 'requests-empty' }, 'Loading…');
  const count = el('span', { class: 'count muted', id: 'requests-count' });
  const strip = el('div', { class: 'strip', id: 'strip', role: 'group', 'aria-label': 'layer and cause over the last 5 minutes' });
  const node = el('div', { class: 'page page-requests' },
    el('div', { class: 'toolbar' }, text, status, layer, cause, authorizer,
      el('label', { class: 'check' }, failures, ' failures only'), pause, clearBtn, reset, count),
    strip,
    el('div', { class: 'table-wrap' }, table),
    empty,
    el('p', { class: 'hint muted' }, 'keys: j / k move, Enter opens, / filters'));
  dom = { node, text, status, layer, cause, authorizer, failures, tbody, empty, count, strip, pause };
  syncControls();
  renderRows();
  renderStrip();
  stripTimer = setInterval(renderStrip, 10000);
  onKey = keyHandler;
  document.addEventListener('keydown', onKey);
  return node;
}

/** A new summary from the stream (already in the store). */
export function onRequest(s) {
  if (!dom) return;
  refreshOptionsLater();
  if (ctx.state.paused) {
    pendingWhilePaused++;
    renderCount();
    return;
  }
  scheduleStrip();
  if (!matches(s, ctx.state.filters)) {
    renderCount();
    return;
  }
  const first = dom.tbody.firstElementChild;
  const firstSeq = first ? Number(first.dataset.seq) : -Infinity;
  if (s.seq !== undefined && first && !(s.seq > firstSeq)) {
    renderRows(); // arrived out of order (a backfill): redraw in order
    return;
  }
  dom.tbody.prepend(row(s));
  if (selected >= 0) selected++;
  while (dom.tbody.childElementCount > MAX_ROWS) dom.tbody.lastElementChild.remove();
  dom.empty.hidden = true;
  renderCount();
}

let stripPending = false;
function scheduleStrip() {
  if (stripPending) return;
  stripPending = true;
  setTimeout(() => {
    stripPending = false;
    renderStrip();
  }, 250);
}

/** The store was refetched (first load, reset, reconnect). */
export function onReset() {
  if (!dom) return;
  syncControls();
  renderRows();
  renderStrip();
}

export function onMode() {
  if (dom) refreshOptionsLater();
}

export function dispose() {
  clearInterval(stripTimer);
  if (dom && dom.optTimer) clearTimeout(dom.optTimer);
  if (onKey) document.removeEventListener('keydown', onKey);
  onKey = null;
  dom = null;
}
