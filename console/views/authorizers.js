// #/authorizers: a card per authorizer: its settings, the mode switch, counts, the cache
// entries with their TTL counting down, flush per entry / authorizer / all, and a
// test-invoke form (as TestInvokeAuthorizer).

import { el, replace, fmtAge, fmtMs, facts, toast, errorText, throttle, jsonBlock } from '../ui.js';

let ctx = null;
let dom = null;
let tick = null;
let fetchedAt = 0;
let refreshSoon = null;

export function render(c) {
  ctx = c;
  const cards = el('div', { class: 'cards', id: 'authorizer-cards' }, el('p', { class: 'muted' }, 'Loading…'));
  const flushAll = el('button', { type: 'button', class: 'btn btn-danger', id: 'flush-all', title: 'DELETE /authorizers/cache (as FlushStageAuthorizersCache)' }, 'Flush all caches');
  flushAll.addEventListener('click', async () => {
    flushAll.disabled = true;
    try {
      const r = await ctx.api.flushAll();
      toast(`flushed every authorizer cache${r && r.flushed !== undefined ? ` (${r.flushed} entries)` : ''}`);
      await refresh();
    } catch (e) {
      toast(`flush failed: ${errorText(e)}`, 'error');
    } finally {
      flushAll.disabled = false;
    }
  });
  const node = el('div', { class: 'page page-authorizers' },
    el('div', { class: 'toolbar' }, el('h1', null, 'Authorizers'), flushAll),
    cards);
  dom = { node, cards, byName: new Map() };
  refreshSoon = throttle(() => refresh(), 1000);
  refresh();
  tick = setInterval(countDown, 1000);
  return node;
}

async function refresh() {
  if (!dom) return;
  let list;
  try {
    list = await ctx.api.authorizers();
  } catch (e) {
    if (dom) replace(dom.cards, el('p', { class: 'error-text' }, `Could not load the authorizers: ${errorText(e)}`));
    return;
  }
  if (!dom) return;
  list = Array.isArray(list) ? list : [];
  ctx.setAuthorizers(list);
  fetchedAt = performance.now();
  if (!list.length) {
    dom.byName.clear();
    replace(dom.cards, el('p', { class: 'muted' }, 'This template has no Lambda authorizer.'));
    return;
  }
  const names = new Set(list.map((a) => a.name));
  if (![...dom.byName.keys()].every((n) => names.has(n)) || dom.byName.size !== names.size) {
    dom.byName.clear();
    replace(dom.cards);
  }
  for (const a of list) {
    let card = dom.byName.get(a.name);
    if (!card) {
      card = makeCard(a);
      dom.byName.set(a.name, card);
      dom.cards.append(card.node);
    }
    fillCard(card, a);
  }
}

function makeCard(a) {
  const settings = el('div', { class: 'settings' });
  const mode = el('div', { class: 'mode-switch', role: 'group', 'aria-label': `mode of ${a.name}` });
  const counts = el('div', { class: 'counts' });
  const entries = el('div', { class: 'entries' });
  const flush = el('button', { type: 'button', class: 'btn btn-danger btn-small flush-authorizer', title: `DELETE /authorizers/${a.name}/cache` }, `Flush ${a.name} cache`);
  flush.addEventListener('click', async () => {
    flush.disabled = true;
    try {
      await ctx.api.flushAuthorizer(a.name);
      toast(`flushed the cache of ${a.name}`);
      await refresh();
    } catch (e) {
      toast(`flush failed: ${errorText(e)}`, 'error');
    } finally {
      flush.disabled = false;
    }
  });
  const node = el('section', { class: 'panel card authorizer-card', 'data-authorizer': a.name },
    el('h2', null, a.name, ' ', el('span', { class: 'muted' }, `${a.type || ''} · ${a.api || ''}${a.function ? ` · ${a.function}` : ''}`)),
    settings,
    el('h3', null, 'Mode'), mode,
    el('h3', null, 'Counts'), counts,
    el('div', { class: 'entries-head' }, el('h3', null, 'Cache'), flush),
    entries,
    testForm(a));
  return { node, settings, mode, counts, entries, name: a.name };
}

function fillCard(card, a) {
  replace(card.settings, facts([
    ['type', a.type],
    ['identity sources', a.identitySources && a.identitySources.length ? a.identitySources.join(', ') : '—'],
    ['validation expression', a.validationExpression ? el('code', null, a.validationExpression) : null],
    ['TTL', a.ttlS === undefined ? undefined : `${a.ttlS} s${a.ttlS === 0 ? ' (caching off)' : ''}`],
    ['function', a.function],
    ['API', a.apiId ? `${a.api} (${a.apiId})` : a.api],
  ]));
  card.node.dataset.mode = a.mode;
  fillMode(card, a);
  fillCounts(card, a.counts);
  fillEntries(card, a);
}

function fillMode(card, a) {
  if (!card.principal) {
    card.principal = el('input', { class: 'allow-principal', placeholder: 'principalId for allow', 'aria-label': 'principalId for allow mode' });
    card.modeButtons = el('span', { class: 'mode-buttons' });
    card.modeNote = el('span', { class: 'mode-note' });
    replace(card.mode, card.modeButtons, card.principal, card.modeNote);
  }
  const buttons = ['normal', 'bypass', 'allow'].map((m) => {
    const b = el('button', {
      type: 'button', class: ['btn', 'mode-btn', `mode-btn-${m}`, a.mode === m && 'active'], 'data-mode': m,
      'aria-pressed': a.mode === m ? 'true' : 'false',
      title: {
        normal: 'run the authorizer (and its cache) as AWS does',
        bypass: 'skip the authorizer: every request passes unauthorized',
        allow: 'skip the authorizer and allow every request as a stand-in principal',
      }[m],
    }, m);
    b.addEventListener('click', () => switchMode(a, m, card.principal.value.trim()));
    return b;
  });
  replace(card.modeButtons, buttons);
  replace(card.modeNote, a.mode !== 'normal'
    ? el('span', { class: 'mode-warning' }, a.mode === 'allow'
      ? `ALLOW: every request is allowed${a.allowPrincipalId ? ` as principal ${a.allowPrincipalId}` : ''}, the authorizer does not run`
      : 'BYPASS: requests are not authorized')
    : null);
}

async function switchMode(a, mode, principalId) {
  if (mode === a.mode) return;
  if (a.mode === 'normal' && mode !== 'normal') {
    const ok = window.confirm(`Switch authorizer ${a.name} to ${mode.toUpperCase()}? Its function will not run: ` +
      (mode === 'bypass' ? 'requests pass unauthorized.' : 'every request is allowed.'));
    if (!ok) return;
  }
  const body = { mode };
  if (mode === 'allow' && principalId) body.principalId = principalId;
  try {
    await ctx.api.setMode(a.name, body);
    toast(`authorizer ${a.name}: ${mode}`);
  } catch (e) {
    toast(`mode change failed: ${errorText(e)}`, 'error');
  }
  await refresh();
}

function fillCounts(card, c) {
  if (!c) {
    replace(card.counts, el('p', { class: 'muted' }, 'no counts'));
    return;
  }
  const failures = c.failures && Object.keys(c.failures).length
    ? Object.entries(c.failures).map(([k, n]) => `${k} ${n}`).join(', ') : 'none';
  replace(card.counts, el('dl', { class: 'facts counts-list' },
    ['requests', 'invocations', 'hits', 'misses'].map((k) => [el('dt', null, k), el('dd', { 'data-count': k }, String(c[k] ?? 0))]),
    el('dt', null, 'failures'), el('dd', { 'data-count': 'failures' }, failures)));
}

function fillEntries(card, a) {
  const entries = a.entries || [];
  if (!entries.length) {
    replace(card.entries, el('p', { class: 'muted empty-cache' }, a.ttlS === 0 ? 'caching is off (TTL 0)' : 'no cache entries'));
    return;
  }
  const rows = entries.map((e) => {
    const ttl = el('td', { class: 'ttl-left', 'data-ttl-left': e.ttlLeftS }, fmtAge(e.ttlLeftS));
    const flush = el('button', { type: 'button', class: 'btn btn-small btn-danger flush-entry', 'aria-label': `flush entry ${e.id || ''}` }, 'flush');
    flush.disabled = !e.id;
    flush.addEventListener('click', async () => {
      flush.disabled = true;
      try {
        await ctx.api.flushEntry(a.name, e.id);
        toast(`flushed cache entry ${e.id}`);
        await refresh();
      } catch (err) {
        flush.disabled = false;
        toast(`flush failed: ${errorText(err)}`, 'error');
      }
    });
    return el('tr', { class: 'cache-entry', 'data-entry-id': e.id },
      el('td', null, el('code', null, (e.key || []).join(', '))),
      el('td', null, e.principalId ?? (e.isAuthorized !== null && e.isAuthorized !== undefined ? `isAuthorized: ${e.isAuthorized}` : '—')),
      el('td', null, policySummary(e)),
      el('td', null, fmtAge(e.ageS)),
      ttl,
      el('td', null, flush));
  });
  replace(card.entries, el('table', { class: 'cache-table' },
    el('thead', null, el('tr', null, ['key', 'principalId', 'policy', 'age', 'TTL left', ''].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', null, rows)));
}

function policySummary(e) {
  const lines = e.policy || [];
  return el('div', { class: 'policy-summary' },
    lines.length ? el('ul', { class: 'policy-lines' }, lines.map((p) => el('li', null, el('code', null, p))))
      : el('span', { class: 'muted' }, e.isAuthorized !== null && e.isAuthorized !== undefined ? 'simple response' : 'no statements'),
    e.exactMethodArn ? el('span', { class: 'warn-text exact-arn', title: `the policy allows only ${e.builtForMethodArn || 'the method ARN it was built for'}: other routes get 403 from the cache` }, 'exact method ARN ⚠') : null,
    e.builtForMethodArn ? el('div', { class: 'muted built-for' }, 'built for ', el('code', null, e.builtForMethodArn)) : null);
}

function countDown() {
  if (!dom) return;
  const elapsed = (performance.now() - fetchedAt) / 1000;
  let expired = false;
  for (const td of dom.cards.querySelectorAll('td.ttl-left')) {
    const left = Number(td.dataset.ttlLeft) - elapsed;
    if (left <= 0) {
      td.textContent = 'expired';
      td.classList.add('expired');
      expired = true;
    } else td.textContent = fmtAge(left);
  }
  if (expired && refreshSoon) refreshSoon();
}

// ---- test invoke ---------------------------------------------------------------------

function parseLines(text, sep) {
  const out = {};
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l) continue;
    const i = l.indexOf(sep);
    if (i < 0) out[l] = '';
    else out[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return out;
}

function testForm(a) {
  const source = (a.identitySources || [])[0] || '';
  const hm = /header\.(.+)$/.exec(source);
  const method = el('input', { name: 'method', value: 'GET', size: 7, 'aria-label': 'method' });
  const path = el('input', { name: 'path', value: '/', 'aria-label': 'path', class: 'wide' });
  const headers = el('textarea', { name: 'headers', rows: 3, 'aria-label': 'headers, one Name: value per line',
    placeholder: 'Name: value, one per line', value: hm ? `${hm[1]}: ` : '' });
  const query = el('textarea', { name: 'query', rows: 2, 'aria-label': 'query, one name=value per line', placeholder: 'name=value, one per line' });
  const out = el('div', { class: 'test-result', 'aria-live': 'polite' });
  const send = el('button', { type: 'submit', class: 'btn btn-primary' }, 'Test authorizer');
  const form = el('form', { class: 'test-invoke' },
    el('h3', null, 'Test authorizer'),
    el('p', { class: 'muted' }, 'Runs the authorizer alone, without its cache (as TestInvokeAuthorizer).'),
    el('div', { class: 'form-line' }, el('label', null, 'method ', method), el('label', { class: 'grow' }, 'path ', path)),
    el('div', { class: 'form-line' }, el('label', { class: 'grow' }, 'headers', headers), el('label', { class: 'grow' }, 'query', query)),
    send, out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    send.disabled = true;
    const body = {
      method: method.value.trim() || 'GET',
      path: path.value.trim() || '/',
      headers: parseLines(headers.value, ':'),
      query: parseLines(query.value, '='),
    };
    try {
      const r = await ctx.api.testInvokeAuthorizer(a.name, body);
      replace(out, testResult(r));
    } catch (err) {
      replace(out, el('p', { class: 'error-text' }, `test invoke failed: ${errorText(err)}`));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

function testResult(r) {
  const log = Array.isArray(r.log) ? r.log.map((l) => (typeof l === 'string' ? l : `${l.time || ''} ${l.message || ''}`)).join('\n') : r.log;
  const policy = r.policy;
  const status = r.clientStatus;
  return el('div', { class: 'test-answer' },
    facts([
      ['clientStatus', el('span', null, el('strong', { class: 'client-status', 'data-status': status }, String(status ?? '—')),
        status === 0 ? el('span', { class: 'muted' }, ' (the authorizer allowed it: AWS reports 0)') : null)],
      ['principalId', r.principalId ?? null],
      ['decision', r.decision === undefined ? undefined : r.decision],
      ['cause', r.cause ? el('code', null, r.cause) : null],
      ['detail', r.detail ? r.detail : undefined],
      ['latency', r.latency !== undefined ? `${fmtMs(r.latency)} ms` : (r.latencyMs !== undefined ? `${fmtMs(r.latencyMs)} ms` : undefined)],
    ]),
    policy ? el('div', null, el('h4', null, 'policy'), Array.isArray(policy)
      ? (policy.length ? el('ul', { class: 'policy-lines' }, policy.map((p) => el('li', null, el('code', null, typeof p === 'string' ? p : JSON.stringify(p)))))
        : el('p', { class: 'muted' }, 'no statements'))
      : jsonBlock(typeof policy === 'string' ? policy : JSON.stringify(policy))) : null,
    r.context ? el('div', null, el('h4', null, 'context'), jsonBlock(JSON.stringify(r.context))) : null,
    r.rawResult ? el('div', null, el('h4', null, 'raw result'), jsonBlock(r.rawResult)) : null,
    log ? el('div', null, el('h4', null, 'log'), el('pre', { class: 'code' }, log)) : null);
}

// ---- live ----------------------------------------------------------------------------

export function onCache() {
  if (refreshSoon) refreshSoon();
}

export function onMode() {
  if (refreshSoon) refreshSoon();
}

export function onRequest() {
  if (refreshSoon) refreshSoon();
}

export function onReload() {
  if (refreshSoon) refreshSoon();
}

export function onReset() {
  if (refreshSoon) refreshSoon();
}

export function dispose() {
  clearInterval(tick);
  tick = null;
  dom = null;
  refreshSoon = null;
}
