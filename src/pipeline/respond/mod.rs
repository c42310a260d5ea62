//! Stage `respond`: the one place that turns an outcome into the client's response.
//!
//! A [`Failure`] becomes the response API Gateway would send (gateway response types of
//! aws-semantics.md §7 with their default status codes, bodies and `x-amzn-ErrorType`, and
//! the fixed Lambda-proxy error bodies of §7.3); a proxy response becomes the backend's
//! response. The match over [`Cause`] has no catch-all arm, so a new cause does not build
//! until it is mapped here. REST's tables are here; an HTTP API's fixed answers are in
//! `http.rs`.

mod http;

use bytes::Bytes;
use indexmap::IndexMap;

use super::integrate::proxy_response::ProxyResponse;
use super::request::GatewayRequest;
use crate::model::{Api, ApiKind, PayloadVersion};
use crate::outcome::{Cause, Failure};

/// A response ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponse {
    /// Status code.
    pub status: u16,
    /// Headers in order (the gateway's own ids are added by the server).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
}

/// Declares the gateway response types once: the enum, the list and the names.
macro_rules! gateway_response_types {
    ($($name:ident),+ $(,)?) => {
        /// API Gateway's gateway response types (REST), with their defaults.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs, non_camel_case_types, clippy::upper_case_acronyms)]
        pub enum GatewayResponseType {
            $($name),+
        }

        impl GatewayResponseType {
            /// Every type, in the order of AWS's documentation.
            pub const ALL: &'static [GatewayResponseType] = &[$(GatewayResponseType::$name),+];

            /// The type's name as written in templates and logs.
            pub fn name(self) -> &'static str {
                match self {
                    $(GatewayResponseType::$name => stringify!($name)),+
                }
            }
        }
    };
}

gateway_response_types!(
    ACCESS_DENIED,
    API_CONFIGURATION_ERROR,
    AUTHORIZER_CONFIGURATION_ERROR,
    AUTHORIZER_FAILURE,
    BAD_REQUEST_PARAMETERS,
    BAD_REQUEST_BODY,
    DEFAULT_4XX,
    DEFAULT_5XX,
    EXPIRED_TOKEN,
    INTEGRATION_FAILURE,
    INTEGRATION_TIMEOUT,
    INVALID_API_KEY,
    INVALID_SIGNATURE,
    MISSING_AUTHENTICATION_TOKEN,
    QUOTA_EXCEEDED,
    REQUEST_TOO_LARGE,
    RESOURCE_NOT_FOUND,
    THROTTLED,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
    WAF_FILTERED,
);

impl GatewayResponseType {
    /// Parse a type name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// Default status code (`None` for DEFAULT_4XX/5XX, which have none).
    pub fn default_status(self) -> Option<u16> {
        use GatewayResponseType::*;
        Some(match self {
            ACCESS_DENIED
            | EXPIRED_TOKEN
            | INVALID_API_KEY
            | INVALID_SIGNATURE
            | MISSING_AUTHENTICATION_TOKEN
            | WAF_FILTERED => 403,
            API_CONFIGURATION_ERROR | AUTHORIZER_CONFIGURATION_ERROR | AUTHORIZER_FAILURE => 500,
            BAD_REQUEST_PARAMETERS | BAD_REQUEST_BODY => 400,
            DEFAULT_4XX | DEFAULT_5XX => return None,
            INTEGRATION_FAILURE | INTEGRATION_TIMEOUT => 504,
            QUOTA_EXCEEDED | THROTTLED => 429,
            REQUEST_TOO_LARGE => 413,
            RESOURCE_NOT_FOUND => 404,
            UNAUTHORIZED => 401,
            UNSUPPORTED_MEDIA_TYPE => 415,
        })
    }

    /// The `x-amzn-ErrorType` AWS sends with this type (observed or, where marked in
    /// aws-semantics.md §7.1, taken from peers).
    pub fn error_type(self) -> Option<&'static str> {
        use GatewayResponseType::*;
        Some(match self {
            ACCESS_DENIED => "AccessDeniedException",
            API_CONFIGURATION_ERROR => "InternalServerErrorException",
            AUTHORIZER_CONFIGURATION_ERROR => "AuthorizerConfigurationException",
            AUTHORIZER_FAILURE => "AuthorizerFailureException",
            BAD_REQUEST_PARAMETERS | BAD_REQUEST_BODY | UNSUPPORTED_MEDIA_TYPE => {
                "BadRequestException"
            }
            DEFAULT_4XX | DEFAULT_5XX => return None,
            EXPIRED_TOKEN => "ExpiredTokenException",
            INTEGRATION_FAILURE | INTEGRATION_TIMEOUT => "InternalServerErrorException",
            INVALID_API_KEY => "ForbiddenException",
            INVALID_SIGNATURE => "InvalidSignatureException",
            MISSING_AUTHENTICATION_TOKEN => "MissingAuthenticationTokenException",
            QUOTA_EXCEEDED => "LimitExceededException",
            REQUEST_TOO_LARGE => "RequestTooLargeException",
            RESOURCE_NOT_FOUND => "ResourceNotFoundException",
            THROTTLED => "TooManyRequestsException",
            UNAUTHORIZED => "UnauthorizedException",
            WAF_FILTERED => "WafFilteredException",
        })
    }
}

/// The built-in response of a cause: its gateway response type (if it is one), status,
/// `x-amzn-ErrorType`, exact default body, and `$context.error.message`.
struct Builtin {
    rtype: Option<GatewayResponseType>,
    status: u16,
    error_type: &'static str,
    body: &'static str,
    message: Option<&'static str>,
}

fn builtin(cause: Cause) -> Builtin {
    use GatewayResponseType as T;
    let b = |rtype, status, error_type, body, message| Builtin {
        rtype,
        status,
        error_type,
        body,
        message,
    };
    match cause {
        // An unsigned request to an AWS_IAM method gets the routing miss's answer
        // (docs/iam-authorization.md).
        Cause::NoRoute | Cause::IamSignatureMissing => b(
            Some(T::MISSING_AUTHENTICATION_TOKEN),
            403,
            "MissingAuthenticationTokenException",
            r#"{"message":"Missing Authentication Token"}"#,
            Some("Missing Authentication Token"),
        ),
        // On REST the JWT causes come from Cognito user pool authorizers, which refuse every
        // token they do not take with 401, missing scopes included (docs/cognito-user-pools.md).
        Cause::IdentityMissing
        | Cause::IdentityInvalid
        | Cause::AuthorizerUnauthorized
        | Cause::JwtMalformed
        | Cause::JwtBadSignature
        | Cause::JwtUnknownKid
        | Cause::JwtNotYetValid
        | Cause::JwtWrongIssuer
        | Cause::JwtWrongAudience
        | Cause::JwtScopeMissing
        | Cause::JwtWrongTokenUse
        | Cause::JwksUnreachable => b(
            Some(T::UNAUTHORIZED),
            401,
            "UnauthorizedException",
            r#"{"message":"Unauthorized"}"#,
            Some("Unauthorized"),
        ),
        Cause::AuthorizerError
        | Cause::AuthorizerPermission
        | Cause::AuthorizerCrash
        | Cause::AuthorizerTimeout
        | Cause::AuthorizerMalformedResponse
        | Cause::AuthorizerInvalidContext
        | Cause::AuthorizerOutOfMemory
        | Cause::AuthorizerRuntimeUnsupported => b(
            Some(T::AUTHORIZER_CONFIGURATION_ERROR),
            500,
            "AuthorizerConfigurationException",
            r#"{"message":null}"#,
            None,
        ),
        // The capital `Message` is what AWS really sends (aws-semantics.md §5.1).
        Cause::PolicyExplicitDeny => b(
            Some(T::ACCESS_DENIED),
            403,
            "AccessDeniedException",
            r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#,
            Some("User is not authorized to access this resource with an explicit deny"),
        ),
        // The UNAUTHORIZED response with Cognito's own message for an expired token.
        Cause::JwtExpired => b(
            Some(T::UNAUTHORIZED),
            401,
            "UnauthorizedException",
            r#"{"message":"The incoming token has expired"}"#,
            Some("The incoming token has expired"),
        ),
        // `AuthorizerDenied` comes from HTTP API simple responses only; REST would deny alike.
        Cause::PolicyNotCovered | Cause::CachedPolicyNotCovered | Cause::AuthorizerDenied => b(
            Some(T::ACCESS_DENIED),
            403,
            "AccessDeniedException",
            r#"{"Message":"User is not authorized to access this resource"}"#,
            Some("User is not authorized to access this resource"),
        ),
        // Lambda proxy failures answer a fixed body; they are not gateway responses.
        Cause::HandlerError
        | Cause::HandlerCrash
        | Cause::HandlerTimeout
        | Cause::HandlerInitError
        | Cause::MalformedProxyResponse
        | Cause::RuntimeUnsupported => b(
            None,
            502,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
            Some("Internal server error"),
        ),
        // An HTTP upstream's network or TLS failure is INTEGRATION_FAILURE, whose documented
        // status is 504 (aws-semantics.md §8.4, §7.1). What AWS answers for a body above the
        // 10 MB payload limit is not documented; it is taken as the same failure.
        Cause::UpstreamUnreachable
        | Cause::UpstreamTls
        | Cause::UpstreamBroken
        | Cause::UpstreamTooLarge => b(
            Some(T::INTEGRATION_FAILURE),
            504,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
            Some("Internal server error"),
        ),
        Cause::IntegrationTimeout | Cause::UpstreamTimeout => b(
            Some(T::INTEGRATION_TIMEOUT),
            504,
            "InternalServerErrorException",
            r#"{"message": "Endpoint request timed out"}"#,
            Some("Endpoint request timed out"),
        ),
        // API Gateway's own failure to call Lambda (aws-semantics.md §8.3); and glassgate's
        // for an integration it cannot run, answered like one.
        Cause::IntegrationPermission
        | Cause::Throttled
        | Cause::IntegrationNotEmulated
        | Cause::MockConfiguration
        | Cause::MappingTemplate => b(
            None,
            500,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
            Some("Internal server error"),
        ),
        // The IAM refusals' messages name the request (its dates, its canonical form): the
        // failure carries them, these bodies are only the shape.
        Cause::IamSignatureIncomplete => b(
            Some(T::INVALID_SIGNATURE),
            403,
            "IncompleteSignatureException",
            r#"{"message":"Authorization header requires 'Credential' parameter."}"#,
            None,
        ),
        Cause::IamSignatureMismatch | Cause::IamSignatureExpired => b(
            Some(T::INVALID_SIGNATURE),
            403,
            "InvalidSignatureException",
            r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#,
            None,
        ),
        Cause::IamUnknownAccessKey => b(
            Some(T::ACCESS_DENIED),
            403,
            "AccessDeniedException",
            r#"{"message":"The security token included in the request is invalid."}"#,
            Some("The security token included in the request is invalid."),
        ),
        // A REST API whose Lambda event passes Lambda's 6 MB (a capture: koki-develop/
        // lgtm-generator#10): 413 with this body and error type.
        Cause::LambdaPayloadTooLarge => b(
            None,
            413,
            "BadRequestException",
            r#"{"message": "Request Too Long"}"#,
            Some("Request Too Long"),
        ),
        // No capture of API Gateway refusing either exists; the edge's statuses, AWS's style.
        Cause::HeadersTooLarge => b(
            None,
            431,
            "RequestHeaderFieldsTooLargeException",
            r#"{"message":"Request Header Fields Too Large"}"#,
            Some("Request Header Fields Too Large"),
        ),
        // glassgate's own back-pressure (AWS's would be a throttle): 503, AWS's style.
        Cause::Overloaded => b(
            None,
            503,
            "ServiceUnavailableException",
            r#"{"message":"Service Unavailable"}"#,
            Some("Service Unavailable"),
        ),
        Cause::BodyBroken => b(
            None,
            400,
            "BadRequestException",
            r#"{"message":"Bad Request"}"#,
            Some("Bad Request"),
        ),
        Cause::BodyTimeout => b(
            None,
            408,
            "RequestTimeoutException",
            r#"{"message":"Request Timeout"}"#,
            Some("Request Timeout"),
        ),
        // Unverified: API Gateway's message for a body a template cannot read as JSON starts
        // so and goes on with the JSON parser's own words, which glassgate puts in the
        // failure's detail instead.
        Cause::BodyNotJson => b(
            None,
            400,
            "BadRequestException",
            r#"{"message": "Could not parse request body into json"}"#,
            Some("Could not parse request body into json"),
        ),
        Cause::UnsupportedMediaType => b(
            Some(T::UNSUPPORTED_MEDIA_TYPE),
            415,
            "UnsupportedMediaTypeException",
            r#"{"message": "Unsupported Media Type"}"#,
            Some("Unsupported Media Type"),
        ),
        Cause::RequestTooLarge => b(
            Some(T::REQUEST_TOO_LARGE),
            413,
            "RequestTooLargeException",
            r#"{"message":"Request Too Long"}"#,
            Some("Request Too Long"),
        ),
    }
}

/// The gateway response type a failure maps to, if it is one (Lambda-proxy failures use
/// fixed bodies and are not gateway responses).
pub fn response_type(cause: Cause) -> Option<GatewayResponseType> {
    builtin(cause).rtype
}

/// The status AWS answers for a cause by default.
pub fn default_status(cause: Cause) -> u16 {
    builtin(cause).status
}

/// What a customised gateway response may refer to.
#[derive(Default)]
pub struct ResponseContext<'a> {
    /// The request.
    pub request: Option<&'a GatewayRequest>,
    /// The API that matched, if any (its customisations and stage variables apply).
    pub api: Option<&'a Api>,
    /// The matched resource template.
    pub resource: Option<&'a str>,
    /// Path variables.
    pub path_params: Option<&'a IndexMap<String, String>>,
}

/// The client response for a failure: AWS's default, byte for byte (aws-semantics.md §7.3),
/// or the API's customisation of its gateway response type (exact type first, then
/// DEFAULT_4XX / DEFAULT_5XX by status class).
pub fn for_failure(failure: &Failure, ctx: &ResponseContext<'_>) -> GatewayResponse {
    if ctx.api.is_some_and(|a| a.flavor.kind() == ApiKind::Http) {
        let (status, body) = http::fixed(failure.cause);
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        if let Some(w) = &failure.www_authenticate {
            headers.push(("www-authenticate".to_owned(), w.to_string()));
        }
        return GatewayResponse {
            status,
            headers,
            body: Bytes::from_static(body.as_bytes()),
        };
    }
    let b = builtin(failure.cause);
    let custom = match (b.rtype, ctx.api.and_then(Api::gateway_responses)) {
        (Some(t), Some(responses)) => responses.get(t.name()).or_else(|| {
            let class = if b.status >= 500 {
                "DEFAULT_5XX"
            } else {
                "DEFAULT_4XX"
            };
            responses.get(class)
        }),
        _ => None,
    };
    // A message that names the request replaces the fixed one, in the default body and in
    // `$context.error.message` alike.
    let message = failure.message.as_deref().or(b.message);
    let default_body = || match &failure.message {
        Some(m) => Bytes::from(serde_json::json!({ "message": &**m }).to_string()),
        None => Bytes::from_static(b.body.as_bytes()),
    };
    let Some(spec) = custom else {
        return GatewayResponse {
            status: b.status,
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("x-amzn-ErrorType".to_owned(), b.error_type.to_owned()),
            ],
            body: default_body(),
        };
    };
    let rtype = b.rtype.map(GatewayResponseType::name).unwrap_or_default();
    let template = spec
        .templates
        .get_key_value("application/json")
        .or_else(|| spec.templates.first());
    let (content_type, body) = match template {
        Some((ct, t)) => (
            ct.clone(),
            Bytes::from(render(t, failure, rtype, message, ctx)),
        ),
        None => ("application/json".to_owned(), default_body()),
    };
    let mut headers = vec![
        ("Content-Type".to_owned(), content_type),
        ("x-amzn-ErrorType".to_owned(), b.error_type.to_owned()),
    ];
    for (name, expr) in &spec.headers {
        if let Some(v) = header_value(expr, ctx) {
            if let Some(pos) = headers
                .iter()
                .position(|(k, _)| k.eq_ignore_ascii_case(name))
            {
                headers.remove(pos);
            }
            headers.push((name.clone(), v));
        }
    }
    GatewayResponse {
        status: spec.status.unwrap_or(b.status),
        headers,
        body,
    }
}

/// A header value expression: `'static'` or `method.request.{header|querystring|path}.X`.
pub(crate) fn header_value(expr: &str, ctx: &ResponseContext<'_>) -> Option<String> {
    let e = expr.trim();
    if let Some(s) = e.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(s.to_owned());
    }
    let req = ctx.request?;
    if let Some(h) = e.strip_prefix("method.request.header.") {
        return req.header(h).map(str::to_owned);
    }
    if let Some(q) = e.strip_prefix("method.request.querystring.") {
        return req.query_params().single.as_ref()?.get(q).cloned();
    }
    if let Some(p) = e.strip_prefix("method.request.path.") {
        return ctx.path_params.and_then(|m| m.get(p).cloned());
    }
    // An unquoted literal: API Gateway requires quotes, but taking it as written is kinder
    // than dropping it.
    Some(e.to_owned())
}

fn context_var(
    name: &str,
    failure: &Failure,
    rtype: &str,
    message: Option<&str>,
    ctx: &ResponseContext<'_>,
) -> String {
    let req = ctx.request;
    match name {
        "error.message" => message.unwrap_or_default().to_owned(),
        "error.messageString" => message
            .map(|m| serde_json::Value::from(m).to_string())
            .unwrap_or_else(|| "null".to_owned()),
        "error.responseType" => rtype.to_owned(),
        "error.validationErrorString" => String::new(),
        "requestId" => req.map(|r| r.request_id.clone()).unwrap_or_default(),
        "extendedRequestId" => req
            .map(|r| r.extended_request_id.clone())
            .unwrap_or_default(),
        "httpMethod" => req.map(|r| r.method.clone()).unwrap_or_default(),
        "path" => match (req, ctx.api) {
            (Some(r), Some(a)) => format!("/{}{}", a.stage, r.path),
            (Some(r), None) => r.path.clone(),
            _ => String::new(),
        },
        "resourcePath" => ctx.resource.unwrap_or_default().to_owned(),
        "stage" => ctx.api.map(|a| a.stage.clone()).unwrap_or_default(),
        "apiId" => ctx.api.map(|a| a.api_id.clone()).unwrap_or_default(),
        "domainName" => req
            .and_then(|r| r.header("host"))
            .unwrap_or("localhost")
            .to_owned(),
        "identity.sourceIp" => req.map(|r| r.source_ip.to_string()).unwrap_or_default(),
        "identity.userAgent" => req
            .and_then(|r| r.header("user-agent"))
            .unwrap_or_default()
            .to_owned(),
        other => match other.strip_prefix("authorizer.") {
            Some(key) => failure
                .authorizer_context
                .as_ref()
                .and_then(|c| c.get(key).cloned())
                .unwrap_or_default(),
            None => String::new(),
        },
    }
}

/// Substitute `$context.*` and `$stageVariables.*` in a response template (API Gateway's
/// gateway response templates are plain substitution, not VTL). Unknown variables render
/// empty.
fn render(
    template: &str,
    failure: &Failure,
    rtype: &str,
    message: Option<&str>,
    ctx: &ResponseContext<'_>,
) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (braced, body) = match after.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .unwrap_or(body.len());
        let mut name = &body[..len];
        // A sentence-ending dot is not part of the variable.
        while let Some(n) = name.strip_suffix('.') {
            name = n;
        }
        let closes = !braced || body[name.len()..].starts_with('}');
        let value = if let Some(v) = name.strip_prefix("context.") {
            Some(context_var(v, failure, rtype, message, ctx))
        } else {
            name.strip_prefix("stageVariables.").map(|v| {
                ctx.api
                    .and_then(|a| a.stage_variables.get(v).cloned())
                    .unwrap_or_default()
            })
        };
        match value {
            Some(v) if closes => {
                out.push_str(&v);
                let consumed = name.len() + if braced { 2 } else { 0 };
                rest = &after[consumed..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The client response for a well-formed proxy response.
///
/// Payload 1.0 gets AWS's default `Content-Type: application/json` when the function sends
/// none; payload 2.0 gets exactly the function's headers.
pub fn for_proxy(p: ProxyResponse, payload: PayloadVersion) -> GatewayResponse {
    let mut headers = p.headers;
    if payload == PayloadVersion::V1
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    GatewayResponse {
        status: p.status,
        headers,
        body: p.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_one_types_round_trip_by_name() {
        assert_eq!(GatewayResponseType::ALL.len(), 21);
        for t in GatewayResponseType::ALL {
            assert_eq!(GatewayResponseType::from_name(t.name()), Some(*t));
        }
        assert_eq!(GatewayResponseType::from_name("NOPE"), None);
    }

    fn api(responses: &[(&str, crate::model::GatewayResponseSpec)]) -> Api {
        Api {
            logical_id: "Api".into(),
            api_id: "abcdefghij".into(),
            stage: "dev".into(),
            stage_variables: [("team".to_owned(), "blue".to_owned())]
                .into_iter()
                .collect(),
            routes: vec![],
            authorizers: IndexMap::new(),
            flavor: crate::model::Flavor::Rest {
                gateway_responses: responses
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect(),
            },
            access_log: None,
        }
    }

    fn request() -> GatewayRequest {
        let mut r =
            GatewayRequest::local("GET", "/pets?q=1", [("Origin", "https://app.example")], "");
        r.request_id = "req-1".into();
        r.extended_request_id = "ext".into();
        r
    }

    fn spec(
        status: Option<u16>,
        headers: &[(&str, &str)],
        template: Option<&str>,
    ) -> crate::model::GatewayResponseSpec {
        crate::model::GatewayResponseSpec {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            templates: template
                .map(|t| ("application/json".to_owned(), t.to_owned()))
                .into_iter()
                .collect(),
        }
    }

    fn header<'a>(r: &'a GatewayResponse, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn customised_type_renders_template_headers_and_status() {
        let api = api(&[(
            "UNAUTHORIZED",
            spec(
                Some(418),
                &[
                    ("Access-Control-Allow-Origin", "'*'"),
                    ("X-Origin", "method.request.header.origin"),
                    ("X-Q", "method.request.querystring.q"),
                ],
                Some(
                    r#"{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId","team":"$stageVariables.team"}"#,
                ),
            ),
        )]);
        let req = request();
        let ctx = ResponseContext {
            request: Some(&req),
            api: Some(&api),
            ..Default::default()
        };
        let r = for_failure(&Failure::new(Cause::IdentityMissing, "x"), &ctx);
        assert_eq!(r.status, 418);
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            r#"{"error":"Unauthorized","type":"UNAUTHORIZED","id":"req-1","team":"blue"}"#
        );
        assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
        assert_eq!(header(&r, "x-origin"), Some("https://app.example"));
        assert_eq!(header(&r, "x-q"), Some("1"));
        assert_eq!(
            header(&r, "x-amzn-errortype"),
            Some("UnauthorizedException")
        );
    }

    #[test]
    fn default_class_applies_to_uncustomised_types() {
        let api = api(&[
            (
                "DEFAULT_4XX",
                spec(None, &[("Access-Control-Allow-Origin", "'*'")], None),
            ),
            (
                "DEFAULT_5XX",
                spec(
                    Some(503),
                    &[],
                    Some(r#"{"m":$context.error.messageString}"#),
                ),
            ),
        ]);
        let req = request();
        let ctx = ResponseContext {
            request: Some(&req),
            api: Some(&api),
            ..Default::default()
        };
        // Headers only: the default body stays.
        let r = for_failure(&Failure::new(Cause::PolicyNotCovered, "x"), &ctx);
        assert_eq!(r.status, 403);
        assert_eq!(
            &r.body[..],
            br#"{"Message":"User is not authorized to access this resource"}"#
        );
        assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
        // The 5XX class: an absent message renders as null.
        let r = for_failure(&Failure::new(Cause::AuthorizerCrash, "x"), &ctx);
        assert_eq!(r.status, 503);
        assert_eq!(&r.body[..], br#"{"m":null}"#);
        // Lambda proxy failures are not gateway responses.
        let r = for_failure(&Failure::new(Cause::HandlerError, "x"), &ctx);
        assert_eq!(r.status, 502);
    }

    #[test]
    fn authorizer_context_reaches_deny_templates() {
        let api = api(&[(
            "ACCESS_DENIED",
            spec(
                None,
                &[],
                Some(
                    r#"{"reason":"$context.authorizer.reason","who":"$context.authorizer.principalId","msg":"$context.error.message"}"#,
                ),
            ),
        )]);
        let req = request();
        let ctx = ResponseContext {
            request: Some(&req),
            api: Some(&api),
            ..Default::default()
        };
        let mut f = Failure::new(Cause::PolicyExplicitDeny, "x");
        f.authorizer_context = Some(Box::new(
            [
                ("reason".to_owned(), "suspended".to_owned()),
                ("principalId".to_owned(), "u1".to_owned()),
            ]
            .into_iter()
            .collect(),
        ));
        let r = for_failure(&f, &ctx);
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            r#"{"reason":"suspended","who":"u1","msg":"User is not authorized to access this resource with an explicit deny"}"#
        );
    }

    #[test]
    fn templates_leave_unknown_dollars_alone() {
        let f = Failure::new(Cause::NoRoute, "x");
        let ctx = ResponseContext::default();
        assert_eq!(
            render("cost: $5 and $other.x", &f, "T", None, &ctx),
            "cost: $5 and $other.x"
        );
        assert_eq!(
            render("${context.error.responseType}.", &f, "T", None, &ctx),
            "T."
        );
        assert_eq!(render("$context.nope|", &f, "T", None, &ctx), "|");
    }

    #[test]
    fn bodies_are_byte_exact() {
        let none = ResponseContext::default();
        let r = for_failure(&Failure::new(Cause::HandlerError, "x"), &none);
        assert_eq!(r.status, 502);
        assert_eq!(r.body.len(), 36);
        let r = for_failure(&Failure::new(Cause::IntegrationTimeout, "x"), &none);
        assert_eq!(r.status, 504);
        assert_eq!(r.body.len(), 41);
        let r = for_failure(&Failure::new(Cause::PolicyExplicitDeny, "x"), &none);
        assert_eq!(r.body.len(), 82);
        let r = for_failure(&Failure::new(Cause::PolicyNotCovered, "x"), &none);
        assert_eq!(r.body.len(), 60);
        let r = for_failure(&Failure::new(Cause::AuthorizerCrash, "x"), &none);
        assert_eq!((r.status, &r.body[..]), (500, &br#"{"message":null}"#[..]));
        let r = for_failure(&Failure::new(Cause::IdentityMissing, "x"), &none);
        assert_eq!(r.body.len(), 26);
        let r = for_failure(&Failure::new(Cause::NoRoute, "x"), &none);
        assert_eq!(
            &r.body[..],
            br#"{"message":"Missing Authentication Token"}"#
        );
    }
}
