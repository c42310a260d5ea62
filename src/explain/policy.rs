//! Reading a logged authorizer result: is there a Deny for this method, and what is wrong with
//! it when API Gateway rejected it.
//!
//! AWS's execution log prints "The client is not authorized to perform this operation." for both
//! explicit and implicit denies; the raw result (`Authorizer result body before parsing`) and the
//! authorizer event's `methodArn` are the only way to tell them apart after the fact.

use serde_json::Value;

use crate::iam_policy::{Decision, Effect, evaluate};
use crate::pipeline::authorize::result::parse;

/// What the logged result says about the request's method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A `Deny` statement covers the method ARN (or, when the ARN is unknown, any `Deny`).
    ExplicitDeny,
    /// No `Deny` applies: the denial came from an `Allow` that does not cover the ARN.
    NotCovered,
}

/// Decide explicit vs implicit deny from a raw result, with the same parser and policy
/// evaluation the gateway uses; `None` when it is not a readable result.
pub(crate) fn verdict(raw_result: &str, method_arn: Option<&str>) -> Option<Verdict> {
    let result = parse(raw_result.trim().as_bytes()).ok()?;
    let denies = match method_arn {
        Some(arn) => evaluate(&result.statements, arn) == Decision::ExplicitDeny,
        None => result.statements.iter().any(|s| s.effect == Effect::Deny),
    };
    Some(if denies {
        Verdict::ExplicitDeny
    } else {
        Verdict::NotCovered
    })
}

/// The `methodArn` of a logged authorizer event (`Endpoint request body after transformations`).
pub(crate) fn method_arn_of_event(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body.trim()).ok()?;
    v.get("methodArn")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Why a raw authorizer result was rejected, as far as its text shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResultProblem {
    /// `{statusCode, headers, body}`: an HTTP response returned from an authorizer.
    HttpStyle,
    /// `context` holds an object or array.
    NestedContext,
}

/// Inspect a raw result for the two rejections with a well-known fix.
pub(crate) fn result_problem(raw_result: &str) -> Option<ResultProblem> {
    let v: Value = serde_json::from_str(raw_result.trim()).ok()?;
    let o = v.as_object()?;
    if o.contains_key("statusCode") && !o.contains_key("policyDocument") {
        return Some(ResultProblem::HttpStyle);
    }
    let nested = match o.get("context") {
        Some(Value::Object(ctx)) => ctx.values().any(|x| x.is_object() || x.is_array()),
        _ => false,
    };
    if nested {
        return Some(ResultProblem::NestedContext);
    }
    None
}
