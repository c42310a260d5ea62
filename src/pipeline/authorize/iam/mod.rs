//! `AWS_IAM` authorization: the request's SigV4 signature (in the `Authorization` header, or
//! in the query string of a presigned URL) checked as API Gateway checks it, against the
//! credentials glassgate knows (`credentials.rs`). IAM policies are not evaluated: a correctly
//! signed request of a known key is allowed, which the route table says.
//!
//! Order: no `Authorization` header and no presigned query -> `Missing Authentication Token`;
//! a header (or query) that is not a complete SigV4 signature -> `IncompleteSignatureException`
//! naming what is missing; a credential scope of another service or region; a date more than
//! 5 minutes off (a presigned URL: past its `X-Amz-Expires`); an unknown access key or a wrong
//! session token -> `The security token included in the request is invalid.`; a signature
//! that does not match -> `InvalidSignatureException` with the canonical request and string to
//! sign AWS expected (docs/iam-authorization.md has the sources).

pub mod credentials;
pub mod sigv4;

use time::OffsetDateTime;
use time::macros::format_description;

use crate::outcome::Cause;
use crate::pipeline::context::IamCaller as Caller;
use crate::pipeline::request::GatewayRequest;
use credentials::Credentials;

/// The service name in the credential scope of API calls.
pub const SERVICE: &str = "execute-api";

/// How far a request's date may be from the gateway's clock.
const SKEW_MINUTES: i64 = 5;

/// Why a signature was refused, with the message AWS puts in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The cause.
    pub cause: Cause,
    /// AWS's `message`.
    pub message: String,
    /// What glassgate saw, for the diagnosis.
    pub detail: String,
}

impl Refusal {
    fn new(cause: Cause, message: impl Into<String>, detail: impl Into<String>) -> Self {
        Refusal {
            cause,
            message: message.into(),
            detail: detail.into(),
        }
    }
}

/// What a request's signature is made of, from its `Authorization` header or, for a presigned
/// URL, its query string.
struct Signed {
    credential: String,
    signed_headers: String,
    signature: String,
    /// `X-Amz-Date` (or `Date`).
    amz_date: String,
    /// `X-Amz-Security-Token`, empty when absent.
    token: String,
    /// The query string the canonical request is built from (a presigned URL's without its
    /// `X-Amz-Signature`).
    query: Option<String>,
    /// A presigned URL's `X-Amz-Expires`.
    expires: Option<i64>,
}

/// The signature of the header form.
fn from_header(req: &GatewayRequest, value: &str) -> Result<Signed, Refusal> {
    let date = req
        .header("x-amz-date")
        .or_else(|| req.header("date"))
        .filter(|d| !d.is_empty());
    let (credential, signed_headers, signature) = parse_header(value, date.is_some())?;
    let got = value.split_whitespace().next().unwrap_or_default();
    if got != sigv4::ALGORITHM {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!("Unsupported AWS 'algorithm': '{got}'"),
            format!(
                "the Authorization header's algorithm is {got:?}; SigV4 requests say {}",
                sigv4::ALGORITHM
            ),
        ));
    }
    Ok(Signed {
        credential: credential.to_owned(),
        signed_headers: signed_headers.to_owned(),
        signature: signature.to_owned(),
        amz_date: date.unwrap_or_default().to_owned(),
        token: req
            .header("x-amz-security-token")
            .unwrap_or_default()
            .to_owned(),
        query: req.query.clone(),
        expires: None,
    })
}

/// Whether a raw query string has a parameter.
fn has_param(query: &str, name: &str) -> bool {
    query
        .split('&')
        .any(|p| p.split_once('=').map_or(p, |(k, _)| k) == name)
}

/// The longest a presigned URL may be valid: 7 days.
const MAX_EXPIRES: i64 = 604_800;

/// The signature of a presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
/// `X-Amz-Expires`, `X-Amz-SignedHeaders` and `X-Amz-Signature` in the query string.
fn from_query(query: &str) -> Result<Signed, Refusal> {
    let mut params = std::collections::HashMap::new();
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "X-Amz-Signature" {
            params.insert(k, sigv4::decode(v));
            continue;
        }
        if k.starts_with("X-Amz-") {
            params.insert(k, sigv4::decode(v));
        }
        rest.push(pair);
    }
    let required = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    ];
    if required.iter().any(|k| !params.contains_key(k)) {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| !params.contains_key(k))
            .collect();
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            format!("the presigned URL lacks {}", missing.join(", ")),
        ));
    }
    let algorithm = &params["X-Amz-Algorithm"];
    if algorithm != sigv4::ALGORITHM {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!("Unsupported AWS 'algorithm': '{algorithm}'"),
            format!(
                "X-Amz-Algorithm is {algorithm:?}; SigV4 requests say {}",
                sigv4::ALGORITHM
            ),
        ));
    }
    let expires = params["X-Amz-Expires"]
        .parse::<i64>()
        .ok()
        .filter(|e| (1..=MAX_EXPIRES).contains(e));
    let Some(expires) = expires else {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!(
                "X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES}, got '{}'",
                params["X-Amz-Expires"]
            ),
            format!(
                "X-Amz-Expires {:?} is not 1 to {MAX_EXPIRES} seconds",
                params["X-Amz-Expires"]
            ),
        ));
    };
    Ok(Signed {
        credential: params["X-Amz-Credential"].clone(),
        signed_headers: params["X-Amz-SignedHeaders"].clone(),
        signature: params["X-Amz-Signature"].clone(),
        amz_date: params["X-Amz-Date"].clone(),
        token: params
            .get("X-Amz-Security-Token")
            .cloned()
            .unwrap_or_default(),
        query: Some(rest.join("&")),
        expires: Some(expires),
    })
}

/// Check a request's signature.
///
/// # Errors
/// A [`Refusal`] with AWS's message.
pub fn verify(
    req: &GatewayRequest,
    creds: &Credentials,
    region: &str,
    now: OffsetDateTime,
) -> Result<Caller, Refusal> {
    let h = match req.header("authorization").filter(|v| !v.is_empty()) {
        Some(value) => from_header(req, value)?,
        None => match req
            .query
            .as_deref()
            .filter(|q| has_param(q, "X-Amz-Algorithm"))
        {
            Some(query) => from_query(query)?,
            None => {
                return Err(Refusal::new(
                    Cause::IamSignatureMissing,
                    "Missing Authentication Token",
                    "the request has no Authorization header and no X-Amz-Signature in its query string, so it carries no SigV4 signature",
                ));
            }
        },
    };
    // Credential=AKID/20150830/us-east-1/execute-api/aws4_request
    let scope: Vec<&str> = h.credential.split('/').collect();
    let [access_key, date, cred_region, service, terminator] = scope[..] else {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!(
                "Credential should be scoped to a valid region. Credential={}",
                h.credential
            ),
            format!(
                "the Credential {:?} is not ACCESS_KEY/DATE/REGION/SERVICE/aws4_request",
                h.credential
            ),
        ));
    };
    if terminator != "aws4_request" {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            ),
            format!("the credential scope ends in {terminator:?}, not aws4_request"),
        ));
    }
    if service != SERVICE {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!("Credential should be scoped to correct service: '{SERVICE}'. "),
            format!(
                "the request was signed for service {service:?}; API calls are signed for {SERVICE}"
            ),
        ));
    }
    if cred_region != region {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!("Credential should be scoped to a valid region, not '{cred_region}'. "),
            format!(
                "the request was signed for region {cred_region}; this API is in {region} (--region)"
            ),
        ));
    }
    let signed: Vec<String> = h
        .signed_headers
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    if !signed.iter().any(|s| s == "host") {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            format!("SignedHeaders={} does not include host", h.signed_headers),
        ));
    }
    let amz_date = h.amz_date.as_str();
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
            format!("X-Amz-Date {amz_date:?} is not YYYYMMDDTHHMMSSZ"),
        ));
    };
    if !amz_date.starts_with(date) {
        return Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
                &amz_date[..8]
            ),
            format!("the credential scope's date {date} is not the day of X-Amz-Date {amz_date}"),
        ));
    }
    let skew = time::Duration::minutes(SKEW_MINUTES);
    let fmt = |t: OffsetDateTime| basic(t);
    if let Some(expires) = h.expires {
        // A presigned URL is good for its X-Amz-Expires seconds.
        let lifetime = time::Duration::seconds(expires);
        if signed_at + lifetime < now {
            return Err(Refusal::new(
                Cause::IamSignatureExpired,
                format!(
                    "Signature expired: {amz_date} is now earlier than {} ({} - {expires} sec.)",
                    fmt(now - lifetime),
                    fmt(now)
                ),
                format!(
                    "the presigned URL was signed at {amz_date} for {expires} s (X-Amz-Expires), which have passed by this machine's clock ({})",
                    fmt(now)
                ),
            ));
        }
    } else if signed_at < now - skew {
        return Err(Refusal::new(
            Cause::IamSignatureExpired,
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - {SKEW_MINUTES} min.)",
                fmt(now - skew),
                fmt(now)
            ),
            format!(
                "the request was signed at {amz_date}, more than {SKEW_MINUTES} minutes before this machine's clock ({})",
                fmt(now)
            ),
        ));
    }
    if signed_at > now + skew {
        return Err(Refusal::new(
            Cause::IamSignatureExpired,
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + {SKEW_MINUTES} min.)",
                fmt(now + skew),
                fmt(now)
            ),
            format!(
                "the request was signed at {amz_date}, more than {SKEW_MINUTES} minutes after this machine's clock ({})",
                fmt(now)
            ),
        ));
    }
    const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
    let Some(cred) = creds.get(access_key) else {
        return Err(Refusal::new(
            Cause::IamUnknownAccessKey,
            INVALID_TOKEN,
            if creds.is_empty() {
                format!(
                    "access key {access_key} is unknown: glassgate knows no credentials (looked in {}); pass --iam-credentials FILE",
                    creds.looked_in
                )
            } else {
                format!(
                    "access key {access_key} is not among the {} known from {}",
                    creds.len(),
                    creds.looked_in
                )
            },
        ));
    };
    let token = h.token.as_str();
    match &cred.session_token {
        Some(t) if t != token => {
            return Err(Refusal::new(
                Cause::IamUnknownAccessKey,
                INVALID_TOKEN,
                format!(
                    "access key {access_key} ({}) is temporary: the request must carry its session token as X-Amz-Security-Token{}",
                    cred.origin,
                    if token.is_empty() {
                        ""
                    } else {
                        ", and the one sent is another"
                    }
                ),
            ));
        }
        _ => {}
    }
    let canonical = sigv4::canonical_request(&sigv4::Parts {
        method: &req.method,
        path: &req.path,
        query: h.query.as_deref(),
        headers: &req.headers,
        signed_headers: &signed,
        body: &req.body,
    });
    let scope = format!("{date}/{cred_region}/{service}/{terminator}");
    let to_sign = sigv4::string_to_sign(amz_date, &scope, &canonical);
    let expected = sigv4::signature(&cred.secret, date, cred_region, service, &to_sign);
    if !sigv4::same_signature(&expected, &h.signature) {
        return Err(Refusal::new(
            Cause::IamSignatureMismatch,
            format!(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
            ),
            format!(
                "the signature of access key {access_key} ({}) does not match the request: the secret differs, or the request changed after signing (path, query, a signed header or the body)",
                cred.origin
            ),
        ));
    }
    Ok(Caller {
        access_key: access_key.to_owned(),
        account_id: cred.account_id.clone(),
        user_arn: cred.user_arn.clone(),
        user_id: cred.user_id.clone(),
    })
}

/// Parse `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`, refusing as AWS
/// does what is not `key=value` pairs or lacks one of the three (or a date).
fn parse_header(value: &str, has_date: bool) -> Result<(&str, &str, &str), Refusal> {
    let params = value.split_once(' ').map(|(_, rest)| rest).unwrap_or("");
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for pair in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            use base64::Engine;
            let hashed = base64::engine::general_purpose::STANDARD.encode(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes()),
            );
            return Err(Refusal::new(
                Cause::IamSignatureIncomplete,
                format!(
                    "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '{hashed}'."
                ),
                "the Authorization header is not a SigV4 header (AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...): a token sent to an AWS_IAM route?",
            ));
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed_headers = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if !has_date {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) if has_date => {
            Ok((credential, signed_headers, signature))
        }
        _ => Err(Refusal::new(
            Cause::IamSignatureIncomplete,
            format!("{} Authorization={value}", missing.join(" ")),
            format!(
                "the signature is incomplete: {}",
                missing
                    .iter()
                    .map(|m| m.trim_end_matches('.'))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

/// `20150830T123600Z`.
fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, fmt)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

fn basic(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> GatewayRequest {
        GatewayRequest {
            request_id: String::new(),
            extended_request_id: String::new(),
            method: "GET".into(),
            path: "/".into(),
            query: None,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: bytes::Bytes::new(),
            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            local_port: 0,
            protocol: "HTTP/1.1",
            received_at: OffsetDateTime::UNIX_EPOCH,
            parsed_query: std::sync::OnceLock::new(),
        }
    }

    fn now() -> OffsetDateTime {
        parse_amz_date("20150830T123600Z").expect("date")
    }

    #[test]
    fn an_unsigned_request_is_missing_its_token() {
        let r = verify(&request(&[]), &Credentials::default(), "us-east-1", now());
        assert_eq!(
            r.expect_err("refused").message,
            "Missing Authentication Token"
        );
    }

    #[test]
    fn a_bearer_token_is_not_key_value_pairs() {
        let r = verify(
            &request(&[("Authorization", "Bearer eyJabc")]),
            &Credentials::default(),
            "us-east-1",
            now(),
        )
        .expect_err("refused");
        assert_eq!(r.cause, Cause::IamSignatureIncomplete);
        assert!(
            r.message
                .starts_with("Invalid key=value pair (missing equal-sign)"),
            "{}",
            r.message
        );
    }

    #[test]
    fn an_incomplete_header_names_what_it_lacks() {
        let r = verify(
            &request(&[("Authorization", "eyJabc")]),
            &Credentials::default(),
            "us-east-1",
            now(),
        )
        .expect_err("refused");
        assert_eq!(
            r.message,
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=eyJabc"
        );
    }

    #[test]
    fn an_old_signature_has_expired() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
        let r = verify(
            &request(&[
                ("Host", "h"),
                ("X-Amz-Date", "20150830T122000Z"),
                ("Authorization", auth),
            ]),
            &Credentials::default(),
            "us-east-1",
            now(),
        )
        .expect_err("refused");
        assert_eq!(
            r.message,
            "Signature expired: 20150830T122000Z is now earlier than 20150830T123100Z (20150830T123600Z - 5 min.)"
        );
    }

    #[test]
    fn a_presigned_url_expires_after_its_seconds_and_needs_every_parameter() {
        let mut req = request(&[("Host", "h")]);
        req.query = Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20150830T123000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00".into());
        let r = verify(&req, &Credentials::default(), "us-east-1", now()).expect_err("refused");
        assert_eq!(r.cause, Cause::IamSignatureExpired);
        assert_eq!(
            r.message,
            "Signature expired: 20150830T123000Z is now earlier than 20150830T123500Z (20150830T123600Z - 60 sec.)"
        );
        req.query = Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00".into());
        let r = verify(&req, &Credentials::default(), "us-east-1", now()).expect_err("refused");
        assert_eq!(r.cause, Cause::IamSignatureIncomplete);
        assert!(
            r.detail.contains("X-Amz-Credential, X-Amz-Date"),
            "{}",
            r.detail
        );
    }

    #[test]
    fn another_region_or_service_is_refused() {
        let at = |cred: &str| {
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host;x-amz-date, Signature=00"
            );
            verify(
                &request(&[
                    ("Host", "h"),
                    ("X-Amz-Date", "20150830T123600Z"),
                    ("Authorization", &auth),
                ]),
                &Credentials::default(),
                "us-east-1",
                now(),
            )
            .expect_err("refused")
            .message
        };
        assert!(at("AKID/20150830/eu-west-1/execute-api/aws4_request").contains("not 'eu-west-1'"));
        assert!(at("AKID/20150830/us-east-1/s3/aws4_request").contains("'execute-api'"));
    }
}
