//! What a request's journey through the lifecycle ended in: the failing [`Layer`], the
//! [`Cause`] and its detail. Produced at each stage boundary, consumed by
//! [`crate::pipeline::respond`] (the one place that picks a client response), by the trace,
//! the diagnosis and `explain --log`. Below all of them, so that none depends on the pipeline
//! for its vocabulary.

use std::fmt;

/// The layer that produced a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Routing: no resource or method matched.
    Route,
    /// The Lambda authorizer.
    Authorizer,
    /// The integration itself (its timeout).
    Integration,
    /// The handler behind the integration.
    Backend,
    /// The gateway (request limits, its own errors).
    Gateway,
}

impl Layer {
    /// The layer of a token.
    pub fn from_token(token: &str) -> Option<Layer> {
        [
            Layer::Route,
            Layer::Authorizer,
            Layer::Integration,
            Layer::Backend,
            Layer::Gateway,
        ]
        .into_iter()
        .find(|l| l.as_str() == token)
    }

    /// The token used in headers and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Route => "route",
            Layer::Authorizer => "authorizer",
            Layer::Integration => "integration",
            Layer::Backend => "backend",
            Layer::Gateway => "gateway",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request did not reach a backend response. Each has a stable token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// No resource matches the path, or the resource lacks the method.
    NoRoute,
    /// An identity source is missing or empty (the authorizer was not invoked).
    IdentityMissing,
    /// The token failed `ValidationExpression` (the authorizer was not invoked).
    IdentityInvalid,
    /// The authorizer failed with exactly `Unauthorized`.
    AuthorizerUnauthorized,
    /// The authorizer raised any other error, or failed to initialise.
    AuthorizerError,
    /// The authorizer process exited during the invocation.
    AuthorizerCrash,
    /// The authorizer ran past its function's `Timeout`.
    AuthorizerTimeout,
    /// The authorizer's result is not a valid result (not JSON, unknown fields, no policy).
    AuthorizerMalformedResponse,
    /// The authorizer's `context` holds an object or array.
    AuthorizerInvalidContext,
    /// The authorizer ran out of memory.
    AuthorizerOutOfMemory,
    /// The policy explicitly denies the method ARN.
    PolicyExplicitDeny,
    /// The policy does not allow the method ARN.
    PolicyNotCovered,
    /// A cached policy, issued for another method ARN, does not allow this one.
    CachedPolicyNotCovered,
    /// An HTTP API authorizer's simple response said `"isAuthorized": false`.
    AuthorizerDenied,
    /// A JWT authorizer's token is not a JWT (segments, header, payload) or not RSA-signed.
    JwtMalformed,
    /// The token's signature does not verify with the issuer's key.
    JwtBadSignature,
    /// The issuer's JWKS has no key with the token's `kid`.
    JwtUnknownKid,
    /// The token's `exp` has passed.
    JwtExpired,
    /// The token's `nbf` or `iat` is in the future.
    JwtNotYetValid,
    /// The token's `iss` is not the configured issuer.
    JwtWrongIssuer,
    /// The token's `aud` (or `client_id`) is not a configured audience.
    JwtWrongAudience,
    /// The token has none of the route's authorization scopes (403 on HTTP APIs, 401 from
    /// a REST Cognito authorizer).
    JwtScopeMissing,
    /// A Cognito user pool token of the wrong kind: an access token where the method has no
    /// scopes (API Gateway then takes ID tokens only).
    JwtWrongTokenUse,
    /// The issuer's discovery document or JWKS could not be fetched.
    JwksUnreachable,
    /// An `AWS_IAM` route got a request without an `Authorization` header.
    IamSignatureMissing,
    /// The `Authorization` header is not a complete SigV4 header, or its credential scope,
    /// date or signed headers are not what API Gateway takes.
    IamSignatureIncomplete,
    /// The access key is not among the known credentials, or its session token is wrong.
    IamUnknownAccessKey,
    /// The SigV4 signature does not match the request.
    IamSignatureMismatch,
    /// The signature's date is more than 5 minutes from the gateway's clock.
    IamSignatureExpired,
    /// The handler raised an error.
    HandlerError,
    /// The handler process exited during the invocation.
    HandlerCrash,
    /// The handler ran past the function's `Timeout`.
    HandlerTimeout,
    /// The handler failed during init (import error, missing handler, bad bootstrap).
    HandlerInitError,
    /// The handler returned something that is not a valid proxy response.
    MalformedProxyResponse,
    /// The integration's function cannot run under glassgate (its runtime, a container
    /// image); the rest of the template is served.
    RuntimeUnsupported,
    /// The authorizer's function cannot run under glassgate; its routes are refused, never
    /// served open.
    AuthorizerRuntimeUnsupported,
    /// The integration timeout (29 s default, `TimeoutInMillis`) passed first.
    IntegrationTimeout,
    /// An `HTTP_PROXY` upstream cannot be reached (refused, no such host, a bad URL).
    UpstreamUnreachable,
    /// An `HTTP_PROXY` upstream did not answer within the integration timeout.
    UpstreamTimeout,
    /// The TLS handshake with an `HTTP_PROXY` upstream failed.
    UpstreamTls,
    /// An `HTTP_PROXY` upstream broke the exchange (closed mid-response, bad HTTP).
    UpstreamBroken,
    /// An `HTTP_PROXY` upstream answered a body larger than API Gateway's 10 MB payload
    /// limit; glassgate stops reading it there.
    UpstreamTooLarge,
    /// A `MOCK` integration's request template gives no integer `statusCode`, or no
    /// integration response takes the status.
    MockConfiguration,
    /// A mapping template of a `MOCK` or Lambda non-proxy integration could not be rendered
    /// (it uses what glassgate cannot evaluate, or passed the rendering's limits), or no
    /// integration response takes what the function answered.
    MappingTemplate,
    /// A mapping template reads the body as JSON (`$input.json`, `$input.path`) and the body
    /// is not JSON: 400, the request is refused before the integration runs.
    BodyNotJson,
    /// A non-proxy integration has no request template for the request's content type and
    /// its `passthroughBehavior` refuses to pass the body through: 415.
    UnsupportedMediaType,
    /// The route's integration type is not emulated by glassgate (non-proxy Lambda, HTTP,
    /// MOCK); the route answers 500 rather than a stand-in.
    IntegrationNotEmulated,
    /// The request body is larger than API Gateway accepts.
    RequestTooLarge,
    /// The request's header block is larger than API Gateway's 10 KB.
    HeadersTooLarge,
    /// The Lambda event would be larger than Lambda's 6 MB synchronous payload.
    LambdaPayloadTooLarge,
    /// The request body stopped arriving (no byte for the body timeout).
    BodyTimeout,
    /// The request body could not be read: bad chunked encoding, or the client closed the
    /// connection in the middle of it.
    BodyBroken,
    /// The gateway is already serving as many requests as it may hold at once
    /// (`--max-in-flight`), or the bodies being received already hold `--max-body-buffer`:
    /// refused at once, so that a flood cannot exhaust memory or the process pools.
    Overloaded,
    /// API Gateway could not invoke the authorizer (Lambda permission or role). Seen only in
    /// AWS execution logs (`explain --log`): locally every function can be invoked.
    AuthorizerPermission,
    /// API Gateway lacks permission to invoke the integration's function. AWS logs only.
    IntegrationPermission,
    /// Lambda throttled the invocation (429, `Rate Exceeded`). AWS logs only.
    Throttled,
}

impl Cause {
    /// Every cause.
    pub const ALL: [Cause; 56] = [
        Cause::NoRoute,
        Cause::IdentityMissing,
        Cause::IdentityInvalid,
        Cause::AuthorizerUnauthorized,
        Cause::AuthorizerError,
        Cause::AuthorizerCrash,
        Cause::AuthorizerTimeout,
        Cause::AuthorizerMalformedResponse,
        Cause::AuthorizerInvalidContext,
        Cause::AuthorizerOutOfMemory,
        Cause::PolicyExplicitDeny,
        Cause::PolicyNotCovered,
        Cause::CachedPolicyNotCovered,
        Cause::AuthorizerDenied,
        Cause::JwtMalformed,
        Cause::JwtBadSignature,
        Cause::JwtUnknownKid,
        Cause::JwtExpired,
        Cause::JwtNotYetValid,
        Cause::JwtWrongIssuer,
        Cause::JwtWrongAudience,
        Cause::JwtScopeMissing,
        Cause::JwtWrongTokenUse,
        Cause::JwksUnreachable,
        Cause::IamSignatureMissing,
        Cause::IamSignatureIncomplete,
        Cause::IamUnknownAccessKey,
        Cause::IamSignatureMismatch,
        Cause::IamSignatureExpired,
        Cause::HandlerError,
        Cause::HandlerCrash,
        Cause::HandlerTimeout,
        Cause::HandlerInitError,
        Cause::MalformedProxyResponse,
        Cause::RuntimeUnsupported,
        Cause::AuthorizerRuntimeUnsupported,
        Cause::IntegrationTimeout,
        Cause::UpstreamUnreachable,
        Cause::UpstreamTimeout,
        Cause::UpstreamTls,
        Cause::UpstreamBroken,
        Cause::UpstreamTooLarge,
        Cause::MockConfiguration,
        Cause::MappingTemplate,
        Cause::BodyNotJson,
        Cause::UnsupportedMediaType,
        Cause::IntegrationNotEmulated,
        Cause::RequestTooLarge,
        Cause::HeadersTooLarge,
        Cause::BodyTimeout,
        Cause::BodyBroken,
        Cause::Overloaded,
        Cause::LambdaPayloadTooLarge,
        Cause::AuthorizerPermission,
        Cause::IntegrationPermission,
        Cause::Throttled,
    ];

    /// The cause of a token.
    pub fn from_token(token: &str) -> Option<Cause> {
        Self::ALL.into_iter().find(|c| c.token() == token)
    }

    /// The token used in `x-glassgate-cause` and logs.
    pub fn token(self) -> &'static str {
        match self {
            Cause::NoRoute => "no-route",
            Cause::IdentityMissing => "identity-missing",
            Cause::IdentityInvalid => "identity-invalid",
            Cause::AuthorizerUnauthorized => "authorizer-unauthorized",
            Cause::AuthorizerError => "authorizer-error",
            Cause::AuthorizerCrash => "authorizer-crash",
            Cause::AuthorizerTimeout => "authorizer-timeout",
            Cause::AuthorizerMalformedResponse => "authorizer-malformed-response",
            Cause::AuthorizerInvalidContext => "authorizer-invalid-context",
            Cause::AuthorizerOutOfMemory => "authorizer-out-of-memory",
            Cause::PolicyExplicitDeny => "policy-explicit-deny",
            Cause::PolicyNotCovered => "policy-not-covered",
            Cause::CachedPolicyNotCovered => "cached-policy-not-covered",
            Cause::AuthorizerDenied => "authorizer-denied",
            Cause::JwtMalformed => "jwt-malformed",
            Cause::JwtBadSignature => "jwt-bad-signature",
            Cause::JwtUnknownKid => "jwt-unknown-kid",
            Cause::JwtExpired => "jwt-expired",
            Cause::JwtNotYetValid => "jwt-not-yet-valid",
            Cause::JwtWrongIssuer => "jwt-wrong-issuer",
            Cause::JwtWrongAudience => "jwt-wrong-audience",
            Cause::JwtScopeMissing => "jwt-scope-missing",
            Cause::JwtWrongTokenUse => "jwt-wrong-token-use",
            Cause::IamSignatureMissing => "iam-signature-missing",
            Cause::IamSignatureIncomplete => "iam-signature-incomplete",
            Cause::IamUnknownAccessKey => "iam-unknown-access-key",
            Cause::IamSignatureMismatch => "iam-signature-mismatch",
            Cause::IamSignatureExpired => "iam-signature-expired",
            Cause::JwksUnreachable => "jwks-unreachable",
            Cause::HandlerError => "handler-error",
            Cause::HandlerCrash => "handler-crash",
            Cause::HandlerTimeout => "handler-timeout",
            Cause::HandlerInitError => "handler-init-error",
            Cause::MalformedProxyResponse => "malformed-proxy-response",
            Cause::RuntimeUnsupported => "runtime-unsupported",
            Cause::AuthorizerRuntimeUnsupported => "authorizer-runtime-unsupported",
            Cause::IntegrationTimeout => "integration-timeout",
            Cause::IntegrationNotEmulated => "integration-not-emulated",
            Cause::UpstreamUnreachable => "upstream-unreachable",
            Cause::UpstreamTimeout => "upstream-timeout",
            Cause::UpstreamTls => "upstream-tls",
            Cause::UpstreamBroken => "upstream-broken",
            Cause::UpstreamTooLarge => "upstream-too-large",
            Cause::MockConfiguration => "mock-configuration",
            Cause::MappingTemplate => "mapping-template",
            Cause::BodyNotJson => "body-not-json",
            Cause::UnsupportedMediaType => "unsupported-media-type",
            Cause::RequestTooLarge => "request-too-large",
            Cause::HeadersTooLarge => "headers-too-large",
            Cause::BodyTimeout => "body-timeout",
            Cause::BodyBroken => "body-broken",
            Cause::Overloaded => "gateway-overloaded",
            Cause::LambdaPayloadTooLarge => "lambda-payload-too-large",
            Cause::AuthorizerPermission => "authorizer-permission",
            Cause::IntegrationPermission => "integration-permission",
            Cause::Throttled => "throttled",
        }
    }

    /// The layer a cause belongs to.
    pub fn layer(self) -> Layer {
        match self {
            Cause::NoRoute => Layer::Route,
            Cause::IdentityMissing
            | Cause::IdentityInvalid
            | Cause::AuthorizerUnauthorized
            | Cause::AuthorizerError
            | Cause::AuthorizerCrash
            | Cause::AuthorizerTimeout
            | Cause::AuthorizerMalformedResponse
            | Cause::AuthorizerInvalidContext
            | Cause::AuthorizerOutOfMemory
            | Cause::PolicyExplicitDeny
            | Cause::PolicyNotCovered
            | Cause::CachedPolicyNotCovered
            | Cause::AuthorizerDenied
            | Cause::JwtMalformed
            | Cause::JwtBadSignature
            | Cause::JwtUnknownKid
            | Cause::JwtExpired
            | Cause::JwtNotYetValid
            | Cause::JwtWrongIssuer
            | Cause::JwtWrongAudience
            | Cause::JwtScopeMissing
            | Cause::JwtWrongTokenUse
            | Cause::JwksUnreachable
            | Cause::IamSignatureMissing
            | Cause::IamSignatureIncomplete
            | Cause::IamUnknownAccessKey
            | Cause::IamSignatureMismatch
            | Cause::IamSignatureExpired
            | Cause::AuthorizerRuntimeUnsupported
            | Cause::AuthorizerPermission => Layer::Authorizer,
            Cause::HandlerError
            | Cause::HandlerCrash
            | Cause::HandlerTimeout
            | Cause::HandlerInitError
            | Cause::MalformedProxyResponse
            | Cause::RuntimeUnsupported => Layer::Backend,
            Cause::IntegrationTimeout
            | Cause::UpstreamUnreachable
            | Cause::UpstreamTimeout
            | Cause::UpstreamTls
            | Cause::UpstreamBroken
            | Cause::UpstreamTooLarge
            | Cause::MockConfiguration
            | Cause::MappingTemplate
            | Cause::BodyNotJson
            | Cause::UnsupportedMediaType
            | Cause::LambdaPayloadTooLarge
            | Cause::IntegrationPermission
            | Cause::Throttled
            | Cause::IntegrationNotEmulated => Layer::Integration,
            Cause::RequestTooLarge
            | Cause::HeadersTooLarge
            | Cause::BodyTimeout
            | Cause::BodyBroken
            | Cause::Overloaded => Layer::Gateway,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// A failed request: the cause and what we know about it, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The layer at fault.
    pub layer: Layer,
    /// The cause.
    pub cause: Cause,
    /// What happened, for the diagnosis.
    pub detail: String,
    /// The authorizer's principal and context when a well-formed result denied the request
    /// (gateway response templates can use them as `$context.authorizer.*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_context: Option<Box<indexmap::IndexMap<String, String>>>,
    /// The `www-authenticate` header a JWT authorizer's refusal carries (boxed: a failure
    /// travels in every `Result` of the lifecycle, so it stays small).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<Box<str>>,
    /// The `message` of the body when AWS's depends on the request (an `AWS_IAM` refusal
    /// names the date or the canonical request); `None` for the cause's fixed body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Box<str>>,
}

impl Failure {
    /// A failure of the given cause (its layer follows from it).
    pub fn new(cause: Cause, detail: impl Into<String>) -> Self {
        Failure {
            layer: cause.layer(),
            cause,
            detail: detail.into(),
            authorizer_context: None,
            www_authenticate: None,
            message: None,
        }
    }
}
