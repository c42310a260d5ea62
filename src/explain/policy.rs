//! Reading a logged authorizer result: is there a Deny for this method, and what is wrong with
//! it when API Gateway rejected it.
//!
//! AWS's execution log prints "The client is not authorized to perform this operation." for both
//! explicit and implicit denies; the raw result (`Authorizer result body before parsing`) and the
//! authorizer event's `methodArn` are the only way to tell them apart after the fact.

use serde_json::Value;

/// What the logged result says about the request's method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A `Deny` statement covers the method ARN (or, when the ARN is unknown, any `Deny`).
    ExplicitDeny,
    /// No `Deny` applies: the denial came from an `Allow` that does not cover the ARN.
    NotCovered,
}

/// Decide explicit vs implicit deny from a raw result; `None` when it is not a readable policy.
pub(crate) fn verdict(raw_result: &str, method_arn: Option<&str>) -> Option<Verdict> {
    let v: Value = serde_json::from_str(raw_result.trim()).ok()?;
    let doc = v.get("policyDocument")?;
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return Some(Verdict::NotCovered),
    };
    let denies = statements.iter().any(|s| {
        let effect = s.get("Effect").and_then(Value::as_str).unwrap_or("");
        effect.eq_ignore_ascii_case("deny")
            && match method_arn {
                Some(arn) => resources(s).iter().any(|r| arn_matches(r, arn)),
                None => true,
            }
    });
    Some(if denies {
        Verdict::ExplicitDeny
    } else {
        Verdict::NotCovered
    })
}

fn resources(statement: &Value) -> Vec<&str> {
    match statement.get("Resource") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// IAM-style match: `*` any run of characters, `?` one character. Iterative with one
/// backtrack point, so a hostile pattern cannot blow the stack or take exponential time.
pub(crate) fn arn_matches(pattern: &str, arn: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = arn.chars().collect();
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
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
