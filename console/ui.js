// Small DOM helper and formatters shared by every view. No framework: `el()` builds nodes,
// text always goes in as text (never as HTML), so nothing from the API can inject markup.

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'open', 'htmlFor', 'tabIndex']);

/**
 * el('div', {class: 'x', 'data-seq': 3, onclick: fn}, 'text', child, [more])
 * Attributes: `class`, `data-*`, `aria-*`, any attribute; functions on `on*` keys become
 * listeners; the few properties in PROPS are set as properties. `style` is refused: the
 * console runs under a CSP without 'unsafe-inline', sizes go through `node.style.x = ...`.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (PROPS.has(k)) node[k] = v;
      else if (k === 'style') throw new Error('el(): set styles through CSSOM, not attributes');
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

// ---- formatters -------------------------------------------------------------------------

export function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

/** HH:MM:SS.mmm in local time. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A date and time for the execution log (ISO, UTC, as CloudWatch prints it). */
export function fmtLogTime(iso) {
  if (!iso) return '';
  return String(iso).replace(/(\.\d{3})\d*Z$/, '$1Z');
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const v = Number(ms);
  if (v < 1) return v.toFixed(3);
  if (v < 10) return v.toFixed(2);
  if (v < 100) return v.toFixed(1);
  return String(Math.round(v));
}

export function fmtUs(ms) {
  return `${Math.round(Number(ms) * 1000)} µs`;
}

/** 41 -> "41s", 130 -> "2m 10s", 7300 -> "2h 1m". */
export function fmtAge(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return '—';
  const v = Math.max(0, Number(s));
  if (v < 10) return `${Math.round(v * 10) / 10}s`.replace('.0s', 's');
  if (v < 60) return `${Math.round(v)}s`;
  if (v < 3600) return `${Math.floor(v / 60)}m ${Math.floor(v % 60)}s`;
  return `${Math.floor(v / 3600)}h ${Math.floor((v % 3600) / 60)}m`;
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : '—';
}

/** The badge key of a summary: `ok` when nothing failed, else the layer that answered. */
export function layerKey(s) {
  if (!s) return 'gateway';
  if (s.ok === true || (s.ok === undefined && !s.cause)) return 'ok';
  return s.layer || 'gateway';
}

export const LAYERS = ['ok', 'route', 'authorizer', 'integration', 'backend', 'gateway'];

export function badge(layer, text) {
  return el('span', { class: `badge layer-${layer}`, 'data-layer': layer }, text ?? layer);
}

/** The cache column: `hit 41s`, `miss`, `disabled`, a non-normal mode, or an em dash. */
export function cacheLabel(a) {
  if (!a) return '—';
  if (a.mode && a.mode !== 'normal') return a.mode;
  switch (a.cache) {
    case 'hit': return `hit ${fmtAge(a.cacheAgeS)}`;
    case 'miss': return 'miss';
    case 'disabled': return 'disabled';
    default: return '—';
  }
}

export function statusClass(status) {
  const n = Number(status);
  if (!n) return '';
  return `${Math.floor(n / 100)}xx`;
}

/** Try to parse JSON; on failure say where (character offset, line, column). */
export function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const msg = String(e && e.message || e);
    let pos = null;
    const m = /position (\d+)/.exec(msg);
    if (m) pos = Number(m[1]);
    else {
      const lc = /line (\d+) column (\d+)/.exec(msg);
      if (lc) pos = offsetOf(text, Number(lc[1]), Number(lc[2]));
      else if (/end of (JSON|data) input|Unexpected end/i.test(msg)) pos = text.length;
    }
    return { ok: false, error: msg, pos };
  }
}

function offsetOf(text, line, col) {
  let off = 0;
  for (let i = 1; i < line; i++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) break;
    off = nl + 1;
  }
  return off + col - 1;
}

/** A <pre> showing JSON pretty-printed, or the text with the parse error position marked. */
export function jsonBlock(text, cls = 'code') {
  if (text === null || text === undefined) return el('p', { class: 'muted' }, 'none');
  if (typeof text !== 'string') return el('pre', { class: cls }, JSON.stringify(text, null, 2));
  if (text === '') return el('p', { class: 'muted' }, '(empty)');
  const r = parseJson(text);
  if (r.ok) return el('pre', { class: cls }, JSON.stringify(r.value, null, 2));
  const pos = r.pos === null ? null : Math.min(Math.max(0, r.pos), text.length);
  const pre = el('pre', { class: `${cls} json-invalid` });
  if (pos === null) pre.append(text);
  else {
    pre.append(text.slice(0, pos));
    pre.append(el('mark', { class: 'json-error-at', title: r.error }, text.slice(pos, pos + 1) || '␄'));
    pre.append(text.slice(pos + 1));
  }
  return el('div', { class: 'json-error' },
    el('p', { class: 'error-text' }, `not valid JSON: ${r.error}`), pre);
}

/** A body as text: JSON pretty-printed, base64 said so, truncation said so. */
export function bodyBlock(body, base64, truncated) {
  const parts = [];
  if (base64) parts.push(el('p', { class: 'muted' }, 'binary body, shown in base64'));
  if (truncated) parts.push(el('p', { class: 'warn-text' }, 'body truncated at 64 KB'));
  if (body === null || body === undefined || body === '') parts.push(el('p', { class: 'muted' }, '(empty body)'));
  else if (base64) parts.push(el('pre', { class: 'code' }, body));
  else {
    const r = parseJson(body);
    parts.push(el('pre', { class: 'code' }, r.ok && typeof r.value === 'object' ? JSON.stringify(r.value, null, 2) : body));
  }
  return el('div', { class: 'body-block' }, parts);
}

/** A two-column definition table from [label, value] pairs (null values skipped). */
export function facts(rows, cls = 'facts') {
  const dl = el('dl', { class: cls });
  for (const [k, v] of rows) {
    if (v === undefined) continue;
    dl.append(el('dt', null, k), el('dd', null, v === null ? '—' : v));
  }
  return dl;
}

export function section(title, ...children) {
  return el('section', { class: 'panel' }, el('h2', null, title), children);
}

export function link(hash, text, attrs = {}) {
  return el('a', { href: hash, ...attrs }, text);
}

export function requestHash(id) {
  return `#/requests/${encodeURIComponent(id)}`;
}

// ---- notices ---------------------------------------------------------------------------

let toastTimer = null;
/** A short message at the bottom of the page. */
export function toast(message, kind = 'info') {
  const t = document.getElementById('toast');
  if (!t) return;
  t.className = `toast show toast-${kind}`;
  t.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = 'toast'; }, kind === 'error' ? 6000 : 3000);
}

/** Copy text; answers whether the clipboard took it (the caller also shows the text). */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) {
    // permission refused: the caller shows the text to copy by hand
  }
  return false;
}

/** Calls fn at most once per `ms`, the last call winning (trailing edge). */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  return function throttled(...args) {
    const now = Date.now();
    const wait = last + ms - now;
    if (wait <= 0 && !timer) {
      last = now;
      fn(...args);
      return;
    }
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn(...args);
    }, Math.max(wait, 0));
  };
}

export function errorText(e) {
  if (!e) return 'unknown error';
  if (e.body && e.body.error) return `${e.status}: ${e.body.error}`;
  return e.message || String(e);
}
