//! Access log lines: a stage's `AccessLogSetting(s).Format` with its `$context` variables
//! filled in from a finished request (aws-httpapi-semantics.md §6, aws-semantics.md for
//! REST). One line per request; a variable with no value, or one glassgate does not know,
//! prints `-`, as AWS prints unresolved variables.
//!
//! The texts of `$context.authorizer.error` and `$context.integrationErrorMessage` are
//! glassgate's own (the failure's detail): AWS documents the variables, not most of their
//! texts. `$context.error.message` is the message of the body the gateway answered.

use crate::model::{Api, ApiKind};
use crate::outcome::Layer;
use crate::pipeline::payload::v1::request_time;
use crate::pipeline::request::GatewayRequest;
use crate::trace::Trace;

/// What a line is rendered from.
pub struct Facts<'a> {
    /// The finished trace.
    pub trace: &'a Trace,
    /// The request.
    pub req: &'a GatewayRequest,
    /// The API whose stage logs it.
    pub api: &'a Api,
    /// The account id of the model.
    pub account_id: &'a str,
    /// The response body the client got.
    pub response_body: &'a [u8],
}

/// Render `format` for one request.
pub fn render(format: &str, f: &Facts<'_>) -> String {
    const PREFIX: &str = "$context.";
    let mut out = String::with_capacity(format.len() + 64);
    let mut rest = format;
    while let Some(at) = rest.find(PREFIX) {
        out.push_str(&rest[..at]);
        let after = &rest[at + PREFIX.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
            .unwrap_or(after.len());
        // A sentence-ending dot is not part of the name.
        let name = after[..len].trim_end_matches('.');
        if name.is_empty() {
            out.push_str(PREFIX);
        } else {
            out.push_str(&value(name, f).unwrap_or_else(|| "-".to_owned()));
        }
        rest = &after[name.len()..];
    }
    out.push_str(rest);
    out
}

fn value(name: &str, f: &Facts<'_>) -> Option<String> {
    let t = f.trace;
    let req = f.req;
    let http = f.api.flavor.kind() == ApiKind::Http;
    let failure = t.failure.as_ref();
    let failed_at = |layers: &[Layer]| failure.filter(|x| layers.contains(&x.layer));
    let domain = req.header("host").unwrap_or("localhost");
    Some(match name {
        "requestId" if http => req.extended_request_id.clone(),
        "requestId" => req.request_id.clone(),
        "extendedRequestId" => req.extended_request_id.clone(),
        "httpMethod" => req.method.clone(),
        "path" if http => req.path.clone(),
        "path" => format!("/{}{}", f.api.stage, req.path),
        "routeKey" => t.route.clone()?,
        "resourcePath" => t.route.as_deref()?.split_once(' ')?.1.to_owned(),
        "protocol" => req.protocol.to_owned(),
        "status" => t.status.to_string(),
        "responseLength" => f.response_body.len().to_string(),
        "responseLatency" => format!("{:.0}", t.latency_ms),
        "requestTime" => request_time(req.received_at),
        "requestTimeEpoch" => (req.received_at.unix_timestamp_nanos() / 1_000_000).to_string(),
        "stage" => f.api.stage.clone(),
        "apiId" => f.api.api_id.clone(),
        "accountId" => f.account_id.to_owned(),
        "domainName" => domain.to_owned(),
        "domainPrefix" => domain.split(['.', ':']).next()?.to_owned(),
        "identity.sourceIp" => req.source_ip.to_string(),
        "identity.userAgent" => req.header("user-agent")?.to_owned(),
        "integrationLatency" | "integration.latency" => {
            format!("{:.0}", t.invocation.as_ref()?.duration_ms)
        }
        // Lambda's own status for the invoke call: 200 whenever the function ran.
        "integrationStatus" | "integration.integrationStatus" => {
            t.invocation.as_ref().map(|_| "200".to_owned())?
        }
        "integration.status" => t
            .invocation
            .as_ref()
            .filter(|_| failure.is_none())
            .map(|_| t.status.to_string())?,
        "integration.requestId" => t.invocation.as_ref()?.lambda_request_id.clone(),
        "integrationErrorMessage" | "integration.error" => {
            failed_at(&[Layer::Backend, Layer::Integration])?
                .detail
                .clone()
        }
        "authorizer.error" => failed_at(&[Layer::Authorizer])?.detail.clone(),
        "authorizer.principalId" => t.authorizer.as_ref()?.principal_id.clone()?,
        "authorizer.integrationLatency" | "authorizer.latency" => {
            format!("{:.0}", t.authorizer.as_ref()?.latency_ms)
        }
        "error.message" => gateway_message(f.response_body).filter(|_| failure.is_some())?,
        "error.messageString" => format!(
            "\"{}\"",
            gateway_message(f.response_body).filter(|_| failure.is_some())?
        ),
        "error.responseType" => crate::pipeline::respond::response_type(failure?.cause)?
            .name()
            .to_owned(),
        _ => return None,
    })
}

/// The `message` (or REST's capitalised `Message`) of a gateway-generated JSON body.
fn gateway_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let m = v.get("message").or_else(|| v.get("Message"))?;
    m.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Flavor;
    use crate::outcome::{Cause, Failure};

    fn api(flavor: Flavor) -> Api {
        Api {
            logical_id: "Api".into(),
            api_id: "abcdefghij".into(),
            stage: "dev".into(),
            stage_variables: Default::default(),
            routes: vec![],
            authorizers: Default::default(),
            flavor,
            access_log: None,
        }
    }

    fn request() -> GatewayRequest {
        let mut r = GatewayRequest::local("GET", "/dev/items", [("User-Agent", "curl/8")], "");
        r.request_id = "uuid-1".into();
        r.extended_request_id = "K2ZEDjwtIAMEcig=".into();
        r.received_at = time::macros::datetime!(2026-11-05 07:08:09 UTC);
        r
    }

    #[test]
    fn common_log_format_of_an_http_api_failure() {
        let req = request();
        let mut t = Trace::start(
            "uuid-1",
            "K2ZEDjwtIAMEcig=",
            "GET",
            "/dev/items",
            req.received_at,
        );
        t.route = Some("GET /items".into());
        t.finish(
            500,
            Some(Failure::new(
                Cause::HandlerError,
                "the function Fn raised ValueError: x",
            )),
        );
        let api = api(Flavor::Http { cors: None });
        let f = Facts {
            trace: &t,
            req: &req,
            api: &api,
            account_id: "123456789012",
            response_body: br#"{"message":"Internal Server Error"}"#,
        };
        let line = render(
            "$context.identity.sourceIp - - [$context.requestTime] \"$context.httpMethod $context.routeKey $context.protocol\" $context.status $context.responseLength $context.requestId $context.integrationErrorMessage",
            &f,
        );
        assert_eq!(
            line,
            "127.0.0.1 - - [05/Nov/2026:07:08:09 +0000] \"GET GET /items HTTP/1.1\" 500 35 K2ZEDjwtIAMEcig= the function Fn raised ValueError: x"
        );
        let json = render(
            r#"{"status":"$context.status","err":"$context.error.message","auth":"$context.authorizer.error","nope":"$context.unknownThing","ua":"$context.identity.userAgent"}."#,
            &f,
        );
        assert_eq!(
            json,
            r#"{"status":"500","err":"Internal Server Error","auth":"-","nope":"-","ua":"curl/8"}."#
        );
    }

    #[test]
    fn rest_ids_and_paths_follow_rest() {
        let mut req = request();
        req.path = "/items".into();
        let t = Trace::start(
            "uuid-1",
            "K2ZEDjwtIAMEcig=",
            "GET",
            "/items",
            req.received_at,
        );
        let api = api(Flavor::rest());
        let f = Facts {
            trace: &t,
            req: &req,
            api: &api,
            account_id: "1",
            response_body: b"",
        };
        assert_eq!(
            render(
                "$context.requestId $context.path $context.extendedRequestId",
                &f
            ),
            "uuid-1 /dev/items K2ZEDjwtIAMEcig="
        );
    }
}
