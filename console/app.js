// The console's shell: the hash router, the shared state (recent requests, authorizers,
// health), the one event stream, and the header every page shares.

import * as api from './api.js';
import { el, replace, toast, throttle, errorText } from './ui.js';
import * as requestsView from './views/requests.js';
import * as detailView from './views/detail.js';
import * as authorizersView from './views/authorizers.js';
import * as routesView from './views/routes.js';
import * as statusView from './views/status.js';

const KEEP = 1000;

export const state = {
  health: null,
  authorizers: [],
  /** Request summaries, newest first (highest seq first). */
  requests: [],
  keys: new Set(),
  /** Requests at or below this seq were cleared by the user. */
  clearedSeq: null,
  clearedAt: null,
  paused: false,
  filters: { text: '', status: '', layer: '', cause: '', authorizer: '', failures: false },
  streamState: 'connecting',
  loaded: false,
};

let current = null; // the view module on screen
let stream = null;

const ctx = {
  state,
  api,
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  refreshAuthorizers: () => refreshAuthorizers(),
  setAuthorizers(list) {
    state.authorizers = list;
    renderBanner();
  },
  refreshHealth: () => refreshHealth(),
  setPaused(p) {
    state.paused = p;
    renderStreamState();
  },
  clearRequests() {
    const top = state.requests[0];
    state.clearedSeq = top && top.seq !== undefined ? top.seq : state.clearedSeq;
    state.clearedAt = top ? top.receivedAt : state.clearedAt;
    state.requests = [];
    state.keys.clear();
  },
};

// ---- the request store ----------------------------------------------------------------

function keyOf(s) {
  return s.seq !== undefined && s.seq !== null ? `s${s.seq}` : `r${s.requestId}`;
}

function order(a, b) {
  if (a.seq !== undefined && b.seq !== undefined) return b.seq - a.seq;
  return String(b.receivedAt).localeCompare(String(a.receivedAt));
}

/** Add a summary; answers false for one already there (by seq) or cleared. */
export function addSummary(s) {
  if (!s || !s.requestId) return false;
  const k = keyOf(s);
  if (state.keys.has(k)) return false;
  if (state.clearedSeq !== null && s.seq !== undefined && s.seq <= state.clearedSeq) return false;
  if (state.clearedSeq === null && state.clearedAt && s.seq === undefined && s.receivedAt <= state.clearedAt) return false;
  state.keys.add(k);
  const list = state.requests;
  let i = 0;
  while (i < list.length && order(list[i], s) < 0) i++;
  list.splice(i, 0, s);
  while (list.length > KEEP) state.keys.delete(keyOf(list.pop()));
  return true;
}

async function loadRequests() {
  try {
    const list = await api.requests(200);
    const arr = Array.isArray(list) ? list : (list && list.requests) || [];
    for (const s of arr) addSummary(s);
    state.loaded = true;
    state.loadError = null;
  } catch (e) {
    state.loadError = errorText(e);
  }
  if (current && current.onReset) current.onReset();
}

// ---- header --------------------------------------------------------------------------

async function refreshHealth() {
  try {
    state.health = await api.health();
  } catch (e) {
    state.health = null;
  }
  renderHeader();
  return state.health;
}

const refreshAuthorizersSoon = throttle(() => refreshAuthorizers(), 1000);

async function refreshAuthorizers() {
  try {
    const a = await api.authorizers();
    state.authorizers = Array.isArray(a) ? a : [];
  } catch (e) {
    // keep what we had; the header says the stream state
  }
  renderBanner();
  return state.authorizers;
}

function renderHeader() {
  const h = state.health;
  const gw = document.getElementById('gateway-url');
  if (gw) gw.textContent = h && h.gateway ? h.gateway : '—';
  const mode = document.getElementById('fidelity');
  if (mode) {
    if (!h) {
      mode.textContent = '…';
      mode.dataset.faithful = '';
    } else {
      mode.textContent = h.faithful ? 'faithful' : 'diagnostic';
      mode.dataset.faithful = h.faithful ? 'true' : 'false';
      mode.title = h.faithful
        ? 'faithful: answers are exactly AWS\'s, without glassgate\'s diagnostic headers'
        : 'diagnostic: answers carry x-glassgate-* headers and Server-Timing (serve --faithful to turn off)';
    }
  }
}

function renderBanner() {
  const banner = document.getElementById('banner');
  if (!banner) return;
  const odd = state.authorizers.filter((a) => a.mode && a.mode !== 'normal');
  if (!odd.length) {
    banner.hidden = true;
    replace(banner);
    return;
  }
  banner.hidden = false;
  replace(banner, odd.map((a) => el('div', { class: 'banner-line', 'data-authorizer': a.name },
    `authorizer ${a.name}: ${a.mode.toUpperCase()}, `,
    a.mode === 'bypass' ? 'requests are not authorized' : 'every request is allowed without running it',
    ' ', el('a', { href: '#/authorizers' }, 'change'))));
}

function renderStreamState() {
  const pill = document.getElementById('stream-state');
  const s = state.paused && state.streamState === 'live' ? 'paused' : state.streamState;
  if (pill) {
    pill.dataset.state = s;
    pill.textContent = {
      live: 'live', paused: 'paused', connecting: 'connecting', reconnecting: 'reconnecting',
      down: 'disconnected', closed: 'closed',
    }[s] || s;
  }
  updateNotice();
}

function updateNotice() {
  const notice = document.getElementById('stream-notice');
  if (!notice || !stream) return;
  const bad = state.streamState === 'down' ||
    ((state.streamState === 'reconnecting' || state.streamState === 'connecting') && stream.troubleFor() > 2500);
  if (bad) {
    notice.hidden = false;
    notice.textContent = 'The event stream (GET /events) cannot connect: the list is not live. ' +
      'Is glassgate still running? Retrying by itself; what was missed is fetched on reconnect.';
  } else {
    notice.hidden = true;
  }
}

// ---- the event stream ----------------------------------------------------------------

function onEvent(type, data) {
  switch (type) {
    case 'request':
      if (addSummary(data) && current && current.onRequest) current.onRequest(data);
      if (data.authorizer && data.authorizer.mode && data.authorizer.mode !== 'normal' &&
          !state.authorizers.some((a) => a.name === data.authorizer.name && a.mode === data.authorizer.mode)) {
        refreshAuthorizersSoon();
      }
      break;
    case 'mode':
      refreshAuthorizersSoon();
      if (current && current.onMode) current.onMode(data);
      break;
    case 'cache':
      if (current && current.onCache) current.onCache(data);
      break;
    case 'reload':
      toast(`template reloaded${data.template ? `: ${data.template}` : ''}`);
      refreshHealth();
      refreshAuthorizersSoon();
      if (current && current.onReload) current.onReload(data);
      break;
    case 'reset':
      resetStream();
      break;
    default:
      break;
  }
}

async function resetStream() {
  // Events were missed: a new stream (opened first, so nothing falls between the two), then
  // the list again; rows already shown are kept once (by seq).
  stream.close();
  stream.open();
  await loadRequests();
}

function startStream() {
  stream = new api.Stream({
    onEvent,
    onState(s) {
      state.streamState = s;
      renderStreamState();
    },
    onReopen() {
      loadRequests();
      refreshAuthorizers();
    },
  });
  stream.open();
  setInterval(updateNotice, 1000);
}

// ---- router --------------------------------------------------------------------------

function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const parts = h.split('/').filter(Boolean);
  if (!parts.length || parts[0] === 'requests') {
    if (parts.length >= 2) return { view: detailView, name: 'requests', arg: decodeURIComponent(parts.slice(1).join('/')) };
    return { view: requestsView, name: 'requests' };
  }
  if (parts[0] === 'authorizers') return { view: authorizersView, name: 'authorizers' };
  if (parts[0] === 'routes') return { view: routesView, name: 'routes' };
  if (parts[0] === 'status') return { view: statusView, name: 'status' };
  return { view: null, name: parts[0] };
}

function route() {
  const { view, name, arg } = parseHash();
  if (current && current.dispose) current.dispose();
  current = view;
  for (const a of document.querySelectorAll('nav.tabs a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = document.getElementById('view');
  if (!view) {
    replace(main, el('section', { class: 'panel' }, el('h2', null, 'Not found'),
      el('p', null, 'No page here. ', el('a', { href: '#/requests' }, 'Back to the requests'))));
    return;
  }
  let node;
  try {
    node = view.render(ctx, arg);
  } catch (e) {
    node = el('p', { class: 'error-text' }, `This page failed to draw: ${errorText(e)}`);
  }
  replace(main, node);
  document.title = `glassgate · ${name}${arg ? ` ${arg.slice(0, 8)}` : ''}`;
}

function boot() {
  renderHeader();
  renderStreamState();
  window.addEventListener('hashchange', route);
  startStream();
  route();
  refreshHealth();
  refreshAuthorizers();
  loadRequests();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
