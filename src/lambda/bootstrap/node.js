'use strict';
/*
 * glassgate runtime client for nodejs* Lambda functions.
 *
 * glassgate embeds this file in its binary, writes it out as `bootstrap.js`
 * and starts one `node bootstrap.js` process per concurrent function
 * instance, with the function's code folder as working directory. The process
 * speaks the AWS Lambda Runtime API (served by glassgate on loopback) over a
 * single keep-alive HTTP/1.1 connection and handles one invocation at a time
 * until it is killed. Only Node's standard library is used.
 *
 * Handler resolution follows the AWS Node.js runtime: `_HANDLER` is
 * `dir/file.export`; the last path segment is split at its FIRST dot, so
 * `src/index.handler` loads `src/index` and `index.a.b` loads `index` and
 * resolves the nested export `a.b`. The file is looked up relative to
 * LAMBDA_TASK_ROOT: extensionless, then `.js` (require, or import() when the
 * nearest package.json says "type": "module"), `.mjs` (import()), `.cjs`
 * (require), then Node's own resolution (node_modules) from the task root.
 *
 * Invocation semantics:
 *  - a handler returning a promise (async handler): its outcome is the result;
 *  - callback(err, result), context.succeed/fail/done: first settlement wins;
 *  - a non-promise, non-undefined return value from a handler declared with
 *    fewer than three parameters is taken as the result. This is more lenient
 *    than AWS, which only honours promises and callbacks;
 *  - otherwise (undefined returned, or a 3-parameter handler) the invocation
 *    waits for the callback, and as on AWS ends with null once the event
 *    loop is empty if the callback is never called;
 *  - callback(null, result) waits, as on Lambda, until the event loop is
 *    empty (pending timers, sockets) before the result is posted, unless the
 *    handler set context.callbackWaitsForEmptyEventLoop = false; so an open
 *    database pool or a forgotten setInterval times the invocation out, as it
 *    does on Lambda. callback(err) and context.succeed/fail/done answer at once.
 *
 * Errors are posted as {errorType, errorMessage, trace}; a non-Error value
 * (`throw "Unauthorized"`, `callback("Unauthorized")`) gives
 * {errorType: typeof value, errorMessage: String(value), trace: []}.
 * Uncaught exceptions and unhandled rejections are reported for the current
 * invocation (or as an init error while loading), then the process exits 1.
 */

const net = require('net');
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const RUNTIME_PREFIX = '/2018-06-01/runtime';
const NEXT_PATH = RUNTIME_PREFIX + '/invocation/next';
const RETRY_DELAYS_MS = [0, 10, 50, 100, 200, 300, 500, 700, 1000];

const env = process.env;

// ---------------------------------------------------------------------------
// Runtime API client: one persistent socket and a minimal HTTP/1.1 exchange.
//
// Node's `http` module costs more CPU per round trip than the handler of a
// typical API (agents, parser objects, streams, events); the Runtime API
// needs a fixed, tiny subset of HTTP/1.1, so this client writes requests by
// hand and parses responses with Content-Length (or chunked) bodies. Requests
// are pipelined: the result of one invocation and the `/next` of the following
// one leave in one write. The socket is unref'ed while no request is pending,
// so an idle connection never keeps the event loop alive (Lambda's "event loop
// empty" rule for callback handlers depends on it).
// ---------------------------------------------------------------------------

function parseAddress(address) {
  const idx = address.lastIndexOf(':');
  let host = idx >= 0 ? address.slice(0, idx) : address;
  const port = idx >= 0 ? Number(address.slice(idx + 1)) : 80;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

if (!env.AWS_LAMBDA_RUNTIME_API) {
  process.stderr.write('glassgate bootstrap: AWS_LAMBDA_RUNTIME_API is not set\n');
  process.exit(1);
}
const { host: API_HOST, port: API_PORT } = parseAddress(env.AWS_LAMBDA_RUNTIME_API);
// glassgate also serves this process's Runtime API on a Unix socket, which skips the TCP
// stack on every call; the variable is glassgate's, not Lambda's, so the handler never sees it.
const API_SOCKET = env._GLASSGATE_RUNTIME_SOCKET;
delete env._GLASSGATE_RUNTIME_SOCKET;
const HOST_HEADER = 'Host: ' + env.AWS_LAMBDA_RUNTIME_API + '\r\n';

class FatalRuntimeError extends Error {}

const CRLF2 = Buffer.from('\r\n\r\n');

class Connection {
  constructor() {
    this.socket = null;
    this.pending = []; // [{resolve, reject}] in request order
    this.buf = null;
    this.corked = false;
  }

  open() {
    const socket = API_SOCKET ? net.connect({ path: API_SOCKET }) : net.connect({ host: API_HOST, port: API_PORT });
    if (!API_SOCKET) socket.setNoDelay(true);
    // Events of a socket already replaced (after an error) are ignored.
    socket.on('data', (chunk) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on('error', (err) => {
      if (this.socket === socket) this.fail(err);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail(new Error('the Runtime API closed the connection'));
    });
    this.socket = socket;
    this.buf = null;
  }

  fail(err) {
    if (this.socket) this.socket.destroy();
    const pending = this.pending;
    this.pending = [];
    this.socket = null;
    this.buf = null;
    for (const p of pending) p.reject(err);
  }

  // Write one request now (coalesced with others written in the same tick).
  send(method, urlPath, headers, body) {
    return new Promise((resolve, reject) => {
      if (!this.socket) this.open();
      const socket = this.socket;
      let head = method + ' ' + urlPath + ' HTTP/1.1\r\n' + HOST_HEADER + (headers || '');
      if (body !== undefined) head += 'Content-Length: ' + Buffer.byteLength(body) + '\r\n';
      head += '\r\n';
      if (!this.corked) {
        this.corked = true;
        socket.cork();
        process.nextTick(() => {
          this.corked = false;
          socket.uncork();
        });
      }
      socket.write(head, 'latin1');
      if (body !== undefined) socket.write(body);
      if (this.pending.length === 0) socket.ref();
      this.pending.push({ resolve, reject });
    });
  }

  onData(chunk) {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf !== null && this.pending.length > 0) {
      const res = parseResponse(this.buf);
      if (res === null) return; // incomplete
      this.buf = res.rest.length ? res.rest : null;
      this.pending.shift().resolve(res);
      if (this.pending.length === 0 && this.socket) this.socket.unref();
    }
  }
}

// One complete response at the start of `buf`, or null when more bytes are needed.
function parseResponse(buf) {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return null;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const status = Number(lines[0].slice(9, 12));
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon > 0) headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  let start = end + 4;
  if (headers['transfer-encoding'] === 'chunked') {
    const parts = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', start);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.toString('latin1', start, lineEnd), 16);
      if (size === 0) {
        const after = buf.indexOf(CRLF2, lineEnd - 2 < start ? start : lineEnd - 2);
        if (after < 0) return null;
        return { status, headers, body: Buffer.concat(parts), rest: buf.subarray(after + 4) };
      }
      if (buf.length < lineEnd + 2 + size + 2) return null;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      start = lineEnd + 2 + size + 2;
    }
  }
  const length = Number(headers['content-length'] || 0);
  if (buf.length < start + length) return null;
  return { status, headers, body: buf.subarray(start, start + length), rest: buf.subarray(start + length) };
}

const connection = new Connection();

function requestOnce(method, urlPath, headers, body) {
  return connection.send(method, urlPath, headers, body);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function request(method, urlPath, headers, body) {
  let lastError;
  for (const delay of RETRY_DELAYS_MS) {
    if (delay) await sleep(delay);
    try {
      return await requestOnce(method, urlPath, headers, body);
    } catch (err) {
      lastError = err;
    }
  }
  throw new FatalRuntimeError(
    `cannot reach the Runtime API at ${API_HOST}:${API_PORT}: ${lastError && lastError.message}`
  );
}

function warnRejected(what, requestId, res) {
  process.stderr.write(
    `glassgate bootstrap: posting ${what}${requestId ? ' for ' + requestId : ''} was rejected with HTTP ${res.status}: ${res.body.toString('utf8', 0, 500)}\n`
  );
}

const JSON_TYPE = 'Content-Type: application/json\r\n';

async function postResponse(requestId, payload) {
  const res = await request('POST', `${RUNTIME_PREFIX}/invocation/${requestId}/response`, JSON_TYPE, payload);
  if (res.status >= 300) warnRejected('response', requestId, res);
}

async function postError(requestId, errorBody) {
  const payload = JSON.stringify(errorBody);
  const res = await request(
    'POST',
    `${RUNTIME_PREFIX}/invocation/${requestId}/error`,
    JSON_TYPE + 'Lambda-Runtime-Function-Error-Type: Unhandled\r\n',
    payload
  );
  if (res.status >= 300) warnRejected('error', requestId, res);
}

async function postInitError(errorBody) {
  const payload = JSON.stringify(errorBody);
  const errorType = String(errorBody.errorType).replace(/[\r\n]/g, ' ');
  const res = await request(
    'POST',
    `${RUNTIME_PREFIX}/init/error`,
    JSON_TYPE + 'Lambda-Runtime-Function-Error-Type: ' + errorType + '\r\n',
    payload
  );
  if (res.status >= 300) warnRejected('init error', null, res);
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

function isError(value) {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

const keepTraceLine = (line) => !line.includes(__filename) && line !== '    at new Promise (<anonymous>)';

function errorBody(err) {
  try {
    if (isError(err)) {
      return {
        errorType: err.name || 'Error',
        errorMessage: err.message === undefined ? '' : String(err.message),
        // drop this bootstrap's own frames (and the `new Promise` frame they wrap)
        trace: typeof err.stack === 'string' ? err.stack.split('\n').filter(keepTraceLine) : [],
      };
    }
    return { errorType: typeof err, errorMessage: err.toString(), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

function logError(requestId, label, body) {
  let json;
  try {
    json = JSON.stringify(body);
  } catch (_) {
    json = String(body && body.errorMessage);
  }
  process.stderr.write(`${new Date().toISOString()}\t${requestId || 'undefined'}\tERROR\t${label} \t${json}\n`);
}

// Init-time failure with one of Lambda's Runtime.* error types.
class InitError extends Error {
  constructor(errorType, message, trace) {
    super(message);
    this.body = { errorType, errorMessage: message, trace: trace || [] };
  }
}

// ---------------------------------------------------------------------------
// Handler loading
// ---------------------------------------------------------------------------

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (_) {
    return false;
  }
}

function nearestPackageIsModule(file) {
  let dir = path.dirname(file);
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (isFile(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

const importFile = (file) => import(pathToFileURL(file).href);

// Dependencies `glassgate build` installed (GLASSGATE_NODE_DEPS, the folder holding their
// node_modules): CommonJS finds them through NODE_PATH, but ES modules ignore NODE_PATH, so a
// resolve hook retries a bare import that found nothing as if made from that folder.
const depsDir = process.env.GLASSGATE_NODE_DEPS;
if (depsDir && typeof require('module').register === 'function') {
  const parent = pathToFileURL(path.join(depsDir, 'index.js')).href;
  const hook = `export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (e) {
    const bare = !/^(\\.|\\/|[a-z]+:)/i.test(specifier);
    if (!bare || !e || e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    return next(specifier, { ...context, parentURL: ${JSON.stringify(parent)} });
  }
}`;
  require('module').register('data:text/javascript,' + encodeURIComponent(hook));
}

async function loadModule(appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  if (isFile(base)) return require(base);
  const typeModule = nearestPackageIsModule(base);
  if (isFile(base + '.js')) return typeModule ? importFile(base + '.js') : require(base + '.js');
  if (isFile(base + '.mjs')) return importFile(base + '.mjs');
  if (isFile(base + '.cjs')) return require(base + '.cjs');
  // Node's own resolution (a directory with index.js, a package in node_modules).
  // Throws MODULE_NOT_FOUND ("Cannot find module 'index'") when nothing matches.
  return require(require.resolve(moduleName, { paths: [appRoot, path.join(appRoot, moduleRoot)] }));
}

async function loadHandler(fullHandler, appRoot) {
  if (!fullHandler) throw new InitError('Runtime.MalformedHandlerName', "Bad handler: '_HANDLER' is not set");
  if (fullHandler.includes('..')) {
    throw new InitError('Runtime.MalformedHandlerName', "'" + fullHandler + "' is not a valid handler name. Use absolute paths when specifying root directories in handler names.");
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.slice(0, fullHandler.length - handlerString.length);
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match || !match[1] || !match[2]) {
    throw new InitError('Runtime.MalformedHandlerName', 'Bad handler ' + fullHandler);
  }
  const moduleName = match[1];
  const exportPath = match[2];

  let mod;
  try {
    mod = await loadModule(appRoot, moduleRoot, moduleName);
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new InitError('Runtime.UserCodeSyntaxError', String(err), errorBody(err).trace);
    }
    if (err && (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new InitError('Runtime.ImportModuleError', String(err), errorBody(err).trace);
    }
    throw err; // any other exception at load time keeps its own type
  }

  const handler = exportPath.split('.').reduce((obj, key) => (obj == null ? undefined : obj[key]), mod);
  if (handler === undefined || handler === null) {
    throw new InitError('Runtime.HandlerNotFound', `${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${fullHandler} is not a function`);
  }
  return handler;
}

// ---------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------

const FUNCTION_NAME = env.AWS_LAMBDA_FUNCTION_NAME;
const FUNCTION_VERSION = env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST';
const MEMORY_SIZE = String(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '128');
const LOG_GROUP = env.AWS_LAMBDA_LOG_GROUP_NAME;
const LOG_STREAM = env.AWS_LAMBDA_LOG_STREAM_NAME;

class LambdaContext {
  #deadlineMs;

  constructor(requestId, deadlineMs, arn, clientContext, identity) {
    this.callbackWaitsForEmptyEventLoop = true;
    this.functionName = FUNCTION_NAME;
    this.functionVersion = FUNCTION_VERSION;
    this.invokedFunctionArn = arn;
    this.memoryLimitInMB = MEMORY_SIZE;
    this.awsRequestId = requestId;
    this.logGroupName = LOG_GROUP;
    this.logStreamName = LOG_STREAM;
    this.clientContext = clientContext;
    this.identity = identity;
    this.#deadlineMs = deadlineMs;
    // succeed / fail / done are installed per invocation by invoke().
  }

  getRemainingTimeInMillis() {
    return Math.max(this.#deadlineMs - Date.now(), 0);
  }
}

function parseJsonHeader(value) {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch (_) {
    return undefined;
  }
}

function parseIdentity(value) {
  const data = parseJsonHeader(value);
  if (!data || typeof data !== 'object') return undefined;
  return { cognitoIdentityId: data.cognitoIdentityId, cognitoIdentityPoolId: data.cognitoIdentityPoolId };
}

// Runs the handler; resolves to [true, result] or [false, error]. As in Lambda's Node
// runtime, the first of callback / context.succeed / fail / done counts and later calls
// are ignored; callback(null, result) waits for the event loop to be empty unless
// context.callbackWaitsForEmptyEventLoop was set to false; succeed / fail / done and
// callback(err) answer at once; fail() without an error reports the string "handled".
function invoke(handler, event, context) {
  return new Promise((resolve) => {
    let settled = false;
    let called = false;
    const succeed = (result) => {
      if (!settled) {
        settled = true;
        resolve([true, result]);
      }
    };
    const fail = (err) => {
      if (!settled) {
        settled = true;
        resolve([false, err]);
      }
    };
    const firstCall = (fn) =>
      function () {
        if (called) return;
        called = true;
        fn.apply(null, arguments);
      };
    const done = (err, result) => {
      if (err !== undefined && err !== null) fail(err);
      else succeed(result);
    };
    const callback = firstCall((err, result) => {
      if (err !== undefined && err !== null) fail(err);
      else if (context.callbackWaitsForEmptyEventLoop === false) succeed(result);
      else whenEventLoopEmpty(() => succeed(result), () => settled);
    });
    context.succeed = firstCall((result) => done(null, result));
    context.fail = firstCall((err) => done(err === undefined || err === null ? 'handled' : err));
    context.done = firstCall(done);

    let ret;
    try {
      ret = handler(event, context, callback);
    } catch (err) {
      fail(err);
      return;
    }
    if (ret !== null && (typeof ret === 'object' || typeof ret === 'function') && typeof ret.then === 'function') {
      // An async handler's outcome is its promise's: no waiting for the event loop.
      ret.then(
        (r) => {
          called = true;
          succeed(r);
        },
        (e) => {
          called = true;
          fail(e);
        }
      );
    } else if (ret !== undefined && handler.length < 3) {
      succeed(ret);
    } else {
      // Like Lambda: wait for callback / context.succeed|fail|done; if none
      // comes, the invocation ends with null once the event loop is empty.
      whenEventLoopEmpty(() => succeed(null), () => settled || called);
    }
  });
}

// Polls from a timer until nothing keeps the process alive but stdout/stderr
// and that timer itself (still counted while its callback runs). The idle
// socket to the Runtime API is unref'ed while no request is pending.
function busyResources() {
  let n = process.getActiveResourcesInfo().length - 1;
  if (n && typeof process._getActiveHandles === 'function') {
    for (const h of process._getActiveHandles()) {
      if (h === process.stdout || h === process.stderr) n--;
    }
  }
  return n;
}

function whenEventLoopEmpty(onEmpty, isSettled) {
  const check = () => {
    if (isSettled()) return;
    if (busyResources() > 0) setTimeout(check, 1);
    else onEmpty();
  };
  setTimeout(check, 0);
}

// ---------------------------------------------------------------------------
// Fatal errors: uncaught exceptions / unhandled rejections
// ---------------------------------------------------------------------------

let initDone = false;
let currentRequestId = null;
let dying = false;

function dieWith(body, label) {
  if (dying) return;
  dying = true;
  const requestId = currentRequestId;
  currentRequestId = null;
  logError(requestId, label, body);
  let report;
  if (requestId) report = postError(requestId, body);
  else if (!initDone) report = postInitError(body);
  else report = Promise.resolve();
  // Never hang around if the Runtime API does not answer.
  setTimeout(() => process.exit(1), 2000).unref();
  report.then(
    () => process.exit(1),
    () => process.exit(1)
  );
}

process.on('uncaughtException', (err) => {
  if (err instanceof FatalRuntimeError) {
    process.stderr.write(`glassgate bootstrap: ${err.message}\n`);
    process.exit(1);
  }
  dieWith(errorBody(err), 'Uncaught Exception');
});

process.on('unhandledRejection', (reason) => {
  const inner = errorBody(reason);
  dieWith(
    {
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: isError(reason) ? `${inner.errorType}: ${inner.errorMessage}` : String(inner.errorMessage),
      trace: inner.trace,
    },
    'Unhandled Promise Rejection'
  );
});

// ---------------------------------------------------------------------------
// Main loop
// ---------------------------------------------------------------------------

// Queue `/next` right behind a post (same write), and report the post's own
// failure before handing on the next invocation.
function settle(posted) {
  const next = request('GET', NEXT_PATH);
  // Handled here too: it may fail before `posted` settles and the chain below awaits it.
  next.catch(() => {});
  return posted.then(() => next);
}

// The result of each invocation is posted in the same write as the next `/next`
// (pipelined), so one invocation costs one round trip each way.
async function run(handler) {
  let next = request('GET', NEXT_PATH);
  for (;;) {
    const res = await next;
    if (res.status !== 200) {
      throw new FatalRuntimeError(
        `GET /runtime/invocation/next returned ${res.status}: ${res.body.toString('utf8', 0, 500)}`
      );
    }
    const h = res.headers;
    const requestId = h['lambda-runtime-aws-request-id'];
    if (!requestId) throw new FatalRuntimeError('invocation without Lambda-Runtime-Aws-Request-Id header');

    const traceId = h['lambda-runtime-trace-id'];
    if (traceId) env._X_AMZN_TRACE_ID = traceId;
    else if (env._X_AMZN_TRACE_ID !== undefined) delete env._X_AMZN_TRACE_ID;

    let deadlineMs = Number(h['lambda-runtime-deadline-ms']);
    if (!deadlineMs) deadlineMs = Date.now() + 3000;
    const cc = h['lambda-runtime-client-context'];
    const ci = h['lambda-runtime-cognito-identity'];
    const context = new LambdaContext(
      requestId,
      deadlineMs,
      h['lambda-runtime-invoked-function-arn'],
      cc ? parseJsonHeader(cc) : undefined,
      ci ? parseIdentity(ci) : undefined
    );

    let event;
    try {
      event = JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      const body = { errorType: 'Runtime.UnmarshalError', errorMessage: 'Unable to parse event: ' + err.message, trace: [] };
      logError(requestId, 'Invoke Error', body);
      next = settle(postError(requestId, body));
      continue;
    }

    currentRequestId = requestId;
    const [ok, value] = await invoke(handler, event, context);
    if (dying) return;
    currentRequestId = null;

    if (ok) {
      let payload;
      try {
        payload = JSON.stringify(value === undefined ? null : value);
      } catch (err) {
        const body = {
          errorType: 'Runtime.MarshalError',
          errorMessage: 'Unable to stringify response body: ' + (err && err.message),
          trace: [],
        };
        logError(requestId, 'Invoke Error', body);
        next = settle(postError(requestId, body));
        continue;
      }
      // JSON.stringify returns undefined for functions and symbols.
      next = settle(postResponse(requestId, payload === undefined ? 'null' : payload));
    } else {
      const body = errorBody(value);
      logError(requestId, 'Invoke Error', body);
      next = settle(postError(requestId, body));
    }
  }
}

async function main() {
  const appRoot = env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    handler = await loadHandler(env._HANDLER || '', appRoot);
  } catch (err) {
    if (dying) return;
    const body = err instanceof InitError ? err.body : errorBody(err);
    dying = true;
    logError(null, 'Uncaught Exception', body);
    try {
      await postInitError(body);
    } catch (e) {
      process.stderr.write(`glassgate bootstrap: ${e.message}\n`);
    }
    process.exit(1);
  }
  initDone = true;
  await run(handler);
}

main().catch((err) => {
  if (err instanceof FatalRuntimeError) {
    process.stderr.write(`glassgate bootstrap: ${err.message}\n`);
  } else {
    process.stderr.write(`glassgate bootstrap: internal error: ${err && err.stack}\n`);
  }
  process.exit(1);
});
