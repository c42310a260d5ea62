//! JWT authorizers of HTTP APIs (aws-httpapi-semantics.md §3): the gateway checks the token
//! itself, in AWS's order (§3.3), and says for every refusal which check failed and why.
//!
//! 1. The token is the identity source's value, bare or after `Bearer `.
//! 2. It has three dot-separated segments and a readable header.
//! 3. Its algorithm is an RSA one (RS256/384/512, PS256/384/512; anything else is refused, as
//!    AWS supports only RSA) and its signature verifies with the issuer's key of its `kid`
//!    (`jwks.rs` finds the keys).
//! 4. Claims: `iss` equals the configured issuer as an exact string (a trailing slash
//!    matters); `aud` (or, only when `aud` is absent, `client_id`) is a configured audience;
//!    `exp` is after now, `nbf` and `iat` not after now (no clock skew; a missing `exp` is
//!    accepted: both unverified choices of the spec); with route scopes, `scope` or `scp`
//!    holds at least one of them.
//!
//! Refusals answer 401 with the `www-authenticate` value of §3.4 (403 for missing scopes).
//! The `error_description` texts AWS was seen to send are used as is; the others are
//! glassgate's, in the same style. Claims reach the integration stringified (§3.5).

pub mod cognito;
pub mod dev_issuer;
pub mod jwks;

use std::sync::Arc;

use indexmap::IndexMap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

use crate::outcome::Cause;
use jwks::{Jwks, JwksError};

/// What a valid token hands to the integration.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Every claim, stringified as API Gateway does.
    pub claims: IndexMap<String, String>,
    /// The token's scopes when the route requires scopes; `None` otherwise (as AWS sends).
    pub scopes: Option<Vec<String>>,
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtFailure {
    /// Not three segments, or a header or payload that is not JSON.
    Malformed(String),
    /// A signing algorithm API Gateway does not accept.
    Algorithm(String),
    /// The issuer's JWKS has no key with the token's `kid`.
    UnknownKid(Option<String>),
    /// The signature does not verify with the issuer's key.
    BadSignature,
    /// `iss` is not the configured issuer.
    Issuer { got: Option<String>, want: String },
    /// Neither `aud` nor (without `aud`) `client_id` is a configured audience.
    Audience {
        got: Vec<String>,
        via_client_id: bool,
        want: Vec<String>,
    },
    /// `exp` has passed, `seconds` ago.
    Expired { seconds: i64 },
    /// `nbf` (or `iat`) is still `seconds` ahead.
    NotYetValid { claim: &'static str, seconds: i64 },
    /// None of the route's scopes is in the token.
    Scope { want: Vec<String>, had: Vec<String> },
    /// A Cognito access token on a method without scopes, which takes ID tokens only.
    TokenUse { got: Option<String> },
    /// A Cognito token whose `aud` does not match `IdentityValidationExpression`.
    AudiencePattern {
        got: Option<String>,
        pattern: String,
    },
    /// The issuer's keys could not be had.
    Keys(JwksError),
}

impl JwtFailure {
    /// The cause token of `x-glassgate-cause`.
    pub fn cause(&self) -> Cause {
        match self {
            JwtFailure::Malformed(_) | JwtFailure::Algorithm(_) => Cause::JwtMalformed,
            JwtFailure::UnknownKid(_) => Cause::JwtUnknownKid,
            JwtFailure::BadSignature => Cause::JwtBadSignature,
            JwtFailure::Issuer { .. } => Cause::JwtWrongIssuer,
            JwtFailure::Audience { .. } => Cause::JwtWrongAudience,
            JwtFailure::Expired { .. } => Cause::JwtExpired,
            JwtFailure::NotYetValid { .. } => Cause::JwtNotYetValid,
            JwtFailure::Scope { .. } => Cause::JwtScopeMissing,
            JwtFailure::TokenUse { .. } => Cause::JwtWrongTokenUse,
            JwtFailure::AudiencePattern { .. } => Cause::JwtWrongAudience,
            JwtFailure::Keys(_) => Cause::JwksUnreachable,
        }
    }

    /// The `www-authenticate` value (§3.4): `Bearer scope="…" error="…" error_description="…"`.
    pub fn www_authenticate(&self, route_scopes: &[String]) -> String {
        let (error, description) = match self {
            JwtFailure::Malformed(d) if d.contains("segments") => (
                "invalid_token",
                "token contains an invalid number of segments",
            ),
            JwtFailure::Malformed(_) => ("invalid_token", "token is malformed"),
            JwtFailure::Algorithm(_) => (
                "invalid_token",
                "the token's signing method is not supported",
            ),
            JwtFailure::UnknownKid(_) => {
                ("invalid_token", "the token was signed with an unknown key")
            }
            JwtFailure::BadSignature => ("invalid_token", "the token signature is invalid"),
            JwtFailure::Issuer { .. } => (
                "invalid_token",
                "the token was not issued by a valid issuer",
            ),
            JwtFailure::Audience { .. } | JwtFailure::AudiencePattern { .. } => {
                ("invalid_token", "the token does not have a valid audience")
            }
            // Cognito's REST authorizers send no www-authenticate; this is for completeness.
            JwtFailure::TokenUse { .. } => ("invalid_token", "the token is of the wrong kind"),
            JwtFailure::Expired { .. } => ("invalid_token", "the token has expired"),
            JwtFailure::NotYetValid { .. } => ("invalid_token", "the token is not valid yet"),
            JwtFailure::Scope { .. } => (
                "insufficient_scope",
                "the token does not have the required scopes",
            ),
            JwtFailure::Keys(_) => (
                "invalid_token",
                "the issuer's signing keys could not be fetched",
            ),
        };
        format!(
            "Bearer scope=\"{}\" error=\"{error}\" error_description=\"{description}\"",
            route_scopes.join(" ")
        )
    }

    /// The evidence, for the diagnosis: the claim beside what was configured.
    pub fn detail(&self) -> String {
        match self {
            JwtFailure::Malformed(d) => format!("the token is not a JWT: {d}"),
            JwtFailure::Algorithm(alg) => format!(
                "the token is signed with {alg}; API Gateway accepts only RSA signatures (RS256, RS384, RS512, PS256, PS384, PS512)"
            ),
            JwtFailure::UnknownKid(Some(kid)) => format!(
                "the token's kid {kid:?} is not in the issuer's JWKS (fetched again, still absent): a rotated key, or a token of another issuer"
            ),
            JwtFailure::UnknownKid(None) => {
                "the token has no kid and the issuer's JWKS has several keys".into()
            }
            JwtFailure::BadSignature => {
                "the token's signature does not verify with the issuer's key of its kid: it was signed by another key, or altered".into()
            }
            JwtFailure::Issuer { got: Some(got), want } => {
                let hint = if got.trim_end_matches('/') == want.trim_end_matches('/') {
                    ": only a trailing slash differs, and API Gateway compares the exact string"
                } else {
                    ""
                };
                format!("iss {got:?} vs configured {want:?}{hint}")
            }
            JwtFailure::Issuer { got: None, want } => {
                format!("the token has no iss claim (configured issuer {want:?})")
            }
            JwtFailure::Audience {
                got,
                via_client_id,
                want,
            } => {
                let what = if *via_client_id {
                    "the token has no aud, so its client_id was compared"
                } else {
                    "aud"
                };
                format!(
                    "{what}: {got:?} vs configured audience {want:?} (an access token carries client_id, an ID token aud)"
                )
            }
            JwtFailure::Expired { seconds } => format!(
                "the token expired {seconds} s ago by the gateway's clock (exp is in the past)"
            ),
            JwtFailure::NotYetValid { claim, seconds } => {
                format!("the token's {claim} is {seconds} s ahead of the gateway's clock")
            }
            JwtFailure::Scope { want, had } => format!(
                "the route requires one of the scopes {want:?}; the token has {had:?} (an ID token has no scope claim: send the access token)"
            ),
            JwtFailure::TokenUse { got } => format!(
                "the method has no AuthorizationScopes, so API Gateway takes only an ID token, and this token's token_use is {}",
                got.as_deref()
                    .map(|g| format!("{g:?} (an access token)"))
                    .unwrap_or_else(|| "absent".into())
            ),
            JwtFailure::AudiencePattern { got, pattern } => format!(
                "aud {} does not match the IdentityValidationExpression {pattern:?}",
                got.as_deref()
                    .map(|g| format!("{g:?}"))
                    .unwrap_or_else(|| "is absent (an access token has none) and".into())
            ),
            JwtFailure::Keys(e) => format!(
                "the issuer's signing keys could not be fetched: {e} (serve --jwks ISSUER=PATH_OR_URL gives them offline)"
            ),
        }
    }
}

/// Check `value` (the identity source's value) against the configuration.
///
/// # Errors
/// The first check the token fails, as a [`JwtFailure`].
pub async fn verify(
    value: &str,
    issuer: &str,
    audience: &[String],
    route_scopes: &[String],
    keys: &Jwks,
    now: i64,
) -> Result<Verified, JwtFailure> {
    let token = bare(value)?;
    let claims = signed_claims(token, issuer, keys).await?;
    match claims.get("iss").and_then(Value::as_str) {
        Some(iss) if iss == issuer => {}
        got => {
            return Err(JwtFailure::Issuer {
                got: got.map(str::to_owned),
                want: issuer.to_owned(),
            });
        }
    }
    if !audience.is_empty() {
        let (got, via_client_id) = match claims.get("aud") {
            Some(Value::String(a)) => (vec![a.clone()], false),
            Some(Value::Array(items)) => (
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                false,
            ),
            _ => (
                claims
                    .get("client_id")
                    .and_then(Value::as_str)
                    .map(|c| vec![c.to_owned()])
                    .unwrap_or_default(),
                true,
            ),
        };
        if !got.iter().any(|g| audience.contains(g)) {
            return Err(JwtFailure::Audience {
                got,
                via_client_id,
                want: audience.to_vec(),
            });
        }
    }
    check_times(&claims, now)?;
    let had = token_scopes(&claims);
    let scopes = if route_scopes.is_empty() {
        None
    } else {
        if !had.iter().any(|s| route_scopes.contains(s)) {
            return Err(JwtFailure::Scope {
                want: route_scopes.to_vec(),
                had,
            });
        }
        Some(had)
    };
    Ok(Verified {
        claims: claims
            .iter()
            .map(|(k, v)| (k.clone(), go_string(v)))
            .collect(),
        scopes,
    })
}

/// The token in an identity source's value (bare or after `Bearer `), if it has the three
/// segments of a JWT.
fn bare(value: &str) -> Result<&str, JwtFailure> {
    let token = value.strip_prefix("Bearer ").unwrap_or(value).trim();
    if token.split('.').count() != 3 {
        return Err(JwtFailure::Malformed(
            "token contains an invalid number of segments".into(),
        ));
    }
    Ok(token)
}

/// The claims of `token` once its header is read, its algorithm accepted and its signature
/// verified with `issuer`'s key of its `kid` (or found verified before with the same keys).
async fn signed_claims(
    token: &str,
    issuer: &str,
    keys: &Jwks,
) -> Result<Arc<serde_json::Map<String, Value>>, JwtFailure> {
    if let Some(claims) = keys.verified(token, issuer).await {
        return Ok(claims);
    }
    let header = decode_header(token).map_err(|e| JwtFailure::Malformed(e.to_string()))?;
    let rsa = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];
    if !rsa.contains(&header.alg) {
        return Err(JwtFailure::Algorithm(format!("{:?}", header.alg)));
    }
    let set = keys
        .keys(issuer, header.kid.as_deref())
        .await
        .map_err(JwtFailure::Keys)?;
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or_else(|| JwtFailure::UnknownKid(header.kid.clone()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| JwtFailure::BadSignature)?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data =
        decode::<serde_json::Map<String, Value>>(token, &key, &validation).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => JwtFailure::BadSignature,
            _ => JwtFailure::Malformed(e.to_string()),
        })?;
    let claims = Arc::new(data.claims);
    keys.remember(token, issuer, header.kid.as_deref(), set, claims.clone());
    Ok(claims)
}

/// `exp` after now, `nbf` and `iat` not after now (no clock skew; a missing `exp` is
/// accepted: both unverified choices of the spec).
fn check_times(claims: &serde_json::Map<String, Value>, now: i64) -> Result<(), JwtFailure> {
    let number = |name: &str| claims.get(name).and_then(Value::as_f64).map(|n| n as i64);
    if let Some(exp) = number("exp")
        && now >= exp
    {
        return Err(JwtFailure::Expired { seconds: now - exp });
    }
    for claim in ["nbf", "iat"] {
        if let Some(t) = number(claim)
            && t > now
        {
            return Err(JwtFailure::NotYetValid {
                claim: if claim == "nbf" { "nbf" } else { "iat" },
                seconds: t - now,
            });
        }
    }
    Ok(())
}

/// The token's scopes: `scope` (space-separated) or `scp` (a list or a string).
fn token_scopes(claims: &serde_json::Map<String, Value>) -> Vec<String> {
    match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// A claim as API Gateway (written in Go) prints it: text as is, numbers and booleans as
/// text, lists as `[a b]`, objects as `map[k:v]` (keys sorted, as Go prints maps).
pub fn go_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.to_string(),
        },
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_string).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", go_string(&m[k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_stringified_go_style() {
        let v = serde_json::json!({"n": 1787996002, "b": true, "l": ["admin", "users"], "m": {"z": 1, "a": "x"}, "f": 1.5});
        assert_eq!(go_string(&v["n"]), "1787996002");
        assert_eq!(go_string(&v["b"]), "true");
        assert_eq!(go_string(&v["l"]), "[admin users]");
        assert_eq!(go_string(&v["m"]), "map[a:x z:1]");
        assert_eq!(go_string(&v["f"]), "1.5");
    }

    #[test]
    fn www_authenticate_values_follow_the_captures() {
        let malformed =
            JwtFailure::Malformed("token contains an invalid number of segments".into());
        assert_eq!(
            malformed.www_authenticate(&[]),
            r#"Bearer scope="" error="invalid_token" error_description="token contains an invalid number of segments""#
        );
        assert_eq!(
            JwtFailure::Expired { seconds: 5 }.www_authenticate(&["api/admin".into()]),
            r#"Bearer scope="api/admin" error="invalid_token" error_description="the token has expired""#
        );
    }

    #[test]
    fn a_trailing_slash_is_named() {
        let f = JwtFailure::Issuer {
            got: Some("https://x.auth0.com/".into()),
            want: "https://x.auth0.com".into(),
        };
        assert!(
            f.detail().contains("only a trailing slash differs"),
            "{}",
            f.detail()
        );
    }
}
