//! The admin API (JSON, on its own port, loopback by default) and the web console it serves.
//! This module owns the listener, the route table and the replies; each group of routes has
//! its module: `guard` (who may ask what), `requests` (recent requests, replay,
//! test-invoke), `authorizers` (caches, modes, test-invoke of an authorizer), `status`
//! (health, routes), `events` (the live stream) and `console` (the embedded pages).
//! The routes are the interface in DESIGN.md and `docs/admin-api.md`; `glassgate explain`
//! and the console are its clients.

mod authorizers;
mod console;
mod events;
mod guard;
mod requests;
mod status;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::server::ServerState;

/// Largest admin request body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// The most admin connections served at once.
const ADMIN_CONNECTIONS: usize = 256;

/// The body of every admin answer: a whole JSON document or asset, or the event stream.
pub type AdminBody = UnsyncBoxBody<Bytes, Infallible>;

/// What the admin API knows besides the server's state.
#[derive(Debug, Clone, Default)]
pub struct AdminOptions {
    /// The gateway's URL, for `/health` and the console's header.
    pub gateway_url: String,
    /// `serve --console-dir`: the console's files from this folder instead of the binary.
    pub console_dir: Option<PathBuf>,
}

/// What every handler gets.
struct Ctx {
    state: Arc<ServerState>,
    options: AdminOptions,
    /// The admin port's own address.
    local: SocketAddr,
}

/// Serve the admin API until the task is dropped.
pub async fn serve(state: Arc<ServerState>, listener: TcpListener, options: AdminOptions) {
    // The gateway's limits hold here too: a slow client is dropped, a huge header block
    // refused, and a few hundred connections at most (the admin API is for a person and
    // their tools).
    let limits = state.limits;
    let Ok(local) = listener.local_addr() else {
        return;
    };
    let ctx = Arc::new(Ctx {
        state,
        options,
        local,
    });
    let slots = Arc::new(tokio::sync::Semaphore::new(ADMIN_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // EMFILE and friends: back off instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let ctx = ctx.clone();
                async move { Ok::<_, Infallible>(handle(&ctx, req).await) }
            });
            let _ = http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
            drop(permit);
        });
    }
}

/// A whole body.
fn full(bytes: impl Into<Bytes>) -> AdminBody {
    Full::new(bytes.into()).boxed_unsync()
}

fn json_response(status: StatusCode, v: &Value) -> Response<AdminBody> {
    let body = serde_json::to_vec_pretty(v).unwrap_or_default();
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, message: impl Into<String>) -> Response<AdminBody> {
    json_response(status, &json!({ "error": message.into() }))
}

fn redirect(to: &'static str) -> Response<AdminBody> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::FOUND;
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(to));
    r
}

async fn read_json<T: for<'de> Deserialize<'de>>(body: Incoming) -> Result<T, Response<AdminBody>> {
    let bytes = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            )
        })?
        .to_bytes();
    let bytes = if bytes.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        bytes
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

/// A route of the admin API, resolved from the path.
enum Route<'a> {
    Home,
    Health,
    Routes,
    Lints,
    Requests,
    Request(String),
    Replay(String),
    TestInvoke,
    Authorizers,
    FlushAll,
    FlushAuthorizer(&'a str),
    FlushEntry(&'a str, &'a str),
    Mode(&'a str),
    TestAuthorizer(&'a str),
    Events,
    NoIcon,
    Console(&'a str),
}

/// The route a path names and the one method it takes.
fn resolve(path: &str) -> Option<(Method, Route<'_>)> {
    // Extended ids are base64 (`/`, `+`, `=`): clients percent-encode them.
    let decode = |id: &str| {
        percent_encoding::percent_decode_str(id)
            .decode_utf8_lossy()
            .into_owned()
    };
    if let Some(asset) = path.strip_prefix("/console/") {
        return Some((Method::GET, Route::Console(asset)));
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    Some(match segs.as_slice() {
        [] => (Method::GET, Route::Home),
        ["health"] => (Method::GET, Route::Health),
        ["routes"] => (Method::GET, Route::Routes),
        ["lints"] => (Method::GET, Route::Lints),
        ["requests"] => (Method::GET, Route::Requests),
        ["requests", id] => (Method::GET, Route::Request(decode(id))),
        ["requests", id, "replay"] => (Method::POST, Route::Replay(decode(id))),
        ["test-invoke"] => (Method::POST, Route::TestInvoke),
        ["authorizers"] => (Method::GET, Route::Authorizers),
        ["authorizers", "cache"] => (Method::DELETE, Route::FlushAll),
        ["authorizers", name, "cache"] => (Method::DELETE, Route::FlushAuthorizer(name)),
        ["authorizers", name, "cache", id] => (Method::DELETE, Route::FlushEntry(name, id)),
        ["authorizers", name, "mode"] => (Method::PUT, Route::Mode(name)),
        ["authorizers", name, "test-invoke"] => (Method::POST, Route::TestAuthorizer(name)),
        ["events"] => (Method::GET, Route::Events),
        // Browsers ask for it on their own; the console has none.
        ["favicon.ico"] => (Method::GET, Route::NoIcon),
        _ => return None,
    })
}

async fn handle(ctx: &Ctx, req: Request<Incoming>) -> Response<AdminBody> {
    let mut r = answer(ctx, req).await;
    r.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

async fn answer(ctx: &Ctx, req: Request<Incoming>) -> Response<AdminBody> {
    if let Err(r) = guard::host(&req, ctx.local) {
        return error(r.status, r.message);
    }
    let method = req.method().clone();
    let raw_path = req.uri().path().to_owned();
    // The console's pages load their files by relative paths: they need the slash.
    if raw_path == "/console" {
        return redirect("/console/");
    }
    let path = if raw_path.starts_with("/console/") {
        raw_path.as_str()
    } else {
        raw_path.trim_end_matches('/')
    };
    let Some((takes, route)) = resolve(path) else {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "no admin route {method} {path}; see GET /health, /routes, /requests, /authorizers, /events, /console/"
            ),
        );
    };
    let head_of_get = method == Method::HEAD && takes == Method::GET;
    if method != takes && !head_of_get {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{path} takes {takes}, not {method}"),
        );
        if let Ok(v) = HeaderValue::from_str(takes.as_str()) {
            r.headers_mut().insert(header::ALLOW, v);
        }
        return r;
    }
    if let Err(r) = guard::change(&req) {
        return error(r.status, r.message);
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    let state = &ctx.state;
    match route {
        Route::Home => redirect("/console/"),
        Route::Health => status::health(ctx),
        Route::Routes => status::routes(state),
        Route::Lints => status::lints(state),
        Route::Requests => requests::list(state, &query),
        Route::Request(id) => requests::detail(state, &id),
        Route::Replay(id) => requests::replay(state, &id, req.into_body()).await,
        Route::TestInvoke => requests::test_invoke(state, req.into_body()).await,
        Route::Authorizers => authorizers::list(state),
        Route::FlushAll => authorizers::flush(state, None, None),
        Route::FlushAuthorizer(name) => authorizers::flush(state, Some(name), None),
        Route::FlushEntry(name, id) => authorizers::flush(state, Some(name), Some(id)),
        Route::Mode(name) => {
            let name = name.to_owned();
            authorizers::set_mode(state, &name, req.into_body()).await
        }
        Route::TestAuthorizer(name) => {
            let name = name.to_owned();
            authorizers::test_invoke(state, &name, req.into_body()).await
        }
        Route::Events => events::stream(state, &req, &query),
        Route::NoIcon => {
            let mut r = Response::new(full(Bytes::new()));
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Route::Console(asset) => console::asset(ctx.options.console_dir.as_deref(), asset, &req),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_takes_one_method_and_ids_are_decoded() {
        let (m, r) = resolve("/requests/Ab%2Bc%3D").expect("route");
        assert_eq!(m, Method::GET);
        assert!(matches!(r, Route::Request(id) if id == "Ab+c="));
        let (m, _) = resolve("/authorizers/cache").expect("route");
        assert_eq!(
            m,
            Method::DELETE,
            "flush all, not an authorizer named cache"
        );
        let (m, r) = resolve("/authorizers/Tok/cache/00ff").expect("route");
        assert_eq!(m, Method::DELETE);
        assert!(matches!(r, Route::FlushEntry("Tok", "00ff")));
        assert!(matches!(
            resolve("/console/views/detail.js"),
            Some((Method::GET, Route::Console("views/detail.js")))
        ));
        assert!(resolve("/nope").is_none());
    }
}
