//! The admin API (JSON, on its own port, loopback by default): recent requests and their
//! traces, routes, authorizer caches and modes, and the two test-invokes. The routes are the
//! interface in DESIGN.md; `glassgate explain` is a client of `GET /requests/{id}`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use indexmap::IndexMap;

use crate::model::PayloadVersion;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::pipeline::authorize::{DEFAULT_ALLOW_PRINCIPAL, Mode};
use crate::pipeline::request::GatewayRequest;
use crate::pipeline::{HandleOptions, mask};
use crate::server::ServerState;

/// Largest admin request body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// Serve the admin API until the task is dropped.
pub async fn serve(state: Arc<ServerState>, listener: TcpListener) {
    // The gateway's limits hold here too: a slow client is dropped, a huge header block
    // refused, and a few hundred connections at most (the admin API is for a person and
    // their tools).
    let limits = state.limits;
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
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(&state, req).await) }
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

/// The most admin connections served at once.
const ADMIN_CONNECTIONS: usize = 256;

fn json_response(status: StatusCode, v: &Value) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec_pretty(v).unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, message: impl Into<String>) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "error": message.into() }))
}

async fn read_json<T: for<'de> Deserialize<'de>>(
    body: Incoming,
) -> Result<T, Response<Full<Bytes>>> {
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

async fn handle(state: &ServerState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method.clone(), segs.as_slice()) {
        (Method::GET, ["health"]) => health(state),
        (Method::GET, ["routes"]) => routes(state),
        (Method::GET, ["requests"]) => requests(state, &query),
        // Extended ids are base64 (`/`, `+`, `=`): clients percent-encode them.
        (Method::GET, ["requests", id]) => {
            let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
            match state.recent.get(&id) {
                Some(t) => json_response(
                    StatusCode::OK,
                    &json!({ "trace": &*t, "diagnosis": t.diagnosis }),
                ),
                None => error(
                    StatusCode::NOT_FOUND,
                    format!("no request {id} among the recent requests"),
                ),
            }
        }
        (Method::GET, ["authorizers"]) => authorizers(state),
        (Method::DELETE, ["authorizers", "cache"]) => {
            let n = state.pipeline().authorizers().cache().flush_all();
            json_response(StatusCode::OK, &json!({ "flushed": n }))
        }
        (Method::DELETE, ["authorizers", name, "cache"]) => {
            if !known_authorizer(state, name) {
                return error(StatusCode::NOT_FOUND, format!("no authorizer named {name}"));
            }
            let n = state
                .pipeline()
                .authorizers()
                .cache()
                .flush_authorizer(name);
            json_response(StatusCode::OK, &json!({ "authorizer": name, "flushed": n }))
        }
        (Method::PUT, ["authorizers", name, "mode"]) => {
            let name = (*name).to_owned();
            set_mode(state, &name, req.into_body()).await
        }
        (Method::POST, ["test-invoke"]) => test_invoke(state, req.into_body()).await,
        (Method::POST, ["authorizers", name, "test-invoke"]) => {
            let name = (*name).to_owned();
            test_authorizer(state, &name, req.into_body()).await
        }
        _ => error(
            StatusCode::NOT_FOUND,
            format!(
                "no admin route {method} {path}; see GET /health, /routes, /requests, /authorizers"
            ),
        ),
    }
}

fn known_authorizer(state: &ServerState, name: &str) -> bool {
    state
        .pipeline()
        .model()
        .apis
        .iter()
        .any(|a| a.authorizers.contains_key(name))
}

fn health(state: &ServerState) -> Response<Full<Bytes>> {
    let pipeline = state.pipeline();
    let lambda = pipeline.lambda();
    let functions: std::collections::BTreeMap<String, crate::lambda::PoolSnapshot> =
        lambda.pool_snapshots().into_iter().collect();
    let processes: std::collections::BTreeMap<&str, usize> = functions
        .iter()
        .map(|(k, p)| (k.as_str(), p.live))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "template": state.pipeline().model().template_path.display().to_string(),
            "processes": processes,
            "functions": functions,
        }),
    )
}

fn routes(state: &ServerState) -> Response<Full<Bytes>> {
    let pipeline = state.pipeline();
    let model = pipeline.model();
    let list: Vec<Value> = model
        .apis
        .iter()
        .flat_map(|api| {
            api.routes.iter().map(move |r| {
                json!({
                    "api": api.logical_id,
                    "apiId": api.api_id,
                    "stage": api.stage,
                    "flavor": api.flavor.name(),
                    "routeKey": r.key.to_string(),
                    "method": r.method(),
                    "path": r.resource(),
                    "function": r.integration.function(),
                    "payloadVersion": r.integration.payload().map(PayloadVersion::as_str),
                    "authorizer": r.authorizer,
                    "integrationTimeoutMs": r.integration.timeout().as_millis() as u64,
                })
            })
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

fn requests(state: &ServerState, query: &str) -> Response<Full<Bytes>> {
    let limit = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("limit="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100usize);
    let list: Vec<Value> = state
        .recent
        .newest(limit)
        .iter()
        .map(|t| {
            json!({
                "requestId": t.request_id,
                "receivedAt": t.received_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "method": t.method,
                "path": t.path,
                "route": t.route,
                "status": t.status,
                "layer": t.failure.as_ref().map_or("backend", |f| f.layer.as_str()),
                "cause": t.failure.as_ref().map(|f| f.cause.token()),
                "latencyMs": t.latency_ms,
            })
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

fn authorizers(state: &ServerState) -> Response<Full<Bytes>> {
    let pipeline = state.pipeline();
    let auth = pipeline.authorizers();
    let entries = auth.cache().entries();
    let mut out = Vec::new();
    for api in &state.pipeline().model().apis {
        for a in api.authorizers.values() {
            let mode = auth.mode(&a.name);
            let cached: Vec<Value> = entries
                .iter()
                .filter(|(k, _)| *k.authorizer == *a.name && *k.api_id == *api.api_id)
                .map(|(k, e)| {
                    json!({
                        "key": k.identity.iter().map(|v| mask(v)).collect::<Vec<_>>(),
                        "principalId": e.result.principal_id,
                        "policy": &e.result.summary[..],
                        "isAuthorized": e.result.is_authorized,
                        "builtForMethodArn": e.method_arn,
                        "ageS": e.age().as_secs_f64(),
                        "ttlLeftS": e.ttl_left().as_secs_f64(),
                    })
                })
                .collect();
            let mut v = json!({
                "name": a.name,
                "api": api.logical_id,
                "function": a.function,
                "type": a.kind.type_name(),
                "mode": mode.name(),
                "ttlS": auth.ttl(a).as_secs(),
                "entries": cached,
            });
            if let Mode::Allow {
                principal_id,
                context,
            } = &mode
            {
                v["allowPrincipalId"] = json!(principal_id);
                v["allowContext"] = json!(context);
            }
            out.push(v);
        }
    }
    json_response(StatusCode::OK, &Value::Array(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModeBody {
    mode: String,
    principal_id: Option<String>,
    #[serde(default)]
    context: IndexMap<String, Value>,
}

async fn set_mode(state: &ServerState, name: &str, body: Incoming) -> Response<Full<Bytes>> {
    if !known_authorizer(state, name) {
        return error(StatusCode::NOT_FOUND, format!("no authorizer named {name}"));
    }
    let b: ModeBody = match read_json(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mode = match b.mode.as_str() {
        "normal" => Mode::Normal,
        "bypass" => Mode::Bypass,
        "allow" => Mode::Allow {
            principal_id: b
                .principal_id
                .unwrap_or_else(|| DEFAULT_ALLOW_PRINCIPAL.to_owned()),
            context: b
                .context
                .into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, s)
                })
                .collect(),
        },
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("unknown mode {other:?}; expected normal, bypass or allow"),
            );
        }
    };
    state.pipeline().authorizers().set_mode(name, mode.clone());
    crate::log_sink::line(format!(
        "glassgate: authorizer {name} is now in {} mode",
        mode.name()
    ));
    json_response(
        StatusCode::OK,
        &json!({ "authorizer": name, "mode": mode.name() }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestInvokeBody {
    #[serde(default = "default_method")]
    method: String,
    path: String,
    #[serde(default)]
    headers: IndexMap<String, String>,
    #[serde(default)]
    body: String,
}

fn default_method() -> String {
    "GET".into()
}

async fn test_invoke(state: &ServerState, body: Incoming) -> Response<Full<Bytes>> {
    let b: TestInvokeBody = match read_json(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req = GatewayRequest::local(
        &b.method,
        &b.path,
        b.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &b.body,
    );
    let handled = state
        .pipeline()
        .handle_with(&req, HandleOptions { skip_auth: true })
        .await;
    let trace = Arc::new(handled.trace);
    state.recent.push(trace.clone());
    let headers: IndexMap<String, String> = handled.response.headers.iter().cloned().collect();
    json_response(
        StatusCode::OK,
        &json!({
            "requestId": trace.request_id,
            "status": handled.response.status,
            "headers": headers,
            "body": String::from_utf8_lossy(&handled.response.body),
            "log": trace.render_text(),
            "latency": trace.latency_ms.round() as u64,
            "diagnosis": trace.diagnosis,
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestAuthorizerBody {
    #[serde(default)]
    headers: IndexMap<String, String>,
    #[serde(default = "root")]
    path: String,
    #[serde(default)]
    query: IndexMap<String, String>,
    #[serde(default = "default_method")]
    method: String,
}

fn root() -> String {
    "/".into()
}

async fn test_authorizer(state: &ServerState, name: &str, body: Incoming) -> Response<Full<Bytes>> {
    let b: TestAuthorizerBody = match read_json(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut path = b.path.clone();
    if !b.query.is_empty() {
        let q: Vec<String> = b
            .query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        path = format!("{path}?{}", q.join("&"));
    }
    let req = GatewayRequest::local(
        &b.method,
        &path,
        b.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        "",
    );
    let Some((result, trace)) = state.pipeline().test_authorizer(name, &req).await else {
        return error(StatusCode::NOT_FOUND, format!("no authorizer named {name}"));
    };
    let facts = trace.authorizer.clone().unwrap_or_default();
    let (client_status, context) = match &result {
        // TestInvokeAuthorizer reports 0 for a result that allowed the request.
        Ok(ctx) => (0, json!(&*ctx.context)),
        Err(f) => (
            trace.status,
            f.authorizer_context
                .as_ref()
                .map(|c| json!(c))
                .unwrap_or(Value::Null),
        ),
    };
    json_response(
        StatusCode::OK,
        &json!({
            "clientStatus": client_status,
            "principalId": facts.principal_id,
            "policy": &facts.policy[..],
            "decision": facts.decision,
            "context": context,
            "cause": trace.failure.as_ref().map(|f| f.cause.token()),
            "detail": trace.failure.as_ref().map(|f| f.detail.clone()),
            "rawResult": facts.raw_result,
            "log": trace.render_text(),
            "latency": trace.latency_ms.round() as u64,
        }),
    )
}
