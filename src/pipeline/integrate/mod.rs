//! Stage `integrate`: invoke the function with the Lambda proxy event under the integration
//! timeout, and hold what came back to the payload version's response contract
//! (`proxy_response` for 1.0, `proxy_response_v2` for 2.0). The other integrations have a
//! module each: `http_proxy` (with its client, `upstream_client`), `mock`, and `lambda_mapped` (Lambda non-proxy), the last two
//! sharing the mapping-template steps of `mapping`.
//!
//! Input: the request and its [`RouteMatch`](super::route::RouteMatch). Output: a
//! [`ProxyResponse`]. Error: a [`Failure`] of layer `backend`
//! (the function failed or answered badly) or `integration` (the timeout passed first).

pub mod http_proxy;
pub mod lambda_mapped;
pub mod mapping;
pub mod mock;
pub mod proxy_response;
pub mod proxy_response_v2;
pub mod upstream_client;

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::lambda::{FailureKind, InvokeOutcome, LambdaService};
use crate::model::PayloadVersion;
use crate::outcome::{Cause, Failure};
use crate::trace::Trace;
use proxy_response::ProxyResponse;

pub use super::invoke::{invocation_facts, quote_for_log, truncate_for_log};

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

/// What the function answered, once it answered within the integration timeout.
pub enum Answered {
    /// Its result.
    Result(Bytes),
    /// It failed: how (a [`Failure`] naming the cause), with Lambda's error document and
    /// its `errorMessage`, which non-proxy integrations select a response by.
    Error {
        failure: Failure,
        error_message: String,
        payload: Bytes,
    },
}

/// Invoke the function with a Lambda proxy `event` and hold its answer to the payload
/// version's response contract.
///
/// # Errors
/// A [`Failure`] naming the cause: handler error, crash, timeout, init error, malformed
/// response, or the integration timeout.
pub async fn invoke(
    lambda: &LambdaService,
    target: &Target<'_>,
    payload: PayloadVersion,
    event: Vec<u8>,
    redactor: &super::Redactor,
    trace: &mut Trace,
) -> Result<ProxyResponse, Failure> {
    match call(lambda, target, event, redactor, trace).await? {
        Answered::Error { failure, .. } => Err(failure),
        Answered::Result(result) => {
            let parsed = match payload {
                PayloadVersion::V1 => proxy_response::parse(&result),
                PayloadVersion::V2 => proxy_response_v2::parse(&result),
            };
            parsed.map_err(|e| {
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
    }
}

/// Lambda's limit on a synchronous invocation's payload: 6 MB.
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// Invoke the function with `event` under the integration timeout, writing the endpoint
/// request and response lines of the execution log and the invocation's facts.
///
/// # Errors
/// A [`Failure`] when no answer came: the event is over Lambda's 6 MB (it never reaches
/// the function), the function cannot run, the integration timeout passed, or the server
/// is shutting down.
pub async fn call(
    lambda: &LambdaService,
    target: &Target<'_>,
    event: Vec<u8>,
    redactor: &super::Redactor,
    trace: &mut Trace,
) -> Result<Answered, Failure> {
    if event.len() > LAMBDA_PAYLOAD_LIMIT {
        trace.log("Execution failed: Lambda invocation failed with status: 413. Request Too Long");
        return Err(Failure::new(
            Cause::LambdaPayloadTooLarge,
            format!(
                "the Lambda event of this request is {} bytes, more than Lambda's {LAMBDA_PAYLOAD_LIMIT} for a synchronous invocation",
                event.len()
            ),
        ));
    }
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
    let event = Bytes::from(event);
    let kept = crate::trace::KeptBody::keep(&event);
    let rx = lambda
        .invoke(
            target.function,
            event,
            &crate::pipeline::request::trace_root(&trace.request_id, trace.received_at),
        )
        .map_err(|e| match e {
            crate::lambda::LambdaError::NotRunnable { .. } => {
                Failure::new(Cause::RuntimeUnsupported, e.to_string())
            }
            e => Failure::new(Cause::HandlerInitError, e.to_string()),
        })?;
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
    facts.event = Some(kept);
    let answered = match report.outcome {
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
            Answered::Result(payload)
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
                        "failed to initialise: {}: {}{}",
                        f.error_type,
                        f.error_message,
                        init_hint(lambda, target.function, &f.error_message)
                    ),
                ),
            };
            Answered::Error {
                failure: Failure::new(cause, format!("the function {} {what}", target.function)),
                error_message: f.error_message,
                payload: f.payload,
            }
        }
    };
    trace.invocation = Some(facts);
    Ok(answered)
}

/// What to do about an init failure that names a module the function could not import (its
/// dependencies not installed, the AWS SDK Lambda's Node runtimes include), as `; hint`.
pub(crate) fn init_hint(lambda: &LambdaService, function: &str, message: &str) -> String {
    lambda
        .function(function)
        .and_then(|f| crate::lambda::deps::missing_module_hint(f, message))
        .map(|h| format!("; {h}"))
        .unwrap_or_default()
}
