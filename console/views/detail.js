// #/requests/{id}: one request whole. The verdict and the diagnosis, the waterfall, the
// authorizer (masked identity, raw result, the policy checked against the method ARN, the
// cache entry), the processes, the upstream, tabs, and the actions (replay, edit and replay,
// copy as curl, flush the cache entry).

import {
  el, replace, fmtTime, fmtLogTime, fmtMs, fmtAge, badge, layerKey, statusClass, jsonBlock, bodyBlock,
  facts, section, requestHash, toast, copyText, errorText, shortId,
} from '../ui.js';
import { renderWaterfall } from './waterfall.js';

let ctx = null;
let currentId = null;
let replaysList = null;
let token = 0;

export function render(c, id) {
  ctx = c;
  currentId = id;
  replaysList = null;
  const my = ++token;
  const node = el('div', { class: 'page page-detail', 'data-request-id': id },
    el('p', { class: 'crumbs' }, el('a', { href: '#/requests' }, '← requests')),
    el('p', { class: 'muted loading' }, 'Loading…'));
  ctx.api.request(id).then((d) => {
    if (my !== token) return;
    replace(node, ...page(d, id));
  }).catch((e) => {
    if (my !== token) return;
    replace(node,
      el('p', { class: 'crumbs' }, el('a', { href: '#/requests' }, '← requests')),
      el('section', { class: 'panel' }, el('h2', null, 'Request not found'),
        el('p', { class: 'error-text' }, e.status === 404
          ? `No request ${id} here: the gateway keeps the last 1000.`
          : `Could not load request ${id}: ${errorText(e)}`)));
  });
  return node;
}

export function onRequest(s) {
  if (replaysList && s.replayOf && s.replayOf === currentId) {
    if (!replaysList.querySelector(`[data-request-id="${CSS.escape(s.requestId)}"]`)) {
      replaysList.append(replayItem(s.requestId, s));
      replaysList.closest('section').hidden = false;
    }
  }
}

export function dispose() {
  token++;
  replaysList = null;
}

function summaryOf(d) {
  if (d.summary) return d.summary;
  const t = d.trace || {};
  return {
    requestId: t.requestId, extendedRequestId: t.extendedRequestId, receivedAt: t.receivedAt,
    method: t.method, path: t.path, api: t.api, stage: t.stage, flavor: t.flavor, route: t.route,
    status: t.status, errorType: null, layer: t.failure ? t.failure.layer : null,
    cause: t.failure ? t.failure.cause : null, ok: !t.failure, latencyMs: t.latencyMs, stages: t.stages,
    replayOf: null,
  };
}

function page(d, id) {
  const s = summaryOf(d);
  const t = d.trace || {};
  const out = [];
  out.push(el('p', { class: 'crumbs' }, el('a', { href: '#/requests' }, '← requests'),
    s.replayOf ? el('span', { class: 'replay-of' }, ' · replay of ',
      el('a', { href: requestHash(s.replayOf), class: 'replay-of-link' }, s.replayOf)) : null));
  out.push(verdict(s, t, d.diagnosis || t.diagnosis));
  const curlBox = el('div', { class: 'curl-box', hidden: true });
  const editBox = el('div', { class: 'edit-box', hidden: true });
  out.push(actions(d, s, t, curlBox, editBox), editBox, curlBox);
  out.push(section('Waterfall', renderWaterfall(t)));
  if (t.authorizer) out.push(authorizerPanel(t.authorizer, d, t));
  if (t.authorizer && t.authorizer.invocation) out.push(processPanel('Authorizer process', t.authorizer.invocation, 'authorizer'));
  if (t.invocation) out.push(processPanel('Handler process', t.invocation, 'handler'));
  if (t.upstream) out.push(upstreamPanel(t.upstream));
  out.push(tabs(d, s, t));
  out.push(replaysPanel(d));
  return out;
}

// ---- verdict -------------------------------------------------------------------------

function verdict(s, t, diagnosis) {
  const layer = layerKey(s);
  const failure = t.failure;
  return el('section', { class: `panel verdict verdict-${layer}`, 'data-layer': layer, id: 'verdict' },
    el('div', { class: 'verdict-head' },
      el('span', { class: `verdict-status st-${statusClass(s.status)}` }, String(s.status ?? '—')),
      s.errorType ? el('span', { class: 'errtype' }, s.errorType) : null,
      badge(layer),
      s.cause ? el('code', { class: 'cause', 'data-cause': s.cause }, s.cause) : el('span', { class: 'muted' }, 'nothing failed'),
      el('span', { class: 'verdict-req' }, `${s.method || ''} ${s.path || ''}`),
      s.route ? el('span', { class: 'muted' }, `route ${s.route}`) : el('span', { class: 'muted' }, 'no route'),
      el('span', { class: 'muted' }, `${fmtMs(s.latencyMs)} ms`)),
    el('p', { class: 'verdict-ids muted' }, `request ${s.requestId} · extended ${s.extendedRequestId || '—'} · ${fmtTime(s.receivedAt)}`,
      s.api ? ` · ${s.api}${s.stage ? `/${s.stage}` : ''} ${s.flavor || ''}` : ''),
    diagnosis ? el('p', { class: 'diagnosis-summary' }, diagnosis.summary) : null,
    diagnosis && diagnosis.nextSteps && diagnosis.nextSteps.length
      ? el('div', { class: 'next-steps' }, el('h3', null, 'Next steps'), el('ul', null, diagnosis.nextSteps.map((x) => el('li', null, x))))
      : null,
    failure && failure.detail ? el('p', { class: 'failure-detail' }, el('strong', null, `${failure.layer} · ${failure.cause}: `), failure.detail) : null);
}

// ---- actions -------------------------------------------------------------------------

function actions(d, s, t, curlBox, editBox) {
  const req = d.request;
  const replayable = !req || req.replayable !== false;
  const why = replayable ? null : 'the body was cut at 64 KB, so this request cannot be replayed';
  const go = async (btn, body) => {
    btn.disabled = true;
    try {
      const r = await ctx.api.replay(s.requestId, body);
      toast(`replayed: ${r.status} ${r.requestId ? shortId(r.requestId) : ''}`);
      if (r.requestId) ctx.navigate(requestHash(r.requestId));
    } catch (e) {
      toast(`replay failed: ${errorText(e)}`, 'error');
    } finally {
      btn.disabled = false;
    }
  };
  const replay = el('button', { type: 'button', class: 'btn btn-primary', id: 'replay', disabled: !replayable, title: why || 'run it again through the whole lifecycle, cache included' }, 'Replay');
  replay.addEventListener('click', () => go(replay, {}));
  const bypass = el('button', { type: 'button', class: 'btn', id: 'replay-bypass', disabled: !replayable, title: why || 'run it again without reading or filling the authorizer cache' }, 'Replay bypassing cache');
  bypass.addEventListener('click', () => go(bypass, { bypassCache: true }));
  const edit = el('button', { type: 'button', class: 'btn', id: 'edit-replay', disabled: !replayable || !req, title: why || 'change the method, path, headers or body, then replay' }, 'Edit & replay');
  edit.addEventListener('click', () => {
    if (editBox.hidden) {
      replace(editBox, editForm(s, req, () => { editBox.hidden = true; }));
      editBox.hidden = false;
      const first = editBox.querySelector('input');
      if (first) first.focus();
    } else editBox.hidden = true;
  });
  const curl = el('button', { type: 'button', class: 'btn', id: 'copy-curl', disabled: !req }, 'Copy as curl');
  curl.addEventListener('click', async () => {
    const text = curlOf(s, req, ctx.state.health);
    const copied = await copyText(text);
    replace(curlBox, el('h3', null, copied ? 'Copied to the clipboard' : 'Copy this command'),
      el('pre', { class: 'code curl', id: 'curl-text', tabindex: '0' }, text));
    curlBox.hidden = false;
    toast(copied ? 'curl command copied' : 'select the curl command below to copy it');
  });
  const buttons = [replay, bypass, edit, curl];
  const a = t.authorizer;
  if (d.cacheEntryId && a) {
    const flush = el('button', { type: 'button', class: 'btn btn-danger', id: 'flush-entry', title: `DELETE /authorizers/${a.name}/cache/${d.cacheEntryId}` }, 'Flush this cache entry');
    flush.addEventListener('click', async () => {
      flush.disabled = true;
      try {
        await ctx.api.flushEntry(a.name, d.cacheEntryId);
        toast(`cache entry ${d.cacheEntryId} of ${a.name} flushed`);
        flush.textContent = 'Cache entry flushed';
      } catch (e) {
        flush.disabled = false;
        toast(`flush failed: ${errorText(e)}`, 'error');
      }
    });
    buttons.push(flush);
  }
  return el('div', { class: 'actions', role: 'toolbar', 'aria-label': 'actions' }, buttons,
    why ? el('span', { class: 'muted' }, why) : null);
}

function shq(v) {
  return `'${String(v).replace(/'/g, "'\\''")}'`;
}

function varName(name) {
  let v = String(name).toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!v || /^[0-9]/.test(v)) v = `H_${v}`;
  return v;
}

const SKIP_CURL = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);

/** The request as a curl command; masked headers become shell variables, never values. */
export function curlOf(s, req, health) {
  const gw = (health && health.gateway ? health.gateway : '$GATEWAY').replace(/\/+$/, '');
  const method = (req && req.method) || s.method || 'GET';
  const path = (req && req.path) || s.path || '/';
  const query = req && req.query ? `?${req.query}` : '';
  const notes = [];
  const parts = [`curl -i -X ${method} ${shq(gw + path + query)}`];
  for (const h of (req && req.headers) || []) {
    if (SKIP_CURL.has(String(h.name).toLowerCase())) continue;
    if (h.masked) {
      const v = varName(h.name);
      notes.push(`# ${h.name} is masked: set ${v} to its value first, e.g. ${v}='...'`);
      parts.push(`-H "${h.name}: $${v}"`);
    } else {
      parts.push(`-H ${shq(`${h.name}: ${h.value}`)}`);
    }
  }
  if (req && req.body) {
    if (req.bodyBase64) {
      notes.push(`# the body is binary: decode it first: echo ${shq(req.body)} | base64 -d > body.bin`);
      parts.push('--data-binary @body.bin');
    } else {
      parts.push(`--data-raw ${shq(req.body)}`);
    }
    if (req.bodyTruncated) notes.push('# the body was truncated at 64 KB');
  }
  return [...notes, parts.join(' \\\n  ')].join('\n');
}

// ---- edit & replay -------------------------------------------------------------------

function editForm(s, req, close) {
  const removed = new Set();
  const method = el('input', { name: 'method', id: 'edit-method', value: req.method || s.method, size: 8, 'aria-label': 'method' });
  const path = el('input', { name: 'path', id: 'edit-path', value: req.path || s.path, 'aria-label': 'path', class: 'wide' });
  const rows = el('div', { class: 'header-rows', id: 'edit-headers' });
  const headerRow = (h) => {
    const name = el('input', { class: 'h-name', value: h ? h.name : '', 'aria-label': 'header name', placeholder: 'Header-Name' });
    const value = el('input', {
      class: 'h-value', value: h && !h.masked ? h.value : '', 'aria-label': 'header value',
      placeholder: h && h.masked ? `masked (${h.value}): unchanged unless you type a new value` : 'value',
    });
    const r = el('div', { class: ['h-row', h && h.masked && 'h-masked'], 'data-orig-name': h ? h.name : '',
      'data-orig-value': h && !h.masked ? h.value : '', 'data-masked': h && h.masked ? 'true' : 'false' },
    name, value,
    el('button', { type: 'button', class: 'btn btn-small', 'aria-label': `remove ${h ? h.name : 'header'}`,
      onclick: () => {
        if (r.dataset.origName) removed.add(r.dataset.origName);
        r.remove();
      } }, '✕'));
    return r;
  };
  for (const h of req.headers || []) rows.append(headerRow(h));
  const add = el('button', { type: 'button', class: 'btn btn-small', id: 'edit-add-header', onclick: () => {
    const r = headerRow(null);
    rows.append(r);
    r.querySelector('input').focus();
  } }, '+ header');
  const canEditBody = !req.bodyBase64;
  const body = canEditBody ? el('textarea', { name: 'body', id: 'edit-body', rows: 4, value: req.body || '', 'aria-label': 'body' }) : null;
  const bypass = el('input', { type: 'checkbox', id: 'edit-bypass' });
  const send = el('button', { type: 'submit', class: 'btn btn-primary', id: 'edit-send' }, 'Send');
  const form = el('form', { class: 'edit-replay panel', id: 'edit-form' },
    el('h2', null, 'Edit & replay'),
    el('div', { class: 'form-line' }, el('label', null, 'method ', method), el('label', { class: 'grow' }, 'path ', path)),
    el('h3', null, 'Headers'),
    el('p', { class: 'muted' }, 'Masked headers keep their real value unless you type a new one; a removed header is removed from the replay.'),
    rows, add,
    canEditBody ? el('div', null, el('h3', null, 'Body'), body) : el('p', { class: 'muted' }, 'The body is binary and is replayed as it was.'),
    el('div', { class: 'form-line' }, el('label', { class: 'check' }, bypass, ' bypass the authorizer cache')),
    el('div', { class: 'form-line' }, send, el('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = {};
    if (method.value.trim() && method.value.trim() !== (req.method || s.method)) out.method = method.value.trim().toUpperCase();
    if (path.value.trim() && path.value.trim() !== (req.path || s.path)) out.path = path.value.trim();
    const headers = {};
    for (const name of removed) headers[name] = null;
    for (const r of rows.querySelectorAll('.h-row')) {
      const name = r.querySelector('.h-name').value.trim();
      const value = r.querySelector('.h-value').value;
      const orig = r.dataset.origName;
      const masked = r.dataset.masked === 'true';
      if (!name) {
        if (orig) headers[orig] = null;
        continue;
      }
      const renamed = orig && orig.toLowerCase() !== name.toLowerCase();
      if (renamed) headers[orig] = null;
      if (masked) {
        if (value !== '') headers[name] = value;
      } else if (!orig || renamed || value !== r.dataset.origValue) {
        headers[name] = value;
      }
      if (headers[name] !== undefined && headers[name] !== null) {
        // a header typed again under its old name is set, not removed
        for (const k of Object.keys(headers)) if (k !== name && k.toLowerCase() === name.toLowerCase() && headers[k] === null) delete headers[k];
      }
    }
    if (Object.keys(headers).length) out.headers = headers;
    if (body && body.value !== (req.body || '')) out.body = body.value;
    if (bypass.checked) out.bypassCache = true;
    send.disabled = true;
    try {
      const r = await ctx.api.replay(s.requestId, out);
      toast(`replayed: ${r.status}`);
      if (r.requestId) ctx.navigate(requestHash(r.requestId));
    } catch (err) {
      toast(`replay failed: ${errorText(err)}`, 'error');
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

// ---- authorizer ----------------------------------------------------------------------

function authorizerPanel(a, d, t) {
  const differs = a.cachedForMethodArn && a.cachedForMethodArn !== a.methodArn;
  const cache = a.cache === 'hit'
    ? `hit, entry ${fmtAge(a.cacheAgeS)} old`
    : a.cache === 'not-consulted' ? 'not consulted (the request failed on its identity first)' : a.cache;
  let ctxValues = t.failure && t.failure.authorizerContext;
  if (!ctxValues && a.rawResult) {
    try {
      const r = JSON.parse(a.rawResult);
      if (r && typeof r.context === 'object' && r.context !== null && !Array.isArray(r.context)) ctxValues = r.context;
    } catch {
      // A cut or invalid result: shown raw, with its error position, below.
    }
  }
  const skipped = a.mode && a.mode !== 'normal';
  const v = (x) => (x === '' ? null : x);
  return el('section', { class: 'panel authorizer-panel', id: 'authorizer-panel' },
    el('h2', null, `Authorizer ${a.name}`),
    skipped ? el('p', { class: 'warn-text mode-note' }, a.mode === 'bypass'
      ? 'BYPASS mode: the authorizer did not run and the request was not authorized.'
      : `ALLOW mode: the authorizer did not run; the request was allowed${a.principalId ? ` as ${a.principalId}` : ''}.`) : null,
    facts([
      ['name', a.name],
      ['kind', v(a.kind)],
      ['function', v(a.function)],
      ['mode', el('span', { class: `mode mode-${a.mode}`, 'data-mode': a.mode }, a.mode)],
      ['identity (masked)', a.identity && a.identity.length ? a.identity.join(', ') : el('span', { class: 'muted' }, 'none sent')],
      ['cache', a.cache ? el('span', { class: 'auth-cache', 'data-cache': a.cache }, cache) : null],
      ['cache entry', d.cacheEntryId ? el('code', null, d.cacheEntryId) : null],
      ['TTL', a.ttlS === undefined || skipped ? undefined : `${a.ttlS} s${a.ttlS === 0 ? ' (caching off)' : ''}`],
      ['methodArn', a.methodArn ? el('code', { class: 'arn', id: 'method-arn' }, a.methodArn) : null],
      ['cachedForMethodArn', a.cachedForMethodArn
        ? el('span', { class: ['arn-wrap', differs && 'arn-differs'], id: 'cached-for-arn', 'data-differs': differs ? 'true' : 'false' },
          el('code', { class: 'arn' }, a.cachedForMethodArn),
          differs ? el('span', { class: 'warn-text' }, ' ⚠ differs from this request\'s methodArn: the cached policy was built for another method') : null)
        : null],
      ['decision', a.decision ? el('span', { class: `decision decision-${a.decision}` }, a.decision) : null],
      ['principalId', a.principalId],
      ['latency', a.latencyMs === undefined ? undefined : `${fmtMs(a.latencyMs)} ms${a.cache === 'hit' ? ' (cached: it did not run)' : ''}`],
    ].filter(([k]) => !skipped || ['name', 'mode', 'identity (masked)', 'principalId'].includes(k))),
    ctxValues ? el('div', null, el('h3', null, 'Context'), contextTable(ctxValues)) : null,
    el('h3', null, 'Policy checked against this methodArn'),
    policyTable(d.policyCheck, a),
    el('h3', null, 'Raw result'),
    a.rawResult ? jsonBlock(a.rawResult) : el('p', { class: 'muted' },
      a.cache === 'hit' ? 'none: the result came from the cache, the authorizer did not run' : 'none: the authorizer returned no result'));
}

/** The authorizer's context, each value flagged as API Gateway treats it. */
function contextTable(c) {
  const note = (v) => {
    if (typeof v === 'object' && v !== null) {
      return el('span', { class: 'warn-text', 'data-flag': 'nested' }, ' ⚠ nested: API Gateway refuses a context value that is an object or array (500)');
    }
    if (typeof v === 'number' || typeof v === 'boolean') {
      return el('span', { class: 'muted', 'data-flag': 'stringified' }, ` (${typeof v}: the integration receives it as a string)`);
    }
    return null;
  };
  return el('table', { class: 'kv context-table' }, el('tbody', null, Object.entries(c).map(([k, v]) => el('tr', null,
    el('th', { scope: 'row' }, k),
    el('td', null, typeof v === 'string' ? v : JSON.stringify(v), note(v))))));
}

function policyTable(check, a) {
  if (!check) {
    if (a.policy && a.policy.length) {
      return el('div', null, el('p', { class: 'muted' }, 'no policy was evaluated for this request; the policy held:'),
        el('ul', { class: 'policy-lines' }, a.policy.map((p) => el('li', null, el('code', null, p)))));
    }
    return el('p', { class: 'muted' }, 'no policy was evaluated for this request');
  }
  if (!check.length) return el('p', { class: 'muted' }, 'the policy has no statements');
  return el('table', { class: 'policy', id: 'policy-check' },
    el('thead', null, el('tr', null, ['statement', 'effect', 'resources', 'matches this ARN'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', null, check.map((p) => el('tr', { class: p.matches ? 'match-yes' : 'match-no', 'data-matches': p.matches ? 'true' : 'false' },
      el('td', null, el('code', null, p.statement)),
      el('td', { class: `effect effect-${String(p.effect).toLowerCase()}` }, p.effect),
      el('td', null, p.notResource ? el('span', { class: 'muted' }, 'NotResource: ') : null,
        el('ul', { class: 'resources' }, (p.resources || []).map((r) => el('li', null, el('code', null, r))))),
      el('td', { class: 'matches' }, p.matches ? '✓' : '✗', p.matches ? ' matches' : ' does not match')))));
}

// ---- processes, upstream -------------------------------------------------------------

function processPanel(title, inv, kind) {
  return el('section', { class: `panel process-panel process-${kind}`, 'data-kind': kind },
    el('h2', null, `${title}: ${inv.function}`),
    facts([
      ['function', inv.function],
      ['pid', inv.pid === null || inv.pid === undefined ? null : String(inv.pid)],
      ['start', el('span', { class: inv.coldStart ? 'cold' : 'warm' }, inv.coldStart ? 'cold (a process was started)' : 'warm')],
      ['duration', `${fmtMs(inv.durationMs)} ms (handler time)`],
      ['queue wait', `${fmtMs(inv.queueWaitMs)} ms`],
      ['pool decision', inv.pool === undefined ? undefined : inv.pool],
      ['Lambda request id', inv.lambdaRequestId],
      ['errorType', inv.errorType ? el('span', { class: 'error-text' }, inv.errorType) : null],
      ['errorMessage', inv.errorMessage ? el('span', { class: 'error-text' }, inv.errorMessage) : null],
      ['exit', inv.exit ? el('span', { class: 'exit error-text' }, inv.exit) : null],
    ]),
    inv.outputTail && inv.outputTail.length
      ? el('div', null, el('h3', null, `Last lines it printed (${inv.outputTail.length})`),
        el('pre', { class: 'code output-tail' }, inv.outputTail.join('\n')))
      : el('p', { class: 'muted' }, 'no output kept (the tail is kept when a process fails)'),
    inv.rawResponse && kind === 'authorizer'
      ? el('details', null, el('summary', null, 'raw response'), jsonBlock(inv.rawResponse)) : null);
}

function upstreamPanel(u) {
  return el('section', { class: 'panel upstream-panel' },
    el('h2', null, 'Upstream (HTTP_PROXY)'),
    facts([
      ['request', `${u.method} ${u.url}`],
      ['status', u.status === null || u.status === undefined ? el('span', { class: 'error-text' }, 'no answer') : String(u.status)],
      ['first byte', u.firstByteMs === null || u.firstByteMs === undefined ? null : `${fmtMs(u.firstByteMs)} ms`],
      ['total', `${fmtMs(u.totalMs)} ms`],
      ['response size', u.responseBytes === undefined ? undefined : `${u.responseBytes} bytes`],
    ]));
}

// ---- tabs ----------------------------------------------------------------------------

function headersTable(headers) {
  if (!headers || !headers.length) return el('p', { class: 'muted' }, 'no headers');
  return el('table', { class: 'kv headers' }, el('tbody', null, headers.map((h) => el('tr', { class: h.masked ? 'masked' : null },
    el('th', { scope: 'row' }, h.name),
    el('td', null, h.value, h.masked ? el('span', { class: 'tag tag-masked', title: 'masked as AWS masks identities: the raw value stays in the gateway' }, 'masked') : null)))));
}

function requestTab(req, s) {
  if (!req) return el('p', { class: 'muted' }, 'the client request is not available');
  return el('div', null,
    el('pre', { class: 'code request-line' }, `${req.method} ${req.path}${req.query ? `?${req.query}` : ''}`),
    headersTable(req.headers),
    el('h3', null, 'Body'),
    bodyBlock(req.body, req.bodyBase64, req.bodyTruncated),
    req.replayable === false ? el('p', { class: 'warn-text' }, 'not replayable: the body was cut') : null,
    s.replayOf ? el('p', { class: 'muted' }, 'this request was made by a replay') : null);
}

function responseTab(res) {
  if (!res) return el('p', { class: 'muted' }, 'the client response is not available');
  return el('div', null,
    el('pre', { class: 'code request-line' }, `status ${res.status}`),
    headersTable(res.headers),
    el('h3', null, 'Body'),
    bodyBlock(res.body, res.bodyBase64, res.bodyTruncated));
}

function backendTab(t) {
  const parts = [];
  if (t.invocation) {
    parts.push(el('h3', null, `What ${t.invocation.function} returned`));
    if (t.invocation.rawResponse) parts.push(jsonBlock(t.invocation.rawResponse));
    else if (t.invocation.errorType) parts.push(el('p', { class: 'error-text' }, `${t.invocation.errorType}: ${t.invocation.errorMessage || ''}`));
    else parts.push(el('p', { class: 'muted' }, 'no response payload'));
  }
  if (t.upstream) {
    parts.push(el('h3', null, 'Upstream'), facts([
      ['request', `${t.upstream.method} ${t.upstream.url}`],
      ['status', t.upstream.status === null || t.upstream.status === undefined ? 'no answer' : String(t.upstream.status)],
      ['first byte', t.upstream.firstByteMs === null || t.upstream.firstByteMs === undefined ? null : `${fmtMs(t.upstream.firstByteMs)} ms`],
      ['total', `${fmtMs(t.upstream.totalMs)} ms`],
      ['body size', `${t.upstream.responseBytes} bytes`],
    ]));
  }
  if (!parts.length) {
    const stages = t.stages || [];
    const ran = stages.some((x) => x.stage === 'integrate');
    parts.push(el('p', { class: 'muted' }, ran ? 'the integration answered without a backend (MOCK, or a failure before the call)' : 'the backend was not reached'));
  }
  return el('div', null, parts);
}

/** The events glassgate sent to the functions: the authorizer's, then the handler's. */
function eventTab(d) {
  const parts = [];
  for (const [key, title] of [['authorizerEvent', 'Authorizer event'], ['integrationEvent', 'Integration event']]) {
    const e = d[key];
    if (!e) continue;
    parts.push(el('h3', null, title));
    if (e.truncated) parts.push(el('p', { class: 'warn-text' }, `event of ${e.bytes} bytes: only its first 64 KB were kept`));
    parts.push(jsonBlock(e.json));
  }
  if (!parts.length) parts.push(el('p', { class: 'muted' }, 'no function was invoked for this request'));
  parts.push(el('p', { class: 'muted' }, 'secrets masked as in the client request'));
  return el('div', null, parts);
}

function logTab(t) {
  const lines = t.log || [];
  if (!lines.length) return el('p', { class: 'muted' }, 'no execution log');
  const text = lines.map((l) => `${l.time} (${t.requestId}) ${l.message}`).join('\n');
  const copy = el('button', { type: 'button', class: 'btn btn-small' }, 'Copy the log');
  copy.addEventListener('click', async () => {
    toast(await copyText(text) ? 'log copied' : 'the clipboard is not available here');
  });
  return el('div', null, copy,
    el('ol', { class: 'exec-log' }, lines.map((l) => el('li', null,
      el('time', { datetime: l.time }, fmtLogTime(l.time)), ' ',
      el('span', { class: 'log-id' }, `(${shortId(t.requestId)})`), ' ',
      el('span', { class: 'log-msg' }, l.message)))),
    t.accessLog ? el('div', null, el('h3', null, 'Access log'), el('pre', { class: 'code' }, t.accessLog)) : null);
}

function rawTab(t) {
  const text = JSON.stringify(t, null, 2);
  const copy = el('button', { type: 'button', class: 'btn btn-small' }, 'Copy trace JSON');
  copy.addEventListener('click', async () => {
    toast(await copyText(text) ? 'trace copied' : 'the clipboard is not available here');
  });
  return el('div', null, copy, el('pre', { class: 'code raw-trace' }, text));
}

function tabs(d, s, t) {
  const defs = [
    ['request', 'Client request', () => requestTab(d.request, s)],
    ['response', 'Client response', () => responseTab(d.response)],
    ['event', 'Event sent', () => eventTab(d)],
    ['backend', 'Backend returned', () => backendTab(t)],
    ['log', 'Execution log', () => logTab(t)],
    ['raw', 'Raw trace', () => rawTab(t)],
  ];
  const list = el('div', { class: 'tablist', role: 'tablist' });
  const panels = el('div', { class: 'tabpanels' });
  const buttons = [];
  const show = (i, focus) => {
    buttons.forEach((b, j) => {
      b.setAttribute('aria-selected', i === j ? 'true' : 'false');
      b.tabIndex = i === j ? 0 : -1;
    });
    [...panels.children].forEach((p, j) => { p.hidden = i !== j; });
    const p = panels.children[i];
    if (!p.firstChild) p.append(defs[i][2]());
    if (focus) buttons[i].focus();
  };
  defs.forEach(([key, label], i) => {
    const b = el('button', { type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': `panel-${key}`, 'data-tab': key }, label);
    b.addEventListener('click', () => show(i, false));
    b.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight') show((i + 1) % defs.length, true);
      else if (e.key === 'ArrowLeft') show((i + defs.length - 1) % defs.length, true);
    });
    buttons.push(b);
    list.append(b);
    panels.append(el('div', { role: 'tabpanel', id: `panel-${key}`, 'aria-labelledby': `tab-${key}`, class: 'tabpanel', hidden: true }));
  });
  show(0, false);
  return el('section', { class: 'panel tabs-panel' }, list, panels);
}

// ---- replays -------------------------------------------------------------------------

function replayItem(id, s) {
  return el('li', { 'data-request-id': id }, el('a', { href: requestHash(id), class: 'replay-link' }, id),
    s ? ` · ${s.status}${s.cause ? ` ${s.cause}` : ''}` : '');
}

function replaysPanel(d) {
  const replays = d.replays || [];
  replaysList = el('ul', { class: 'replays', id: 'replays' }, replays.map((id) => replayItem(id, null)));
  const sec = el('section', { class: 'panel replays-panel' }, el('h2', null, 'Replays of this request'), replaysList);
  sec.hidden = !replays.length;
  return sec;
}
