//! The HTTP API Lambda proxy event, payload format 2.0 (aws-httpapi-semantics.md §4.1).
//!
//! Shape rules pinned here: header names lower-cased and repeated headers comma-joined;
//! `Cookie` headers moved out of `headers` into `cookies` (one item per `name=value`);
//! `queryStringParameters` comma-joins repeated keys and, like `pathParameters` and
//! `stageVariables`, is left out when empty; `rawQueryString` is the query as sent (`""` when
//! none); `rawPath` and `requestContext.http.path` keep a named stage's prefix (the route
//! does not); `requestContext.http.protocol` is always `HTTP/1.1`; `requestId` is the
//! `apigw-requestid` value; a body that is not UTF-8 is passed base64-encoded.

use base64::Engine;
use indexmap::IndexMap;
use serde::Serialize;

use super::v1::request_time;
use crate::pipeline::request::GatewayRequest;

/// What the event needs beyond the request itself.
pub struct EventContext<'a> {
    /// The route key that matched (`GET /items/{id}`, `$default`).
    pub route_key: &'a str,
    /// Path variables from routing (a greedy variable under its name without `+`).
    pub path_params: &'a IndexMap<String, String>,
    /// Stage name (`$default` or a named stage).
    pub stage: &'a str,
    /// Stage variables.
    pub stage_variables: &'a IndexMap<String, String>,
    /// API id.
    pub api_id: &'a str,
    /// Account id.
    pub account_id: &'a str,
    /// `requestContext.authorizer`, when an authorizer ran.
    pub authorizer: Option<&'a crate::pipeline::context::AuthContext>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    version: &'static str,
    route_key: &'a str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<&'a str>,
    headers: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_string_parameters: Option<IndexMap<&'a str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_parameters: Option<&'a IndexMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage_variables: Option<&'a IndexMap<String, String>>,
    request_context: RequestContext<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<std::borrow::Cow<'a, str>>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext<'a> {
    account_id: &'a str,
    api_id: &'a str,
    domain_name: &'a str,
    domain_prefix: &'a str,
    http: Http<'a>,
    request_id: &'a str,
    route_key: &'a str,
    stage: &'a str,
    time: String,
    time_epoch: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Http<'a> {
    method: &'a str,
    path: &'a str,
    protocol: &'static str,
    source_ip: String,
    user_agent: &'a str,
}

/// Build the event JSON.
pub fn build(req: &GatewayRequest, ctx: &EventContext<'_>) -> Vec<u8> {
    with_event(req, ctx, |e| serde_json::to_vec(e).unwrap_or_default())
}

/// The payload 2.0 event of an HTTP API Lambda authorizer (aws-httpapi-semantics.md §2.3):
/// the proxy event's request fields without the body, with `type`, `routeArn` (the request's
/// method and path, stage included) and `identitySource` (the resolved values, in
/// configured order).
pub fn authorizer_event(
    req: &GatewayRequest,
    ctx: &EventContext<'_>,
    route_arn: &str,
    identity: &[String],
) -> Vec<u8> {
    with_event(req, ctx, |e| {
        let mut out = serde_json::Map::new();
        out.insert("version".into(), "2.0".into());
        out.insert("type".into(), "REQUEST".into());
        out.insert("routeArn".into(), route_arn.into());
        out.insert("identitySource".into(), identity.into());
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(e) {
            for (k, v) in fields {
                if !matches!(k.as_str(), "version" | "body" | "isBase64Encoded") {
                    out.insert(k, v);
                }
            }
        }
        serde_json::to_vec(&out).unwrap_or_default()
    })
}

fn with_event<T>(
    req: &GatewayRequest,
    ctx: &EventContext<'_>,
    f: impl FnOnce(&Event<'_>) -> T,
) -> T {
    let mut headers: IndexMap<String, String> = IndexMap::with_capacity(req.headers.len());
    let mut cookies = Vec::new();
    for (k, v) in &req.headers {
        if k.eq_ignore_ascii_case("cookie") {
            cookies.extend(v.split(';').map(str::trim).filter(|c| !c.is_empty()));
            continue;
        }
        match headers.entry(k.to_ascii_lowercase()) {
            indexmap::map::Entry::Occupied(mut e) => {
                let joined = e.get_mut();
                joined.push(',');
                joined.push_str(v);
            }
            indexmap::map::Entry::Vacant(e) => {
                e.insert(v.clone());
            }
        }
    }
    let query = req.query_params().multi.as_ref().map(|multi| {
        multi
            .iter()
            .map(|(k, vs)| (k.as_str(), vs.join(",")))
            .collect::<IndexMap<_, _>>()
    });
    let (body, is_base64_encoded) = if req.body.is_empty() {
        (None, false)
    } else {
        match std::str::from_utf8(&req.body) {
            Ok(s) => (Some(std::borrow::Cow::Borrowed(s)), false),
            Err(_) => (
                Some(std::borrow::Cow::Owned(
                    base64::engine::general_purpose::STANDARD.encode(&req.body),
                )),
                true,
            ),
        }
    };
    let domain_name = req.header("host").unwrap_or("localhost");
    let domain_prefix = domain_name.split(['.', ':']).next().unwrap_or(domain_name);
    let event = Event {
        version: "2.0",
        route_key: ctx.route_key,
        raw_path: &req.path,
        raw_query_string: req.query.as_deref().unwrap_or(""),
        cookies,
        query_string_parameters: query,
        path_parameters: (!ctx.path_params.is_empty()).then_some(ctx.path_params),
        stage_variables: (!ctx.stage_variables.is_empty()).then_some(ctx.stage_variables),
        request_context: RequestContext {
            account_id: ctx.account_id,
            api_id: ctx.api_id,
            domain_name,
            domain_prefix,
            http: Http {
                method: &req.method,
                path: &req.path,
                protocol: "HTTP/1.1",
                source_ip: req.source_ip.to_string(),
                user_agent: req.header("user-agent").unwrap_or(""),
            },
            request_id: &req.extended_request_id,
            route_key: ctx.route_key,
            stage: ctx.stage,
            time: request_time(req.received_at),
            time_epoch: (req.received_at.unix_timestamp_nanos() / 1_000_000) as i64,
            authorizer: ctx.authorizer.map(|a| a.lambda_block()),
        },
        headers,
        body,
        is_base64_encoded,
    };
    f(&event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(req: &GatewayRequest, params: &IndexMap<String, String>) -> serde_json::Value {
        let vars = IndexMap::new();
        let ctx = EventContext {
            route_key: "GET /items/{id}",
            path_params: params,
            stage: "dev",
            stage_variables: &vars,
            api_id: "abcdefghij",
            account_id: "123456789012",
            authorizer: None,
        };
        serde_json::from_slice(&build(req, &ctx)).unwrap()
    }

    #[test]
    fn headers_cookies_and_query_follow_payload_2() {
        let req = GatewayRequest::local(
            "GET",
            "/dev/items/7?a=1&a=2&b=x+y",
            [
                ("Accept", "text/plain"),
                ("X-Multi", "one"),
                ("x-multi", "two"),
                ("Cookie", "s=1; theme=dark"),
                ("User-Agent", "curl/8"),
            ],
            "",
        );
        let params: IndexMap<String, String> =
            [("id".to_owned(), "7".to_owned())].into_iter().collect();
        let e = event(&req, &params);
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["rawPath"], "/dev/items/7");
        assert_eq!(e["rawQueryString"], "a=1&a=2&b=x+y");
        assert_eq!(e["headers"]["accept"], "text/plain");
        assert_eq!(e["headers"]["x-multi"], "one,two");
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(e["cookies"], serde_json::json!(["s=1", "theme=dark"]));
        assert_eq!(e["queryStringParameters"]["a"], "1,2");
        assert_eq!(e["queryStringParameters"]["b"], "x y");
        assert_eq!(e["pathParameters"]["id"], "7");
        assert!(e.get("stageVariables").is_none());
        assert!(e.get("body").is_none());
        let rc = &e["requestContext"];
        assert_eq!(rc["http"]["path"], "/dev/items/7");
        assert_eq!(rc["http"]["protocol"], "HTTP/1.1");
        assert_eq!(rc["http"]["userAgent"], "curl/8");
        assert_eq!(rc["routeKey"], "GET /items/{id}");
        assert_eq!(rc["stage"], "dev");
        assert_eq!(rc["requestId"], req.extended_request_id.as_str());
    }

    #[test]
    fn empty_parts_are_left_out_and_binary_bodies_encoded() {
        let mut req = GatewayRequest::local("POST", "/", [], "");
        req.body = bytes::Bytes::from_static(&[0xff, 0x00]);
        let e = event(&req, &IndexMap::new());
        assert_eq!(e["rawQueryString"], "");
        assert!(e.get("cookies").is_none());
        assert!(e.get("queryStringParameters").is_none());
        assert!(e.get("pathParameters").is_none());
        assert_eq!(e["body"], "/wA=");
        assert_eq!(e["isBase64Encoded"], true);
    }
}
