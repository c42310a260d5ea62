//! The Lambda proxy response contract (aws-semantics.md §8.3), parsed strictly.
//!
//! Allowed keys: `statusCode` (number or numeric string), `headers` (scalar values,
//! stringified), `multiValueHeaders` (lists of scalars), `body` (string), `isBase64Encoded`
//! (bool); all optional. Anything else is a malformed proxy response (502). A header present
//! in both maps is merged, values from `multiValueHeaders` first, its name casing kept.

use serde_json::Value;

/// A well-formed proxy response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers in order, merged.
    pub headers: Vec<(String, String)>,
    /// Body bytes as the client gets them: on REST base64 text stays text (without binary
    /// media types), on HTTP APIs (payload 2.0) it is decoded.
    pub body: bytes::Bytes,
    /// `isBase64Encoded` as given.
    pub is_base64_encoded: bool,
}

/// Why a payload is not a valid proxy response (for the diagnosis; AWS only logs
/// `Malformed Lambda proxy response`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedResponse {
    /// Not JSON.
    #[error("the function's response is not JSON")]
    NotJson,
    /// JSON, but not an object.
    #[error("the function's response is a JSON {0}, not an object")]
    NotObject(&'static str),
    /// A key outside the contract.
    #[error(
        "unexpected key \"{0}\" (allowed: statusCode, headers, multiValueHeaders, body, isBase64Encoded)"
    )]
    UnknownKey(String),
    /// A field of the wrong type.
    #[error("{field}: {problem}")]
    BadField {
        /// The field.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(super) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// [`scalar`] of a value that is given away: a string is moved, not copied; anything else
/// that is not a scalar (`null` included) comes back as the error.
fn into_scalar(v: Value) -> Result<String, Value> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(other),
    }
}

/// Parse a function's payload as a proxy response.
///
/// # Errors
/// [`MalformedResponse`] naming the first problem found.
pub fn parse(payload: &[u8]) -> Result<ProxyResponse, MalformedResponse> {
    let v: Value = serde_json::from_slice(payload).map_err(|_| MalformedResponse::NotJson)?;
    let Value::Object(map) = v else {
        return Err(MalformedResponse::NotObject(kind(&v)));
    };
    let bad = |field: &str, problem: String| MalformedResponse::BadField {
        field: field.to_owned(),
        problem,
    };
    let mut status = 200u16;
    let mut single: Vec<(String, String)> = Vec::new();
    let mut multi: Vec<(String, Vec<String>)> = Vec::new();
    let mut body = bytes::Bytes::new();
    let mut b64 = false;
    // The parsed document is consumed: names, header values and the body are moved out of it
    // rather than copied (this runs for every response of every Lambda proxy integration).
    for (k, v) in map {
        match k.as_str() {
            "statusCode" => {
                let n = match &v {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse::<u64>().ok(),
                    Value::Null => Some(200),
                    _ => None,
                };
                status = n
                    .filter(|n| (100..=599).contains(n))
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or_else(|| {
                        bad(
                            "statusCode",
                            format!("expected an HTTP status code, got {v}"),
                        )
                    })?;
            }
            "headers" => match v {
                Value::Null => {}
                Value::Object(h) => {
                    for (name, value) in h {
                        match into_scalar(value) {
                            Err(Value::Null) => {}
                            Ok(text) => single.push((name, text)),
                            Err(other) => {
                                return Err(bad(
                                    &format!("headers.{name}"),
                                    format!(
                                        "expected a string, number or boolean, got {}",
                                        kind(&other)
                                    ),
                                ));
                            }
                        }
                    }
                }
                other => {
                    return Err(bad(
                        "headers",
                        format!("expected an object, got {}", kind(&other)),
                    ));
                }
            },
            "multiValueHeaders" => match v {
                Value::Null => {}
                Value::Object(h) => {
                    for (name, values) in h {
                        let Value::Array(items) = values else {
                            return Err(bad(
                                &format!("multiValueHeaders.{name}"),
                                format!("expected a list, got {}", kind(&values)),
                            ));
                        };
                        let mut out = Vec::with_capacity(items.len());
                        for item in items {
                            match into_scalar(item) {
                                Ok(text) => out.push(text),
                                Err(other) => {
                                    return Err(bad(
                                        &format!("multiValueHeaders.{name}"),
                                        format!(
                                            "expected a list of strings, found {}",
                                            kind(&other)
                                        ),
                                    ));
                                }
                            }
                        }
                        multi.push((name, out));
                    }
                }
                other => {
                    return Err(bad(
                        "multiValueHeaders",
                        format!("expected an object, got {}", kind(&other)),
                    ));
                }
            },
            "body" => match v {
                Value::Null => {}
                Value::String(s) => body = bytes::Bytes::from(s),
                other => {
                    return Err(bad(
                        "body",
                        format!("expected a string, got {}", kind(&other)),
                    ));
                }
            },
            "isBase64Encoded" => match v {
                Value::Null => {}
                Value::Bool(b) => b64 = b,
                other => {
                    return Err(bad(
                        "isBase64Encoded",
                        format!("expected a boolean, got {}", kind(&other)),
                    ));
                }
            },
            _ => return Err(MalformedResponse::UnknownKey(k)),
        }
    }
    Ok(ProxyResponse {
        status,
        headers: merge(multi, single),
        body,
        is_base64_encoded: b64,
    })
}

/// Merge the two header maps: a name in both gets the multi values then the single value.
/// `Set-Cookie` is never joined, since a joined cookie header is a different cookie.
pub(super) fn merge(
    multi: Vec<(String, Vec<String>)>,
    single: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(multi.len() + single.len());
    let mut single = single;
    for (name, mut values) in multi {
        if let Some(pos) = single
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            let (_, v) = single.remove(pos);
            if !values.contains(&v) {
                values.push(v);
            }
        }
        if name.eq_ignore_ascii_case("set-cookie") {
            out.extend(values.into_iter().map(|v| (name.clone(), v)));
        } else if !values.is_empty() {
            out.push((name, values.join(", ")));
        }
    }
    out.extend(single);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ProxyResponse {
        parse(s.as_bytes()).expect("well-formed")
    }

    #[test]
    fn minimal_responses() {
        assert_eq!(ok("{}").status, 200);
        assert_eq!(ok(r#"{"statusCode":204}"#).status, 204);
        assert_eq!(ok(r#"{"statusCode":"201"}"#).status, 201);
        assert_eq!(ok(r#"{"headers":null,"body":null}"#).body, "");
    }

    #[test]
    fn headers_are_stringified_and_merged() {
        let r = ok(
            r#"{"headers":{"x-bool":true,"X-N":1,"x-solo":"s"},"multiValueHeaders":{"X-Bool":["m"],"Set-Cookie":["a=1","b=2"]}}"#,
        );
        assert_eq!(
            r.headers,
            vec![
                ("X-Bool".to_owned(), "m, true".to_owned()),
                ("Set-Cookie".to_owned(), "a=1".to_owned()),
                ("Set-Cookie".to_owned(), "b=2".to_owned()),
                ("X-N".to_owned(), "1".to_owned()),
                ("x-solo".to_owned(), "s".to_owned()),
            ]
        );
    }

    #[test]
    fn malformed_responses_are_rejected_with_a_reason() {
        let err = |s: &str| parse(s.as_bytes()).unwrap_err().to_string();
        assert!(err(r#"{"statusCode":200,"wrongValue":1}"#).contains("wrongValue"));
        assert!(err(r#"{"statusCode":"test"}"#).starts_with("statusCode"));
        assert!(err(r#"{"multiValueHeaders":{"a":"b"}}"#).contains("expected a list"));
        assert_eq!(
            err(r#""hello""#),
            "the function's response is a JSON string, not an object"
        );
        assert_eq!(err("not json"), "the function's response is not JSON");
        assert!(err(r#"{"body":{"a":1}}"#).starts_with("body"));
        assert!(err(r#"{"statusCode":99}"#).starts_with("statusCode"));
    }
}
