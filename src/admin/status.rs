//! The server as a whole: `/health` (versions, uptime, each function's process pool) and
//! `/routes` (the route table) and `/lints` (the template's warnings and traps).

use http::StatusCode;
use serde_json::{Value, json};

use super::{AdminBody, Ctx, json_response};
use crate::model::PayloadVersion;
use crate::server::ServerState;

type Reply = http::Response<AdminBody>;

/// `GET /health`.
pub(super) fn health(ctx: &Ctx) -> Reply {
    let state = &ctx.state;
    let pipeline = state.pipeline();
    let functions: std::collections::BTreeMap<String, crate::lambda::PoolSnapshot> =
        pipeline.lambda().pool_snapshots().into_iter().collect();
    let processes: std::collections::BTreeMap<&str, usize> = functions
        .iter()
        .map(|(k, p)| (k.as_str(), p.live))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "uptimeS": state.started.elapsed().as_secs_f64(),
            "template": pipeline.model().template_path.display().to_string(),
            "faithful": state.faithful,
            "gateway": ctx.options.gateway_url,
            "admin": format!("http://{}", ctx.local),
            "load": state.load(),
            "processes": processes,
            "functions": functions,
        }),
    )
}

/// `GET /routes`: every route, and what `validate` would warn about.
pub(super) fn routes(state: &ServerState) -> Reply {
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
                    "integration": r.integration.type_name(),
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

/// `GET /lints`: the template's load warnings and the traps `validate` reports, both found
/// once per load (`app::build_pipeline` adds the traps to the model's warnings, so this
/// answer does no I/O).
pub(super) fn lints(state: &ServerState) -> Reply {
    let pipeline = state.pipeline();
    let model = pipeline.model();
    // The template reader and the trap scan can name the same thing: list it once.
    let mut seen = std::collections::HashSet::new();
    let lints: Vec<Value> = model
        .warnings
        .iter()
        .filter(|w| seen.insert((w.location.clone(), w.message.clone())))
        .map(|w| json!({ "location": w.location, "message": w.message }))
        .collect();
    json_response(StatusCode::OK, &Value::Array(lints))
}
