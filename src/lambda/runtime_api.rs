//! The embedded Lambda Runtime API, one listener per function process.
//!
//! Each process gets its own loopback port in `AWS_LAMBDA_RUNTIME_API`, so every call is
//! attributable to exactly one process: that is what lets the pool tell a crash during
//! an invocation from a crash between invocations, and enforce "one invocation per process
//! at a time". The routes and headers are AWS Lambda's
//! (`/2018-06-01/runtime/invocation/next`, `.../{id}/response`, `.../{id}/error`,
//! `/2018-06-01/runtime/init/error`), so real runtime clients run unchanged.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderName, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::path::PathBuf;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Lambda's synchronous response payload limit (6 MB).
pub(crate) const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// One invocation handed to a process through `/next`.
pub(crate) struct Pending {
    pub request_id: String,
    pub payload: Bytes,
    pub timeout: Duration,
    pub trace_id: String,
    /// Fired when the process has taken the invocation (its timeout starts then).
    pub delivered: oneshot::Sender<()>,
    /// Fired with the process's answer.
    pub reply: oneshot::Sender<RuntimeReply>,
}

/// What a process answered for one invocation.
#[derive(Debug)]
pub(crate) enum RuntimeReply {
    /// `POST .../response`.
    Response(Bytes),
    /// `POST .../error`, or a response the Runtime API had to refuse.
    Error {
        /// `Lambda-Runtime-Function-Error-Type` header, if any.
        error_type: Option<String>,
        /// The error document as posted.
        body: Bytes,
    },
}

/// An init error posted to `/runtime/init/error`.
#[derive(Debug, Clone)]
pub(crate) struct InitError {
    pub error_type: Option<String>,
    pub body: Bytes,
}

/// State shared between one process's Runtime API listener and its worker.
pub(crate) struct ApiState {
    inbox: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<RuntimeReply>>>,
    init_error: Mutex<Option<InitError>>,
    function_arn: String,
    /// When the process first asked for an invocation: its init was done then.
    first_poll: std::sync::OnceLock<std::time::Instant>,
}

impl ApiState {
    /// When the process first called `/next` (the end of its init), if it has.
    pub(crate) fn first_poll(&self) -> Option<std::time::Instant> {
        self.first_poll.get().copied()
    }

    /// The init error the process posted, if any.
    pub(crate) fn init_error(&self) -> Option<InitError> {
        self.init_error.lock().ok().and_then(|g| g.clone())
    }
}

/// A running Runtime API listener; dropping it stops the listener.
pub(crate) struct RuntimeApi {
    pub addr: std::net::SocketAddr,
    /// The Unix socket it also listens on, if any.
    pub socket: Option<PathBuf>,
    pub state: Arc<ApiState>,
    task: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(path) = &self.socket {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl RuntimeApi {
    /// Bind a listener on a free loopback port and, with `socket`, a Unix socket at that path
    /// too: the same Runtime API on both (the embedded runtime clients use the Unix socket,
    /// which skips the TCP stack on every call; `AWS_LAMBDA_RUNTIME_API` stays a host:port
    /// for every other client).
    pub(crate) async fn start(
        function_arn: String,
        inbox: mpsc::Receiver<Pending>,
        socket: Option<PathBuf>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        // The Unix socket only saves work: where it cannot be bound (a path over the 108
        // bytes a socket address holds, under a long TMPDIR), the process uses TCP as every
        // other client does.
        let unix = socket.as_ref().and_then(|path| {
            let _ = std::fs::remove_file(path);
            UnixListener::bind(path).ok()
        });
        let socket = socket.filter(|_| unix.is_some());
        let state = Arc::new(ApiState {
            inbox: tokio::sync::Mutex::new(inbox),
            in_flight: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
            function_arn,
            first_poll: std::sync::OnceLock::new(),
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    tcp = listener.accept() => match tcp {
                        Ok((stream, _)) => {
                            let _ = stream.set_nodelay(true);
                            Conn::Tcp(stream)
                        }
                        Err(_) => continue,
                    },
                    Some(accepted) = accept_unix(unix.as_ref()) => match accepted {
                        Ok(stream) => Conn::Unix(stream),
                        Err(_) => continue,
                    },
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(st.clone(), req));
                    // A client that hangs up mid-request is not our error to report.
                    let builder = http1::Builder::new();
                    let _ = match stream {
                        Conn::Tcp(s) => builder.serve_connection(TokioIo::new(s), svc).await,
                        Conn::Unix(s) => builder.serve_connection(TokioIo::new(s), svc).await,
                    };
                });
            }
        });
        Ok(RuntimeApi {
            addr,
            socket,
            state,
            task,
        })
    }
}

enum Conn {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// The next connection on the Unix socket, or never when there is none.
async fn accept_unix(
    listener: Option<&UnixListener>,
) -> Option<std::io::Result<tokio::net::UnixStream>> {
    match listener {
        Some(l) => Some(l.accept().await.map(|(s, _)| s)),
        None => std::future::pending().await,
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

const ACCEPTED: &str = r#"{"status":"OK"}"#;

/// What a request to the Runtime API asks for, from its method and path alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint<'a> {
    /// `GET /2018-06-01/runtime/invocation/next`.
    Next,
    /// `POST /2018-06-01/runtime/init/error`.
    InitError,
    /// `POST /2018-06-01/runtime/invocation/{id}/response`.
    Response(&'a str),
    /// `POST /2018-06-01/runtime/invocation/{id}/error`.
    Error(&'a str),
    /// Another method on a path of the API.
    MethodNotAllowed,
    /// Not a path of the API.
    NotFound,
}

/// The endpoint a method and path name.
pub(crate) fn endpoint<'a>(method: &Method, path: &'a str) -> Endpoint<'a> {
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Endpoint::NotFound;
    };
    if *method == Method::GET && rest == "invocation/next" {
        return Endpoint::Next;
    }
    if *method != Method::POST {
        return Endpoint::MethodNotAllowed;
    }
    if rest == "init/error" {
        return Endpoint::InitError;
    }
    match rest
        .strip_prefix("invocation/")
        .and_then(|tail| tail.rsplit_once('/'))
    {
        Some((id, "response")) => Endpoint::Response(id),
        Some((id, "error")) => Endpoint::Error(id),
        _ => Endpoint::NotFound,
    }
}

async fn handle(
    st: Arc<ApiState>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    const NOT_FOUND: &str = r#"{"errorMessage":"unknown Runtime API path","errorType":"NotFound"}"#;
    let path = req.uri().path().to_owned();
    let (id, kind) = match endpoint(req.method(), &path) {
        Endpoint::NotFound => return Ok(reply(StatusCode::NOT_FOUND, NOT_FOUND)),
        Endpoint::Next => return Ok(next(&st).await),
        Endpoint::MethodNotAllowed => {
            return Ok(reply(
                StatusCode::METHOD_NOT_ALLOWED,
                r#"{"errorMessage":"method not allowed","errorType":"MethodNotAllowed"}"#,
            ));
        }
        Endpoint::InitError => (None, "init"),
        Endpoint::Response(id) => (Some(id.to_owned()), "response"),
        Endpoint::Error(id) => (Some(id.to_owned()), "error"),
    };
    let error_type = req
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match Limited::new(req.into_body(), MAX_PAYLOAD).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) => Err(e),
    };

    let Some(id) = id else {
        let body = body.unwrap_or_else(|_| Bytes::from_static(b"{}"));
        if let Ok(mut g) = st.init_error.lock() {
            *g = Some(InitError { error_type, body });
        }
        return Ok(reply(StatusCode::ACCEPTED, ACCEPTED));
    };
    let sender = st
        .in_flight
        .lock()
        .ok()
        .and_then(|mut m| m.remove(id.as_str()));
    let Some(sender) = sender else {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
        ));
    };
    let (answer, status) = match (kind, body) {
        ("response", Ok(b)) => (RuntimeReply::Response(b), StatusCode::ACCEPTED),
        ("response", Err(_)) => (
            RuntimeReply::Error {
                error_type: Some("Function.ResponseSizeTooLarge".to_owned()),
                body: Bytes::from(format!(
                    r#"{{"errorMessage":"Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).","errorType":"Function.ResponseSizeTooLarge"}}"#
                )),
            },
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (_, b) => (
            RuntimeReply::Error {
                error_type,
                body: b.unwrap_or_else(|_| Bytes::from_static(b"{}")),
            },
            StatusCode::ACCEPTED,
        ),
    };
    let _ = sender.send(answer);
    Ok(if status == StatusCode::ACCEPTED {
        reply(status, ACCEPTED)
    } else {
        reply(
            status,
            r#"{"errorMessage":"Payload too large","errorType":"RequestEntityTooLarge"}"#,
        )
    })
}

async fn next(st: &ApiState) -> Response<Full<Bytes>> {
    if st.first_poll.get().is_none() {
        let _ = st.first_poll.set(std::time::Instant::now());
    }
    // Holding the inbox lock while waiting is what makes a second concurrent `/next` from the
    // same process wait its turn instead of stealing work.
    let pending = {
        let mut inbox = st.inbox.lock().await;
        inbox.recv().await
    };
    let Some(p) = pending else {
        // The worker is gone; the process is about to be killed.
        return reply(
            StatusCode::GONE,
            r#"{"errorMessage":"runtime is shutting down","errorType":"Gone"}"#,
        );
    };
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d + p.timeout)
        .unwrap_or_default()
        .as_millis();
    if let Ok(mut m) = st.in_flight.lock() {
        m.insert(p.request_id.clone(), p.reply);
    }
    let _ = p.delivered.send(());
    // Names as constants: a `&'static str` key is parsed and validated on every insert.
    const REQUEST_ID: HeaderName = HeaderName::from_static("lambda-runtime-aws-request-id");
    const DEADLINE: HeaderName = HeaderName::from_static("lambda-runtime-deadline-ms");
    const FUNCTION_ARN: HeaderName = HeaderName::from_static("lambda-runtime-invoked-function-arn");
    const TRACE_ID: HeaderName = HeaderName::from_static("lambda-runtime-trace-id");
    let mut r = Response::new(Full::new(p.payload));
    let h = r.headers_mut();
    h.reserve(5);
    let put = |h: &mut http::HeaderMap, k: HeaderName, v: &str| {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    put(h, REQUEST_ID, &p.request_id);
    put(h, DEADLINE, &deadline_ms.to_string());
    put(h, FUNCTION_ARN, &st.function_arn);
    put(h, TRACE_ID, &p.trace_id);
    r
}

#[cfg(test)]
mod tests {
    use super::{Endpoint, endpoint};
    use http::Method;

    #[test]
    fn endpoints_are_read_from_the_method_and_path() {
        let p = |m: Method, path: &'static str| endpoint(&m, path);
        assert_eq!(
            p(Method::GET, "/2018-06-01/runtime/invocation/next"),
            Endpoint::Next
        );
        assert_eq!(
            p(Method::POST, "/2018-06-01/runtime/invocation/r-1/response"),
            Endpoint::Response("r-1")
        );
        assert_eq!(
            p(Method::POST, "/2018-06-01/runtime/invocation/r-1/error"),
            Endpoint::Error("r-1")
        );
        assert_eq!(
            p(Method::POST, "/2018-06-01/runtime/init/error"),
            Endpoint::InitError
        );
        assert_eq!(
            p(Method::PUT, "/2018-06-01/runtime/invocation/next"),
            Endpoint::MethodNotAllowed
        );
        assert_eq!(
            p(Method::POST, "/2018-06-01/runtime/invocation/r-1/other"),
            Endpoint::NotFound
        );
        assert_eq!(p(Method::GET, "/elsewhere"), Endpoint::NotFound);
    }
}
