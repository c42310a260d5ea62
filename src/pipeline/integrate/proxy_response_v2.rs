//! The HTTP API Lambda proxy response contract, payload format 2.0
//! (aws-httpapi-semantics.md §4.3).
//!
//! - A result that is valid JSON without a `statusCode` (a string, a number, an object...) is
//!   inferred: 200, `content-type: application/json`, the body the JSON text, or the string's
//!   own text for a JSON string.
//! - With `statusCode`: `headers` (scalar values, stringified), `multiValueHeaders` (lists),
//!   `cookies` (each item one `set-cookie` header; not together with `multiValueHeaders`),
//!   `body` (string, base64-decoded when `isBase64Encoded` is true). Nothing is added: no
//!   default `content-type`, as AWS sends exactly the function's headers.
//! - Not JSON, a field of the wrong type, or bad base64 is malformed (500 on HTTP APIs).
//!
//! Keys outside the contract are ignored (unverified on AWS; REST, whose contract is
//! documented as strict, refuses them in `proxy_response`).

use base64::Engine;
use serde_json::Value;

use super::proxy_response::{MalformedResponse, ProxyResponse, kind, merge, scalar};

/// Parse a function's payload under the 2.0 contract.
///
/// # Errors
/// [`MalformedResponse`] naming the first problem found.
pub fn parse(payload: &[u8]) -> Result<ProxyResponse, MalformedResponse> {
    let v: Value = serde_json::from_slice(payload).map_err(|_| MalformedResponse::NotJson)?;
    let map = match v {
        Value::Object(map) if map.contains_key("statusCode") => map,
        Value::String(s) => return Ok(inferred(bytes::Bytes::from(s))),
        _ => {
            let text = payload.trim_ascii();
            return Ok(inferred(bytes::Bytes::copy_from_slice(text)));
        }
    };
    let bad = |field: &str, problem: String| MalformedResponse::BadField {
        field: field.to_owned(),
        problem,
    };
    let status = match &map["statusCode"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .filter(|n| (100..=599).contains(n))
    .and_then(|n| u16::try_from(n).ok())
    .ok_or_else(|| {
        bad(
            "statusCode",
            format!("expected an HTTP status code, got {}", map["statusCode"]),
        )
    })?;
    let mut single = Vec::new();
    if let Some(h) = map.get("headers").filter(|h| !h.is_null()) {
        let Value::Object(h) = h else {
            return Err(bad(
                "headers",
                format!("expected an object, got {}", kind(h)),
            ));
        };
        for (name, value) in h {
            if value.is_null() {
                continue;
            }
            let text = scalar(value).ok_or_else(|| {
                bad(
                    &format!("headers.{name}"),
                    format!("expected a string, number or boolean, got {}", kind(value)),
                )
            })?;
            single.push((name.clone(), text));
        }
    }
    let mut multi = Vec::new();
    if let Some(h) = map.get("multiValueHeaders").filter(|h| !h.is_null()) {
        let Value::Object(h) = h else {
            return Err(bad(
                "multiValueHeaders",
                format!("expected an object, got {}", kind(h)),
            ));
        };
        for (name, values) in h {
            let Value::Array(items) = values else {
                return Err(bad(
                    &format!("multiValueHeaders.{name}"),
                    format!("expected a list, got {}", kind(values)),
                ));
            };
            let texts = items.iter().map(scalar).collect::<Option<Vec<_>>>();
            let texts = texts.ok_or_else(|| {
                bad(
                    &format!("multiValueHeaders.{name}"),
                    "expected a list of strings".to_owned(),
                )
            })?;
            multi.push((name.clone(), texts));
        }
    }
    let mut headers = merge(multi, single);
    if let Some(c) = map.get("cookies").filter(|c| !c.is_null()) {
        if map.get("multiValueHeaders").is_some_and(|m| !m.is_null()) {
            return Err(bad(
                "cookies",
                "cookies and multiValueHeaders cannot be returned together".to_owned(),
            ));
        }
        let Value::Array(items) = c else {
            return Err(bad("cookies", format!("expected a list, got {}", kind(c))));
        };
        for item in items {
            let Value::String(cookie) = item else {
                return Err(bad(
                    "cookies",
                    format!("expected a list of strings, found {}", kind(item)),
                ));
            };
            headers.push(("set-cookie".to_owned(), cookie.clone()));
        }
    }
    let is_base64_encoded = match map.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(bad(
                "isBase64Encoded",
                format!("expected a boolean, got {}", kind(other)),
            ));
        }
    };
    let body = match map.get("body") {
        None | Some(Value::Null) => bytes::Bytes::new(),
        Some(Value::String(s)) if is_base64_encoded => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map(bytes::Bytes::from)
            .map_err(|e| bad("body", format!("isBase64Encoded is true but {e}")))?,
        Some(Value::String(s)) => bytes::Bytes::from(s.clone()),
        Some(other) => {
            return Err(bad(
                "body",
                format!("expected a string, got {}", kind(other)),
            ));
        }
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
        is_base64_encoded,
    })
}

/// The response AWS infers for a result without `statusCode`.
fn inferred(body: bytes::Bytes) -> ProxyResponse {
    ProxyResponse {
        status: 200,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body,
        is_base64_encoded: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ProxyResponse {
        parse(s.as_bytes()).expect("well-formed")
    }

    #[test]
    fn results_without_status_code_are_inferred() {
        let r = ok(r#""Hello from Lambda!""#);
        assert_eq!((r.status, &r.body[..]), (200, &b"Hello from Lambda!"[..]));
        assert_eq!(
            r.headers,
            [("content-type".into(), "application/json".into())]
        );
        assert_eq!(ok(r#" {"message": "hi"} "#).body, r#"{"message": "hi"}"#);
        assert_eq!(ok("42").body, "42");
        // An object with a body but no statusCode is still inferred: the whole object.
        assert_eq!(ok(r#"{"body":"x"}"#).body, r#"{"body":"x"}"#);
    }

    #[test]
    fn full_responses_keep_their_headers_and_cookies() {
        let r = ok(
            r#"{"statusCode":201,"headers":{"x-n":1},"cookies":["a=1; Path=/","b=2"],"body":"aGk=","isBase64Encoded":true,"extra":true}"#,
        );
        assert_eq!(r.status, 201);
        assert_eq!(r.body, "hi");
        assert_eq!(
            r.headers,
            [
                ("x-n".to_owned(), "1".to_owned()),
                ("set-cookie".to_owned(), "a=1; Path=/".to_owned()),
                ("set-cookie".to_owned(), "b=2".to_owned()),
            ]
        );
        // No content-type is added when the function sends none.
        assert!(ok(r#"{"statusCode":204}"#).headers.is_empty());
    }

    #[test]
    fn malformed_results_say_why() {
        let err = |s: &str| parse(s.as_bytes()).unwrap_err().to_string();
        assert_eq!(err("not json"), "the function's response is not JSON");
        assert!(
            err(r#"{"statusCode":200,"headers":{"set-cookie":["a"]}}"#)
                .starts_with("headers.set-cookie")
        );
        assert!(err(r#"{"statusCode":"x"}"#).starts_with("statusCode"));
        assert!(
            err(r#"{"statusCode":200,"cookies":["a=1"],"multiValueHeaders":{"a":["b"]}}"#)
                .contains("together")
        );
        assert!(
            err(r#"{"statusCode":200,"body":"%%","isBase64Encoded":true}"#).starts_with("body")
        );
    }
}
