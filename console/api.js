// The admin API, as documented in docs/admin-api.md: same origin, absolute paths. Every
// change carries `X-Glassgate-Admin: 1`, every body `Content-Type: application/json`.

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const enc = encodeURIComponent;

async function answer(res) {
  const text = await res.text();
  let body = null;
  if (text) {
    try { body = JSON.parse(text); } catch (_) { body = { error: text }; }
  }
  if (!res.ok) {
    const why = body && body.error ? body.error : res.statusText;
    throw new ApiError(res.status, body, `${res.status} ${why}`);
  }
  return body;
}

export async function get(path) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, null, `cannot reach the admin API (${e.message})`);
  }
  return answer(res);
}

/** POST, PUT or DELETE with the admin header; `body` undefined sends none. */
export async function change(method, path, body) {
  const headers = { 'X-Glassgate-Admin': '1', Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, null, `cannot reach the admin API (${e.message})`);
  }
  return answer(res);
}

// ---- endpoints --------------------------------------------------------------------------

export const health = () => get('/health');
export const routes = () => get('/routes');
export const lints = () => get('/lints');
export const authorizers = () => get('/authorizers');
export const requests = (limit = 200, before) =>
  get(`/requests?limit=${limit}${before !== undefined ? `&before=${enc(before)}` : ''}`);
export const request = (id) => get(`/requests/${enc(id)}`);
export const replay = (id, body = {}) => change('POST', `/requests/${enc(id)}/replay`, body);
export const flushAll = () => change('DELETE', '/authorizers/cache');
export const flushAuthorizer = (name) => change('DELETE', `/authorizers/${enc(name)}/cache`);
export const flushEntry = (name, entryId) =>
  change('DELETE', `/authorizers/${enc(name)}/cache/${enc(entryId)}`);
export const setMode = (name, body) => change('PUT', `/authorizers/${enc(name)}/mode`, body);
export const testInvokeAuthorizer = (name, body) =>
  change('POST', `/authorizers/${enc(name)}/test-invoke`, body);
export const testInvoke = (body) => change('POST', '/test-invoke', body);

// ---- the event stream -------------------------------------------------------------------

const EVENTS = ['request', 'mode', 'cache', 'reload', 'reset'];

/**
 * One EventSource on /events. EventSource reconnects by itself and resumes with
 * Last-Event-ID; when the browser gives up (CLOSED: the server answered something that is
 * not a stream), this reopens it with a back-off and calls `onReopen`, since a new
 * EventSource cannot resume and events may have been missed.
 *
 * States: connecting, live, reconnecting, down.
 */
export class Stream {
  constructor({ onEvent, onState, onReopen }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onReopen = onReopen;
    this.es = null;
    this.state = 'closed';
    this.lastEventId = null;
    this.retryTimer = null;
    this.backoff = 1000;
    this.reopening = false;
    this.troubleSince = null;
  }

  open() {
    this.close();
    const es = new EventSource('/events');
    this.es = es;
    this.set('connecting');
    let opened = false;
    es.onopen = () => {
      if (this.es !== es) return;
      this.backoff = 1000;
      this.troubleSince = null;
      this.set('live');
      // A new EventSource cannot resume, and one that never got an event id reconnects
      // without Last-Event-ID: either way what happened meanwhile is fetched again.
      const blind = opened && !this.lastEventId;
      opened = true;
      if (this.reopening || blind) {
        this.reopening = false;
        if (this.onReopen) this.onReopen();
      }
    };
    es.onerror = () => {
      if (this.es !== es) return;
      if (this.troubleSince === null) this.troubleSince = Date.now();
      if (es.readyState === EventSource.CLOSED) {
        this.set('down');
        this.es = null;
        es.close();
        this.reopening = true;
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.open(), this.backoff);
        this.backoff = Math.min(this.backoff * 2, 10000);
      } else {
        this.set('reconnecting');
      }
    };
    for (const type of EVENTS) {
      es.addEventListener(type, (e) => {
        if (this.es !== es) return;
        if (e.lastEventId) this.lastEventId = e.lastEventId;
        let data = null;
        try { data = e.data ? JSON.parse(e.data) : {}; } catch (_) { data = null; }
        if (data === null) return;
        this.onEvent(type, data, e.lastEventId);
      });
    }
  }

  close() {
    clearTimeout(this.retryTimer);
    if (this.es) {
      this.es.close();
      this.es = null;
    }
    this.set('closed');
  }

  set(state) {
    if (this.state === state) return;
    this.state = state;
    if (this.onState) this.onState(state);
  }

  /** Milliseconds since the stream was last healthy, 0 when it is. */
  troubleFor() {
    return this.troubleSince === null ? 0 : Date.now() - this.troubleSince;
  }
}
