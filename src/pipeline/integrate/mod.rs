//! Stage `integrate`: build the Lambda proxy (payload 1.0) request, invoke the function under
//! the integration timeout, and check what came back.
//!
//! Input: the request and its [`RouteMatch`](super::route::RouteMatch). Output: a
//! [`ProxyResponse`]. Error: a [`Failure`] of layer `backend`
//! (the function failed or answered badly) or `integration` (the timeout passed first).

pub mod event_v1;
pub mod proxy_response;

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::outcome::{Cause, Failure};
use crate::lambda::{FailureKind, InvokeOutcome, LambdaService};
use crate::trace::{InvocationFacts, Trace};
use proxy_response::ProxyResponse;

/// Longest body or payload quoted in the execution log, as AWS truncates them.
const LOG_LIMIT: usize = 1000;

/// Quote `s` for a log line, truncated as API Gateway does.
pub fn truncate_for_log(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(LOG_LIMIT) + 12);
    push_truncated(&mut out, s);
    out
}

/// `PREFIX` followed by `body` quoted for a log line: secrets masked, then truncated as
/// API Gateway does. One buffer, and no lossy UTF-8 pass over bodies that are valid (the
/// request, event and response bodies of every request go through here).
pub fn quote_for_log(prefix: &str, body: &[u8], redactor: Option<&super::Redactor>) -> String {
    // `from_utf8` first: its validation is several times faster than the lossy decoder's,
    // and bodies are nearly always valid.
    let text = match std::str::from_utf8(body) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(body),
    };
    let masked = redactor.map(|r| r.apply(&text));
    let text = masked.as_deref().unwrap_or(&text);
    let mut out = String::with_capacity(prefix.len() + text.len().min(LOG_LIMIT) + 12);
    out.push_str(prefix);
    push_truncated(&mut out, text);
    out
}

/// Append at most [`LOG_LIMIT`] bytes of `text` (cut on a character boundary), marked
/// ` [TRUNCATED]` when cut.
fn push_truncated(out: &mut String, text: &str) {
    let mut cut = text.len().min(LOG_LIMIT);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(&text[..cut]);
    if cut < text.len() {
        out.push_str(" [TRUNCATED]");
    }
}

/// The trace's record of an invocation report.
pub fn invocation_facts(function: &str, report: &crate::lambda::InvokeReport) -> InvocationFacts {
    let mut facts = InvocationFacts {
        function: function.to_owned(),
        lambda_request_id: report.request_id.clone(),
        cold_start: report.cold_start,
        duration_ms: report.duration.as_secs_f64() * 1000.0,
        queue_wait_ms: report.queue_wait.as_secs_f64() * 1000.0,
        pool: report.pool.map(|p| p.to_string()),
        pid: report.pid,
        ..InvocationFacts::default()
    };
    if let InvokeOutcome::Failure(f) = &report.outcome {
        facts.error_type = Some(f.error_type.clone());
        facts.error_message = Some(f.error_message.clone());
        facts.exit.clone_from(&f.exit);
        facts.output_tail.clone_from(&f.output_tail);
        facts.raw_response = Some(truncate_for_log(&String::from_utf8_lossy(&f.payload)));
    }
    facts
}

/// What to invoke, and with what limits.
pub struct Target<'a> {
    /// Function logical id.
    pub function: &'a str,
    /// Its ARN (for log lines).
    pub function_arn: &'a str,
    /// Region (for the endpoint URI in log lines).
    pub region: &'a str,
    /// The integration timeout.
    pub timeout: Duration,
}

/// Invoke the function with `event` and parse its answer.
///
/// # Errors
/// A [`Failure`] naming the cause: handler error, crash, timeout, init error, malformed
/// response, or the integration timeout.
pub async fn invoke(
    lambda: &LambdaService,
    target: &Target<'_>,
    event: Vec<u8>,
    redactor: &super::Redactor,
    trace: &mut Trace,
) -> Result<ProxyResponse, Failure> {
    let uri = format!(
        "https://lambda.{}.amazonaws.com/2015-03-31/functions/{}/invocations",
        target.region, target.function_arn
    );
    trace.log(format!("Endpoint request URI: {uri}"));
    trace.log(format!(
        "Endpoint request headers: {{x-amzn-lambda-integration-tag={}, Accept=application/json, User-Agent=AmazonAPIGateway, X-Amz-Source-Arn={}}}",
        trace.request_id, target.function_arn
    ));
    trace.log(quote_for_log(
        "Endpoint request body after transformations: ",
        &event,
        Some(redactor),
    ));
    trace.log(format!("Sending request to {uri}"));
    let began = Instant::now();
    let rx = lambda
        .invoke(
            target.function,
            Bytes::from(event),
            &crate::pipeline::request::trace_root(&trace.request_id, trace.received_at),
        )
        .map_err(|e| Failure::new(Cause::HandlerInitError, e.to_string()))?;
    let report = match tokio::time::timeout(target.timeout, rx).await {
        Err(_) => {
            trace.log("Execution failed due to a timeout error");
            return Err(Failure::new(
                Cause::IntegrationTimeout,
                format!(
                    "the function {} did not answer within the integration timeout of {} ms; it keeps running until its own Timeout",
                    target.function,
                    target.timeout.as_millis()
                ),
            ));
        }
        Ok(Err(_)) => {
            return Err(Failure::new(
                Cause::HandlerCrash,
                "the invocation was abandoned (the server is shutting down)",
            ));
        }
        Ok(Ok(r)) => r,
    };
    let latency = began.elapsed().as_millis();
    let mut facts = invocation_facts(target.function, &report);
    let result = match report.outcome {
        InvokeOutcome::Success(payload) => {
            trace.log(format!(
                "Received response. Status: 200, Integration latency: {latency} ms"
            ));
            trace.log(format!(
                "Endpoint response headers: {{Content-Type=application/json, Content-Length={}, x-amzn-RequestId={}, X-Amz-Executed-Version=$LATEST}}",
                payload.len(),
                report.request_id
            ));
            let text = String::from_utf8_lossy(&payload);
            trace.log(format!(
                "Endpoint response body before transformations: {}",
                truncate_for_log(&text)
            ));
            facts.raw_response = Some(truncate_for_log(&text));
            proxy_response::parse(&payload).map_err(|e| {
                trace.log(
                    "Execution failed due to configuration error: Malformed Lambda proxy response",
                );
                Failure::new(
                    Cause::MalformedProxyResponse,
                    format!(
                        "the function {} returned a malformed proxy response: {e}",
                        target.function
                    ),
                )
            })
        }
        InvokeOutcome::Failure(f) => {
            trace.log(format!(
                "Received response. Status: 200, Integration latency: {latency} ms"
            ));
            trace.log(format!(
                "Endpoint response headers: {{Content-Type=application/json, x-amzn-RequestId={}, X-Amz-Function-Error=Unhandled, X-Amz-Executed-Version=$LATEST}}",
                report.request_id
            ));
            let text = String::from_utf8_lossy(&f.payload).into_owned();
            trace.log(format!(
                "Endpoint response body before transformations: {}",
                truncate_for_log(&text)
            ));
            trace.log(format!(
                "Lambda execution failed with status 200 due to customer function error: {}. Lambda request id: {}",
                f.error_message, report.request_id
            ));
            let (cause, what) = match f.kind {
                FailureKind::Handled => (
                    Cause::HandlerError,
                    format!("raised {}: {}", f.error_type, f.error_message),
                ),
                FailureKind::Timeout => (
                    Cause::HandlerTimeout,
                    format!("ran past its Timeout ({})", f.error_message),
                ),
                FailureKind::Crash => (
                    Cause::HandlerCrash,
                    format!(
                        "process exited during the invocation ({})",
                        f.exit.as_deref().unwrap_or("unknown")
                    ),
                ),
                FailureKind::Init | FailureKind::InitTimeout | FailureKind::Spawn => (
                    Cause::HandlerInitError,
                    format!(
                        "failed to initialise: {}: {}",
                        f.error_type, f.error_message
                    ),
                ),
            };
            Err(Failure::new(
                cause,
                format!("the function {} {what}", target.function),
            ))
        }
    };
    trace.invocation = Some(facts);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_bodies_are_masked_then_truncated() {
        let mut r = crate::pipeline::Redactor::default();
        r.add("Bearer s3cr3t-token");
        let body = format!(
            "{{\"auth\":\"Bearer s3cr3t-token\",\"pad\":\"{}\"}}",
            "x".repeat(2000)
        );
        let line = quote_for_log("Body: ", body.as_bytes(), Some(&r));
        assert!(
            line.starts_with("Body: {\"auth\":\"***************oken\""),
            "{line}"
        );
        assert!(line.ends_with("x [TRUNCATED]"));
        assert_eq!(
            line.len(),
            "Body: ".len() + LOG_LIMIT + " [TRUNCATED]".len()
        );
        // Short bodies are quoted whole; bytes that are not UTF-8 are replaced, not dropped.
        assert_eq!(quote_for_log("B: ", b"ok\xff", None), "B: ok\u{fffd}");
        assert_eq!(quote_for_log("B: ", b"", None), "B: ");
    }
}
