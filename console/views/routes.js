// #/routes: every route (API, flavor, stage, route key, integration, function, authorizer)
// and the template's lints (GET /lints). GET /routes answers an array of routes; an answer
// {"routes": [...], "lints": [...]} is taken too.

import { el, replace, errorText } from '../ui.js';

let token = 0;

function integrationOf(r) {
  const i = r.integration;
  let kind = '';
  if (typeof i === 'string') kind = i;
  else if (i && typeof i === 'object') kind = i.type || i.kind || '';
  const target = r.function || (i && typeof i === 'object' && (i.uri || i.url || i.function)) || r.uri || r.url || '';
  return [kind, target].filter(Boolean).join(' → ') || '—';
}

function lintText(l) {
  if (typeof l === 'string') return [null, l];
  if (l && typeof l === 'object') return [l.location || l.path || null, l.message || JSON.stringify(l)];
  return [null, String(l)];
}

export function render(ctx) {
  const my = ++token;
  const body = el('div', { class: 'routes-body' }, el('p', { class: 'muted' }, 'Loading…'));
  const node = el('div', { class: 'page page-routes' }, el('h1', null, 'Routes'), body);
  const lintsAnswer = ctx.api.lints().then((l) => ({ lints: Array.isArray(l) ? l : (l && l.lints) || [] }),
    (e) => ({ error: errorText(e) }));
  Promise.all([ctx.api.routes(), lintsAnswer]).then(([answer, fromLints]) => {
    if (my !== token) return;
    const routes = Array.isArray(answer) ? answer : (answer && answer.routes) || [];
    const inline = Array.isArray(answer) ? null : (answer && answer.lints) || null;
    let lints = inline || fromLints.lints || null;
    if (lints) {
      // the same warning can come both from loading the template and from validate's traps
      const seen = new Set();
      lints = lints.filter((l) => {
        const k = JSON.stringify(lintText(l));
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    const table = el('table', { class: 'routes', id: 'routes-table' },
      el('thead', null, el('tr', null, ['API', 'flavor', 'stage', 'route key', 'integration / function', 'authorizer']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', null, routes.map((r) => el('tr', { 'data-route': r.routeKey },
        el('td', null, r.api || '—', r.apiId ? el('span', { class: 'muted' }, ` ${r.apiId}`) : null),
        el('td', null, r.flavor || '—', r.payloadVersion ? el('span', { class: 'muted' }, ` payload ${r.payloadVersion}`) : null),
        el('td', null, r.stage || '—'),
        el('td', null, el('code', null, r.routeKey || `${r.method || ''} ${r.path || ''}`)),
        el('td', null, integrationOf(r)),
        el('td', null, r.authorizer ? el('a', { href: '#/authorizers' }, r.authorizer) : el('span', { class: 'muted' }, 'none'))))));
    const parts = [el('section', { class: 'panel' }, routes.length ? table : el('p', { class: 'muted' }, 'no routes'))];
    if (lints) {
      parts.push(el('section', { class: 'panel' }, el('h2', null, `Lints (${lints.length})`),
        lints.length
          ? el('ul', { class: 'lints', id: 'lints' }, lints.map((l) => {
            const [where, msg] = lintText(l);
            return el('li', { class: 'lint' }, where ? el('code', { class: 'lint-where' }, where) : null, where ? ': ' : '', msg);
          }))
          : el('p', { class: 'muted' }, 'glassgate validate finds nothing to say about this template')));
    } else if (fromLints.error) {
      parts.push(el('section', { class: 'panel' }, el('h2', null, 'Lints'),
        el('p', { class: 'muted' }, `could not load the lints: ${fromLints.error}`)));
    }
    replace(body, parts);
  }).catch((e) => {
    if (my !== token) return;
    replace(body, el('p', { class: 'error-text' }, `Could not load the routes: ${errorText(e)}`));
  });
  return node;
}

export function onReload() {
  // the template changed: draw again
  if (location.hash.startsWith('#/routes')) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function dispose() {
  token++;
}
