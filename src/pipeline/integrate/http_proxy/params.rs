//! The values `HTTP_PROXY` parameter mappings read: REST's `requestParameters` sources
//! (`method.request.*`, `context.*`, `stageVariables.*`, `'static'`), an HTTP API's
//! `$request.*`, `$context.*` and `$stageVariables.*` expressions (alone or in `${...}`
//! templates), and an HTTP API's response mappings chosen by the endpoint's status.

use super::Upstream;
use crate::model::{ApiKind, HttpProxy};
use crate::pipeline::request::GatewayRequest;
use crate::pipeline::respond::GatewayResponse;
use crate::trace::Trace;

/// A REST `requestParameters` source: `method.request.{path|querystring|header}.X` (and the
/// multivalue forms, comma-joined), `context.authorizer.X`, `context.X`, `stageVariables.X`
/// or a quoted static value.
pub(super) fn rest_value(source: &str, up: &Upstream<'_>, req: &GatewayRequest) -> Option<String> {
    let s = source.trim();
    if let Some(v) = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(v.to_owned());
    }
    if let Some(n) = s.strip_prefix("method.request.path.") {
        return up.path_params.get(n).cloned();
    }
    if let Some(n) = s
        .strip_prefix("method.request.querystring.")
        .or_else(|| s.strip_prefix("method.request.multivaluequerystring."))
    {
        return req
            .query_params()
            .multi
            .as_ref()?
            .get(n)
            .map(|v| v.join(","));
    }
    if let Some(n) = s
        .strip_prefix("method.request.header.")
        .or_else(|| s.strip_prefix("method.request.multivalueheader."))
    {
        return header_joined(req, n);
    }
    if let Some(n) = s.strip_prefix("stageVariables.") {
        return up.stage_variables.get(n).cloned();
    }
    if let Some(n) = s.strip_prefix("context.") {
        return context_value(n, up, req);
    }
    None
}

/// An HTTP API mapping value: `$request.header.x`, `$request.querystring.x`, `$request.path`,
/// `$request.path.x`, `$context.x`, `$stageVariables.x`, static text, or several in `${...}`.
pub(super) fn http_value(value: &str, up: &Upstream<'_>, req: &GatewayRequest) -> Option<String> {
    interpolate(value, |expr| request_expr(expr, up, req))
}

/// One `$request.…`, `$context.…` or `$stageVariables.…` expression (without its `$`).
fn request_expr(expr: &str, up: &Upstream<'_>, req: &GatewayRequest) -> Option<String> {
    if let Some(n) = expr.strip_prefix("request.header.") {
        return header_joined(req, n);
    }
    if let Some(n) = expr.strip_prefix("request.querystring.") {
        return req
            .query_params()
            .multi
            .as_ref()?
            .get(n)
            .map(|v| v.join(","));
    }
    if expr == "request.path" {
        return Some(req.path.clone());
    }
    if let Some(n) = expr.strip_prefix("request.path.") {
        return up.path_params.get(n).cloned();
    }
    if let Some(n) = expr.strip_prefix("stageVariables.") {
        return up.stage_variables.get(n).cloned();
    }
    if let Some(n) = expr.strip_prefix("context.") {
        return context_value(n, up, req);
    }
    None
}

/// A mapping value: one `$expr`, static text, or text with `${expr}` in it, each expression
/// resolved by `one`.
fn interpolate(value: &str, one: impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(expr) = value.strip_prefix('$')
        && !expr.starts_with('{')
    {
        return one(expr);
    }
    if !value.contains("${") {
        return Some(value.to_owned());
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find('}') else {
            out.push_str(&rest[at..]);
            return Some(out);
        };
        out.push_str(&one(&rest[at + 2..at + end]).unwrap_or_default());
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// An HTTP API's response parameter mappings for the endpoint's status, applied to its
/// answer: `overwrite:statuscode`, then the header changes in template order. Values may
/// read the endpoint's answer (`$response.header.x`, `$response.body.<path>`) besides what
/// request mappings read.
pub(super) fn map_response(
    spec: &HttpProxy,
    up: &Upstream<'_>,
    req: &GatewayRequest,
    response: &mut GatewayResponse,
    trace: &mut Trace,
) {
    let Some((_, pairs)) = spec
        .response_parameters
        .iter()
        .find(|(s, _)| *s == response.status)
    else {
        return;
    };
    let original = response.headers.clone();
    let body = response.body.clone();
    let one = |expr: &str| -> Option<String> {
        if let Some(n) = expr.strip_prefix("response.header.") {
            let v: Vec<&str> = original
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
                .collect();
            return (!v.is_empty()).then(|| v.join(","));
        }
        if expr == "response.body" {
            return Some(String::from_utf8_lossy(&body).into_owned());
        }
        if let Some(path) = expr.strip_prefix("response.body.") {
            let doc: serde_json::Value = serde_json::from_slice(&body).ok()?;
            return match crate::vtl::json_path(&doc, &format!("$.{path}")).ok()?? {
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            };
        }
        request_expr(expr, up, req)
    };
    let mut status = None;
    for (dest, source) in pairs {
        let value = interpolate(source, one);
        if dest == "overwrite:statuscode" {
            status = value
                .and_then(|v| v.trim().parse::<u16>().ok())
                .filter(|s| (100..=599).contains(s));
            continue;
        }
        let Some((action, name)) = dest.split_once(":header.") else {
            continue;
        };
        match action {
            "remove" => response
                .headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case(name)),
            "overwrite" => {
                response
                    .headers
                    .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                response.headers.extend(value.map(|v| (name.to_owned(), v)));
            }
            _ => response.headers.extend(value.map(|v| (name.to_owned(), v))),
        }
    }
    if let Some(s) = status {
        trace.log(format!(
            "glassgate: the integration's response parameters changed the status {} to {s}",
            response.status
        ));
        response.status = s;
    }
}

fn header_joined(req: &GatewayRequest, name: &str) -> Option<String> {
    let values: Vec<&str> = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// `context.authorizer.X` (`principalId`, a context key, or a JWT claim as `claims.X`),
/// `requestId`, `httpMethod`, `identity.sourceIp`, `apiId`, `stage`, `path`.
fn context_value(name: &str, up: &Upstream<'_>, req: &GatewayRequest) -> Option<String> {
    if let Some(key) = name.strip_prefix("authorizer.") {
        return up.authorizer?.template_values().get(key).cloned();
    }
    match name {
        "requestId" => Some(req.request_id.clone()),
        "httpMethod" => Some(req.method.clone()),
        "identity.sourceIp" => Some(req.source_ip.to_string()),
        "apiId" => Some(up.api_id.to_owned()),
        "stage" => Some(up.stage.to_owned()),
        // REST's path carries the stage; an HTTP API's is the request's.
        "path" => Some(match up.flavor {
            ApiKind::Rest => format!("/{}{}", up.stage, req.path),
            ApiKind::Http => req.path.clone(),
        }),
        _ => None,
    }
}
