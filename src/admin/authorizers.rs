//! The authorizers as the admin API shows and changes them: each with its mode, TTL, counts
//! over the recent requests and cache entries; flushing (all, one authorizer, one entry);
//! the mode switch; and TestInvokeAuthorizer.

use std::collections::BTreeMap;

use http::StatusCode;
use hyper::body::Incoming;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminBody, error, json_response, read_json};
use crate::ids::EntryId;
use crate::model::{AuthorizerKind, IdentitySource};
use crate::pipeline::authorize::{DEFAULT_ALLOW_PRINCIPAL, Mode};
use crate::pipeline::mask;
use crate::pipeline::request::GatewayRequest;
use crate::recent::EventKind;
use crate::server::ServerState;

type Reply = http::Response<AdminBody>;

fn known(state: &ServerState, name: &str) -> bool {
    state
        .pipeline()
        .model()
        .apis
        .iter()
        .any(|a| a.authorizers.contains_key(name))
}

/// Counts of one authorizer over the kept requests.
#[derive(Default, serde::Serialize)]
struct Counts {
    requests: usize,
    invocations: usize,
    hits: usize,
    misses: usize,
    failures: BTreeMap<&'static str, usize>,
}

/// `GET /authorizers`.
pub(super) fn list(state: &ServerState) -> Reply {
    let pipeline = state.pipeline();
    let auth = pipeline.authorizers();
    let entries = auth.cache().entries();
    let recent = state.recent.all();
    let mut out = Vec::new();
    for api in &pipeline.model().apis {
        for a in api.authorizers.values() {
            let mode = auth.mode(&a.name);
            let cached: Vec<Value> = entries
                .iter()
                .filter(|(k, _)| *k.authorizer == *a.name && *k.api_id == *api.api_id)
                .map(|(k, e)| {
                    json!({
                        "id": k.entry_id(),
                        "key": k.identity.iter().map(|v| mask(v)).collect::<Vec<_>>(),
                        "principalId": e.result.principal_id,
                        "policy": &e.result.summary[..],
                        "isAuthorized": e.result.is_authorized,
                        "builtForMethodArn": e.method_arn,
                        "ageS": e.age().as_secs_f64(),
                        "ttlLeftS": e.ttl_left().as_secs_f64(),
                        "exactMethodArn": crate::iam_policy::allows_only(&e.result.statements, &e.method_arn),
                    })
                })
                .collect();
            let mut counts = Counts::default();
            for t in recent
                .iter()
                .filter(|t| t.api.as_deref() == Some(api.logical_id.as_str()))
            {
                let Some(f) = t.authorizer.as_ref().filter(|f| f.name == a.name) else {
                    continue;
                };
                counts.requests += 1;
                counts.invocations += usize::from(f.invocation.is_some());
                counts.hits += usize::from(f.cache == "hit");
                counts.misses += usize::from(f.cache == "miss");
                if let Some(fail) = t
                    .failure
                    .as_ref()
                    .filter(|x| x.layer == crate::outcome::Layer::Authorizer)
                {
                    *counts.failures.entry(fail.cause.token()).or_default() += 1;
                }
            }
            let (sources, validation): (Vec<String>, Option<&String>) = match &a.kind {
                AuthorizerKind::Token {
                    header,
                    validation_expression,
                } => (
                    vec![IdentitySource::Header(header.clone()).spelled(api.flavor.kind())],
                    validation_expression.as_ref(),
                ),
                AuthorizerKind::Request {
                    identity_sources, ..
                } => (
                    identity_sources
                        .iter()
                        .map(|s| s.spelled(api.flavor.kind()))
                        .collect(),
                    None,
                ),
                AuthorizerKind::Jwt {
                    identity_source, ..
                } => (vec![identity_source.spelled(api.flavor.kind())], None),
                AuthorizerKind::CognitoUserPools {
                    header,
                    validation_expression,
                    ..
                } => (
                    vec![IdentitySource::Header(header.clone()).spelled(api.flavor.kind())],
                    validation_expression.as_ref(),
                ),
                AuthorizerKind::Iam => (Vec::new(), None),
            };
            let mut v = json!({
                "name": a.name,
                "api": api.logical_id,
                "apiId": api.api_id,
                "function": a.function,
                "type": a.kind.type_name(),
                "identitySources": sources,
                "validationExpression": validation,
                "mode": mode.name(),
                "ttlS": auth.ttl(a).as_secs(),
                "counts": counts,
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

/// `DELETE /authorizers/cache`, `DELETE /authorizers/{name}/cache` and
/// `DELETE /authorizers/{name}/cache/{entryId}`.
pub(super) fn flush(state: &ServerState, name: Option<&str>, entry: Option<&str>) -> Reply {
    let pipeline = state.pipeline();
    let cache = pipeline.authorizers().cache();
    let flushed = match (name, entry) {
        (None, _) => cache.flush_all(),
        (Some(name), _) if !known(state, name) => {
            return error(StatusCode::NOT_FOUND, format!("no authorizer named {name}"));
        }
        (Some(name), None) => cache.flush_authorizer(name),
        (Some(name), Some(entry)) => {
            let Some(id) = EntryId::parse(entry) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "{entry:?} is not a cache entry id (16 hex digits, from GET /authorizers)"
                    ),
                );
            };
            if !cache.flush_entry(name, id) {
                return error(
                    StatusCode::NOT_FOUND,
                    format!(
                        "authorizer {name} has no cache entry {entry} (expired, or flushed already)"
                    ),
                );
            }
            1
        }
    };
    state.recent.notify(EventKind::Cache {
        authorizer: name.map(str::to_owned),
        entry: entry.map(str::to_owned),
        flushed,
    });
    let mut out = json!({ "flushed": flushed });
    if let Some(name) = name {
        out["authorizer"] = json!(name);
    }
    if let Some(entry) = entry {
        out["entryId"] = json!(entry);
    }
    json_response(StatusCode::OK, &out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModeBody {
    mode: String,
    principal_id: Option<String>,
    #[serde(default)]
    context: IndexMap<String, Value>,
}

/// `PUT /authorizers/{name}/mode`.
pub(super) async fn set_mode(state: &ServerState, name: &str, body: Incoming) -> Reply {
    if !known(state, name) {
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
    state.recent.notify(EventKind::Mode {
        authorizer: name.to_owned(),
        mode: mode.name(),
    });
    json_response(
        StatusCode::OK,
        &json!({ "authorizer": name, "mode": mode.name() }),
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
    #[serde(default = "super::requests::default_method")]
    method: String,
}

fn root() -> String {
    "/".into()
}

/// `POST /authorizers/{name}/test-invoke`: the authorizer alone, without its cache, as
/// TestInvokeAuthorizer runs it.
pub(super) async fn test_invoke(state: &ServerState, name: &str, body: Incoming) -> Reply {
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
