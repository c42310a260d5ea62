// The lifecycle waterfall of one request (detail page) and the mini stage bar (list).
//
// Rows: receive, route, authorize, integrate (the integration and the backend), respond,
// from trace.stages. The stage the failure belongs to is red and labelled with the cause;
// lifecycle stages missing after it are hatched "not reached". A cold start splits its row
// into start and invoke; a cache hit carries a marker with the entry's age.

import { el, fmtMs, fmtUs, fmtAge } from '../ui.js';

export const LIFECYCLE = ['receive', 'route', 'authorize', 'integrate', 'respond'];

const LABELS = {
  receive: 'receive',
  route: 'route',
  authorize: 'authorize',
  integrate: 'integrate',
  respond: 'respond',
};

const LAYER_STAGE = {
  route: 'route',
  authorizer: 'authorize',
  integration: 'integrate',
  backend: 'integrate',
};

/** The lifecycle stage a failure belongs to, or null. */
export function failedStage(stages, failure) {
  if (!failure) return null;
  const byResult = stages.find((s) => s.result === failure.cause);
  if (byResult) return byResult.stage;
  if (LAYER_STAGE[failure.layer]) return LAYER_STAGE[failure.layer];
  if (failure.layer === 'gateway') return stages.some((s) => s.stage === 'route') ? 'respond' : 'route';
  return null;
}

function total(trace) {
  let t = Number(trace.latencyMs) || 0;
  for (const s of trace.stages || []) t = Math.max(t, (Number(s.startMs) || 0) + (Number(s.durationMs) || 0));
  return t > 0 ? t : 1;
}

function pct(v, t) {
  return `${Math.max(0, Math.min(100, (Number(v) / t) * 100))}%`;
}

function invocationOf(trace, stage) {
  if (stage === 'authorize') return trace.authorizer && trace.authorizer.invocation;
  if (stage === 'integrate') return trace.invocation;
  return null;
}

/** The rows of the waterfall, as data (shared by the graphic and its table twin). */
export function waterfallRows(trace) {
  const stages = trace.stages || [];
  const failure = trace.failure || null;
  const failed = failedStage(stages, failure);
  const byStage = new Map(stages.map((s) => [s.stage, s]));
  const failIdx = failed ? LIFECYCLE.indexOf(failed) : -1;
  const rows = [];
  const first = stages.length ? Math.min(...stages.map((s) => Number(s.startMs) || 0)) : 0;
  LIFECYCLE.forEach((name, idx) => {
    if (name === 'receive') {
      rows.push({ name, state: failed === 'receive' ? 'failed' : 'ok', startMs: 0, durationMs: first, result: 'request read' });
      return;
    }
    const s = byStage.get(name);
    if (s) {
      const row = {
        name, startMs: Number(s.startMs) || 0, durationMs: Number(s.durationMs) || 0, result: s.result,
        state: name === failed ? 'failed' : 'ok',
      };
      const inv = invocationOf(trace, name);
      if (inv && inv.coldStart && Number(inv.durationMs) < row.durationMs) {
        row.split = { startMs: row.durationMs - Number(inv.durationMs), invokeMs: Number(inv.durationMs) };
      }
      if (name === 'authorize' && trace.authorizer && trace.authorizer.cache === 'hit') {
        row.cacheHit = trace.authorizer.cacheAgeS;
      }
      rows.push(row);
      return;
    }
    if (name === failed) {
      // The failure belongs to a stage the trace has no record of (a gateway failure before
      // routing): show it failed at the start.
      rows.push({ name, state: 'failed', startMs: 0, durationMs: 0, result: failure.cause });
    } else if (failIdx >= 0 && idx > failIdx) {
      rows.push({ name, state: 'not-reached', result: 'not reached' });
    } else if (name === 'authorize') {
      rows.push({ name, state: 'skipped', result: trace.authorizer ? 'not recorded' : 'no authorizer on this route' });
    } else {
      rows.push({ name, state: 'skipped', result: 'not recorded' });
    }
  });
  return rows;
}

function rowLabel(r) {
  if (r.state === 'failed') return `${r.result}`;
  if (r.state === 'not-reached') return 'not reached';
  return r.result === undefined ? '' : String(r.result);
}

/** The waterfall and its <table> twin. */
export function renderWaterfall(trace) {
  const t = total(trace);
  const rows = waterfallRows(trace);
  const graphic = el('div', { class: 'waterfall', 'aria-hidden': 'true' });
  const scale = el('div', { class: 'wf-scale' },
    el('span', null, '0 ms'), el('span', null, `${fmtMs(t / 2)} ms`), el('span', null, `${fmtMs(t)} ms`));
  graphic.append(el('div', { class: 'wf-row wf-head' }, el('span', { class: 'wf-name' }, 'stage'), scale,
    el('span', { class: 'wf-dur' }, 'ms')));
  for (const r of rows) {
    const track = el('div', { class: 'wf-track' });
    if (r.state === 'not-reached' || r.state === 'skipped') {
      track.append(el('div', { class: 'wf-fill' }, el('span', { class: 'wf-text' }, rowLabel(r))));
    } else {
      const bar = el('div', { class: 'wf-bar', title: `start ${fmtMs(r.startMs)} ms, took ${fmtUs(r.durationMs)}` });
      bar.style.left = pct(r.startMs, t);
      bar.style.width = pct(r.durationMs, t);
      if (r.split) {
        const a = el('div', { class: 'seg seg-start', title: `start: ${fmtMs(r.split.startMs)} ms (process start, init, queue wait)` });
        const b = el('div', { class: 'seg seg-invoke', title: `invoke: ${fmtMs(r.split.invokeMs)} ms (handler time)` });
        a.style.width = pct(r.split.startMs, r.durationMs || 1);
        b.style.width = pct(r.split.invokeMs, r.durationMs || 1);
        bar.append(a, b);
      }
      track.append(bar);
      const label = el('span', { class: 'wf-text' }, rowLabel(r),
        r.split ? ` · cold: start ${fmtMs(r.split.startMs)} ms + invoke ${fmtMs(r.split.invokeMs)} ms` : null);
      const startP = (r.startMs / t) * 100;
      const widthP = (r.durationMs / t) * 100;
      if (widthP >= 45) {
        label.classList.add('wf-text-in');
        label.style.left = `${startP}%`;
      } else if (startP + widthP > 60) {
        label.classList.add('wf-text-left');
        label.style.right = `${Math.max(0, 100 - startP)}%`;
      } else {
        label.style.left = `${startP + widthP}%`;
      }
      track.append(label);
      if (r.cacheHit !== undefined) {
        const m = el('span', { class: 'marker cache-hit', title: 'the authorizer did not run: its cached result was used' },
          `cache hit, age ${fmtAge(r.cacheHit)}`);
        track.append(m);
      }
    }
    graphic.append(el('div', {
      class: ['wf-row', r.state === 'failed' && 'failed', r.state === 'not-reached' && 'not-reached',
        r.state === 'skipped' && 'skipped', r.split && 'wf-cold'],
      'data-stage': r.name,
    },
    el('span', { class: 'wf-name' }, LABELS[r.name], r.name === 'integrate' ? el('small', null, ' integration + backend') : null),
    track,
    el('span', { class: 'wf-dur' }, r.durationMs === undefined ? '' : fmtMs(r.durationMs))));
  }
  return el('div', { class: 'waterfall-wrap' }, graphic, waterfallTable(rows, t));
}

function waterfallTable(rows, t) {
  const body = el('tbody');
  for (const r of rows) {
    let state = { ok: 'ran', failed: 'failed', 'not-reached': 'not reached', skipped: 'skipped' }[r.state];
    if (r.split) state += `, cold start: start ${fmtMs(r.split.startMs)} ms, invoke ${fmtMs(r.split.invokeMs)} ms`;
    if (r.cacheHit !== undefined) state += `, cache hit, age ${fmtAge(r.cacheHit)}`;
    body.append(el('tr', { 'data-stage': r.name, class: r.state },
      el('th', { scope: 'row' }, r.name),
      el('td', null, r.startMs === undefined ? '—' : fmtMs(r.startMs)),
      el('td', null, r.durationMs === undefined ? '—' : fmtMs(r.durationMs)),
      el('td', null, state),
      el('td', null, r.result === undefined ? '' : String(r.result))));
  }
  return el('table', { class: 'visually-hidden waterfall-table' },
    el('caption', null, `Stages of this request, ${fmtMs(t)} ms in all`),
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'stage'), el('th', { scope: 'col' }, 'start (ms)'),
      el('th', { scope: 'col' }, 'duration (ms)'), el('th', { scope: 'col' }, 'state'), el('th', { scope: 'col' }, 'result'))),
    body);
}

/** The small bar of the list: one segment per stage, widths by duration. */
export function stageBar(summary) {
  const stages = summary.stages || [];
  const t = Math.max(Number(summary.latencyMs) || 0,
    ...stages.map((s) => (Number(s.startMs) || 0) + (Number(s.durationMs) || 0)), 0.001);
  const failed = summary.cause ? failedStage(stages, { cause: summary.cause, layer: summary.layer }) : null;
  const bar = el('span', { class: 'stagebar', 'aria-hidden': 'true',
    title: stages.map((s) => `${s.stage} ${fmtMs(s.durationMs)} ms`).join(', ') });
  for (const s of stages) {
    const seg = el('span', { class: ['sb', `sb-${s.stage}`, s.stage === failed && 'sb-failed'] });
    seg.style.left = pct(s.startMs, t);
    seg.style.width = pct(s.durationMs, t);
    bar.append(seg);
  }
  return bar;
}
