//! Header names as hyper sends them, made without an allocation for the names glassgate
//! itself writes on every request.
//!
//! `HeaderName::from_bytes` allocates for every name outside the HTTP standard set, and a
//! proxied REST request carries about ten such names that API Gateway adds (`X-Forwarded-*`,
//! `x-amzn-apigateway-api-id`, `X-Amzn-Trace-Id`, the `x-amzn-Remapped-*` names of the
//! upstream's answer). Those are looked up here first, as static names.

use hyper::header::{HeaderName, InvalidHeaderName};

/// Non-standard names the gateway writes on most requests, lowercase.
const WRITTEN: &[&str] = &[
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-proto",
    "x-amzn-apigateway-api-id",
    "x-amzn-trace-id",
    "x-amzn-remapped-server",
    "x-amzn-remapped-date",
    "x-amzn-remapped-content-length",
    "x-amzn-remapped-connection",
    "x-amzn-remapped-authorization",
    "x-amzn-remapped-x-amzn-requestid",
    "x-amzn-requestid",
    "x-amz-apigw-id",
    "apigw-requestid",
    "x-amzn-errortype",
];

/// `name` as a `HeaderName` (names are case-insensitive, hyper sends them lowercase).
///
/// # Errors
/// `name` is not a valid header name.
pub fn header_name(name: &str) -> Result<HeaderName, InvalidHeaderName> {
    match WRITTEN.iter().find(|w| w.eq_ignore_ascii_case(name)) {
        Some(w) => Ok(HeaderName::from_static(w)),
        None => HeaderName::from_bytes(name.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_names_are_found_in_any_case_and_others_still_parse() {
        for w in WRITTEN {
            assert_eq!(header_name(&w.to_ascii_uppercase()).unwrap().as_str(), *w);
        }
        assert_eq!(
            header_name("X-Own-Header").unwrap().as_str(),
            "x-own-header"
        );
        assert_eq!(
            header_name("Content-Type").unwrap(),
            hyper::header::CONTENT_TYPE
        );
        assert!(header_name("bad name").is_err());
        assert!(header_name("").is_err());
    }
}
