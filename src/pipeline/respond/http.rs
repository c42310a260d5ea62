//! What an HTTP API answers when it fails a request itself (aws-httpapi-semantics.md §1.3):
//! fixed compact bodies with Title-Case texts, no gateway-response customisation, no
//! `x-amzn-ErrorType`.

use crate::outcome::Cause;

/// Status and body for a failure on an HTTP API.
pub(super) fn fixed(cause: Cause) -> (u16, &'static str) {
    const NOT_FOUND: &str = r#"{"message":"Not Found"}"#;
    const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;
    const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;
    const INTERNAL: &str = r#"{"message":"Internal Server Error"}"#;
    const UNAVAILABLE: &str = r#"{"message":"Service Unavailable"}"#;
    // Unverified on AWS (no capture of an oversized request to an HTTP API).
    const TOO_LARGE: &str = r#"{"message":"Request Entity Too Large"}"#;
    match cause {
        Cause::NoRoute => (404, NOT_FOUND),
        Cause::IdentityMissing
        | Cause::IdentityInvalid
        | Cause::AuthorizerUnauthorized
        | Cause::JwtMalformed
        | Cause::JwtBadSignature
        | Cause::JwtUnknownKid
        | Cause::JwtExpired
        | Cause::JwtNotYetValid
        | Cause::JwtWrongIssuer
        | Cause::JwtWrongAudience
        | Cause::JwtWrongTokenUse
        // Unverified: AWS's answer when the keys cannot be fetched is not captured; a
        // token that cannot be checked is refused like a bad one.
        | Cause::JwksUnreachable => (401, UNAUTHORIZED),
        Cause::PolicyExplicitDeny
        | Cause::PolicyNotCovered
        | Cause::CachedPolicyNotCovered
        | Cause::AuthorizerDenied
        | Cause::JwtScopeMissing
        // Unverified: HTTP APIs are taken to answer every IAM refusal with their plain 403
        // (docs/iam-authorization.md); the cause header says which it was.
        | Cause::IamSignatureMissing
        | Cause::IamSignatureIncomplete
        | Cause::IamUnknownAccessKey
        | Cause::IamSignatureMismatch
        | Cause::IamSignatureExpired => (403, FORBIDDEN),
        Cause::AuthorizerError
        | Cause::AuthorizerPermission
        | Cause::AuthorizerCrash
        | Cause::AuthorizerTimeout
        | Cause::AuthorizerMalformedResponse
        | Cause::AuthorizerInvalidContext
        | Cause::AuthorizerOutOfMemory
        | Cause::AuthorizerRuntimeUnsupported
        | Cause::RuntimeUnsupported
        | Cause::HandlerError
        | Cause::HandlerCrash
        | Cause::HandlerTimeout
        | Cause::HandlerInitError
        | Cause::MalformedProxyResponse
        | Cause::IntegrationPermission
        | Cause::MockConfiguration
        | Cause::MappingTemplate
        | Cause::IntegrationNotEmulated => (500, INTERNAL),
        // Mapping templates are REST's; an HTTP API never meets these two.
        Cause::BodyNotJson => (400, r#"{"message":"Bad Request"}"#),
        Cause::UnsupportedMediaType => (415, r#"{"message":"Unsupported Media Type"}"#),
        // Both observed: the integration timeout after ~30 s, throttling at once.
        Cause::IntegrationTimeout | Cause::Throttled => (503, UNAVAILABLE),
        // An HTTP upstream's failures (§5.1): 500, and 504 for one slower than the timeout
        // (its body unverified, written in HTTP APIs' style). A body above the 10 MB payload
        // limit is unverified too, and taken as a failed exchange.
        Cause::UpstreamUnreachable
        | Cause::UpstreamTls
        | Cause::UpstreamBroken
        | Cause::UpstreamTooLarge => {
            (500, INTERNAL)
        }
        Cause::UpstreamTimeout => (504, r#"{"message":"Gateway Timeout"}"#),
        Cause::RequestTooLarge | Cause::LambdaPayloadTooLarge => (413, TOO_LARGE),
        // Unverified on AWS, like the 413: the statuses of the edge, with HTTP APIs' texts.
        Cause::HeadersTooLarge => (431, r#"{"message":"Request Header Fields Too Large"}"#),
        Cause::BodyTimeout => (408, r#"{"message":"Request Timeout"}"#),
        Cause::BodyBroken => (400, r#"{"message":"Bad Request"}"#),
        Cause::Overloaded => (503, UNAVAILABLE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_observed_byte_counts() {
        // aws-httpapi-semantics.md §1.3 gives the content-length of each capture.
        assert_eq!(fixed(Cause::NoRoute).1.len(), 23);
        assert_eq!(fixed(Cause::IdentityMissing).1.len(), 26);
        assert_eq!(fixed(Cause::PolicyExplicitDeny).1.len(), 23);
        assert_eq!(
            fixed(Cause::HandlerError),
            (500, r#"{"message":"Internal Server Error"}"#)
        );
        assert_eq!(fixed(Cause::HandlerError).1.len(), 35);
        assert_eq!(fixed(Cause::IntegrationTimeout).1.len(), 33);
    }
}
