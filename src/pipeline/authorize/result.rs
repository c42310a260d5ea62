//! Strict parsing of a Lambda authorizer's result (aws-semantics.md §4.1-4.2), and of an HTTP
//! API authorizer's simple response (aws-httpapi-semantics.md §2.4).
//!
//! API Gateway deserialises the result with Jackson and fails on anything it does not
//! expect; the messages below follow the ones it logs after
//! `Execution failed due to configuration error: Invalid JSON in response: `.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use crate::iam_policy::{Effect, Statement};

/// The largest result API Gateway accepts (8 KB).
pub const MAX_RESULT_BYTES: usize = 8 * 1024;

/// A well-formed authorizer result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResult {
    /// `principalId` (AWS accepted a Deny without one; an Allow without one is accepted too).
    pub principal_id: Option<String>,
    /// `policyDocument.Version`.
    pub version: Option<String>,
    /// `policyDocument.Statement` (shared with the traces of the requests it decides).
    pub statements: Arc<[Statement]>,
    /// `context`, values kept as JSON scalars.
    pub context: IndexMap<String, Value>,
    /// `usageIdentifierKey`.
    pub usage_identifier_key: Option<String>,
    /// The context as API Gateway hands it on: every value stringified (`1` -> `"1"`,
    /// `true` -> `"true"`). Computed once, since a cached result serves many requests.
    #[serde(skip)]
    pub context_strings: Arc<IndexMap<String, String>>,
    /// One line per statement, for traces and cache listings. Computed once.
    #[serde(skip)]
    pub summary: Arc<[String]>,
    /// A simple response's `isAuthorized` (HTTP APIs with `EnableSimpleResponses`): the
    /// decision itself, with no policy to evaluate. `None` for a policy result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_authorized: Option<bool>,
    /// The context with its JSON types, shared with every request a cached result serves
    /// (payload 2.0 hands it on as `requestContext.authorizer.lambda`).
    #[serde(skip)]
    pub context_json: Arc<IndexMap<String, Value>>,
}

impl AuthorizerResult {
    /// A result from its parts, with the derived fields filled in.
    pub fn new(
        principal_id: Option<String>,
        version: Option<String>,
        statements: impl Into<Arc<[Statement]>>,
        context: IndexMap<String, Value>,
        usage_identifier_key: Option<String>,
    ) -> Self {
        let mut r = AuthorizerResult {
            principal_id,
            version,
            statements: statements.into(),
            context,
            usage_identifier_key,
            context_strings: Arc::default(),
            summary: Arc::from(Vec::new()),
            is_authorized: None,
            context_json: Arc::default(),
        };
        r.context_strings = Arc::new(r.stringify_context());
        r.context_json = Arc::new(r.context.clone());
        r.summary = Arc::from(r.policy_summary());
        r
    }

    fn stringify_context(&self) -> IndexMap<String, String> {
        self.context
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), s)
            })
            .collect()
    }

    fn policy_summary(&self) -> Vec<String> {
        self.statements
            .iter()
            .map(|s| {
                let effect = match s.effect {
                    Effect::Allow => "Allow",
                    Effect::Deny => "Deny",
                };
                if s.not_resources.is_empty() {
                    format!("{effect} {}", s.resources.join(", "))
                } else {
                    format!("{effect} NotResource {}", s.not_resources.join(", "))
                }
            })
            .collect()
    }
}

/// Why a result was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultError {
    /// Larger than 8 KB.
    #[error("authorizer result is {0} bytes, over the 8 KB limit")]
    TooLarge(usize),
    /// Not JSON, not an object, unknown fields, wrong types.
    #[error("{0}")]
    Malformed(String),
    /// `context` holds an object or array.
    #[error("{0}")]
    InvalidContext(String),
}

fn token(v: &Value) -> &'static str {
    match v {
        Value::Null => "VALUE_NULL",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

fn string_list(v: &Value, field: &str) -> Result<Vec<String>, ResultError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(ResultError::Malformed(format!(
                    "Can not deserialize instance of java.lang.String out of {} token (through reference chain: {field})",
                    token(other)
                ))),
            })
            .collect(),
        other => Err(ResultError::Malformed(format!(
            "Can not deserialize instance of java.util.List out of {} token (through reference chain: {field})",
            token(other)
        ))),
    }
}

fn statement(v: &Value) -> Result<Statement, ResultError> {
    let Value::Object(m) = v else {
        return Err(ResultError::Malformed(format!(
            "Can not deserialize instance of Statement out of {} token",
            token(v)
        )));
    };
    let mut effect = None;
    let mut actions = Vec::new();
    let mut resources = Vec::new();
    let mut not_resources = Vec::new();
    for (k, val) in m {
        match k.as_str() {
            "Effect" => {
                effect = match val.as_str() {
                    Some(s) if s.eq_ignore_ascii_case("allow") => Some(Effect::Allow),
                    Some(s) if s.eq_ignore_ascii_case("deny") => Some(Effect::Deny),
                    _ => {
                        return Err(ResultError::Malformed(format!(
                            "Invalid policy document: Effect must be \"Allow\" or \"Deny\", got {val}"
                        )));
                    }
                }
            }
            "Action" => actions = string_list(val, "Statement.Action")?,
            "Resource" => resources = string_list(val, "Statement.Resource")?,
            "NotResource" => not_resources = string_list(val, "Statement.NotResource")?,
            // Valid IAM keys that do not change an execute-api decision here.
            "Sid" | "Condition" | "Principal" => {}
            other => {
                return Err(ResultError::Malformed(format!(
                    "Unrecognized field \"{other}\" (class Statement), not marked as ignorable"
                )));
            }
        }
    }
    let effect = effect.ok_or_else(|| {
        ResultError::Malformed("Invalid policy document: a Statement has no Effect".into())
    })?;
    Ok(Statement {
        effect,
        actions,
        resources,
        not_resources,
    })
}

/// Parse a simple response: `{"isAuthorized": true|false, "context": {...}}`. The context may
/// hold any JSON values; `isAuthorized` must be a boolean (a string `"false"` or a missing
/// field is malformed, never an allow). Other keys are ignored.
///
/// # Errors
/// [`ResultError::Malformed`] naming what is wrong.
pub fn parse_simple(payload: &[u8]) -> Result<AuthorizerResult, ResultError> {
    if payload.len() > MAX_RESULT_BYTES {
        return Err(ResultError::TooLarge(payload.len()));
    }
    let v: Value = serde_json::from_slice(payload)
        .map_err(|e| ResultError::Malformed(format!("the simple response is not JSON: {e}")))?;
    let Value::Object(map) = v else {
        return Err(ResultError::Malformed(format!(
            "a simple response is a JSON object like {{\"isAuthorized\": true}}, got {}",
            token(&v)
        )));
    };
    let allowed = match map.get("isAuthorized") {
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ResultError::Malformed(format!(
                "isAuthorized must be a boolean, got {other} (a string is not a decision)"
            )));
        }
        None => {
            return Err(ResultError::Malformed(
                "the simple response has no isAuthorized".into(),
            ));
        }
    };
    let context = match map.get("context") {
        None | Some(Value::Null) => IndexMap::new(),
        Some(Value::Object(c)) => c.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(other) => {
            return Err(ResultError::Malformed(format!(
                "context must be an object, got {}",
                token(other)
            )));
        }
    };
    let mut r = AuthorizerResult::new(None, None, Vec::new(), context, None);
    r.is_authorized = Some(allowed);
    Ok(r)
}

/// Parse a result payload.
///
/// # Errors
/// [`ResultError`] with the message API Gateway would log.
pub fn parse(payload: &[u8]) -> Result<AuthorizerResult, ResultError> {
    if payload.len() > MAX_RESULT_BYTES {
        return Err(ResultError::TooLarge(payload.len()));
    }
    let v: Value = serde_json::from_slice(payload).map_err(|e| {
        ResultError::Malformed(format!(
            "Unexpected character or end of input at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(map) = v else {
        return Err(ResultError::Malformed(format!(
            "Can not deserialize instance of AuthorizerResponse out of {} token",
            token(&v)
        )));
    };
    let mut out = AuthorizerResult::new(None, None, Vec::new(), IndexMap::new(), None);
    let mut has_policy = false;
    for (k, val) in &map {
        match k.as_str() {
            "principalId" => {
                out.principal_id = match val {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    Value::Null => None,
                    other => {
                        return Err(ResultError::Malformed(format!(
                            "Can not deserialize instance of java.lang.String out of {} token (through reference chain: principalId)",
                            token(other)
                        )));
                    }
                }
            }
            "policyDocument" => {
                let Value::Object(doc) = val else {
                    return Err(ResultError::Malformed(format!(
                        "Can not deserialize instance of PolicyDocument out of {} token",
                        token(val)
                    )));
                };
                has_policy = true;
                for (dk, dv) in doc {
                    match dk.as_str() {
                        "Version" => out.version = dv.as_str().map(str::to_owned),
                        "Statement" => {
                            out.statements = match dv {
                                Value::Array(items) => items
                                    .iter()
                                    .map(statement)
                                    .collect::<Result<Vec<_>, _>>()?
                                    .into(),
                                obj @ Value::Object(_) => Arc::from(vec![statement(obj)?]),
                                other => {
                                    return Err(ResultError::Malformed(format!(
                                        "Can not deserialize instance of java.util.List out of {} token (through reference chain: policyDocument.Statement)",
                                        token(other)
                                    )));
                                }
                            }
                        }
                        "Id" => {}
                        other => {
                            return Err(ResultError::Malformed(format!(
                                "Unrecognized field \"{other}\" (class PolicyDocument), not marked as ignorable"
                            )));
                        }
                    }
                }
            }
            "context" => match val {
                Value::Null => {}
                Value::Object(ctx) => {
                    for (ck, cv) in ctx {
                        match cv {
                            Value::Array(_) | Value::Object(_) => {
                                return Err(ResultError::InvalidContext(format!(
                                    "Can not deserialize instance of java.lang.String out of {} token (through reference chain: context[\"{ck}\"])",
                                    token(cv)
                                )));
                            }
                            // Null values are dropped, as the peers that were observed do.
                            Value::Null => {}
                            scalar => {
                                out.context.insert(ck.clone(), scalar.clone());
                            }
                        }
                    }
                }
                other => {
                    return Err(ResultError::InvalidContext(format!(
                        "Can not deserialize instance of java.util.Map out of {} token (through reference chain: context)",
                        token(other)
                    )));
                }
            },
            "usageIdentifierKey" => out.usage_identifier_key = val.as_str().map(str::to_owned),
            other => {
                return Err(ResultError::Malformed(format!(
                    "Unrecognized field \"{other}\" , not marked as ignorable"
                )));
            }
        }
    }
    if !has_policy {
        return Err(ResultError::Malformed(
            "Invalid policy document: the response has no policyDocument".into(),
        ));
    }
    Ok(AuthorizerResult::new(
        out.principal_id,
        out.version,
        out.statements,
        out.context,
        out.usage_identifier_key,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_responses_decide_with_a_boolean_only() {
        let r = parse_simple(
            br#"{"isAuthorized":true,"context":{"user":"ana","n":1,"list":[1,2],"map":{"a":"b"}}}"#,
        )
        .unwrap();
        assert_eq!(r.is_authorized, Some(true));
        assert_eq!(r.context_json["list"], serde_json::json!([1, 2]));
        assert_eq!(r.context_json["map"]["a"], "b");
        assert_eq!(
            parse_simple(br#"{"isAuthorized":false}"#)
                .unwrap()
                .is_authorized,
            Some(false)
        );
        for bad in [
            &br#"{"isAuthorized":"false"}"#[..],
            br#"{"isAuthorized":"true"}"#,
            br#"{"context":{}}"#,
            br#"{"isAuthorized":1}"#,
            br#"{"isAuthorized":true,"context":[1]}"#,
            br#"true"#,
            b"not json",
        ] {
            assert!(
                matches!(parse_simple(bad), Err(ResultError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_documented_result_parses() {
        let r = parse(
            br#"{"principalId":"user","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:a","arn:b"]}]},"context":{"k":"v","n":1,"b":true,"z":null},"usageIdentifierKey":"key"}"#,
        )
        .unwrap();
        assert_eq!(r.principal_id.as_deref(), Some("user"));
        assert_eq!(r.statements[0].resources, vec!["arn:a", "arn:b"]);
        let ctx = &r.context_strings;
        assert_eq!(ctx["n"], "1");
        assert_eq!(ctx["b"], "true");
        assert!(!ctx.contains_key("z"));
        assert_eq!(r.usage_identifier_key.as_deref(), Some("key"));
        assert_eq!(&r.summary[..], ["Allow arn:a, arn:b"]);
    }

    #[test]
    fn statement_may_be_a_single_object_and_fields_strings() {
        let r = parse(
            br#"{"policyDocument":{"Statement":{"Action":"*","Effect":"Deny","Resource":"*"}}}"#,
        )
        .unwrap();
        assert_eq!(r.statements.len(), 1);
        assert_eq!(r.principal_id, None);
    }

    #[test]
    fn unknown_top_level_fields_fail_like_jackson() {
        let e = parse(br#"{"errorType":"Error","errorMessage":"x"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Unrecognized field \"errorType\" , not marked as ignorable"
        );
    }

    #[test]
    fn nested_context_values_are_invalid_context() {
        let e =
            parse(br#"{"policyDocument":{"Statement":[]},"context":{"roles":["a"]}}"#).unwrap_err();
        assert!(matches!(e, ResultError::InvalidContext(_)));
        assert!(e.to_string().contains("START_ARRAY"), "{e}");
        let e = parse(br#"{"policyDocument":{"Statement":[]},"context":{"o":{}}}"#).unwrap_err();
        assert!(e.to_string().contains("START_OBJECT"), "{e}");
    }

    #[test]
    fn other_malformed_results() {
        for bad in [
            &b"not json"[..],
            b"\"Allow\"",
            b"[]",
            br#"{"principalId":"u"}"#,
            br#"{"statusCode":401,"body":"no"}"#,
            br#"{"policyDocument":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}"#,
            br#"{"policyDocument":{"Statement":[{"Action":"*","Resource":"*"}]}}"#,
            br#"{"policyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":5}]}}"#,
            br#"{"policyDocument":{"Statement":[{"Effect":"Allow","Bogus":1}]}}"#,
            br#"{"policyDocument":[]}"#,
        ] {
            assert!(
                matches!(parse(bad), Err(ResultError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn results_over_8kb_are_rejected() {
        let big = format!(
            r#"{{"policyDocument":{{"Statement":[]}},"context":{{"k":"{}"}}}}"#,
            "x".repeat(9000)
        );
        assert!(matches!(
            parse(big.as_bytes()),
            Err(ResultError::TooLarge(_))
        ));
    }
}
