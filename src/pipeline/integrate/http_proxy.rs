//! `HTTP_PROXY` integrations: the request goes to an HTTP service and its answer comes back
//! as it is (aws-httpapi-semantics.md §5.1 for HTTP APIs, §5.2 and aws-semantics.md §8.4 for
//! REST).
//!
//! Owns the upstream URL (REST: the rendered URI is the whole URL, `{name}` filled through
//! `requestParameters`; HTTP APIs: a `$default` route appends the request path, a route's
//! `{var}` take its path variables), the headers each flavour sends and returns (REST remaps
//! `Connection`, `Content-Length`, `Date` and `Server` to `x-amzn-Remapped-*`; HTTP APIs add
//! `Forwarded` and `Via`), the parameter mappings, and what a failure is: unreachable, TLS, a
//! timeout, a connection that broke mid-response. The client ([`super::upstream_client`]) is
//! pooled and shared by every route; each request has its integration's timeout, so one slow
//! upstream never holds up another route.

use std::time::Instant;

use indexmap::IndexMap;

use super::quote_for_log;
use super::upstream_client::{Answer, Outgoing, UpstreamClient, exchange, failure};
use crate::model::{ApiKind, HttpProxy};
use crate::outcome::{Cause, Failure};
use crate::pipeline::context::AuthContext;
use crate::pipeline::request::GatewayRequest;
use crate::pipeline::respond::GatewayResponse;
use crate::trace::{Trace, UpstreamFacts};

/// Request headers never sent upstream (hop-by-hop, or rewritten by the gateway).
const DROPPED_REQUEST: &[&str] = &[
    "connection",
    "content-length",
    "content-md5",
    "expect",
    "host",
    "keep-alive",
    "max-forwards",
    "proxy-authenticate",
    "proxy-authorization",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "www-authenticate",
];

/// Response headers a REST API renames to `x-amzn-Remapped-<Name>`.
const REMAPPED: &[&str] = &["connection", "content-length", "date", "server"];

/// Response headers never passed back (hop-by-hop).
const DROPPED_RESPONSE: &[&str] = &["keep-alive", "transfer-encoding", "upgrade", "trailer"];

/// What one forwarded request is about.
pub struct Upstream<'a> {
    /// The integration.
    pub spec: &'a HttpProxy,
    /// REST or HTTP API.
    pub flavor: ApiKind,
    /// The API id (REST's `x-amzn-apigateway-api-id`).
    pub api_id: &'a str,
    /// The stage's name (`$context.stage`).
    pub stage: &'a str,
    /// The stage's variables.
    pub stage_variables: &'a IndexMap<String, String>,
    /// The route's path variables.
    pub path_params: &'a IndexMap<String, String>,
    /// An HTTP API's `$default` route (the request path is appended to the URI).
    pub default_route: bool,
    /// What the authorizer handed on.
    pub authorizer: Option<&'a AuthContext>,
    /// `X-Amzn-Trace-Id` of the request.
    pub trace_root: &'a str,
}

/// The gateway's own address in `Forwarded: by=`: it serves on loopback.
const GATEWAY_IP: &str = "127.0.0.1";

/// Send the request upstream and take its answer.
///
/// # Errors
/// A [`Failure`] of layer `integration`: the upstream unreachable, its TLS refused, no answer
/// within the timeout, or a response cut off.
pub async fn forward(
    client: &UpstreamClient,
    up: &Upstream<'_>,
    req: &GatewayRequest,
    redactor: &super::super::Redactor,
    trace: &mut Trace,
) -> Result<GatewayResponse, Failure> {
    let rest = up.flavor == ApiKind::Rest;
    let mut params = Mapped::default();
    let (url, mut headers) = match up.flavor {
        ApiKind::Rest => {
            for (target, source) in &up.spec.request_parameters {
                let Some(v) = rest_value(source, up, req) else {
                    continue;
                };
                if let Some(name) = target.strip_prefix("integration.request.path.") {
                    params.path.insert(name.to_owned(), v);
                } else if let Some(name) = target.strip_prefix("integration.request.querystring.") {
                    params.query.push((name.to_owned(), Some(v), false));
                } else if let Some(name) = target.strip_prefix("integration.request.header.") {
                    params.headers.push((name.to_owned(), Some(v), false));
                }
            }
            let url = rest_url(up, req, &params);
            (url, rest_headers(up, req))
        }
        ApiKind::Http => {
            for (key, value) in &up.spec.request_parameters {
                let v = http_value(value, up, req);
                let Some((action, target)) = key.split_once(':') else {
                    continue;
                };
                let append = action == "append";
                let v = if action == "remove" { None } else { v };
                if target == "path" {
                    params.overwrite_path = v;
                } else if let Some(name) = target.strip_prefix("querystring.") {
                    params.query.push((name.to_owned(), v, append));
                } else if let Some(name) = target.strip_prefix("header.") {
                    params.headers.push((name.to_owned(), v, append));
                }
            }
            let url = http_url(up, req, &params);
            (url, http_headers(up, req))
        }
    };
    for (name, value, append) in &params.headers {
        let existing = headers
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(name));
        match (value, existing, append) {
            (Some(v), Some(i), true) => {
                let joined = format!("{},{v}", headers[i].1);
                headers[i].1 = joined;
            }
            (Some(v), Some(i), false) => headers[i].1.clone_from(v),
            (Some(v), None, _) => headers.push((name.clone(), v.clone())),
            (None, Some(i), _) => {
                headers.remove(i);
            }
            (None, None, _) => {}
        }
    }
    let method = up.spec.method.clone().unwrap_or_else(|| req.method.clone());
    if rest {
        trace.log(format!("Endpoint request URI: {url}"));
        trace.log(super::super::fmt_map(
            "Endpoint request headers: ",
            headers.iter().map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("authorization") {
                    std::borrow::Cow::Owned(super::super::mask(v))
                } else {
                    std::borrow::Cow::Borrowed(v.as_str())
                };
                (k.as_str(), v)
            }),
        ));
        trace.log(quote_for_log(
            "Endpoint request body after transformations: ",
            &req.body,
            Some(redactor),
        ));
        trace.log(format!("Sending request to {url}"));
    }
    let mut facts = UpstreamFacts {
        method: method.clone(),
        url: url.clone(),
        ..UpstreamFacts::default()
    };
    let began = Instant::now();
    let timeout = up.spec.timeout;
    let outgoing = Outgoing {
        method: &method,
        url: &url,
        headers,
        body: req.body.clone(),
    };
    let outcome = tokio::time::timeout(timeout, exchange(client, outgoing)).await;
    facts.total_ms = began.elapsed().as_secs_f64() * 1000.0;
    let Answer {
        status,
        headers: resp_headers,
        body,
        first_byte,
    } = match outcome {
        Err(_) => {
            trace.upstream = Some(facts);
            trace.log("Execution failed due to a timeout error");
            return Err(Failure::new(
                Cause::UpstreamTimeout,
                format!(
                    "{url} did not answer within the integration timeout of {} ms",
                    timeout.as_millis()
                ),
            ));
        }
        Ok(Err(e)) => {
            trace.upstream = Some(facts);
            let f = failure(&url, &e);
            trace.log(if e.is_invalid() {
                "Execution failed due to configuration error: Invalid endpoint address"
            } else {
                "Execution failed due to a network error communicating with endpoint"
            });
            return Err(f);
        }
        Ok(Ok(answer)) => answer,
    };
    facts.status = Some(status);
    facts.first_byte_ms = Some(first_byte.as_secs_f64() * 1000.0);
    facts.response_bytes = body.len();
    trace.upstream = Some(facts);
    if rest {
        trace.log(format!(
            "Received response. Status: {status}, Integration latency: {} ms",
            first_byte.as_millis()
        ));
        trace.log(super::super::fmt_map(
            "Endpoint response headers: ",
            resp_headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ));
        trace.log(quote_for_log(
            "Endpoint response body before transformations: ",
            &body,
            Some(redactor),
        ));
    }
    let mut response = GatewayResponse {
        status,
        headers: response_headers(resp_headers, rest),
        body,
    };
    if !rest {
        map_response(up.spec, up, req, &mut response, trace);
    }
    Ok(response)
}

/// Mappings gathered from `requestParameters`: path variables (REST), query and header
/// changes (`None` removes), an HTTP API's `overwrite:path`.
#[derive(Default)]
struct Mapped {
    path: IndexMap<String, String>,
    query: Vec<(String, Option<String>, bool)>,
    headers: Vec<(String, Option<String>, bool)>,
    overwrite_path: Option<String>,
}

/// `${stageVariables.NAME}` in an endpoint URL replaced by the stage's value (empty when the
/// stage has none), as API Gateway does before it sends the request.
fn with_stage_variables(uri: &str, vars: &IndexMap<String, String>) -> String {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find(OPEN) {
        let Some(end) = rest[at..].find('}') else {
            break;
        };
        out.push_str(&rest[..at]);
        let name = &rest[at + OPEN.len()..at + end];
        out.push_str(vars.get(name).map_or("", String::as_str));
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// REST: the rendered URI is the whole URL; the client's query string is passed on, with the
/// mapped parameters set.
fn rest_url(up: &Upstream<'_>, req: &GatewayRequest, params: &Mapped) -> String {
    let uri = with_stage_variables(&up.spec.uri, up.stage_variables);
    let base = fill(&uri, |name| {
        params
            .path
            .get(name)
            .or_else(|| up.path_params.get(name))
            .map(|v| encode_path_value(v))
    });
    with_query(base, req.query.as_deref(), &params.query)
}

/// HTTP APIs: `$default` appends the request path; `{var}` take the route's path variables;
/// otherwise the URI as written; the query string is passed on.
fn http_url(up: &Upstream<'_>, req: &GatewayRequest, params: &Mapped) -> String {
    let uri = with_stage_variables(&up.spec.uri, up.stage_variables);
    let mut base = fill(&uri, |name| {
        up.path_params.get(name).map(|v| encode_path_value(v))
    });
    if let Some(path) = &params.overwrite_path {
        base = replace_path(&base, path);
    } else if up.default_route {
        base = format!("{}{}", base.trim_end_matches('/'), req.path);
    }
    with_query(base, req.query.as_deref(), &params.query)
}

/// `{name}` (and `{name+}`) placeholders replaced; unknown ones stay as written.
fn fill(uri: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = rest[open + 1..open + close].trim_end_matches('+');
        out.push_str(&rest[..open]);
        match value(name) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// A path variable's value as it goes into a URL: `/` kept (a greedy variable spans
/// segments), everything else outside the unreserved set percent-encoded.
fn encode_path_value(v: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
    let mut out = String::with_capacity(decoded.len());
    for b in decoded.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base` with its path replaced (an HTTP API's `overwrite:path`).
fn replace_path(base: &str, path: &str) -> String {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find(['/', '?'])
        .map_or(base.len(), |i| after_scheme + i);
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    format!("{}{path}", &base[..host_end])
}

/// `base` with the client's query string and the mapped changes (a name set again replaces
/// every value of it; `append` adds one; `None` removes it).
fn with_query(
    base: String,
    query: Option<&str>,
    changes: &[(String, Option<String>, bool)],
) -> String {
    let (base, own) = match base.split_once('?') {
        Some((b, q)) => (b.to_owned(), Some(q.to_owned())),
        None => (base, None),
    };
    let mut pairs: Vec<(String, String)> = own
        .iter()
        .map(String::as_str)
        .chain(query)
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    for (name, value, append) in changes {
        let encoded = percent_encoding::utf8_percent_encode(name, QUERY).to_string();
        if !append {
            pairs.retain(|(k, _)| *k != encoded);
        }
        if let Some(v) = value {
            pairs.push((
                encoded,
                percent_encoding::utf8_percent_encode(v, QUERY).to_string(),
            ));
        }
    }
    if pairs.is_empty() {
        return base;
    }
    let q: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") })
        .collect();
    format!("{base}?{}", q.join("&"))
}

/// What a query value escapes.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The client's headers without the hop-by-hop ones (and a SigV4 `Authorization`, which
/// API Gateway keeps to itself).
fn passed_headers(req: &GatewayRequest) -> Vec<(String, String)> {
    req.headers
        .iter()
        .filter(|(k, v)| {
            let sigv4 =
                k.eq_ignore_ascii_case("authorization") && v.starts_with("AWS4-HMAC-SHA256");
            !(named_in(k, DROPPED_REQUEST) || sigv4)
        })
        .cloned()
        .collect()
}

/// REST: the client's headers (which already carry the `X-Forwarded-*` the gateway adds to
/// every request), then `x-amzn-apigateway-api-id`, the trace id, and a `User-Agent` when the
/// client sent none.
fn rest_headers(up: &Upstream<'_>, req: &GatewayRequest) -> Vec<(String, String)> {
    let mut h = passed_headers(req);
    let set = |h: &mut Vec<(String, String)>, name: &str, value: String| {
        h.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        h.push((name.to_owned(), value));
    };
    if req.header("x-forwarded-for").is_none() {
        set(&mut h, "X-Forwarded-For", req.source_ip.to_string());
    }
    set(&mut h, "x-amzn-apigateway-api-id", up.api_id.to_owned());
    set(&mut h, "X-Amzn-Trace-Id", up.trace_root.to_owned());
    if req.header("user-agent").is_none() {
        h.push((
            "User-Agent".to_owned(),
            format!("AmazonAPIGateway_{}", up.api_id),
        ));
    }
    h
}

/// HTTP APIs: the client's headers without `X-Forwarded-*`, folded into one `Forwarded`
/// element of the gateway's, then `Via`, the trace id (decision 9.8) and, for a request without
/// a body, `Content-Length: 0`.
fn http_headers(up: &Upstream<'_>, req: &GatewayRequest) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = passed_headers(req)
        .into_iter()
        .filter(|(k, _)| {
            let forwarded = k
                .get(..12)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-forwarded-"));
            !forwarded && !named_in(k, &["forwarded", "via"])
        })
        .collect();
    let host = req.header("host").unwrap_or("localhost");
    // The hops the client's X-Forwarded-For names before this one become `for=` elements.
    let source = req.source_ip.to_string();
    let mut elements: Vec<String> = req
        .header("forwarded")
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some(xff) = req.header("x-forwarded-for") {
        let hops: Vec<&str> = xff
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let before = match hops.last() {
            Some(last) if *last == source => &hops[..hops.len() - 1],
            _ => &hops[..],
        };
        elements.extend(before.iter().map(|ip| format!("for={ip}")));
    }
    elements.push(format!(
        "by={};for={source};host={host};proto=http",
        GATEWAY_IP
    ));
    let forwarded = elements.join(",");
    h.push(("Forwarded".to_owned(), forwarded));
    h.push(("Via".to_owned(), "HTTP/1.1 AmazonAPIGateway".to_owned()));
    // A request without a body still says so (aws-httpapi-semantics.md §5.1, captured);
    // hyper would send no length at all for a body-less GET.
    if req.body.is_empty() {
        h.push(("Content-Length".to_owned(), "0".to_owned()));
    }
    h.push(("X-Amzn-Trace-Id".to_owned(), up.trace_root.to_owned()));
    h
}

/// Whether `name` is one of `list` (lowercase names), in any case, without allocating.
fn named_in(name: &str, list: &[&str]) -> bool {
    list.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The upstream's headers as the client gets them.
fn response_headers(headers: Vec<(String, String)>, rest: bool) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(headers.len());
    for (k, v) in headers {
        if named_in(&k, DROPPED_RESPONSE) {
            continue;
        }
        if rest && named_in(&k, REMAPPED) {
            let mut name = String::with_capacity("x-amzn-Remapped-".len() + k.len());
            name.push_str("x-amzn-Remapped-");
            // hyper hands names over lowercase: `date` becomes `Date`.
            crate::pipeline::request::push_display_case(&mut name, &k);
            out.push((name, v));
            continue;
        }
        if !rest && named_in(&k, &["connection", "content-length"]) {
            continue;
        }
        out.push((k, v));
    }
    out
}

/// A REST `requestParameters` source: `method.request.{path|querystring|header}.X` (and the
/// multivalue forms, comma-joined), `context.authorizer.X`, `context.X`, `stageVariables.X`
/// or a quoted static value.
fn rest_value(source: &str, up: &Upstream<'_>, req: &GatewayRequest) -> Option<String> {
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
fn http_value(value: &str, up: &Upstream<'_>, req: &GatewayRequest) -> Option<String> {
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
fn map_response(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let v = |n: &str| (n == "proxy").then(|| "a/b c".to_owned());
        assert_eq!(
            fill("http://h/base/{proxy}/{other}", |n| v(n)
                .map(|s| encode_path_value(&s))),
            "http://h/base/a/b%20c/{other}"
        );
        assert_eq!(
            fill("http://h/{proxy+}", |_| Some("x".into())),
            "http://h/x"
        );
    }

    #[test]
    fn query_changes_set_append_and_remove() {
        let changes = vec![
            ("a".to_owned(), Some("1".to_owned()), false),
            ("b".to_owned(), None, false),
            ("c".to_owned(), Some("x y".to_owned()), true),
        ];
        assert_eq!(
            with_query("http://h/p".into(), Some("a=0&b=2&c=3"), &changes),
            "http://h/p?c=3&a=1&c=x%20y"
        );
        assert_eq!(with_query("http://h/p".into(), None, &[]), "http://h/p");
    }

    #[test]
    fn stage_variables_fill_the_endpoint() {
        let vars = IndexMap::from([("host".to_owned(), "10.0.0.1:8080".to_owned())]);
        assert_eq!(
            with_stage_variables(
                "http://${stageVariables.host}/a/${stageVariables.none}b",
                &vars
            ),
            "http://10.0.0.1:8080/a/b"
        );
    }

    #[test]
    fn overwrite_path_keeps_scheme_and_host() {
        assert_eq!(replace_path("https://h:8443/a/b", "/c"), "https://h:8443/c");
        assert_eq!(replace_path("http://h", "c"), "http://h/c");
    }

    #[test]
    fn rest_remaps_and_http_drops_hop_by_hop_headers() {
        let h = vec![
            ("Content-Length".to_owned(), "5".to_owned()),
            ("Server".to_owned(), "nginx".to_owned()),
            ("X-Own".to_owned(), "1".to_owned()),
            ("Transfer-Encoding".to_owned(), "chunked".to_owned()),
        ];
        assert_eq!(
            response_headers(h.clone(), true),
            [
                ("x-amzn-Remapped-Content-Length".to_owned(), "5".to_owned()),
                ("x-amzn-Remapped-Server".to_owned(), "nginx".to_owned()),
                ("X-Own".to_owned(), "1".to_owned()),
            ]
        );
        assert_eq!(
            response_headers(h, false),
            [
                ("Server".to_owned(), "nginx".to_owned()),
                ("X-Own".to_owned(), "1".to_owned()),
            ]
        );
    }
}
