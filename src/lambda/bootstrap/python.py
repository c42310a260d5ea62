"""glassgate runtime client for python3.x Lambda functions.

glassgate embeds this file in its binary, writes it out as ``bootstrap.py`` and
starts one ``python3 bootstrap.py`` process per concurrent function instance,
with the function's code folder as working directory.  The process speaks the
AWS Lambda Runtime API (served by glassgate on loopback) over a single
keep-alive HTTP/1.1 connection and handles one invocation at a time until it is
killed.

Only the standard library is used.  The per-invocation path is kept lean on
purpose (no imports, no debug output, objects reused): glassgate aims at
several thousand invocations per second through this loop.

Environment (set by glassgate): AWS_LAMBDA_RUNTIME_API, _HANDLER,
LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION,
AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME,
AWS_LAMBDA_LOG_STREAM_NAME, AWS_REGION, ...

Init failures are reported to ``/runtime/init/error`` and the process exits
with status 1.  Error types:

* ``Runtime.MalformedHandlerName``  - _HANDLER has no ``.``
* ``Runtime.BuiltInModuleConflict`` - handler module shadows a built-in module
* ``Runtime.ImportModuleError``     - ImportError (incl. ModuleNotFoundError)
  raised while importing the handler module, whether the handler module itself
  or one of its imports is missing (this is what AWS reports too)
* ``Runtime.UserCodeSyntaxError``   - SyntaxError (incl. IndentationError)
* ``Runtime.HandlerNotFound``       - attribute missing, or not callable
* any other exception raised while the module is imported is reported with
  its own class name as errorType (e.g. ``KeyError``), as the AWS runtime
  interface client does; we do not wrap it in Runtime.ImportModuleError
  because the module *was* found and the failure is the user's code.
"""

import decimal
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

_RUNTIME_PREFIX = "/2018-06-01/runtime"
_BOOTSTRAP_FILE = os.path.abspath(__file__)

_current_request_id = None


# --------------------------------------------------------------------------
# Runtime API client
# --------------------------------------------------------------------------


class _FatalRuntimeError(Exception):
    pass


class _ProtocolError(Exception):
    pass


class RuntimeClient:
    """One persistent keep-alive HTTP/1.1 connection to the Runtime API.

    This is a deliberately small HTTP/1.1 client on a plain socket rather than
    http.client: http.client parses every response's headers with the email
    package and sends a POST's headers and body in two writes, which made it
    cost ~230 us of CPU per invocation, more than everything else together.
    It understands what a Runtime API server sends: Content-Length or chunked
    bodies, keep-alive, and ``Connection: close``.
    """

    # delays (seconds) between reconnection attempts; roughly 3 s in total
    _RETRY_DELAYS = (0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)

    def __init__(self, address, unix_path=None):
        # glassgate also serves the Runtime API on a Unix socket (no TCP stack per call).
        self._unix_path = unix_path
        host, sep, port = address.rpartition(":")
        if not sep:
            host, port = address, "80"
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        self._host = host
        self._port = int(port)
        self._sock = None
        self._buf = b""
        host_header = ("Host: %s\r\nUser-Agent: glassgate-python-bootstrap\r\n" % address).encode("latin-1")
        self._host_header = host_header
        self._next_request = (
            b"GET " + _RUNTIME_PREFIX.encode() + b"/invocation/next HTTP/1.1\r\n" + host_header + b"\r\n"
        )
        self._invocation_prefix = b"POST " + _RUNTIME_PREFIX.encode() + b"/invocation/"
        self._earlier = []
        self._pending_next = None

    def _connect(self):
        # No timeout: /next long-polls.
        if self._unix_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self._unix_path)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((self._host, self._port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._buf = b""

    def _close(self):
        sock = self._sock
        self._sock = None
        self._buf = b""
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _roundtrip(self, request, responses=1):
        """Send serialized requests (pipelined: ``responses`` of them in one write); return
        the last response as (status, headers, body), the others in ``self._earlier``.

        Header names in ``headers`` are lower-case."""
        self._sock.sendall(request)
        self._earlier = [self._read_response() for _ in range(responses - 1)]
        return self._read_response()

    def _read_response(self):
        sock = self._sock
        if sock is None:
            raise ConnectionError("connection closed by the Runtime API")
        recv = sock.recv
        buf = self._buf
        end = buf.find(b"\r\n\r\n")
        while end < 0:
            chunk = recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the Runtime API")
            buf += chunk
            end = buf.find(b"\r\n\r\n")
        lines = buf[:end].decode("latin-1").split("\r\n")
        rest = buf[end + 4 :]
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            raise _ProtocolError("bad status line %r" % lines[0][:100])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()

        if status < 200 or status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body, rest = self._read_chunked(rest)
        else:
            length = headers.get("content-length")
            if length is None:
                # body delimited by the end of the connection
                parts = [rest]
                while True:
                    chunk = recv(65536)
                    if not chunk:
                        break
                    parts.append(chunk)
                self._close()
                return status, headers, b"".join(parts)
            n = int(length)
            if len(rest) < n:
                parts = [rest]
                have = len(rest)
                while have < n:
                    chunk = recv(max(65536, n - have))
                    if not chunk:
                        raise ConnectionError("connection closed in the middle of a response body")
                    parts.append(chunk)
                    have += len(chunk)
                rest = b"".join(parts)
            body = rest[:n]
            rest = rest[n:]
        self._buf = rest
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, body

    def _read_chunked(self, buf):
        recv = self._sock.recv
        parts = []
        while True:
            i = buf.find(b"\r\n")
            while i < 0:
                chunk = recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed in a chunked body")
                buf += chunk
                i = buf.find(b"\r\n")
            size = int(buf[:i].split(b";", 1)[0].strip(), 16)
            buf = buf[i + 2 :]
            if size == 0:
                # trailers, up to an empty line
                while True:
                    i = buf.find(b"\r\n")
                    while i < 0:
                        chunk = recv(65536)
                        if not chunk:
                            raise ConnectionError("connection closed in a chunked body")
                        buf += chunk
                        i = buf.find(b"\r\n")
                    line = buf[:i]
                    buf = buf[i + 2 :]
                    if not line:
                        return b"".join(parts), buf
            while len(buf) < size + 2:
                chunk = recv(max(65536, size + 2 - len(buf)))
                if not chunk:
                    raise ConnectionError("connection closed in a chunked body")
                buf += chunk
            parts.append(buf[:size])
            buf = buf[size + 2 :]

    def _request(self, request, responses=1):
        """Round trip with reconnection and retries on connection failures
        (e.g. the server closed the idle keep-alive socket)."""
        last_exc = None
        for delay in self._RETRY_DELAYS:
            if delay:
                time.sleep(delay)
            try:
                if self._sock is None:
                    self._connect()
                return self._roundtrip(request, responses)
            except (OSError, _ProtocolError, ValueError) as exc:
                last_exc = exc
                self._close()
        raise _FatalRuntimeError(
            "cannot reach the Runtime API at %s:%d: %r" % (self._host, self._port, last_exc)
        )

    def _post(self, path_tail, extra_headers, payload, then_next=False):
        """POST; with ``then_next``, the next invocation's GET goes in the same write and
        its answer is kept for :meth:`next` (one round trip per invocation)."""
        request = b"".join(
            (
                path_tail,
                b" HTTP/1.1\r\n",
                self._host_header,
                extra_headers,
                b"Content-Length: ",
                str(len(payload)).encode(),
                b"\r\n\r\n",
                payload,
                self._next_request if then_next else b"",
            )
        )
        if not then_next:
            return self._request(request)
        self._pending_next = self._request(request, 2)
        return self._earlier[0]

    def next(self):
        """Block until the next invocation; return (headers, body)."""
        pending = self._pending_next
        if pending is not None:
            self._pending_next = None
            status, headers, body = pending
        else:
            status, headers, body = self._request(self._next_request)
        if status != 200:
            raise _FatalRuntimeError(
                "GET /runtime/invocation/next returned %d: %r" % (status, body[:500])
            )
        return headers, body

    def post_response(self, request_id, payload, content_type):
        status, _, body = self._post(
            self._invocation_prefix + request_id.encode("latin-1") + b"/response",
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n",
            payload,
            then_next=True,
        )
        if status >= 300:
            _warn_post("response", request_id, status, body)

    def post_error(self, request_id, error):
        status, _, body = self._post(
            self._invocation_prefix + request_id.encode("latin-1") + b"/error",
            b"Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: Unhandled\r\n",
            _dump_error(error),
            then_next=True,
        )
        if status >= 300:
            _warn_post("error", request_id, status, body)

    def post_init_error(self, error):
        error_type = "".join(c for c in str(error["errorType"]) if " " <= c <= "~")
        status, _, body = self._post(
            b"POST " + _RUNTIME_PREFIX.encode() + b"/init/error",
            b"Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: "
            + error_type.encode("latin-1")
            + b"\r\n",
            _dump_error(error),
        )
        if status >= 300:
            _warn_post("init error", None, status, body)


def _warn_post(what, request_id, status, body):
    sys.stderr.write(
        "glassgate bootstrap: posting %s%s was rejected with HTTP %d: %s\n"
        % (
            what,
            " for " + request_id if request_id else "",
            status,
            body[:500].decode("utf-8", "replace"),
        )
    )


def _dump_error(error):
    try:
        return json.dumps(error).encode("utf-8")
    except Exception:  # pragma: no cover - only strings in there
        return json.dumps(
            {"errorMessage": str(error.get("errorMessage")), "errorType": str(error.get("errorType"))}
        ).encode("utf-8")


# --------------------------------------------------------------------------
# Context object
# --------------------------------------------------------------------------


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, data):
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, data):
        self.installation_id = data.get("installation_id")
        self.app_title = data.get("app_title")
        self.app_version_name = data.get("app_version_name")
        self.app_version_code = data.get("app_version_code")
        self.app_package_name = data.get("app_package_name")


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, data):
        client = data.get("client")
        self.client = Client(client) if isinstance(client, dict) else None
        self.custom = data.get("custom")
        self.env = data.get("env")


_EMPTY_IDENTITY_DATA = {}


class LambdaContext:
    __slots__ = (
        "aws_request_id",
        "invoked_function_arn",
        "identity",
        "client_context",
        "_deadline_ms",
    )

    # constant for the lifetime of the process
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 128)
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
    log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")

    def __init__(self, request_id, deadline_ms, arn, identity, client_context):
        self.aws_request_id = request_id
        self._deadline_ms = deadline_ms
        self.invoked_function_arn = arn
        self.identity = identity
        self.client_context = client_context

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,"
            "function_name=%s,memory_limit_in_mb=%s,function_version=%s,"
            "invoked_function_arn=%s,client_context=%s,identity=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
            )
        )


def _parse_json_header(value):
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def _user_frames(tb):
    """Traceback frames without this bootstrap's and importlib's own frames."""
    return [
        f
        for f in traceback.extract_tb(tb)
        if f.filename != _BOOTSTRAP_FILE and not f.filename.startswith("<frozen importlib")
    ]


def _error_from_exception(exc, request_id=None):
    frames = _user_frames(exc.__traceback__)
    error = {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id or "",
        "stackTrace": traceback.format_list(frames),
    }
    return error


def _log_error(error):
    """Print an error the way Lambda logs it: ``[ERROR] Type: message`` and the trace."""
    lines = ["[ERROR] %s: %s" % (error["errorType"], error["errorMessage"])]
    trace = error.get("stackTrace")
    if trace:
        lines.append("Traceback (most recent call last):")
        for frame in trace:
            lines.append(frame.rstrip("\n"))
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


class _InitError(Exception):
    def __init__(self, error_type, message, stack_trace=None):
        Exception.__init__(self, message)
        self.error = {"errorMessage": message, "errorType": error_type, "stackTrace": stack_trace or []}


def _load_handler(handler_spec, task_root):
    try:
        modname, fname = handler_spec.rsplit(".", 1)
    except ValueError as exc:
        raise _InitError("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler_spec, exc))
    if not modname or not fname:
        raise _InitError("Runtime.MalformedHandlerName", "Bad handler '%s'" % handler_spec)

    import_name = modname.replace("/", ".")
    if import_name.split(".")[0] in sys.builtin_module_names:
        raise _InitError(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module %s as a handler module" % import_name.split(".")[0],
        )

    try:
        module = importlib.import_module(import_name)
    except ImportError as exc:
        raise _InitError(
            "Runtime.ImportModuleError",
            "Unable to import module '%s': %s" % (modname, exc),
            traceback.format_list(_user_frames(exc.__traceback__)),
        )
    except SyntaxError as exc:
        trace = ['  File "%s" Line %s\n    %s' % (exc.filename, exc.lineno, (exc.text or "").strip())]
        raise _InitError(
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '%s': %s" % (modname, exc),
            trace,
        )
    # Any other exception propagates with its own type (see module docstring).

    try:
        handler = getattr(module, fname)
    except AttributeError:
        raise _InitError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))
    if not callable(handler):
        raise _InitError(
            "Runtime.HandlerNotFound",
            "Handler '%s' on module '%s' is not callable (it is a %s)" % (fname, modname, type(handler).__name__),
        )
    return handler


# --------------------------------------------------------------------------
# Logging: like Lambda, the root logger gets a handler that prefixes records
# with level, UTC timestamp and request id.  Its level is left alone (WARNING
# unless the user code changes it), as on Lambda.
# --------------------------------------------------------------------------


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id or ""
        return True


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


# --------------------------------------------------------------------------
# Marshalling
# --------------------------------------------------------------------------


def _json_default(obj):
    if isinstance(obj, decimal.Decimal):
        if obj == obj.to_integral_value() and obj.is_finite():
            return int(obj)
        return float(obj)
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


# allow_nan=False: NaN/Infinity are not JSON; they become a Runtime.MarshalError
# instead of an invalid payload.
_encode = json.JSONEncoder(default=_json_default, allow_nan=False, separators=(",", ":")).encode


# --------------------------------------------------------------------------
# Main loop
# --------------------------------------------------------------------------


def _run(client, handler):
    global _current_request_id
    environ = os.environ
    loads = json.loads
    encode = _encode
    next_invocation = client.next
    post_response = client.post_response
    post_error = client.post_error
    Context = LambdaContext
    empty_identity = CognitoIdentity(_EMPTY_IDENTITY_DATA)

    while True:
        headers, body = next_invocation()
        get = headers.get
        request_id = get("lambda-runtime-aws-request-id")
        if not request_id:
            raise _FatalRuntimeError("invocation without Lambda-Runtime-Aws-Request-Id header")
        _current_request_id = request_id

        trace_id = get("lambda-runtime-trace-id")
        if trace_id:
            environ["_X_AMZN_TRACE_ID"] = trace_id
        elif "_X_AMZN_TRACE_ID" in environ:
            del environ["_X_AMZN_TRACE_ID"]

        deadline = get("lambda-runtime-deadline-ms")
        try:
            deadline_ms = int(deadline) if deadline else 0
        except ValueError:
            deadline_ms = 0
        if not deadline_ms:
            deadline_ms = int(time.time() * 1000) + 3000

        cognito = get("lambda-runtime-cognito-identity")
        client_ctx = get("lambda-runtime-client-context")
        identity = empty_identity
        if cognito:
            data = _parse_json_header(cognito)
            if data is not None:
                identity = CognitoIdentity(data)
        context = Context(
            request_id,
            deadline_ms,
            get("lambda-runtime-invoked-function-arn"),
            identity,
            ClientContext(_parse_json_header(client_ctx) or {}) if client_ctx else None,
        )

        try:
            event = loads(body)
        except ValueError as exc:
            error = {
                "errorMessage": "Unable to unmarshal input: %s" % exc,
                "errorType": "Runtime.UnmarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            _log_error(error)
            post_error(request_id, error)
            _current_request_id = None
            continue

        try:
            result = handler(event, context)
        except Exception as exc:
            error = _error_from_exception(exc, request_id)
            _log_error(error)
            post_error(request_id, error)
            _current_request_id = None
            continue

        if isinstance(result, (bytes, bytearray)):
            post_response(request_id, bytes(result), "application/unknown")
        else:
            try:
                payload = encode(result).encode("utf-8")
            except Exception as exc:
                error = {
                    "errorMessage": "Unable to marshal response: %s" % exc,
                    "errorType": "Runtime.MarshalError",
                    "requestId": request_id,
                    "stackTrace": [],
                }
                _log_error(error)
                post_error(request_id, error)
                _current_request_id = None
                continue
            post_response(request_id, payload, "application/json")
        _current_request_id = None


def main():
    api = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not api:
        sys.stderr.write("glassgate bootstrap: AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(1)
    # glassgate's own variable, not Lambda's: the handler never sees it.
    client = RuntimeClient(api, os.environ.pop("_GLASSGATE_RUNTIME_SOCKET", None))

    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    # The bootstrap's own folder must not shadow user modules; the task root
    # comes first, as on Lambda.
    bootstrap_dir = os.path.dirname(_BOOTSTRAP_FILE)
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != bootstrap_dir]
    sys.path.insert(0, task_root)

    _setup_logging()

    handler_spec = os.environ.get("_HANDLER", "")
    try:
        try:
            handler = _load_handler(handler_spec, task_root)
        except _InitError as exc:
            error = exc.error
        except Exception as exc:
            error = _error_from_exception(exc)
            error.pop("requestId", None)
        else:
            error = None
        if error is not None:
            _log_error(error)
            client.post_init_error(error)
            sys.stdout.flush()
            os._exit(1)

        _run(client, handler)
    except _FatalRuntimeError as exc:
        sys.stderr.write("glassgate bootstrap: %s\n" % exc)
        sys.stderr.flush()
        os._exit(1)


if __name__ == "__main__":
    main()
