//! The events a REST Lambda authorizer receives (aws-semantics.md §3.1-3.3), and the 1.0
//! event of an HTTP API authorizer (aws-httpapi-semantics.md §2.3), which starts from it. The
//! 2.0 event is built beside the 2.0 proxy event, in `payload::v2`.

use serde_json::{Map, Value};

use crate::pipeline::payload::v1::{self as event_v1, EventContext};
use crate::pipeline::request::GatewayRequest;

/// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}` built from the
/// *request* (not the resource template); the root path gives a trailing slash.
pub fn method_arn(
    region: &str,
    account: &str,
    api_id: &str,
    stage: &str,
    method: &str,
    path: &str,
) -> String {
    // Built on every request of an authorized route: plain appends, not `format!`.
    let path = path.strip_prefix('/').unwrap_or(path);
    let parts = [
        region, ":", account, ":", api_id, "/", stage, "/", method, "/", path,
    ];
    let mut arn = String::with_capacity(
        "arn:aws:execute-api:".len() + parts.iter().map(|p| p.len()).sum::<usize>(),
    );
    arn.push_str("arn:aws:execute-api:");
    for p in parts {
        arn.push_str(p);
    }
    arn
}

/// The TOKEN event: `{"type":"TOKEN","methodArn":…,"authorizationToken":…}`.
pub fn token_event(method_arn: &str, token: &str) -> Vec<u8> {
    let v = serde_json::json!({
        "type": "TOKEN",
        "methodArn": method_arn,
        "authorizationToken": token,
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The REQUEST event: the proxy event's request fields, without the body, with `type` and
/// `methodArn` first.
pub fn request_event(req: &GatewayRequest, ctx: &EventContext<'_>, method_arn: &str) -> Vec<u8> {
    let mut out = Map::new();
    out.insert("type".into(), Value::from("REQUEST"));
    out.insert("methodArn".into(), Value::from(method_arn));
    if let Value::Object(ev) = event_v1::value(req, ctx) {
        for (k, v) in ev {
            if k != "body" && k != "isBase64Encoded" {
                out.insert(k, v);
            }
        }
    }
    serde_json::to_vec(&Value::Object(out)).unwrap_or_default()
}

/// An HTTP API authorizer's payload 1.0 event: the REST REQUEST event plus `version`, and the
/// identity values joined by `,` as both `identitySource` and `authorizationToken`.
pub fn http_v1_request_event(
    req: &GatewayRequest,
    ctx: &EventContext<'_>,
    route_arn: &str,
    identity: &[String],
) -> Vec<u8> {
    let mut out = Map::new();
    out.insert("version".into(), Value::from("1.0"));
    out.insert("type".into(), Value::from("REQUEST"));
    out.insert("methodArn".into(), Value::from(route_arn));
    out.insert("identitySource".into(), Value::from(identity.join(",")));
    out.insert("authorizationToken".into(), Value::from(identity.join(",")));
    if let Value::Object(ev) = event_v1::value(req, ctx) {
        for (k, v) in ev {
            if k != "body" && k != "isBase64Encoded" {
                out.insert(k, v);
            }
        }
    }
    serde_json::to_vec(&Value::Object(out)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_arn_uses_the_request_path() {
        assert_eq!(
            method_arn("us-east-1", "123456789012", "abc", "Prod", "GET", "/pets/7"),
            "arn:aws:execute-api:us-east-1:123456789012:abc/Prod/GET/pets/7"
        );
        assert_eq!(
            method_arn("us-east-1", "1", "abc", "Prod", "GET", "/"),
            "arn:aws:execute-api:us-east-1:1:abc/Prod/GET/"
        );
    }

    #[test]
    fn token_event_has_the_three_fields() {
        let v: Value = serde_json::from_slice(&token_event("arn:x", "Bearer t")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"TOKEN","methodArn":"arn:x","authorizationToken":"Bearer t"})
        );
    }
}
