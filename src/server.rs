//! The HTTP listener: HTTP/1.1 with keep-alive, ingress normalisation, the gateway's id
//! headers, trace output, and graceful shutdown (stop accepting, drain in-flight requests,
//! then let the caller stop the function processes).

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::model::ApiKind;
use crate::outcome::Cause;
use crate::pipeline::request::{self, GatewayRequest};
use crate::pipeline::respond::GatewayResponse;
use crate::pipeline::{Handled, MAX_BODY, Pipeline};
use crate::recent::RecentRequests;
use crate::trace::Trace;

pub use crate::log_sink::LogFormat;

/// What the listener and the admin API share.
pub struct ServerState {
    /// The lifecycle; replaced whole when the template is reloaded.
    pipeline: std::sync::RwLock<Arc<Pipeline>>,
    /// Recent traces.
    pub recent: Arc<RecentRequests>,
    /// Trace output.
    pub log_format: LogFormat,
    /// `--faithful`: no `x-glassgate-*` headers, responses byte-identical to AWS's.
    pub faithful: bool,
    /// Timeouts and sizes every connection and request is held to.
    pub limits: crate::limits::Limits,
    /// When serving started.
    pub started: std::time::Instant,
    /// One permit per request in the lifecycle (`--max-in-flight`).
    in_flight: tokio::sync::Semaphore,
    /// Bytes of request bodies held (`--max-body-buffer`).
    bodies: crate::limits::BodyBudget,
    /// Set once the shutdown signal came: long-lived admin streams end on it, so that
    /// nothing holds the process past its drain.
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl ServerState {
    /// State for serving `pipeline`.
    pub fn new(
        pipeline: Arc<Pipeline>,
        recent: Arc<RecentRequests>,
        log_format: LogFormat,
        faithful: bool,
    ) -> Self {
        ServerState {
            pipeline: std::sync::RwLock::new(pipeline),
            recent,
            log_format,
            faithful,
            limits: crate::limits::Limits::default(),
            started: std::time::Instant::now(),
            in_flight: tokio::sync::Semaphore::new(crate::limits::DEFAULT_MAX_IN_FLIGHT),
            bodies: crate::limits::BodyBudget::new(crate::limits::DEFAULT_MAX_BODY_BUFFER),
            shutdown: tokio::sync::watch::Sender::new(false),
        }
    }

    /// What the gateway holds now against its budgets, as `/health` shows it.
    pub fn load(&self) -> serde_json::Value {
        serde_json::json!({
            "inFlight": self.limits.max_in_flight.max(1) - self.in_flight.available_permits(),
            "maxInFlight": self.limits.max_in_flight.max(1),
            "bodyBytesHeld": self.bodies.held(),
            "maxBodyBuffer": self.bodies.most(),
        })
    }

    /// Say that the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Something to wait on for the shutdown (`wait_for(|down| *down)`).
    pub fn shutdown_watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// The same state with other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: crate::limits::Limits) -> Self {
        self.limits = limits;
        self.in_flight = tokio::sync::Semaphore::new(limits.max_in_flight.max(1));
        self.bodies = crate::limits::BodyBudget::new(limits.max_body_buffer);
        self
    }

    /// The pipeline requests are served by now (a request keeps the one it started with).
    pub fn pipeline(&self) -> Arc<Pipeline> {
        self.pipeline
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Serve `pipeline` from now on; returns the previous one.
    pub fn replace_pipeline(&self, pipeline: Arc<Pipeline>) -> Arc<Pipeline> {
        let mut current = self
            .pipeline
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *current, pipeline)
    }
}

/// How long in-flight requests may take to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// hyper's read buffer: a header block larger than this is refused by hyper itself (431)
/// before glassgate sees it; one between the 10 KB limit and this gets glassgate's answer.
const MAX_BUF: usize = 64 * 1024;

/// Serve until `shutdown` completes, then drain in-flight requests.
///
/// # Errors
/// Only listener errors that are not per-connection (per-connection errors are dropped, as
/// a client hanging up is not the server's failure).
pub async fn serve(
    state: Arc<ServerState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let local_port = listener.local_addr()?.port();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let limits = state.limits;
    // One permit per connection served: past the cap, connections wait in the backlog.
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        crate::log_sink::line(format!("glassgate: accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let svc = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, req, peer, local_port).await) }
                });
                // hyper's header timeout needs its timer, or it never fires.
                let conn = http1::Builder::new()
                    .keep_alive(true)
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(limits.header_read_timeout)
                    .max_buf_size(MAX_BUF)
                    .serve_connection(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    state.begin_shutdown();
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        crate::log_sink::line(format!(
            "glassgate: in-flight requests still running after {}s; stopping anyway",
            DRAIN_TIMEOUT.as_secs()
        ));
    }
    Ok(())
}

/// The length of the request target as the client wrote it, without formatting the URI: an
/// origin-form target (`/path?query`, nearly every request) is its path and query.
fn request_target_len(uri: &http::Uri) -> usize {
    if uri.scheme().is_some() || uri.authority().is_some() {
        return uri.to_string().len();
    }
    uri.path_and_query().map_or(1, |pq| pq.as_str().len())
}

/// Why a request body could not be read whole.
enum BodyError {
    /// More than API Gateway's 10 MB.
    TooLarge,
    /// No byte for the idle timeout.
    Idle,
    /// The bodies being received already hold the whole `--max-body-buffer`.
    OverBudget,
    /// The connection broke.
    Broken(hyper::Error),
}

/// Bytes as MiB with one decimal, for messages.
fn mib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / f64::from(1 << 20))
}

/// The whole body, at most `MAX_BODY` bytes, each frame arriving within `idle` and held
/// against the server's body budget through `lease`.
async fn read_body(
    mut body: Incoming,
    idle: Duration,
    lease: &mut crate::limits::BodyLease<'_>,
) -> Result<Bytes, BodyError> {
    let mut buf = bytes::BytesMut::new();
    loop {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(BodyError::Idle),
            Ok(None) => return Ok(buf.freeze()),
            Ok(Some(Err(e))) => return Err(BodyError::Broken(e)),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > MAX_BODY {
                        return Err(BodyError::TooLarge);
                    }
                    if !lease.take(data.len()) {
                        return Err(BodyError::OverBudget);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}

async fn handle(
    state: &ServerState,
    req: Request<Incoming>,
    peer: SocketAddr,
    local_port: u16,
) -> Response<Full<Bytes>> {
    let pipeline = state.pipeline();
    let received_at = OffsetDateTime::now_utc();
    let (parts, body) = req.into_parts();
    let mut headers: Vec<(String, String)> = Vec::with_capacity(parts.headers.len() + 3);
    for (k, v) in &parts.headers {
        headers.push((
            request::display_case(k.as_str()),
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        ));
    }
    let protocol = match parts.version {
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        _ => "HTTP/1.1",
    };
    let mut greq = GatewayRequest {
        request_id: request::new_request_id(),
        extended_request_id: request::new_extended_request_id(),
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: Bytes::new(),
        source_ip: peer.ip(),
        local_port,
        protocol,
        received_at,
        parsed_query: Default::default(),
    };
    let limits = state.limits;
    let header_bytes = crate::limits::header_bytes(
        parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes())),
    ) + parts.method.as_str().len()
        + request_target_len(&parts.uri)
        + 11;
    add_forwarding_headers(&mut greq);
    // The body first, against the byte budget: a client that sends it slowly holds only its
    // bytes. Then a place in the lifecycle, held until the response is built (the
    // invocation and its queue wait count).
    let mut lease = state.bodies.lease();
    let handled = if header_bytes > limits.max_header_bytes {
        pipeline.reject(
            &greq,
            Cause::HeadersTooLarge,
            &format!(
                "the request line and headers are {header_bytes} bytes, more than API Gateway's {} (serve --max-header-bytes)",
                limits.max_header_bytes
            ),
        )
    } else {
        match read_body(body, limits.body_idle_timeout, &mut lease).await {
            Ok(b) => {
                greq.body = b;
                match state.in_flight.try_acquire() {
                    Ok(_permit) => pipeline.handle(&greq).await,
                    Err(_) => pipeline.reject(
                        &greq,
                        Cause::Overloaded,
                        &format!(
                            "{} requests were already in flight, the most this gateway holds at once (serve --max-in-flight)",
                            limits.max_in_flight
                        ),
                    ),
                }
            }
            Err(BodyError::TooLarge) => pipeline.reject(
                &greq,
                Cause::RequestTooLarge,
                &format!("the request body is larger than API Gateway's {MAX_BODY} bytes"),
            ),
            Err(BodyError::OverBudget) => pipeline.reject(
                &greq,
                Cause::Overloaded,
                &format!(
                    "the request bodies being received already hold {} of the {} MiB this gateway buffers at once (serve --max-body-buffer)",
                    mib(state.bodies.held()),
                    mib(state.bodies.most())
                ),
            ),
            Err(BodyError::Idle) => pipeline.reject(
                &greq,
                Cause::BodyTimeout,
                &format!(
                    "no byte of the request body arrived for {} s (serve --body-timeout)",
                    limits.body_idle_timeout.as_secs_f64()
                ),
            ),
            Err(BodyError::Broken(e)) => pipeline.reject(
                &greq,
                Cause::BodyBroken,
                &format!("the request body could not be read: {e}"),
            ),
        }
    };
    let Handled {
        response,
        mut trace,
    } = handled;
    let out = to_http(&response, &trace, state.faithful);
    keep_exchange(&mut trace, greq.into_kept(), response);
    let trace = Arc::new(trace);
    crate::log_sink::trace(trace.clone(), state.log_format);
    // The stage's access log: its own line in text mode (a JSON trace carries it as
    // `accessLog`).
    if let (Some(line), crate::log_sink::LogFormat::Text) = (&trace.access_log, state.log_format) {
        crate::log_sink::line(format!(
            "access-log {}: {line}",
            trace.api.as_deref().unwrap_or("-")
        ));
    }
    state.recent.push(trace);
    out
}

/// Keep what the client sent and got with the trace (the response's header strings moved,
/// its body shared or, past the cap, its start copied).
pub fn keep_exchange(
    trace: &mut Trace,
    request: crate::trace::ClientRequest,
    response: GatewayResponse,
) {
    trace.exchange = Some(Arc::new(crate::trace::Exchange {
        request,
        response: crate::trace::ClientResponse {
            status: response.status,
            body: crate::trace::KeptBody::keep(&response.body),
            headers: response.headers,
        },
    }));
}

/// The diagnosis headers: which layer produced the response, why, and what the authorizer
/// cache and mode did. Never the identity itself.
pub fn diagnosis_headers(trace: &Trace) -> Vec<(HeaderName, Cow<'static, str>)> {
    const LAYER: HeaderName = HeaderName::from_static("x-glassgate-layer");
    const CAUSE: HeaderName = HeaderName::from_static("x-glassgate-cause");
    const CACHE: HeaderName = HeaderName::from_static("x-glassgate-authorizer-cache");
    const MODE: HeaderName = HeaderName::from_static("x-glassgate-authorizer-mode");
    let mut out = Vec::with_capacity(3);
    match &trace.failure {
        Some(f) => {
            out.push((LAYER, Cow::Borrowed(f.layer.as_str())));
            out.push((CAUSE, Cow::Borrowed(f.cause.token())));
        }
        // The gateway's own answer to a CORS preflight; everything else that did not fail
        // came from the backend.
        None if trace.preflight == Some(crate::trace::Preflight::Answered) => {
            out.push((LAYER, Cow::Borrowed("gateway")));
        }
        None => out.push((LAYER, Cow::Borrowed("backend"))),
    }
    if let Some(a) = &trace.authorizer {
        match a.cache {
            "hit" => out.push((
                CACHE,
                Cow::Owned(format!(
                    "hit; age={}; ttl={}",
                    // Whole seconds: `{:.0}` on a float takes the slow exact-formatting path.
                    a.cache_age_s.unwrap_or_default() as u64,
                    a.ttl_s
                )),
            )),
            "miss" => out.push((CACHE, Cow::Borrowed("miss"))),
            _ => {}
        }
        if a.mode != "normal" && !a.mode.is_empty() {
            out.push((
                MODE,
                Cow::Owned(format!("{}; authorizer={}", a.mode, a.name)),
            ));
        }
    }
    out
}

/// API Gateway appends the client to `X-Forwarded-For` and sets the port and protocol.
fn add_forwarding_headers(req: &mut GatewayRequest) {
    let ip = req.source_ip.to_string();
    match req
        .headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for"))
    {
        Some((_, v)) => {
            v.push_str(", ");
            v.push_str(&ip);
        }
        None => req.headers.push(("X-Forwarded-For".to_owned(), ip)),
    }
    if req.header("x-forwarded-port").is_none() {
        req.headers
            .push(("X-Forwarded-Port".to_owned(), req.local_port.to_string()));
    }
    if req.header("x-forwarded-proto").is_none() {
        req.headers
            .push(("X-Forwarded-Proto".to_owned(), "http".to_owned()));
    }
}

// The gateway's own headers, as constants: a `&'static str` name is parsed on every insert.
const X_AMZN_REQUESTID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const X_AMZ_APIGW_ID: HeaderName = HeaderName::from_static("x-amz-apigw-id");
const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");
const APIGW_REQUESTID: HeaderName = HeaderName::from_static("apigw-requestid");

fn to_http(response: &GatewayResponse, trace: &Trace, faithful: bool) -> Response<Full<Bytes>> {
    let mut out = Response::new(Full::new(response.body.clone()));
    *out.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
    *out.headers_mut() = client_headers(&response.headers, trace, faithful);
    out
}

/// The headers a client gets: the lifecycle's, then the gateway's ids, and unless
/// `faithful`, the diagnosis headers and `Server-Timing`.
pub fn client_headers(headers: &[(String, String)], trace: &Trace, faithful: bool) -> HeaderMap {
    // Room for the gateway's own headers too, so the map is not regrown per response.
    let mut h = HeaderMap::with_capacity(headers.len() + 8);
    for (k, v) in headers {
        // A header the handler named or valued illegally cannot be sent; dropping it is
        // what a proxy in front of API Gateway would do too.
        if let (Ok(k), Ok(v)) = (
            crate::pipeline::header_name::header_name(k),
            HeaderValue::from_str(v),
        ) {
            h.append(k, v);
        }
    }
    // An HTTP API names the request by one id (the event's `requestContext.requestId`);
    // a REST API by two, and adds the X-Ray trace id when it invoked a function.
    let http_api = trace.flavor == Some(ApiKind::Http);
    if http_api {
        if let Ok(v) = HeaderValue::from_str(&trace.extended_request_id) {
            h.insert(APIGW_REQUESTID, v);
        }
    } else {
        if let Ok(v) = HeaderValue::from_str(&trace.request_id) {
            h.insert(X_AMZN_REQUESTID, v);
        }
        if let Ok(v) = HeaderValue::from_str(&trace.extended_request_id) {
            h.insert(X_AMZ_APIGW_ID, v);
        }
    }
    if !faithful {
        for (k, v) in diagnosis_headers(trace) {
            let v = match v {
                Cow::Borrowed(s) => Ok(HeaderValue::from_static(s)),
                Cow::Owned(s) => HeaderValue::from_maybe_shared(Bytes::from(s)),
            };
            if let Ok(v) = v {
                h.insert(k, v);
            }
        }
        if let Ok(v) = HeaderValue::from_maybe_shared(Bytes::from(server_timing(trace))) {
            h.insert(SERVER_TIMING, v);
        }
    }
    if trace.invocation.is_some() && !http_api {
        let root = request::trace_root(&trace.request_id, trace.received_at);
        if let Ok(v) = HeaderValue::from_str(&root) {
            h.insert(X_AMZN_TRACE_ID, v);
        }
    }
    h
}

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// `Server-Timing` of the trace's stages (`route;dur=0.046, authorize;desc="cache
/// hit";dur=0.01, ...`), so that a browser's developer tools show glassgate's stages.
/// Durations are written from whole microseconds: float formatting is slow.
pub fn server_timing(trace: &Trace) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(32 * trace.stages.len() + 16);
    for s in &trace.stages {
        if !out.is_empty() {
            out.push_str(", ");
        }
        let name = match s.stage {
            crate::trace::Stage::Route => "route",
            crate::trace::Stage::Authorize => "authorize",
            crate::trace::Stage::Integrate => "integrate",
            crate::trace::Stage::Respond => "respond",
        };
        out.push_str(name);
        // The result in a quoted string: only what a quoted-string may hold.
        out.push_str(";desc=\"");
        out.extend(
            s.result
                .chars()
                .filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\'),
        );
        let us = (s.duration_ms * 1000.0).max(0.0) as u64;
        let _ = write!(out, "\";dur={}.{:03}", us / 1000, us % 1000);
    }
    let us = (trace.latency_ms * 1000.0).max(0.0) as u64;
    if !out.is_empty() {
        out.push_str(", ");
    }
    let _ = write!(out, "total;dur={}.{:03}", us / 1000, us % 1000);
    out
}

#[cfg(test)]
mod tests {
    use super::request_target_len;

    #[test]
    fn the_request_target_is_measured_as_written() {
        for target in [
            "/",
            "/a/b?c=d&e",
            "*",
            "http://example.com/x?y",
            "example.com:443",
        ] {
            let uri: http::Uri = target.parse().expect(target);
            assert_eq!(request_target_len(&uri), uri.to_string().len(), "{target}");
        }
        let uri: http::Uri = "/orders/1?page=2".parse().expect("uri");
        assert_eq!(request_target_len(&uri), "/orders/1?page=2".len());
    }
}
