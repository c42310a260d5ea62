//! The recent requests: their summaries (the rows of the console's list and of the event
//! stream), one request whole (its trace, the client's request with secrets masked, the
//! client's response, the policy checked against its method ARN), and running a request
//! again: a replay of a kept one, or a test-invoke (the authorizer skipped).

use std::sync::Arc;

use base64::Engine;
use http::StatusCode;
use hyper::body::Incoming;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminBody, error, json_response, read_json};
use crate::model::{Api, AuthorizerKind, IdentitySource};
use crate::pipeline::request::{GatewayRequest, display_case};
use crate::pipeline::{HandleOptions, mask};
use crate::server::ServerState;
use crate::trace::{KeptBody, Preflight, Trace};

type Reply = http::Response<AdminBody>;

/// The layer that answered, as `x-glassgate-layer` says it.
fn layer(t: &Trace) -> &'static str {
    match &t.failure {
        Some(f) => f.layer.as_str(),
        None if t.preflight == Some(Preflight::Answered) => "gateway",
        None => "backend",
    }
}

/// The `x-amzn-ErrorType` the client got.
fn error_type(t: &Trace) -> Option<&str> {
    t.exchange.as_ref().and_then(|x| {
        x.response
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-errortype"))
            .map(|(_, v)| v.as_str())
    })
}

/// A request's summary: a row of the list, the data of a `request` event. Borrowed from
/// the trace and serialized straight to text: every request is one while a console watches.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Summary<'a> {
    seq: u64,
    request_id: &'a str,
    extended_request_id: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    received_at: time::OffsetDateTime,
    method: &'a str,
    path: &'a str,
    api: Option<&'a str>,
    stage: Option<&'a str>,
    flavor: Option<crate::model::ApiKind>,
    route: Option<&'a str>,
    status: u16,
    error_type: Option<&'a str>,
    layer: &'static str,
    cause: Option<&'static str>,
    ok: bool,
    authorizer: Option<SummaryAuthorizer<'a>>,
    cold_start: bool,
    latency_ms: f64,
    stages: &'a [crate::trace::StageRecord],
    replay_of: Option<&'a str>,
}

/// The authorizer part of a summary.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SummaryAuthorizer<'a> {
    name: &'a str,
    mode: &'static str,
    cache: &'static str,
    cache_age_s: Option<f64>,
    decision: Option<&'static str>,
}

/// The summary of a kept request.
pub(super) fn summary(seq: u64, t: &Trace) -> Summary<'_> {
    let cold = t.invocation.as_ref().is_some_and(|i| i.cold_start)
        || t.authorizer
            .as_ref()
            .and_then(|a| a.invocation.as_ref())
            .is_some_and(|i| i.cold_start);
    Summary {
        seq,
        request_id: &t.request_id,
        extended_request_id: &t.extended_request_id,
        received_at: t.received_at,
        method: &t.method,
        path: &t.path,
        api: t.api.as_deref(),
        stage: t.stage.as_deref(),
        flavor: t.flavor,
        route: t.route.as_deref(),
        status: t.status,
        error_type: error_type(t),
        layer: layer(t),
        cause: t.failure.as_ref().map(|f| f.cause.token()),
        ok: t.failure.is_none(),
        authorizer: t.authorizer.as_ref().map(|a| SummaryAuthorizer {
            name: &a.name,
            mode: a.mode,
            cache: a.cache,
            cache_age_s: a.cache_age_s,
            decision: a.decision,
        }),
        cold_start: cold,
        latency_ms: t.latency_ms,
        stages: &t.stages,
        replay_of: t.replay_of.as_deref(),
    }
}

/// `GET /requests?limit=N&before=SEQ`.
pub(super) fn list(state: &ServerState, query: &str) -> Reply {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    };
    let limit = param("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100usize);
    let before = param("before").and_then(|v| v.parse().ok());
    let kept = state.recent.newest(limit, before);
    let rows: Vec<Summary<'_>> = kept.iter().map(|(seq, t)| summary(*seq, t)).collect();
    json_response(StatusCode::OK, &json!(rows))
}

/// `GET /requests/{id}`.
pub(super) fn detail(state: &ServerState, id: &str) -> Reply {
    let Some((seq, t)) = state.recent.get(id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no request {id} among the recent requests"),
        );
    };
    let pipeline = state.pipeline();
    let api = t
        .api
        .as_deref()
        .and_then(|name| pipeline.model().apis.iter().find(|a| a.logical_id == name));
    let mut secrets = Secrets::of(api);
    let (request, response) = match &t.exchange {
        Some(x) => {
            let r = &x.request;
            // The secrets' values themselves, to mask them wherever else they appear (a
            // backend that echoes the request, a body).
            secrets.learn(r);
            let headers: Vec<Value> = r
                .headers
                .iter()
                .map(|(k, v)| secrets.header(k, v))
                .collect();
            let request = json!({
                "method": r.method,
                "path": r.path,
                "query": r.query.as_deref().map(|q| secrets.query(q)),
                "headers": headers,
                "replayable": !r.body.truncated(),
            });
            let sent = crate::server::client_headers(&x.response.headers, &t, state.faithful);
            let headers: Vec<Value> = sent
                .iter()
                .map(|(k, v)| secrets.header(k.as_str(), &String::from_utf8_lossy(v.as_bytes())))
                .collect();
            let response = json!({ "status": x.response.status, "headers": headers });
            (
                merge(request, secrets.body_json(&r.body)),
                merge(response, secrets.body_json(&x.response.body)),
            )
        }
        None => (Value::Null, Value::Null),
    };
    json_response(
        StatusCode::OK,
        &json!({
            "summary": summary(seq, &t),
            "trace": &*t,
            "diagnosis": t.diagnosis,
            "request": request,
            "response": response,
            "policyCheck": policy_check(&t),
            "cacheEntryId": t.authorizer.as_ref().and_then(|a| a.cache_entry),
            "authorizerEvent": event_view(
                &secrets,
                t.authorizer
                    .as_ref()
                    .and_then(|a| a.invocation.as_ref())
                    .and_then(|i| i.event.as_ref()),
            ),
            "integrationEvent": event_view(
                &secrets,
                t.invocation.as_ref().and_then(|i| i.event.as_ref()),
            ),
            "replays": state.recent.replays_of(&t.request_id),
        }),
    )
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// A kept body: text when it is UTF-8 (the request's secrets masked in it), base64
/// otherwise.
fn body_json(b: &KeptBody, redactor: &crate::pipeline::Redactor) -> Value {
    let (text, base64) = match std::str::from_utf8(&b.bytes) {
        Ok(s) => (redactor.apply(s).into_owned(), false),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&b.bytes),
            true,
        ),
    };
    json!({ "body": text, "bodyBase64": base64, "bodyTruncated": b.truncated(), "bodyBytes": b.len })
}

/// The names whose values are secrets: credentials by convention, and whatever an
/// authorizer of the API reads its identity from.
struct Secrets {
    headers: Vec<String>,
    query: Vec<String>,
    /// The values found in the request, masked wherever they appear.
    values: crate::pipeline::Redactor,
}

impl Secrets {
    fn of(api: Option<&Api>) -> Secrets {
        let mut headers: Vec<String> = [
            "authorization",
            "proxy-authorization",
            "cookie",
            "set-cookie",
            "x-api-key",
            "x-amz-security-token",
        ]
        .map(String::from)
        .into();
        let mut query = vec![
            "X-Amz-Signature".to_owned(),
            "X-Amz-Security-Token".to_owned(),
        ];
        for a in api.iter().flat_map(|api| api.authorizers.values()) {
            let mut source = |s: &IdentitySource| match s {
                IdentitySource::Header(h) => headers.push(h.to_ascii_lowercase()),
                IdentitySource::Query(q) => query.push(q.clone()),
                IdentitySource::StageVariable(_) | IdentitySource::Context(_) => {}
            };
            match &a.kind {
                AuthorizerKind::Token { header, .. }
                | AuthorizerKind::CognitoUserPools { header, .. } => {
                    headers.push(header.to_ascii_lowercase());
                }
                AuthorizerKind::Request {
                    identity_sources, ..
                } => identity_sources.iter().for_each(&mut source),
                AuthorizerKind::Jwt {
                    identity_source, ..
                } => source(identity_source),
                AuthorizerKind::Iam => {}
            }
        }
        Secrets {
            headers,
            query,
            values: crate::pipeline::Redactor::default(),
        }
    }

    /// Learn the secret values of a request: its secret headers and query parameters.
    fn learn(&mut self, r: &crate::trace::ClientRequest) {
        for (k, v) in &r.headers {
            if self.is_header(k) {
                self.values.add(v);
            }
        }
        for (k, v) in r
            .query
            .iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|kv| kv.split_once('='))
        {
            let name = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
            if self.is_query(&name) {
                self.values
                    .add(&percent_encoding::percent_decode_str(v).decode_utf8_lossy());
            }
        }
    }

    fn body_json(&self, b: &KeptBody) -> Value {
        body_json(b, &self.values)
    }

    fn header(&self, name: &str, value: &str) -> Value {
        let secret = self.headers.iter().any(|h| h.eq_ignore_ascii_case(name));
        let shown = if secret {
            mask(value)
        } else {
            value.to_owned()
        };
        json!({ "name": name, "value": shown, "masked": secret })
    }

    fn is_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    fn is_query(&self, name: &str) -> bool {
        self.query.iter().any(|q| q == name)
    }

    /// Mask an event's secrets in place: secret headers and query parameters (single and
    /// multi-value, and the raw query string), an authorizer's `authorizationToken` and
    /// `identitySource`, cookies.
    fn mask_event(&self, v: &mut Value) {
        fn mask_all(v: &mut Value) {
            match v {
                Value::String(s) => *s = mask(s),
                Value::Array(a) => a.iter_mut().for_each(mask_all),
                _ => {}
            }
        }
        match v {
            Value::Object(m) => {
                for (k, val) in m.iter_mut() {
                    match k.as_str() {
                        "headers" | "multiValueHeaders" => {
                            if let Value::Object(h) = val {
                                h.iter_mut()
                                    .filter(|(n, _)| self.is_header(n))
                                    .for_each(|(_, hv)| mask_all(hv));
                            }
                        }
                        "queryStringParameters" | "multiValueQueryStringParameters" => {
                            if let Value::Object(q) = val {
                                q.iter_mut()
                                    .filter(|(n, _)| self.is_query(n))
                                    .for_each(|(_, qv)| mask_all(qv));
                            }
                        }
                        "rawQueryString" => {
                            if let Value::String(q) = val {
                                *q = self.query(q);
                            }
                        }
                        "authorizationToken" | "identitySource" | "cookies" => mask_all(val),
                        _ => self.mask_event(val),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.mask_event(x)),
            _ => {}
        }
    }

    /// The query string with the values of secret parameters masked.
    fn query(&self, query: &str) -> String {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => {
                    let name = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
                    if self.query.iter().any(|q| *q == name) {
                        format!("{k}={}", mask(v))
                    } else {
                        pair.to_owned()
                    }
                }
                None => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// An event sent to a function, its secrets masked: `{json, truncated, bytes}`.
fn event_view(secrets: &Secrets, event: Option<&KeptBody>) -> Value {
    let Some(e) = event else {
        return Value::Null;
    };
    // A cut event is no JSON, and its secrets could not be found by their keys: not shown.
    let json = serde_json::from_slice::<Value>(&e.bytes)
        .ok()
        .filter(|_| !e.truncated())
        .map(|mut v| {
            secrets.mask_event(&mut v);
            let text = serde_json::to_string_pretty(&v).unwrap_or_default();
            secrets.values.apply(&text).into_owned()
        });
    json!({ "json": json, "truncated": e.truncated(), "bytes": e.len })
}

/// The evaluated policy, a row per statement, each checked against the request's method ARN.
fn policy_check(t: &Trace) -> Value {
    let Some(a) = &t.authorizer else {
        return Value::Null;
    };
    if a.decision.is_none() || a.statements.is_empty() {
        return Value::Null;
    }
    // Each statement as the evaluator reads it: its actions, its resources or NotResource,
    // and whether it covers this request's method ARN.
    let rows: Vec<Value> = a
        .statements
        .iter()
        .zip(a.policy.iter())
        .map(|(s, line)| {
            let not = !s.not_resources.is_empty();
            json!({
                "statement": line,
                "effect": s.effect,
                "actions": s.actions,
                "resources": if not { &s.not_resources } else { &s.resources },
                "notResource": not,
                "matches": crate::iam_policy::applies(s, &a.method_arn),
            })
        })
        .collect();
    Value::Array(rows)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReplayBody {
    #[serde(default)]
    bypass_cache: bool,
    method: Option<String>,
    path: Option<String>,
    #[serde(default)]
    headers: IndexMap<String, Option<String>>,
    body: Option<String>,
}

/// `POST /requests/{id}/replay`.
pub(super) async fn replay(state: &ServerState, id: &str, body: Incoming) -> Reply {
    let b: ReplayBody = match read_json(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some((_, original)) = state.recent.get(id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no request {id} among the recent requests"),
        );
    };
    let Some(kept) = original.exchange.as_ref().map(|x| &x.request) else {
        return error(
            StatusCode::CONFLICT,
            format!("request {id} was not kept whole, so it cannot be replayed"),
        );
    };
    if kept.body.truncated() && b.body.is_none() {
        return error(
            StatusCode::CONFLICT,
            format!(
                "request {id} had a {} byte body, of which only the first {} were kept; replay it with a \"body\"",
                kept.body.len,
                kept.body.bytes.len()
            ),
        );
    }
    let mut req = GatewayRequest::again(kept);
    if let Some(m) = b.method {
        req.method = m.to_ascii_uppercase();
    }
    if let Some(p) = b.path {
        let (path, query) = match p.split_once('?') {
            Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
            None => (p, None),
        };
        req.path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        req.query = query;
    }
    for (name, value) in b.headers {
        let name = name.trim().to_ascii_lowercase();
        req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
        if let Some(v) = value {
            req.headers.push((display_case(&name), v));
        }
    }
    if let Some(body) = b.body {
        req.body = bytes::Bytes::from(body);
    }
    let handled = state
        .pipeline()
        .handle_with(
            &req,
            HandleOptions {
                skip_cache: b.bypass_cache,
                ..Default::default()
            },
        )
        .await;
    let mut trace = handled.trace;
    trace.replay_of = Some(original.request_id.clone());
    if b.bypass_cache {
        trace.log("glassgate: replayed with the authorizer cache bypassed");
    }
    answer_run(state, trace, req, handled.response)
}

/// Keep a request run from the admin API like one from a client, and answer its summary
/// with the response.
fn answer_run(
    state: &ServerState,
    mut trace: Trace,
    req: GatewayRequest,
    response: crate::pipeline::respond::GatewayResponse,
) -> Reply {
    let headers: IndexMap<String, String> =
        crate::server::client_headers(&response.headers, &trace, state.faithful)
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
    let body = String::from_utf8_lossy(&response.body).into_owned();
    crate::server::keep_exchange(&mut trace, req.into_kept(), response);
    let trace = Arc::new(trace);
    crate::log_sink::trace(trace.clone(), state.log_format);
    let seq = state.recent.push(trace.clone());
    let mut out = json!(summary(seq, &trace));
    out["headers"] = json!(headers);
    out["body"] = json!(body);
    out["log"] = json!(trace.render_text());
    out["latency"] = json!(trace.latency_ms.round() as u64);
    out["diagnosis"] = json!(trace.diagnosis);
    json_response(StatusCode::OK, &out)
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

pub(super) fn default_method() -> String {
    "GET".into()
}

/// `POST /test-invoke`: a request with the authorizer skipped, as TestInvokeMethod runs one.
pub(super) async fn test_invoke(state: &ServerState, body: Incoming) -> Reply {
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
        .handle_with(
            &req,
            HandleOptions {
                skip_auth: true,
                ..Default::default()
            },
        )
        .await;
    answer_run(state, handled.trace, req, handled.response)
}
