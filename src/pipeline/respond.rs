//! Stage `respond`: the one place that turns an outcome into the client's response.
//!
//! A [`Failure`] becomes the response API Gateway would send (gateway response types of
//! aws-semantics.md §7 with their default status codes, bodies and `x-amzn-ErrorType`, and
//! the fixed Lambda-proxy error bodies of §7.3); a proxy response becomes the backend's
//! response. The match over [`Cause`] has no catch-all arm, so a new cause does not build
//! until it is mapped here.

use bytes::Bytes;

use super::integrate::proxy_response::ProxyResponse;
use super::outcome::{Cause, Failure};

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

/// API Gateway's gateway response types (REST), with their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs, non_camel_case_types, clippy::upper_case_acronyms)]
pub enum GatewayResponseType {
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
}

impl GatewayResponseType {
    /// Every type, in the order of AWS's documentation.
    pub const ALL: [GatewayResponseType; 21] = {
        use GatewayResponseType::*;
        [
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
        ]
    };

    /// The type's name as written in templates and logs.
    pub fn name(self) -> &'static str {
        use GatewayResponseType::*;
        match self {
            ACCESS_DENIED => "ACCESS_DENIED",
            API_CONFIGURATION_ERROR => "API_CONFIGURATION_ERROR",
            AUTHORIZER_CONFIGURATION_ERROR => "AUTHORIZER_CONFIGURATION_ERROR",
            AUTHORIZER_FAILURE => "AUTHORIZER_FAILURE",
            BAD_REQUEST_PARAMETERS => "BAD_REQUEST_PARAMETERS",
            BAD_REQUEST_BODY => "BAD_REQUEST_BODY",
            DEFAULT_4XX => "DEFAULT_4XX",
            DEFAULT_5XX => "DEFAULT_5XX",
            EXPIRED_TOKEN => "EXPIRED_TOKEN",
            INTEGRATION_FAILURE => "INTEGRATION_FAILURE",
            INTEGRATION_TIMEOUT => "INTEGRATION_TIMEOUT",
            INVALID_API_KEY => "INVALID_API_KEY",
            INVALID_SIGNATURE => "INVALID_SIGNATURE",
            MISSING_AUTHENTICATION_TOKEN => "MISSING_AUTHENTICATION_TOKEN",
            QUOTA_EXCEEDED => "QUOTA_EXCEEDED",
            REQUEST_TOO_LARGE => "REQUEST_TOO_LARGE",
            RESOURCE_NOT_FOUND => "RESOURCE_NOT_FOUND",
            THROTTLED => "THROTTLED",
            UNAUTHORIZED => "UNAUTHORIZED",
            UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
            WAF_FILTERED => "WAF_FILTERED",
        }
    }

    /// Parse a type name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
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

fn json_response(status: u16, error_type: &str, body: &'static str) -> GatewayResponse {
    GatewayResponse {
        status,
        headers: vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("x-amzn-ErrorType".to_owned(), error_type.to_owned()),
        ],
        body: Bytes::from_static(body.as_bytes()),
    }
}

/// The gateway response type a failure maps to, if it is one (Lambda-proxy failures use
/// fixed bodies and are not gateway responses).
pub fn response_type(cause: Cause) -> Option<GatewayResponseType> {
    match cause {
        Cause::NoRoute => Some(GatewayResponseType::MISSING_AUTHENTICATION_TOKEN),
        Cause::IntegrationTimeout => Some(GatewayResponseType::INTEGRATION_TIMEOUT),
        Cause::RequestTooLarge => Some(GatewayResponseType::REQUEST_TOO_LARGE),
        Cause::HandlerError
        | Cause::HandlerCrash
        | Cause::HandlerTimeout
        | Cause::HandlerInitError
        | Cause::MalformedProxyResponse => None,
    }
}

/// The client response for a failure, byte for byte as AWS sends it (aws-semantics.md §7.3).
pub fn for_failure(failure: &Failure) -> GatewayResponse {
    match failure.cause {
        Cause::NoRoute => json_response(
            403,
            "MissingAuthenticationTokenException",
            r#"{"message":"Missing Authentication Token"}"#,
        ),
        Cause::HandlerError
        | Cause::HandlerCrash
        | Cause::HandlerTimeout
        | Cause::HandlerInitError
        | Cause::MalformedProxyResponse => json_response(
            502,
            "InternalServerErrorException",
            r#"{"message": "Internal server error"}"#,
        ),
        Cause::IntegrationTimeout => json_response(
            504,
            "InternalServerErrorException",
            r#"{"message": "Endpoint request timed out"}"#,
        ),
        Cause::RequestTooLarge => json_response(
            413,
            "RequestTooLargeException",
            r#"{"message":"Request Too Long"}"#,
        ),
    }
}

/// The client response for a well-formed proxy response. Without a `Content-Type` the
/// gateway answers `application/json`, as AWS does.
pub fn for_proxy(p: ProxyResponse) -> GatewayResponse {
    let mut headers = p.headers;
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    GatewayResponse {
        status: p.status,
        headers,
        body: Bytes::from(p.body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_one_types_round_trip_by_name() {
        for t in GatewayResponseType::ALL {
            assert_eq!(GatewayResponseType::from_name(t.name()), Some(t));
        }
        assert_eq!(GatewayResponseType::from_name("NOPE"), None);
    }

    #[test]
    fn bodies_are_byte_exact() {
        let r = for_failure(&Failure::new(Cause::HandlerError, "x"));
        assert_eq!(r.status, 502);
        assert_eq!(r.body.len(), 36);
        let r = for_failure(&Failure::new(Cause::IntegrationTimeout, "x"));
        assert_eq!(r.status, 504);
        assert_eq!(r.body.len(), 41);
        let r = for_failure(&Failure::new(Cause::NoRoute, "x"));
        assert_eq!(
            &r.body[..],
            br#"{"message":"Missing Authentication Token"}"#
        );
    }
}
