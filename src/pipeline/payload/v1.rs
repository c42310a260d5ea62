//! The REST Lambda proxy event, payload format 1.0 (aws-semantics.md §8.1).
//!
//! Shape rules pinned here: query maps and `pathParameters`/`stageVariables` are `null` when
//! empty; `queryStringParameters` keeps the last value of a repeated key and
//! `multiValueQueryStringParameters` keeps all; query values are decoded (`+` is a space),
//! path values are not; `requestContext.path` is `/{stage}{path}`; a body that is not UTF-8
//! is passed base64-encoded with `isBase64Encoded: true`.
//!
//! On an HTTP API (payload 1.0 there, aws-httpapi-semantics.md §4.2) the same shape gains
//! `version: "1.0"`, `requestContext.resourceId` is the route key, `requestId` and
//! `extendedRequestId` are both the `apigw-requestid`, and `path`/`requestContext.path` are
//! the request path as sent (a named stage is already in it; `$default` adds nothing).

use base64::Engine;
use indexmap::IndexMap;
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::pipeline::request::GatewayRequest;

/// What the event needs beyond the request itself.
pub struct EventContext<'a> {
    /// Resource template (`/users/{id}`).
    pub resource: &'a str,
    /// Path variables from routing.
    pub path_params: &'a IndexMap<String, String>,
    /// Stage name.
    pub stage: &'a str,
    /// Stage variables.
    pub stage_variables: &'a IndexMap<String, String>,
    /// API id.
    pub api_id: &'a str,
    /// Account id.
    pub account_id: &'a str,
    /// `requestContext.authorizer`, when an authorizer ran.
    pub authorizer: Option<&'a crate::pipeline::context::AuthContext>,
    /// The route key when the event is for an HTTP API (payload 1.0 on HTTP APIs); `None`
    /// on REST.
    pub http_route_key: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
    resource: &'a str,
    path: &'a str,
    http_method: &'a str,
    headers: Option<SingleHeaders<'a>>,
    multi_value_headers: Option<MultiHeaders<'a>>,
    query_string_parameters: Option<&'a IndexMap<String, String>>,
    multi_value_query_string_parameters: Option<&'a IndexMap<String, Vec<String>>>,
    path_parameters: Option<&'a IndexMap<String, String>>,
    stage_variables: Option<&'a IndexMap<String, String>>,
    request_context: RequestContext<'a>,
    body: Option<std::borrow::Cow<'a, str>>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext<'a> {
    resource_id: String,
    resource_path: &'a str,
    http_method: &'a str,
    extended_request_id: &'a str,
    request_time: String,
    path: String,
    account_id: &'a str,
    protocol: &'a str,
    stage: &'a str,
    domain_prefix: &'a str,
    request_time_epoch: i64,
    request_id: &'a str,
    identity: Identity<'a>,
    domain_name: &'a str,
    api_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<&'a crate::pipeline::context::AuthContext>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    cognito_identity_pool_id: Option<&'a str>,
    account_id: Option<&'a str>,
    cognito_identity_id: Option<&'a str>,
    caller: Option<&'a str>,
    source_ip: String,
    principal_org_id: Option<&'a str>,
    access_key: Option<&'a str>,
    cognito_authentication_type: Option<&'a str>,
    cognito_authentication_provider: Option<&'a str>,
    user_arn: Option<&'a str>,
    user_agent: Option<&'a str>,
    user: Option<&'a str>,
}

/// `dd/MMM/yyyy:HH:mm:ss +0000`, as in `requestContext.requestTime`.
pub fn request_time(t: OffsetDateTime) -> String {
    // Formatting through a format description costs more than the rest of the request
    // context; within one second every request shares the text, so each thread keeps the
    // last one.
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const {
            std::cell::RefCell::new((i64::MIN, String::new()))
        };
    }
    let second = t.unix_timestamp();
    LAST.with_borrow_mut(|(at, text)| {
        if *at != second {
            *text = t
                .format(format_description!(
                    "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
                ))
                .unwrap_or_default();
            *at = second;
        }
        text.clone()
    })
}

/// A stable 6-character resource id per resource path, as AWS assigns one per resource.
pub fn resource_id(resource: &str) -> String {
    crate::model::api_id_for(resource)[..6].to_owned()
}

/// Build the event JSON.
pub fn build(req: &GatewayRequest, ctx: &EventContext<'_>) -> Vec<u8> {
    with_event(req, ctx, |e| serde_json::to_vec(e).unwrap_or_default())
}

/// `headers`: each name once, in the order of its first appearance, with its last value.
///
/// Written straight from the request's list instead of through a map built per request:
/// a request has a few dozen headers at most, so finding a name's other values by scanning
/// the list costs less than the map's allocations.
struct SingleHeaders<'a>(&'a [(String, String)]);

/// `multiValueHeaders`: each name once, in the order of its first appearance, with all its
/// values in order.
struct MultiHeaders<'a>(&'a [(String, String)]);

/// The names of `headers` at their first appearance, with the index of that appearance.
fn first_names(headers: &[(String, String)]) -> impl Iterator<Item = (usize, &str)> {
    headers
        .iter()
        .enumerate()
        .filter(|(i, (k, _))| !headers[..*i].iter().any(|(seen, _)| seen == k))
        .map(|(i, (k, _))| (i, k.as_str()))
}

impl Serialize for SingleHeaders<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (i, name) in first_names(self.0) {
            let last = self.0[i..]
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str());
            map.serialize_entry(name, last)?;
        }
        map.end()
    }
}

impl Serialize for MultiHeaders<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (i, name) in first_names(self.0) {
            map.serialize_entry(name, &ValuesOf(&self.0[i..], name))?;
        }
        map.end()
    }
}

/// The values `name` has in `headers`, in order, as a JSON list.
struct ValuesOf<'a>(&'a [(String, String)], &'a str);

impl Serialize for ValuesOf<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .filter(|(k, _)| k == self.1)
                .map(|(_, v)| v.as_str()),
        )
    }
}

/// Build the event as a JSON value (the REST `REQUEST` authorizer event starts from it).
pub fn value(req: &GatewayRequest, ctx: &EventContext<'_>) -> serde_json::Value {
    with_event(req, ctx, |e| serde_json::to_value(e).unwrap_or_default())
}

fn with_event<T>(
    req: &GatewayRequest,
    ctx: &EventContext<'_>,
    f: impl FnOnce(&Event<'_>) -> T,
) -> T {
    let (headers, multi_headers) = if req.headers.is_empty() {
        (None, None)
    } else {
        (
            Some(SingleHeaders(&req.headers)),
            Some(MultiHeaders(&req.headers)),
        )
    };
    let query = req.query_params();
    let (body, is_b64) = if req.body.is_empty() {
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
    let http = ctx.http_route_key;
    let event = Event {
        version: http.map(|_| "1.0"),
        resource: ctx.resource,
        path: &req.path,
        http_method: &req.method,
        headers,
        multi_value_headers: multi_headers,
        query_string_parameters: query.single.as_ref(),
        multi_value_query_string_parameters: query.multi.as_ref(),
        path_parameters: (!ctx.path_params.is_empty()).then_some(ctx.path_params),
        stage_variables: (!ctx.stage_variables.is_empty()).then_some(ctx.stage_variables),
        request_context: request_context(req, ctx),
        body,
        is_base64_encoded: is_b64,
    };
    f(&event)
}

/// `$context` of a REST mapping template: the event's `requestContext`, as JSON.
pub fn context_value(req: &GatewayRequest, ctx: &EventContext<'_>) -> serde_json::Value {
    serde_json::to_value(request_context(req, ctx)).unwrap_or_default()
}

fn request_context<'a>(req: &'a GatewayRequest, ctx: &EventContext<'a>) -> RequestContext<'a> {
    let iam = ctx.authorizer.and_then(|a| a.iam.as_ref());
    let domain_name = req.header("host").unwrap_or("localhost");
    let domain_prefix = domain_name.split(['.', ':']).next().unwrap_or(domain_name);
    let http = ctx.http_route_key;
    let request_id = match http {
        Some(_) => &req.extended_request_id,
        None => &req.request_id,
    };
    RequestContext {
        resource_id: http.map_or_else(|| resource_id(ctx.resource), str::to_owned),
        resource_path: ctx.resource,
        http_method: &req.method,
        extended_request_id: &req.extended_request_id,
        request_time: request_time(req.received_at),
        path: match http {
            Some(_) => req.path.clone(),
            None => format!("/{}{}", ctx.stage, req.path),
        },
        account_id: ctx.account_id,
        protocol: req.protocol,
        stage: ctx.stage,
        domain_prefix,
        request_time_epoch: (req.received_at.unix_timestamp_nanos() / 1_000_000) as i64,
        request_id,
        identity: Identity {
            cognito_identity_pool_id: None,
            account_id: iam.and_then(|c| c.account_id.as_deref()),
            cognito_identity_id: None,
            caller: iam.and_then(|c| c.user_id.as_deref()),
            source_ip: req.source_ip.to_string(),
            principal_org_id: None,
            access_key: iam.map(|c| c.access_key.as_str()),
            cognito_authentication_type: None,
            cognito_authentication_provider: None,
            user_arn: iam.and_then(|c| c.user_arn.as_deref()),
            user_agent: req.header("user-agent"),
            user: iam.and_then(|c| c.user_id.as_deref()),
        },
        domain_name,
        api_id: ctx.api_id,
        // AWS_IAM fills the identity instead; no authorizer block.
        authorizer: ctx.authorizer.filter(|a| a.iam.is_none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_maps_follow_aws() {
        let (s, m) = crate::pipeline::request::parse_query(Some("a=1&a=2&b=x+y&c=%2B&d"));
        let s = s.unwrap();
        let m = m.unwrap();
        assert_eq!(s["a"], "2");
        assert_eq!(m["a"], vec!["1", "2"]);
        assert_eq!(s["b"], "x y");
        assert_eq!(s["c"], "+");
        assert_eq!(s["d"], "");
        assert_eq!(
            crate::pipeline::request::parse_query(Some("")),
            (None, None)
        );
        assert_eq!(crate::pipeline::request::parse_query(None), (None, None));
    }

    #[test]
    fn repeated_headers_keep_first_order_last_value_and_every_value() {
        let h: Vec<(String, String)> = [("A", "1"), ("B", "2"), ("A", "3"), ("a", "4")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        // Names are as the request spelled them: `a` is another key, as in the map before.
        assert_eq!(
            serde_json::to_string(&SingleHeaders(&h)).unwrap(),
            r#"{"A":"3","B":"2","a":"4"}"#
        );
        assert_eq!(
            serde_json::to_string(&MultiHeaders(&h)).unwrap(),
            r#"{"A":["1","3"],"B":["2"],"a":["4"]}"#
        );
        assert_eq!(serde_json::to_string(&MultiHeaders(&[])).unwrap(), "{}");
    }

    #[test]
    fn request_time_has_the_aws_format() {
        let t = time::macros::datetime!(2026-11-05 07:08:09 UTC);
        assert_eq!(request_time(t), "05/Nov/2026:07:08:09 +0000");
    }
}
