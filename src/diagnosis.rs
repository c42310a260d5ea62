//! Diagnosis: a failed request's [`Trace`] turned into plain words (which layer answered,
//! why, whether the backend ran) and next steps. Rendered as the `Diagnosis:` log line, in
//! the admin API, and by `glassgate explain`.

use crate::model::ApiKind;
use crate::outcome::Cause;
use crate::trace::Trace;

/// What happened to a request, for a person (the type lives with the trace it is part of;
/// this module computes it).
pub use crate::trace::Diagnosis;

fn backend_note(trace: &Trace) -> &'static str {
    if trace.invocation.is_some() {
        "the backend ran"
    } else {
        "the backend never ran"
    }
}

fn auth_ms(trace: &Trace) -> String {
    trace
        .authorizer
        .as_ref()
        .and_then(|a| a.invocation.as_ref())
        .map(|i| format!(" after {:.0} ms", i.duration_ms))
        .unwrap_or_default()
}

/// Diagnose a finished trace; `None` for a request the backend answered normally.
pub fn diagnose(trace: &Trace) -> Option<Diagnosis> {
    let f = trace.failure.as_ref()?;
    let status = trace.status;
    let auth_name = trace
        .authorizer
        .as_ref()
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "the authorizer".into());
    let exit = trace
        .authorizer
        .as_ref()
        .and_then(|a| a.invocation.as_ref())
        .and_then(|i| i.exit.clone());
    let backend = backend_note(trace);
    let (summary, steps): (String, Vec<String>) = match f.cause {
        Cause::NoRoute if trace.flavor == Some(ApiKind::Http) => (
            format!(
                "{status} Not Found is a routing miss of the HTTP API: {}.",
                f.detail
            ),
            vec![
                "check the method and the path: HTTP APIs fold no trailing slash (/items/ is not /items), and a named stage is the first path segment (/dev/items)".into(),
                "add a $default route (an HttpApi event without Path and Method) to catch every other request".into(),
                "run `glassgate validate` to list every route".into(),
            ],
        ),
        Cause::NoRoute => (
            format!(
                "{status} Missing Authentication Token is a routing miss, not an auth problem: {}.",
                f.detail
            ),
            vec![
                "check the method and the path (REST APIs are served at the root, without the stage name)".into(),
                "run `glassgate validate` to list every route".into(),
            ],
        ),
        Cause::IdentityMissing => (
            format!(
                "{status} from authorizer {auth_name}: {}; {backend}.",
                f.detail
            ),
            vec![
                "send the identity source the authorizer is configured with (header name, query string, stage variable)".into(),
            ],
        ),
        Cause::IdentityInvalid => (
            format!("{status} from authorizer {auth_name}: {}; {backend}.", f.detail),
            vec!["make the token match the ValidationExpression, or fix the expression".into()],
        ),
        Cause::AuthorizerUnauthorized => (
            format!(
                "{status} from authorizer {auth_name}: it failed with exactly \"Unauthorized\"{}, which API Gateway turns into 401; {backend}.",
                auth_ms(trace)
            ),
            vec!["this is a deliberate rejection by your authorizer code; check the token it was given".into()],
        ),
        Cause::AuthorizerError => (
            format!(
                "{status} {{\"message\":null}} came from authorizer {auth_name}, not from your backend: {}{}. Any error other than exactly \"Unauthorized\" becomes this 500; {backend}.",
                f.detail,
                auth_ms(trace)
            ),
            vec![
                "to reject a token with 401, fail with exactly the message `Unauthorized`".into(),
                "read the authorizer's output above for the exception".into(),
            ],
        ),
        Cause::AuthorizerCrash => (
            format!(
                "{status} {{\"message\":null}} came from authorizer {auth_name}: its process crashed ({}){}; {backend}.",
                exit.as_deref().unwrap_or("exited"),
                auth_ms(trace)
            ),
            vec![
                "look at the authorizer's stderr tail in the trace (`glassgate explain <request id>`)".into(),
            ],
        ),
        Cause::AuthorizerTimeout => (
            format!(
                "{status} {{\"message\":null}} came from authorizer {auth_name}: {}; the integration timeout does not apply to authorizers; {backend}.",
                f.detail
            ),
            vec!["make the authorizer faster or raise its function Timeout".into()],
        ),
        Cause::AuthorizerMalformedResponse => (
            format!(
                "{status} {{\"message\":null}} came from authorizer {auth_name}: {}; {backend}.",
                f.detail
            ),
            vec![
                "return only principalId, policyDocument, context and usageIdentifierKey".into(),
                "do not return an HTTP response ({statusCode, body}) from an authorizer".into(),
            ],
        ),
        Cause::AuthorizerInvalidContext => (
            format!(
                "{status} {{\"message\":null}} came from authorizer {auth_name}: its context holds an object or a list ({}); {backend}.",
                f.detail
            ),
            vec!["make every context value a string, number or boolean (JSON-encode nested data)".into()],
        ),
        Cause::AuthorizerOutOfMemory => (
            format!(
                "{status} {{\"message\":null}} came from authorizer {auth_name}: it ran out of memory ({}); {backend}.",
                f.detail
            ),
            vec!["raise the authorizer's MemorySize or use less memory".into()],
        ),
        Cause::PolicyExplicitDeny => (
            format!("{status} from authorizer {auth_name}: {}; {backend}.", f.detail),
            vec!["this is a deliberate Deny in the returned policy".into()],
        ),
        Cause::PolicyNotCovered => (
            format!(
                "{status} from authorizer {auth_name}: {} (no Allow statement matches); {backend}.",
                f.detail
            ),
            vec!["allow this method ARN in the policy, e.g. with a wildcard such as arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/*/*".into()],
        ),
        Cause::CachedPolicyNotCovered => {
            let age = trace
                .authorizer
                .as_ref()
                .and_then(|a| a.cache_age_s)
                .map(|s| format!(" {s:.0} s ago"))
                .unwrap_or_default();
            (
                format!(
                    "{status} from the authorizer cache: {}; the policy was cached{age} and the authorizer did not run for this request; {backend}.",
                    f.detail
                ),
                vec![
                    "return a policy that covers every method (wildcard Resource), or set ReauthorizeEvery: 0".into(),
                    "flush the cache: DELETE /authorizers/cache on the admin port, or restart with --authorizer-cache-ttl 0".into(),
                ],
            )
        }
        Cause::AuthorizerDenied => {
            let cached = trace.authorizer.as_ref().is_some_and(|a| a.cache == "hit");
            let mut steps = vec![
                "this is the authorizer's own decision: check why it returned isAuthorized false for this identity".into(),
            ];
            if cached {
                steps.push("the decision came from the cache, keyed on the identity sources only: a false cached for one route denies every route of this authorizer until the TTL ends; add $context.routeKey to Identity.Context, or flush DELETE /authorizers/cache on the admin port".into());
            }
            (
                format!(
                    "{status} from authorizer {auth_name}: {}{}; {backend}.",
                    f.detail,
                    if cached { " (a cached simple response)" } else { "" }
                ),
                steps,
            )
        }
        Cause::JwtMalformed
        | Cause::JwtBadSignature
        | Cause::JwtUnknownKid
        | Cause::JwtExpired
        | Cause::JwtNotYetValid
        | Cause::JwtWrongIssuer
        | Cause::JwtWrongAudience
        | Cause::JwtScopeMissing
        | Cause::JwtWrongTokenUse
        | Cause::JwksUnreachable => {
            let cognito = trace
                .authorizer
                .as_ref()
                .is_some_and(|a| a.kind == "COGNITO_USER_POOLS");
            (
                format!(
                    "{status} from {} authorizer {auth_name}, which checks the token itself (no function runs): {}; {backend}.",
                    if cognito { "Cognito user pool" } else { "JWT" },
                    f.detail
                ),
                jwt_steps(f.cause, cognito),
            )
        }
        Cause::IamSignatureMissing
        | Cause::IamSignatureIncomplete
        | Cause::IamUnknownAccessKey
        | Cause::IamSignatureMismatch
        | Cause::IamSignatureExpired => (
            format!(
                "{status} from AWS_IAM authorization, which checks the request's SigV4 signature (no function runs, IAM policies are not evaluated): {}; {backend}.",
                f.detail
            ),
            iam_steps(f.cause),
        ),
        Cause::UpstreamUnreachable
        | Cause::UpstreamTimeout
        | Cause::UpstreamTls
        | Cause::UpstreamBroken
        | Cause::UpstreamTooLarge => (
            format!(
                "{status} came from the HTTP_PROXY integration, not from your service: {}; the request was authorized and routed.",
                f.detail
            ),
            upstream_steps(f.cause),
        ),
        Cause::MockConfiguration => (
            format!(
                "{status} came from the MOCK integration's configuration: {}; no backend runs behind a mock.",
                f.detail
            ),
            vec![
                "give the integration a request template that renders {\"statusCode\": 200} (or the status you want), and an integration response with no selectionPattern as the default".into(),
            ],
        ),
        Cause::MappingTemplate => (
            format!(
                "{status} came from the integration's mapping, not from your backend: {}.",
                f.detail
            ),
            vec![
                "fix the template named in the detail (glassgate's load warnings name what it cannot evaluate; docs/mapping-templates.md lists what it can), or give the integration a default response with no selectionPattern".into(),
            ],
        ),
        Cause::BodyNotJson => (
            format!(
                "{status} came from the gateway: {}; the function never ran.",
                f.detail
            ),
            vec![
                "send a JSON body (and Content-Type: application/json), or read it with $input.body in the template".into(),
            ],
        ),
        Cause::UnsupportedMediaType => (
            format!(
                "{status} came from the gateway: {}; the function never ran.",
                f.detail
            ),
            vec![
                "send a Content-Type the integration has a request template for, or set passthroughBehavior to WHEN_NO_MATCH".into(),
            ],
        ),
        Cause::HandlerError => (
            format!("{status} came from your backend: {}.", f.detail),
            vec!["read the handler's output above for the exception".into()],
        ),
        Cause::HandlerCrash => (
            format!("{status} came from your backend: {}.", f.detail),
            vec!["look at the handler's stderr tail in the trace".into()],
        ),
        Cause::HandlerTimeout => (
            format!("{status} came from your backend: {}.", f.detail),
            vec!["make the handler faster or raise the function Timeout".into()],
        ),
        Cause::IntegrationNotEmulated => (
            format!(
                "{status} came from glassgate, not from your backend: {}.",
                f.detail
            ),
            vec![
                "try this route on AWS; glassgate serves Lambda (proxy and non-proxy), HTTP_PROXY and MOCK integrations, and answers this one 500 rather than guess".into(),
            ],
        ),
        Cause::RuntimeUnsupported => (
            format!(
                "{status} came from glassgate, not from your code: {}. On AWS the function would have run; every other route of the template is served.",
                f.detail
            ),
            vec![
                "code glassgate cannot reach (in S3, a folder not built yet) runs once CodeUri points at the local folder or .zip, or after `sam build`, once the template is saved again or serve restarted".into(),
                "a runtime glassgate does not run (glassgate runs python3.x, nodejs*.x and provided functions): try this route on AWS, or with `sam local`, which runs every Lambda runtime in Docker".into(),
            ],
        ),
        Cause::AuthorizerRuntimeUnsupported => (
            format!(
                "{status} {{\"message\":null}} came from glassgate: {}; the route is refused rather than served open; {backend}.",
                f.detail
            ),
            vec![
                "run the route with `--authorizer NAME=allow` (a permissive stand-in) or `--authorizer NAME=bypass` to reach the backend, or port the authorizer to Python, Node or a provided runtime".into(),
            ],
        ),
        Cause::HandlerInitError => (
            format!("{status} came from your backend, which could not start: {}.", f.detail),
            vec!["check Handler, CodeUri and the imports of the handler module".into()],
        ),
        Cause::MalformedProxyResponse => (
            format!("{status} came from API Gateway because {}.", f.detail),
            vec![
                "return {\"statusCode\": 200, \"headers\": {...}, \"body\": \"<string>\"} and no other keys".into(),
            ],
        ),
        Cause::IntegrationTimeout => (
            format!("{status} came from the integration: {}.", f.detail),
            vec!["make the backend answer faster, or raise TimeoutInMillis (at most 29000)".into()],
        ),
        Cause::AuthorizerPermission | Cause::IntegrationPermission => (
            format!("{status} came from API Gateway, which could not invoke the function: {}.", f.detail),
            vec!["grant apigateway.amazonaws.com lambda:InvokeFunction on the function (AWS::Lambda::Permission)".into()],
        ),
        Cause::Throttled => (
            format!("{status} came from API Gateway: Lambda throttled the invocation ({}).", f.detail),
            vec!["raise the function's reserved concurrency or the account limit".into()],
        ),
        Cause::RequestTooLarge => (
            format!("{status} came from the gateway: {}.", f.detail),
            vec!["send a smaller body (API Gateway accepts 10 MB)".into()],
        ),
        Cause::LambdaPayloadTooLarge => (
            format!("{status} came from the Lambda integration: {}; the function never ran.", f.detail),
            vec![
                "send a smaller body: Lambda takes 6 MB per synchronous invocation, and the event (base64 for binary bodies, plus headers) is larger than the body; upload large files to S3 with a presigned URL".into(),
            ],
        ),
        Cause::HeadersTooLarge => (
            format!("{status} came from the gateway: {}.", f.detail),
            vec![
                "send fewer or shorter headers: API Gateway takes 10 KB of request line and headers (a large cookie or token is the usual cause)".into(),
            ],
        ),
        Cause::Overloaded => (
            format!("{status} came from the gateway: {}; nothing behind it ran.", f.detail),
            vec![
                "send fewer requests at once, or raise serve --max-in-flight (requests in the lifecycle) or --max-body-buffer (request bodies being received), whichever the detail names, if the machine has the memory for it".into(),
            ],
        ),
        Cause::BodyTimeout => (
            format!("{status} came from the gateway: {}.", f.detail),
            vec![
                "send the whole body without pausing; the gateway drops a body that stops arriving (serve --body-timeout)".into(),
            ],
        ),
        Cause::BodyBroken => (
            format!("{status} came from the gateway: {}.", f.detail),
            vec![
                "the client closed the connection in the middle of the body or sent a malformed chunked body; check the client's upload".into(),
            ],
        ),
    };
    let (summary, steps) = preflight_trap(trace, f, summary, steps);
    Some(Diagnosis {
        summary,
        next_steps: steps,
    })
}

/// What to try for each failure of an HTTP upstream.
fn upstream_steps(cause: Cause) -> Vec<String> {
    let steps: &[&str] = match cause {
        Cause::UpstreamUnreachable => &[
            "start the service, or fix the integration's uri (host, port, scheme): it is the whole URL on REST, the base of the path on an HTTP API's $default route",
        ],
        Cause::UpstreamTimeout => &[
            "the service answered slower than the integration's TimeoutInMillis (29 s on REST, 30 s on HTTP APIs by default): make it faster, or raise the timeout",
        ],
        Cause::UpstreamTls => &[
            "the service's certificate is not trusted here, or it does not speak TLS: use http:// for a plain service, or give it a certificate this machine trusts",
        ],
        Cause::UpstreamBroken => &[
            "the service closed the connection or answered with broken HTTP: look at its own log for this request",
        ],
        Cause::UpstreamTooLarge => &[
            "API Gateway passes at most 10 MB of an integration's answer: page the response, or hand out a presigned S3 URL for large downloads",
        ],
        _ => &[],
    };
    steps.iter().map(|s| (*s).to_owned()).collect()
}

/// What to try for each AWS_IAM refusal.
fn iam_steps(cause: Cause) -> Vec<String> {
    let steps: &[&str] = match cause {
        Cause::IamSignatureMissing => &[
            "sign the request with SigV4 for service execute-api (an AWS SDK, `awscurl --service execute-api`, or botocore's SigV4Auth)",
            "or run `--authorizer AWS_IAM=bypass` to try the backend without a signature",
        ],
        Cause::IamSignatureIncomplete => &[
            "send the SigV4 Authorization header itself (AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...) with X-Amz-Date; a bearer token belongs to a Lambda, JWT or Cognito authorizer, not to AWS_IAM",
            "sign for service execute-api in the API's region (glassgate's --region)",
        ],
        Cause::IamUnknownAccessKey => &[
            "give glassgate the signer's credentials: `--iam-credentials FILE` (AWS credentials format, every profile is a known caller), or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment or AWS_PROFILE it was started with",
            "temporary credentials need their session token, sent as X-Amz-Security-Token",
        ],
        Cause::IamSignatureMismatch => &[
            "compare the canonical request in the response body with the one your signer built: a different path encoding, query order, host (with its port) or body is the usual cause",
            "check that the secret key of this access key is the one glassgate was given",
            "sign the body that is sent: a client that changes the body or headers after signing breaks the signature",
        ],
        Cause::IamSignatureExpired => &[
            "sign each request just before sending it; a signature is valid for 5 minutes either side of the gateway's clock",
            "check this machine's clock against the signer's",
        ],
        _ => &[],
    };
    steps.iter().map(|s| (*s).to_owned()).collect()
}

/// What to try for each JWT refusal (`cognito`: from a REST Cognito user pool authorizer).
fn jwt_steps(cause: Cause, cognito: bool) -> Vec<String> {
    let step: &str = match cause {
        Cause::JwtWrongIssuer if cognito => {
            "send a token of one of the authorizer's user pools (ProviderARNs / UserPoolArn): each pool has its own issuer"
        }
        Cause::JwtScopeMissing if cognito => {
            "send an access token granted one of the method's AuthorizationScopes (an ID token carries no scope claim)"
        }
        Cause::JwtWrongTokenUse => {
            "send the ID token, or give the method AuthorizationScopes: without scopes API Gateway takes only ID tokens"
        }
        Cause::JwtWrongAudience if cognito => {
            "the token's aud (its app client id) must match the authorizer's IdentityValidationExpression"
        }
        Cause::JwtMalformed => {
            "send the token itself (Authorization: Bearer eyJ...), RSA-signed: API Gateway refuses HS256 and ES256 tokens"
        }
        Cause::JwtBadSignature => {
            "get a fresh token from the configured issuer; a token signed by another key (another tenant or environment) never verifies"
        }
        Cause::JwtUnknownKid => {
            "the issuer rotated its keys or the token comes from another issuer: check the token's kid against the issuer's jwks_uri"
        }
        Cause::JwtExpired => {
            "get a new token; if it was just issued, compare the issuer's clock with this machine's"
        }
        Cause::JwtNotYetValid => {
            "the issuer's clock is ahead of this machine's, or the token is post-dated: check the clocks"
        }
        Cause::JwtWrongIssuer => {
            "make JwtConfiguration.Issuer exactly the token's iss, trailing slash included"
        }
        Cause::JwtWrongAudience => {
            "add the token's aud (ID tokens) or client_id (access tokens, which have no aud) to JwtConfiguration.Audience"
        }
        Cause::JwtScopeMissing => {
            "request the route's scope when getting the token, and send the access token (ID tokens carry no scopes)"
        }
        _ => "make the issuer reachable, or give its keys offline: serve --jwks ISSUER=PATH_OR_URL",
    };
    vec![step.to_owned()]
}

/// The classic HTTP API CORS trap: a preflight taken by a route with an authorizer
/// (`$default`, `ANY /{proxy+}`) instead of the API's `CorsConfiguration`. Browsers send
/// preflights without credentials, so the authorizer refuses it and the browser reports a CORS
/// error, not the status.
fn preflight_trap(
    trace: &Trace,
    f: &crate::outcome::Failure,
    summary: String,
    mut steps: Vec<String>,
) -> (String, Vec<String>) {
    if f.layer != crate::outcome::Layer::Authorizer {
        return (summary, steps);
    }
    // A REST API's OPTIONS method (the ones SAM adds for `Cors` take the DefaultAuthorizer).
    if trace.preflight.is_none() && trace.method == "OPTIONS" && trace.flavor == Some(ApiKind::Rest)
    {
        steps.insert(
            0,
            "browsers send CORS preflights without credentials: set Auth.AddDefaultAuthorizerToCorsPreflight: false on the API (SAM then leaves the OPTIONS methods it adds for Cors open), or give the OPTIONS method Auth: {Authorizer: NONE}".into(),
        );
        return (
            format!(
                "This OPTIONS request met the authorizer; if it was a browser's CORS preflight, the browser reports a CORS error instead of this status. {summary}"
            ),
            steps,
        );
    }
    if trace.preflight != Some(crate::trace::Preflight::Routed) {
        return (summary, steps);
    }
    let route = trace.route.as_deref().unwrap_or("the route");
    steps.insert(
        0,
        format!(
            "add an OPTIONS route without an authorizer (an HttpApi event with Path /{{proxy+}}, Method OPTIONS and Auth: {{Authorizer: NONE}}), or put the authorizer on explicit routes instead of {route}"
        ),
    );
    (
        format!(
            "This was a CORS preflight, which browsers send without credentials: route {route} took it with its authorizer before the API's CorsConfiguration could answer, so the browser reports a CORS error instead of this status. {summary}"
        ),
        steps,
    )
}
