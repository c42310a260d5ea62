//! REST `COGNITO_USER_POOLS` authorizers (docs/cognito-user-pools.md): the same signature
//! checks as a JWT authorizer, with Cognito's rules instead of a configured audience.
//!
//! 1. The token is the header's value, bare or after `Bearer `, three segments.
//! 2. Its `iss` must be the issuer of one of the authorizer's pools; that pool's keys verify
//!    the signature (RSA only, as for JWT authorizers).
//! 3. `exp` after now, `nbf`/`iat` not after now.
//! 4. `IdentityValidationExpression`, when set, must match `aud`.
//! 5. A method without `AuthorizationScopes` takes only ID tokens (`token_use` `id`); a method
//!    with scopes takes a token holding one of them, which only access tokens do.
//!
//! Every refusal is 401 on REST (`respond` maps the causes). The claims reach the integration
//! at `requestContext.authorizer.claims` as REST renders them, every value a string (see
//! [`rest_string`]).

use indexmap::IndexMap;
use regex::Regex;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;

use super::jwks::Jwks;
use super::{JwtFailure, Verified, bare, check_times, signed_claims, token_scopes};

/// Check `value` (the header's value) against a Cognito authorizer's pools.
///
/// # Errors
/// The first check the token fails, as a [`JwtFailure`].
pub async fn verify(
    value: &str,
    issuers: &[String],
    validation: Option<&Regex>,
    route_scopes: &[String],
    keys: &Jwks,
    now: i64,
) -> Result<Verified, JwtFailure> {
    let token = bare(value)?;
    // The pool whose keys to use is the one the token names; a token naming none of the
    // authorizer's pools is refused before any key is fetched.
    let iss = unverified_issuer(token)?;
    let Some(issuer) = iss
        .as_deref()
        .and_then(|i| issuers.iter().find(|p| *p == i))
    else {
        return Err(JwtFailure::Issuer {
            got: iss,
            want: issuers.join(" or "),
        });
    };
    let claims = signed_claims(token, issuer, keys).await?;
    check_times(&claims, now)?;
    if let Some(pattern) = validation {
        let aud = claims.get("aud").and_then(Value::as_str);
        if !aud.is_some_and(|a| pattern.is_match(a)) {
            return Err(JwtFailure::AudiencePattern {
                got: aud.map(str::to_owned),
                pattern: pattern.as_str().to_owned(),
            });
        }
    }
    let had = token_scopes(&claims);
    if route_scopes.is_empty() {
        let token_use = claims.get("token_use").and_then(Value::as_str);
        if token_use != Some("id") {
            return Err(JwtFailure::TokenUse {
                got: token_use.map(str::to_owned),
            });
        }
    } else if !had.iter().any(|s| route_scopes.contains(s)) {
        return Err(JwtFailure::Scope {
            want: route_scopes.to_vec(),
            had,
        });
    }
    Ok(Verified {
        claims: claims
            .iter()
            .map(|(k, v)| (k.clone(), rest_string(k, v)))
            .collect::<IndexMap<_, _>>(),
        scopes: None,
    })
}

/// The `iss` of a token's payload, read before its signature is checked (only to choose the
/// pool whose keys check it).
fn unverified_issuer(token: &str) -> Result<Option<String>, JwtFailure> {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| JwtFailure::Malformed(format!("the payload is not base64url: {e}")))?;
    let claims: serde_json::Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|e| JwtFailure::Malformed(format!("the payload is not a JSON object: {e}")))?;
    Ok(claims.get("iss").and_then(Value::as_str).map(str::to_owned))
}

/// A claim as a REST Cognito authorizer renders it: text as is, `exp` and `iat` as dates in
/// the form `Tue Apr 04 18:39:39 UTC 2023`, other numbers and booleans as text, lists joined
/// by commas (`cognito:groups` `["a","b"]` is `a,b`), objects as JSON text (unverified).
pub fn rest_string(name: &str, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if name == "exp" || name == "iat" => n
            .as_i64()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .and_then(|t| {
                t.format(format_description!(
                    "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
                ))
                .ok()
            })
            .unwrap_or_else(|| n.to_string()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.to_string(),
        },
        Value::Array(items) => items
            .iter()
            .map(|i| rest_string("", i))
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_render_as_rest_does() {
        let v = serde_json::json!({
            "exp": 1680633579, "auth_time": 1680629979, "groups": ["team_manager", "admins"],
            "one": ["solo"], "email_verified": true
        });
        assert_eq!(
            rest_string("exp", &v["exp"]),
            "Tue Apr 04 18:39:39 UTC 2023"
        );
        assert_eq!(rest_string("auth_time", &v["auth_time"]), "1680629979");
        assert_eq!(
            rest_string("cognito:groups", &v["groups"]),
            "team_manager,admins"
        );
        assert_eq!(rest_string("cognito:groups", &v["one"]), "solo");
        assert_eq!(rest_string("email_verified", &v["email_verified"]), "true");
    }

    #[test]
    fn the_issuer_is_read_before_the_signature() {
        let payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P"}"#,
        );
        let token = format!("e30.{payload}.sig");
        assert_eq!(
            unverified_issuer(&token).unwrap().as_deref(),
            Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P")
        );
        assert!(matches!(
            unverified_issuer("e30.!!.sig"),
            Err(JwtFailure::Malformed(_))
        ));
    }
}
