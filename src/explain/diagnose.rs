//! From one request's log to a [`RequestReport`]: which layer answered, the cause token, a
//! plain-words summary, evidence and next steps.
//!
//! Input: a [`RequestLog`]. Output: a [`RequestReport`]. The rules follow aws-semantics.md §5.1
//! (outcomes), §8.3 (proxy failures), §9.1 (log texts) and §12 (the confusions a reader of these
//! logs usually has). glassgate's own cause token, when the log carries one, wins over inference
//! because glassgate saw the process and the cache directly.

use super::facts::Facts;
use super::parse::{GlassgateRecord, InvocationRecord, RequestLog};
use super::policy::{self, ResultProblem, Verdict};
use super::{Layer, RequestReport};
use crate::outcome::Cause;

/// Longest evidence line; log messages carry whole bodies and header maps.
const EVIDENCE_MAX_CHARS: usize = 300;
/// How many lines of a process's output tail to quote.
const OUTPUT_TAIL_LINES: usize = 3;

/// Details gathered while classifying, used to make the sentences specific.
#[derive(Debug, Default)]
struct Notes {
    /// The handler's error message from `customer function error: MSG. Lambda request id`.
    function_error: Option<String>,
    /// The authorizer result was an HTTP response (`statusCode`).
    http_style: bool,
    /// An authorizer-phase text mentions a Lambda timeout or a runtime exit.
    auth_hint: Option<&'static str>,
    /// The denying policy came from the cache (no invocation logged).
    from_cache: bool,
    /// The request's method ARN, when the authorizer event or glassgate logged it.
    method_arn: Option<String>,
    /// glassgate: the ARN a cached policy was issued for.
    cached_for: Option<String>,
}

/// Diagnose one request.
pub(crate) fn diagnose(log: &RequestLog) -> RequestReport {
    let facts = Facts::read(&log.messages);
    let mut notes = Notes::default();
    let mut evidence = Vec::new();
    let inferred = infer(&facts, &mut notes, &mut evidence);

    // glassgate's token wins: it saw the process, the policy and the cache itself.
    let record = log.record.as_ref();
    let stated_token = record
        .and_then(|r| r.cause.clone())
        .or_else(|| facts.summary_line.as_ref().and_then(|s| s.cause.clone()));
    let stated_layer = record
        .and_then(|r| r.layer.clone())
        .or_else(|| facts.summary_line.as_ref().and_then(|s| s.layer.clone()))
        .and_then(|l| Layer::from_token(&l));
    if let Some(s) = &facts.summary_line {
        evidence.push(clip(&s.message));
    }
    if let Some(r) = record {
        add_record_evidence(r, &mut notes, &mut evidence);
    }

    let status = record
        .and_then(|r| r.status)
        .or_else(|| facts.summary_line.as_ref().and_then(|s| s.status))
        .or(facts.method_status)
        .or_else(|| facts.gateway_response.as_ref().and_then(|g| g.1));

    let (cause, token) = match &stated_token {
        Some(t) => (Cause::from_token(t), Some(t.clone())),
        None => (inferred, inferred.map(|c| c.token().to_owned())),
    };

    let mut report = RequestReport {
        request_id: log.id.clone(),
        status,
        layer: None,
        cause: token.clone(),
        summary: String::new(),
        evidence: Vec::new(),
        next_steps: Vec::new(),
        lines: log.messages.len(),
    };

    match (cause, token) {
        (Some(c), _) => {
            let status = status.unwrap_or_else(|| crate::pipeline::respond::default_status(c));
            report.status = Some(status);
            report.layer = Some(stated_layer.unwrap_or_else(|| c.layer()));
            let (summary, next) = explain(c, status, &notes);
            report.summary = summary;
            report.next_steps = next;
        }
        (None, Some(unknown)) => {
            // A token from a newer glassgate: report it without pretending to know more.
            report.layer = stated_layer;
            report.summary = format!(
                "{} from {}: glassgate recorded cause {unknown}{}.",
                status_text(status),
                layer_phrase(stated_layer),
                record
                    .and_then(|r| r.detail.as_deref())
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            );
        }
        (None, None) => no_failure(&facts, status, &mut report, &mut evidence),
    }
    let mut seen = std::collections::HashSet::new();
    evidence.retain(|e| seen.insert(e.clone()));
    report.evidence = evidence;
    report
}

/// The cause the AWS log texts imply, in the order the lifecycle runs (an authorizer failure
/// ends the request before the method phase, so it is checked first).
fn infer(f: &Facts, notes: &mut Notes, ev: &mut Vec<String>) -> Option<Cause> {
    let quote = |ev: &mut Vec<String>, line: &Option<String>| {
        if let Some(l) = line {
            ev.push(clip(l));
        }
    };
    let quote_result = |ev: &mut Vec<String>| {
        if let Some(r) = &f.auth_result {
            ev.push(clip(&format!("authorizer result: {r}")));
        }
    };
    let gateway = |ev: &mut Vec<String>| {
        if let Some((_, _, line)) = &f.gateway_response {
            ev.push(clip(line));
        }
    };
    let gateway_kind = f.gateway_response.as_ref().map(|g| g.0.as_str());
    notes.method_arn = f
        .auth_request_body
        .as_deref()
        .and_then(policy::method_arn_of_event);

    // Authorizer phase.
    if f.auth_role_permission.is_some() || f.auth_lambda_permission.is_some() {
        quote(ev, &f.auth_role_permission);
        quote(ev, &f.auth_lambda_permission);
        gateway(ev);
        return Some(Cause::AuthorizerPermission);
    }
    if let Some(line) = &f.auth_invalid_json {
        ev.push(clip(line));
        quote_result(ev);
        gateway(ev);
        let problem = f.auth_result.as_deref().and_then(policy::result_problem);
        let nested = (line.contains("START_ARRAY") || line.contains("START_OBJECT"))
            && line.contains("context");
        if nested || problem == Some(ResultProblem::NestedContext) {
            return Some(Cause::AuthorizerInvalidContext);
        }
        notes.http_style = line.contains("Unrecognized field \"statusCode\"")
            || problem == Some(ResultProblem::HttpStyle);
        return Some(Cause::AuthorizerMalformedResponse);
    }
    if f.auth_error.is_some() {
        quote(ev, &f.auth_error);
        quote(ev, &f.auth_config_exception);
        gateway(ev);
        quote_result(ev);
        notes.auth_hint = f.auth_result.as_deref().and_then(failure_hint);
        return Some(Cause::AuthorizerError);
    }
    if gateway_kind == Some("UNAUTHORIZED") {
        gateway(ev);
        if f.authorizer_invoked() {
            quote(ev, &f.auth_sent);
            return Some(Cause::AuthorizerUnauthorized);
        }
        quote(ev, &f.auth_started);
        return Some(Cause::IdentityMissing);
    }
    if f.deny.is_some() || gateway_kind == Some("ACCESS_DENIED") {
        quote(ev, &f.deny);
        gateway(ev);
        quote_result(ev);
        if let Some(raw) = &f.auth_result {
            return Some(match policy::verdict(raw, notes.method_arn.as_deref()) {
                Some(Verdict::ExplicitDeny) => Cause::PolicyExplicitDeny,
                _ => Cause::PolicyNotCovered,
            });
        }
        if f.authorizer_invoked() {
            return Some(Cause::PolicyNotCovered);
        }
        notes.from_cache = true;
        return Some(Cause::CachedPolicyNotCovered);
    }
    if gateway_kind == Some("AUTHORIZER_CONFIGURATION_ERROR")
        || gateway_kind == Some("AUTHORIZER_FAILURE")
        || f.auth_config_exception.is_some()
    {
        quote(ev, &f.auth_config_exception);
        gateway(ev);
        quote_result(ev);
        return Some(Cause::AuthorizerError);
    }
    if gateway_kind == Some("MISSING_AUTHENTICATION_TOKEN")
        || gateway_kind == Some("RESOURCE_NOT_FOUND")
    {
        gateway(ev);
        return Some(Cause::NoRoute);
    }

    // Method phase.
    if f.integration_permission.is_some() {
        quote(ev, &f.integration_permission);
        return Some(Cause::IntegrationPermission);
    }
    if f.throttled.is_some() || f.rate_exceeded.is_some() {
        quote(ev, &f.throttled);
        quote(ev, &f.rate_exceeded);
        return Some(Cause::Throttled);
    }
    if f.timeout.is_some() {
        quote(ev, &f.timeout);
        quote(ev, &f.completed_line());
        return Some(Cause::IntegrationTimeout);
    }
    if let Some(line) = &f.lambda_failed {
        ev.push(clip(line));
        if let Some(b) = &f.endpoint_body {
            ev.push(clip(&format!("function response: {b}")));
        }
        let msg = function_error_message(line);
        notes.function_error = Some(msg.to_owned());
        let body = f.endpoint_body.as_deref().unwrap_or("");
        if is_init_error(msg) || is_init_error(body) {
            return Some(Cause::HandlerInitError);
        }
        if msg.contains("Task timed out after") || body.contains("Task timed out after") {
            return Some(Cause::HandlerTimeout);
        }
        if msg.contains("Runtime exited with error:") || body.contains("Runtime exited") {
            return Some(Cause::HandlerCrash);
        }
        return Some(Cause::HandlerError);
    }
    if f.malformed_proxy.is_some() {
        quote(ev, &f.malformed_proxy);
        if let Some(b) = &f.endpoint_body {
            ev.push(clip(&format!("function response: {b}")));
        }
        return Some(Cause::MalformedProxyResponse);
    }
    // A 403 with nothing before it: API Gateway matched no resource, so no phase ever began.
    let nothing_ran = f.auth_started.is_none()
        && f.method_started.is_none()
        && f.http_method.is_none()
        && f.received.is_none();
    if f.method_status == Some(403) && nothing_ran && f.other_failure.is_none() {
        quote(ev, &f.completed_line());
        return Some(Cause::NoRoute);
    }
    None
}

/// No known cause: a success, a response the backend chose, or a log too short to tell.
fn no_failure(f: &Facts, status: Option<u16>, report: &mut RequestReport, ev: &mut Vec<String>) {
    if let Some(other) = &f.other_failure {
        ev.push(clip(other));
        report.layer = Some(if f.in_method_phase() {
            Layer::Integration
        } else {
            Layer::Gateway
        });
        report.summary = format!(
            "{} from {}: API Gateway logged a failure this tool has no rule for; the quoted line says what failed.",
            status_text(status),
            layer_phrase(report.layer)
        );
        report.next_steps = vec!["read the quoted `Execution failed due to …` line; the text after \"due to\" names the problem".into()];
        return;
    }
    match (status, f.received.as_ref()) {
        (Some(s), Some(received)) => {
            ev.push(clip(received));
            if let Some(c) = f.completed_line() {
                ev.push(c);
            }
            report.layer = Some(Layer::Backend);
            report.summary = if s >= 400 {
                format!(
                    "the backend answered {s}: the function returned this status itself, so API Gateway passed it through."
                )
            } else {
                format!("the backend answered {s}.")
            };
            if s >= 400 {
                report.next_steps = vec![
                    "look at the handler's own logic and logs: the gateway layers all succeeded"
                        .into(),
                ];
            }
        }
        (Some(s), None) => {
            if let Some(c) = f.completed_line() {
                ev.push(c);
            }
            report.summary = format!(
                "API Gateway answered {s}, but the log does not show which layer produced it (no authorizer, integration or gateway-response lines)."
            );
            report.next_steps = vec!["set the stage's execution logging to INFO with full request/response data so every phase is logged".into()];
        }
        (None, _) => {
            report.summary = "the log for this request is incomplete: it never says how the request ended (no `Method completed with status` or gateway response line).".into();
            report.next_steps = vec!["export a wider time range; the request's last lines are probably in the next log stream or batch".into()];
        }
    }
}

/// `Lambda execution failed with status 200 due to customer function error: MSG. Lambda request id: ID` → MSG.
fn function_error_message(line: &str) -> &str {
    let after = line
        .split_once("customer function error:")
        .map_or(line, |(_, rest)| rest);
    let msg = after
        .rsplit_once(". Lambda request id:")
        .map_or(after, |(m, _)| m);
    msg.trim()
}

fn is_init_error(text: &str) -> bool {
    [
        "Runtime.ImportModuleError",
        "Runtime.HandlerNotFound",
        "Runtime.UserCodeSyntaxError",
    ]
    .iter()
    .any(|k| text.contains(k))
}

/// Whether a logged authorizer-phase text shows a timeout or a crash.
fn failure_hint(text: &str) -> Option<&'static str> {
    if text.contains("Task timed out after") {
        Some("it ran past its function timeout")
    } else if text.contains("Runtime exited") || text.contains("Runtime.ExitError") {
        Some("its process exited")
    } else {
        None
    }
}

fn add_record_evidence(r: &GlassgateRecord, notes: &mut Notes, ev: &mut Vec<String>) {
    if let Some(d) = &r.detail {
        ev.push(clip(&format!("glassgate: {d}")));
    }
    if let Some(raw) = &r.auth_raw_result {
        ev.push(clip(&format!("authorizer result: {raw}")));
    }
    if r.auth_cache.as_deref() == Some("hit") {
        notes.from_cache = true;
        let age = r
            .auth_cache_age_s
            .map(|a| format!(", {a:.0} s old"))
            .unwrap_or_default();
        let built = r
            .auth_cached_for
            .as_deref()
            .map(|a| format!(", issued for {a}"))
            .unwrap_or_default();
        ev.push(clip(&format!("authorizer cache: hit{age}{built}")));
    }
    if notes.method_arn.is_none() {
        notes.method_arn.clone_from(&r.auth_method_arn);
    }
    notes.cached_for.clone_from(&r.auth_cached_for);
    for (who, inv) in [
        ("authorizer", &r.auth_invocation),
        ("handler", &r.invocation),
    ] {
        if let Some(inv) = inv {
            invocation_evidence(who, inv, ev);
        }
    }
}

fn invocation_evidence(who: &str, inv: &InvocationRecord, ev: &mut Vec<String>) {
    match (&inv.error_type, &inv.error_message) {
        (Some(t), Some(m)) => ev.push(clip(&format!("{who} error: {t}: {m}"))),
        (None, Some(m)) => ev.push(clip(&format!("{who} error: {m}"))),
        (Some(t), None) => ev.push(clip(&format!("{who} error: {t}"))),
        (None, None) => {}
    }
    if let Some(exit) = &inv.exit {
        ev.push(clip(&format!("{who} process exit: {exit}")));
    }
    let start = inv.output_tail.len().saturating_sub(OUTPUT_TAIL_LINES);
    for line in inv.output_tail.iter().skip(start) {
        ev.push(clip(&format!("{who} output: {line}")));
    }
}

fn status_text(status: Option<u16>) -> String {
    status.map_or_else(|| "A response".to_owned(), |s| s.to_string())
}

/// How the report names a layer: "502 from the backend", "403 from route matching".
pub(crate) fn layer_phrase(layer: Option<Layer>) -> &'static str {
    match layer {
        Some(Layer::Route) => "route matching",
        Some(Layer::Authorizer) => "the authorizer",
        Some(Layer::Integration) => "the integration",
        Some(Layer::Backend) => "the backend",
        Some(Layer::Gateway) => "the gateway",
        None => "an unknown layer",
    }
}

const AUTH_500: &str = "so API Gateway answered 500 {\"message\":null}; the backend never ran";
const PROXY_502: &str = "so API Gateway answered 502 {\"message\": \"Internal server error\"}";

/// The summary sentence and next steps for a cause.
fn explain(c: Cause, status: u16, n: &Notes) -> (String, Vec<String>) {
    let head = format!("{status} from {}", layer_phrase(Some(c.layer())));
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let fn_error = n
        .function_error
        .as_deref()
        .map(|m| format!(" (\"{}\")", clip_chars(m, 120)))
        .unwrap_or_default();
    match c {
        Cause::NoRoute => (
            format!(
                "{head}: no resource/method matched: check the path, the method and the stage in the URL; API Gateway calls this \"Missing Authentication Token\" but it is not an auth problem."
            ),
            s(&[
                "check the path, the method and the stage in the URL against the API's resources",
                "redeploy the stage if the resource was added after the last deployment",
            ]),
        ),
        Cause::IdentityInvalid => (
            format!(
                "{head}: the token failed the authorizer's validation expression, so API Gateway answered 401 {{\"message\":\"Unauthorized\"}} without running the authorizer; the backend never ran."
            ),
            s(&[
                "check the token against the authorizer's IdentityValidationExpression (it must match the whole header value, including any `Bearer ` prefix)",
            ]),
        ),
        Cause::IdentityMissing => (
            format!(
                "{head}: the identity source was missing, empty or failed the validation expression, so API Gateway answered 401 {{\"message\":\"Unauthorized\"}} without running the authorizer; the backend never ran."
            ),
            s(&[
                "send the header, query string or other value named in the authorizer's identity source (for a TOKEN authorizer, usually `Authorization`)",
                "if a validation expression is set, check the token matches it",
            ]),
        ),
        Cause::AuthorizerUnauthorized => (
            format!(
                "{head}: the authorizer ran and failed with exactly \"Unauthorized\", so API Gateway answered 401 {{\"message\":\"Unauthorized\"}}; the backend never ran."
            ),
            s(&[
                "this is the authorizer rejecting the token on purpose; check why it rejects it (expired, wrong audience, wrong key)",
                "to deny with 403 instead, return a policy with Effect Deny",
            ]),
        ),
        Cause::AuthorizerCrash => (
            format!("{head}: the authorizer's process exited during the invocation, {AUTH_500}."),
            s(&[
                "read the authorizer's output before the exit (panic, unhandled rejection, explicit exit)",
                "raise the authorizer's MemorySize if it was killed",
            ]),
        ),
        Cause::AuthorizerTimeout => (
            format!("{head}: the authorizer ran past its function timeout, {AUTH_500}."),
            s(&[
                "make the authorizer faster (cache signing keys outside the handler) or raise its Timeout",
                "the method's integration timeout does not bound the authorizer; keep the authorizer well under the gateway's wait",
            ]),
        ),
        Cause::AuthorizerOutOfMemory => (
            format!("{head}: the authorizer ran out of memory, {AUTH_500}."),
            s(&["raise the authorizer's MemorySize or reduce what it loads per invocation"]),
        ),
        Cause::AuthorizerError => {
            let what = n.auth_hint.unwrap_or("it threw an error (not exactly \"Unauthorized\"), crashed or timed out (the execution log does not say which)");
            (
                format!("{head}: {what}, {AUTH_500}."),
                s(&[
                    "throw exactly `Unauthorized` to answer 401; any other error text becomes 500 {\"message\":null}",
                    "read the authorizer function's own logs for the error, `Task timed out` or `Runtime exited`",
                    "the method's integration timeout does not bound the authorizer; keep it well under the gateway's wait",
                ]),
            )
        }
        Cause::AuthorizerMalformedResponse if n.http_style => (
            format!(
                "{head}: the authorizer returned an HTTP-style response ({{statusCode, headers, body}}) instead of a policy, which API Gateway rejects as invalid JSON, {AUTH_500}."
            ),
            s(&[
                "return only principalId, policyDocument, context, usageIdentifierKey from the authorizer",
                "to reject, throw exactly `Unauthorized` (401) or return a Deny policy (403); an authorizer cannot choose the status code",
                "remove error-formatting middleware from the authorizer",
            ]),
        ),
        Cause::AuthorizerMalformedResponse => (
            format!(
                "{head}: the authorizer's result is not a valid authorizer response (not JSON, an unknown field, or no policyDocument), {AUTH_500}."
            ),
            s(&[
                "return only principalId, policyDocument, context, usageIdentifierKey from the authorizer",
                "make policyDocument an object with Version and a Statement list of Effect/Action/Resource",
            ]),
        ),
        Cause::AuthorizerInvalidContext => (
            format!(
                "{head}: the authorizer's context holds a nested object or array (the START_OBJECT/START_ARRAY in the log), which API Gateway rejects, {AUTH_500}."
            ),
            s(&[
                "make context values strings, numbers or booleans",
                "serialise nested data into a string (JSON.stringify / json.dumps) and parse it in the backend",
            ]),
        ),
        Cause::AuthorizerPermission => (
            format!(
                "{head}: API Gateway could not invoke the authorizer function (no lambda:InvokeFunction permission, or it cannot assume the authorizer's role), so it answered 500 {{\"message\":null}}; neither the authorizer nor the backend ran, so the authorizer's own logs are empty."
            ),
            s(&[
                "on AWS, add a lambda:InvokeFunction permission for apigateway.amazonaws.com with source ARN arn:aws:execute-api:REGION:ACCOUNT:API_ID/authorizers/AUTHORIZER_ID",
                "or fix the authorizer's credentials role: it must trust apigateway.amazonaws.com and allow lambda:InvokeFunction",
                "this cannot happen under glassgate, which invokes local processes directly; the fix is on AWS",
            ]),
        ),
        Cause::PolicyExplicitDeny => (
            format!(
                "{head}: the authorizer's policy has a Deny statement {}covering this method (explicit deny{}), so API Gateway answered 403 {{\"Message\":\"User is not authorized to access this resource with an explicit deny\"}}; the backend never ran.",
                if n.method_arn.is_none() {
                    "(the log does not show the method ARN, so it is taken as) "
                } else {
                    ""
                },
                if n.from_cache {
                    "; the decision was served from the authorizer cache"
                } else {
                    ""
                }
            ),
            s(&[
                "check why the authorizer chose Deny for this principal, or narrow the Deny statement's Resource",
            ]),
        ),
        // HTTP APIs write no execution log, so `explain --log` never meets these; a
        // glassgate trace names them.
        Cause::JwtMalformed
        | Cause::JwtBadSignature
        | Cause::JwtUnknownKid
        | Cause::JwtExpired
        | Cause::JwtNotYetValid
        | Cause::JwtWrongIssuer
        | Cause::JwtWrongAudience
        | Cause::JwtScopeMissing
        | Cause::JwtWrongTokenUse
        | Cause::JwksUnreachable => (
            format!("{head}: the JWT authorizer refused the token; the backend never ran."),
            s(&["read the www-authenticate header of the response for the reason"]),
        ),
        Cause::MappingTemplate => (
            format!(
                "{head}: the integration's mapping template could not be rendered, or no integration response took the function's answer."
            ),
            s(&[
                "check the request and response templates and the integration responses' selectionPattern (a default response has none)",
            ]),
        ),
        Cause::BodyNotJson => (
            format!(
                "{head}: a mapping template read the request body as JSON and it is not JSON; the function never ran."
            ),
            s(&["send a JSON body, or read it with $input.body in the template"]),
        ),
        Cause::UnsupportedMediaType => (
            format!(
                "{head}: no request template takes the request's Content-Type and passthroughBehavior refuses to pass it through; the function never ran."
            ),
            s(&[
                "send a Content-Type the integration has a template for, or set passthroughBehavior to WHEN_NO_MATCH",
            ]),
        ),
        Cause::MockConfiguration => (
            format!(
                "{head}: the MOCK integration could not pick a status or an integration response for it."
            ),
            s(&[
                "check the request template's statusCode and the integration responses' selectionPattern",
            ]),
        ),
        Cause::UpstreamUnreachable
        | Cause::UpstreamTimeout
        | Cause::UpstreamTls
        | Cause::UpstreamBroken => (
            format!(
                "{head}: API Gateway could not complete the exchange with the HTTP endpoint of the integration; the service's own answer never arrived."
            ),
            s(&["check that the endpoint is up and answers within the integration timeout"]),
        ),
        Cause::UpstreamTooLarge => (
            format!(
                "{head}: the HTTP endpoint of the integration answered more than API Gateway's 10 MB payload limit, so its answer was not passed on."
            ),
            s(&["page the response, or hand out a presigned S3 URL for large downloads"]),
        ),
        Cause::IamSignatureMissing
        | Cause::IamSignatureIncomplete
        | Cause::IamUnknownAccessKey
        | Cause::IamSignatureMismatch
        | Cause::IamSignatureExpired => (
            format!(
                "{head}: AWS_IAM authorization refused the request's SigV4 signature; the backend never ran."
            ),
            s(&["read the response body's message: it names what API Gateway expected"]),
        ),
        Cause::AuthorizerDenied => (
            format!(
                "{head}: the authorizer's simple response said isAuthorized false, so the HTTP API answered 403 {{\"message\":\"Forbidden\"}}; the backend never ran."
            ),
            s(&["check why the authorizer denied this identity"]),
        ),
        Cause::PolicyNotCovered => (
            format!(
                "{head}: the authorizer's policy does not allow this method ARN (implicit deny: no Allow statement's Resource matches{}), so API Gateway answered 403 {{\"Message\":\"User is not authorized to access this resource\"}}; the backend never ran.",
                n.method_arn
                    .as_deref()
                    .map(|a| format!(" {a}"))
                    .unwrap_or_default()
            ),
            s(&[
                "make the Allow statement's Resource match arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH, or use wildcards such as arn:aws:execute-api:REGION:ACCOUNT:API_ID/*",
                "check the stage and method parts of the Resource, not just the path",
            ]),
        ),
        Cause::CachedPolicyNotCovered => (
            format!(
                "{head}: the decision was served from the authorizer cache; a policy cached for another method/path{} does not cover this one, so API Gateway answered 403 without running the authorizer; the backend never ran.",
                n.cached_for
                    .as_deref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default()
            ),
            s(&[
                "use wildcard resources in the policy (arn:aws:execute-api:REGION:ACCOUNT:API_ID/*) instead of event.methodArn",
                "or set the authorizer's result TTL to 0 to disable caching",
            ]),
        ),
        // A proxy integration answers a function error 502; any other status after one is a
        // non-proxy integration's integration response mapping it.
        Cause::HandlerError if status != 502 => (
            format!(
                "{head}: the handler raised an error{fn_error}, and this is a Lambda non-proxy integration: its integration response answered {status} instead of an error (a default integration response takes every error no selectionPattern matches)."
            ),
            s(&[
                "fix the error in the handler (see its message and the function's logs)",
                "to answer errors as errors, add an integration response whose selectionPattern matches the errorMessage (\".+\" takes any) with a 4xx/5xx statusCode",
            ]),
        ),
        Cause::HandlerError => (
            format!("{head}: the handler raised an error{fn_error}, {PROXY_502}."),
            s(&[
                "fix the error in the handler (see its message and the function's logs)",
                "to answer an error status on purpose, return {\"statusCode\": 4xx/5xx, \"body\": ...} instead of throwing",
            ]),
        ),
        Cause::HandlerTimeout => (
            format!("{head}: the handler ran past its function timeout{fn_error}, {PROXY_502}."),
            s(&[
                "make the handler faster or raise the function's Timeout (and keep it under the 29 s integration timeout)",
                "check for calls that hang (network, database) without their own timeout",
            ]),
        ),
        Cause::HandlerCrash => (
            format!(
                "{head}: the handler's process exited during the invocation{fn_error}, {PROXY_502}."
            ),
            s(&[
                "read the function's logs before the exit (out of memory, panic, segfault, explicit exit)",
                "raise MemorySize if the exit was signal: killed",
            ]),
        ),
        // Local only: an AWS execution log never shows these.
        Cause::RuntimeUnsupported
        | Cause::AuthorizerRuntimeUnsupported
        | Cause::IntegrationNotEmulated => (
            format!(
                "{head}: the function is one glassgate cannot run locally; on AWS it would have run."
            ),
            s(&[
                "run this function on AWS or under sam local; the rest of the API is served by glassgate",
            ]),
        ),
        Cause::HandlerInitError => (
            format!(
                "{head}: the function failed to initialise{fn_error}, {PROXY_502}; the handler never ran (an import error, a missing handler or a syntax error stops it before the first request)."
            ),
            s(&[
                "check the Handler setting matches file and function names, and that dependencies are packaged",
                "run the module locally to see the import or syntax error",
            ]),
        ),
        Cause::MalformedProxyResponse => (
            format!(
                "{head}: the function answered, but not with a valid Lambda proxy response, {PROXY_502}; a proxy response must be a JSON object with only statusCode (a number), headers (string values), multiValueHeaders (lists of strings), body (a string) and isBase64Encoded (a boolean)."
            ),
            s(&[
                "return {\"statusCode\": 200, \"headers\": {...}, \"body\": \"...\"} with body as a string (JSON-encode objects)",
                "remove any other top-level keys from the response",
            ]),
        ),
        Cause::IntegrationTimeout => (
            format!(
                "{head}: the backend took longer than the integration timeout (29 s by default), so API Gateway answered 504 {{\"message\": \"Endpoint request timed out\"}}; the function may still be running."
            ),
            s(&[
                "make the handler answer within the integration timeout, or raise TimeoutInMillis where allowed",
                "move long work to an asynchronous path (queue, Step Functions) and answer 202",
            ]),
        ),
        Cause::IntegrationPermission => (
            format!(
                "{head}: API Gateway lacks lambda:InvokeFunction permission on the integration's function, so it answered 500 {{\"message\": \"Internal server error\"}}; the function never ran."
            ),
            s(&[
                "on AWS, add a lambda:InvokeFunction permission for apigateway.amazonaws.com with source ARN arn:aws:execute-api:REGION:ACCOUNT:API_ID/*/METHOD/PATH",
                "if the integration uses a credentials role, let it invoke the function",
                "this cannot happen under glassgate; the fix is on AWS",
            ]),
        ),
        Cause::Throttled => (
            format!(
                "{head}: Lambda throttled the invocation (429 Rate Exceeded: the function's or account's concurrency limit was reached), so API Gateway answered 500; the function never ran for this request."
            ),
            s(&[
                "raise the function's reserved concurrency or the account limit, or lower the request rate",
                "add a stage or usage-plan throttle so clients get 429 before Lambda does",
            ]),
        ),
        Cause::RequestTooLarge => (
            format!(
                "{head}: the request is larger than API Gateway accepts (10 MB payload), so it was rejected before any other layer ran."
            ),
            s(&["send a smaller body, or upload large payloads to S3 with a presigned URL"]),
        ),
        Cause::LambdaPayloadTooLarge => (
            format!(
                "{head}: the Lambda event would be larger than Lambda's 6 MB, so API Gateway answered 413 without invoking the function."
            ),
            s(&["send a smaller body, or upload large payloads to S3 with a presigned URL"]),
        ),
        Cause::HeadersTooLarge => (
            format!(
                "{head}: the request's headers are larger than API Gateway's 10 KB, so it was rejected before any other layer ran."
            ),
            s(&["send fewer or shorter headers (cookies and tokens are the usual cause)"]),
        ),
        Cause::Overloaded => (
            format!(
                "{head}: glassgate was already serving as many requests, or receiving as many body bytes, as it holds at once, so it refused this one before any other layer ran."
            ),
            s(&[
                "send fewer requests at once, or raise serve --max-in-flight or --max-body-buffer",
            ]),
        ),
        Cause::BodyTimeout => (
            format!("{head}: the request body stopped arriving, so the gateway gave up on it."),
            s(&["send the whole body without pausing"]),
        ),
        Cause::BodyBroken => (
            format!(
                "{head}: the request body could not be read (the connection broke in the middle of it, or its chunked encoding was malformed)."
            ),
            s(&["check the client's upload"]),
        ),
    }
}

/// Shorten to `max` characters on a character boundary, flattening line breaks so one evidence
/// item stays one line.
fn clip_chars(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .take(max + 1)
        .collect();
    if flat.chars().count() > max {
        let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    } else {
        flat
    }
}

fn clip(s: &str) -> String {
    clip_chars(s.trim(), EVIDENCE_MAX_CHARS)
}
