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
//!
//! This file sends the request and records the exchange in the trace; `url.rs` builds the
//! upstream URL, `headers.rs` the headers each way, `params.rs` the values parameter mappings
//! read and an HTTP API's response mappings.

mod headers;
mod params;
mod url;

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
use headers::{http_headers, response_headers, rest_headers};
use params::{http_value, map_response, rest_value};
use url::{http_url, rest_url};

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
