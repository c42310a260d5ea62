//! An OpenAPI definition's security: `securitySchemes` / `securityDefinitions` (Lambda
//! authorizers through `x-amazon-apigateway-authorizer`, JWT, Cognito user pools, `awsSigv4`
//! as `AWS_IAM`) and each operation's `security` requirement, with its scopes.

use serde_json::{Map, Value};

use super::super::apigw::Spelling;
use super::super::auth::ApiAuth;
use super::super::{Builder, Prop};
use super::{AUTH_TYPE, AUTHORIZER, Definition, Security};
use crate::model::Authorizer;
use crate::template::{Reported, child, describe, index};

impl Builder<'_> {
    /// `securityDefinitions` (Swagger 2) or `components.securitySchemes` (OpenAPI 3).
    pub(super) fn security_schemes(
        &mut self,
        d: &mut Definition,
        value: &Value,
        loc: &str,
        auth: &mut ApiAuth,
    ) {
        let Ok(entries) = self.mapping(value, loc) else {
            return;
        };
        for (name, v) in &entries {
            let at = child(loc, name);
            if d.sam && (auth.authorizers.contains_key(name) || auth.broken.contains(name)) {
                self.r.diags.warn(
                    &at,
                    format!(
                        "security scheme {name} is replaced by the authorizer {name} of Auth.Authorizers (SAM writes its authorizers over the definition's)"
                    ),
                );
                d.schemes.insert(name.clone(), true);
                continue;
            }
            let is_authorizer = match self.mapping(v, &at) {
                Ok(scheme) => self.security_scheme(name, &scheme, &at, auth, d.http),
                Err(Reported) => {
                    auth.broken.insert(name.clone());
                    true
                }
            };
            d.schemes.insert(name.clone(), is_authorizer);
        }
    }

    /// One security scheme; whether it is an authorizer (declared in `auth`, working or broken).
    pub(super) fn security_scheme(
        &mut self,
        name: &str,
        scheme: &Map<String, Value>,
        loc: &str,
        auth: &mut ApiAuth,
        http: bool,
    ) -> bool {
        let lower = |b: &mut Self, key: &str| -> Result<Option<String>, Reported> {
            match scheme.get(key) {
                None => Ok(None),
                Some(value) => b
                    .string(&Prop {
                        value,
                        loc: child(loc, key),
                    })
                    .map(|s| s.map(|s| s.to_ascii_lowercase())),
            }
        };
        let (Ok(auth_type), Ok(ty)) = (lower(self, AUTH_TYPE), lower(self, "type")) else {
            auth.broken.insert(name.to_owned());
            return true;
        };
        let broken = |b: &mut Self, auth: &mut ApiAuth, message: String| {
            b.r.diags.error(loc, message);
            auth.broken.insert(name.to_owned());
            true
        };
        match auth_type.as_deref() {
            Some("cognito_user_pools") if http => {
                return broken(
                    self,
                    auth,
                    format!(
                        "security scheme {name} is a Cognito user pool authorizer, which HTTP APIs do not have: use a JWT authorizer (x-amazon-apigateway-authorizer type: jwt) with the pool's issuer https://cognito-idp.REGION.amazonaws.com/POOL_ID"
                    ),
                );
            }
            Some("cognito_user_pools") if !scheme.contains_key(AUTHORIZER) => {
                return broken(
                    self,
                    auth,
                    format!(
                        "security scheme {name} is a Cognito user pool authorizer without {AUTHORIZER} (type: cognito_user_pools, providerARNs: [...])"
                    ),
                );
            }
            // `type: apiKey, name: Authorization, in: header` with this auth type: SigV4.
            Some("awssigv4") => {
                auth.authorizers
                    .insert(name.to_owned(), Authorizer::iam(name, loc.to_owned()));
                return true;
            }
            _ => {}
        }
        if let Some(ext) = scheme.get(AUTHORIZER)
            && http
        {
            let at = child(loc, AUTHORIZER);
            let found = self.mapping(ext, &at).ok().and_then(|props| {
                self.v2_lambda_authorizer(name, &props, &at, Spelling::Extension, loc.to_owned())
            });
            match found {
                Some(a) => {
                    auth.authorizers.insert(name.to_owned(), a);
                }
                None => {
                    auth.broken.insert(name.to_owned());
                }
            }
            return true;
        }
        if let Some(ext) = scheme.get(AUTHORIZER) {
            match self.definition_authorizer(name, scheme, ext, loc) {
                Ok(a) => {
                    auth.authorizers.insert(name.to_owned(), a);
                }
                Err(Reported) => {
                    auth.broken.insert(name.to_owned());
                }
            }
            return true;
        }
        if auth_type.as_deref() == Some("custom") {
            return broken(
                self,
                auth,
                format!("security scheme {name} is a custom authorizer without {AUTHORIZER}"),
            );
        }
        if ty.as_deref() == Some("apikey") {
            self.r.diags.warn(
                loc,
                format!(
                    "security scheme {name} is an API key; API keys are not emulated, so requests are served without checking one"
                ),
            );
        } else {
            let ty = ty.unwrap_or_else(|| "(none)".to_owned());
            self.r.diags.warn(
                loc,
                format!(
                    "security scheme {name} of type {ty} is not a Lambda authorizer ({AUTHORIZER}); API Gateway does not enforce it, and neither does glassgate"
                ),
            );
        }
        false
    }

    /// `x-amazon-apigateway-authorizer` of scheme `name`.
    pub(super) fn definition_authorizer(
        &mut self,
        name: &str,
        scheme: &Map<String, Value>,
        ext: &Value,
        scheme_loc: &str,
    ) -> Result<Authorizer, Reported> {
        let loc = child(scheme_loc, AUTHORIZER);
        let props = self.mapping(ext, &loc)?;
        let ty =
            self.required_string(&props, &loc, "type", "the authorizer", "(token or request)")?;
        let request = match ty.to_ascii_lowercase().as_str() {
            "token" => false,
            "request" => true,
            "cognito_user_pools" => {
                return self.gateway_cognito_authorizer(
                    name,
                    &props,
                    &loc,
                    Spelling::Extension,
                    scheme_header(scheme),
                    scheme_loc,
                );
            }
            _ => {
                return Err(self.r.diags.error(
                    child(&loc, "type"),
                    format!(
                        "authorizer type must be token, request or cognito_user_pools, got {ty:?}"
                    ),
                ));
            }
        };
        let fallback = scheme_header(scheme);
        self.gateway_authorizer(
            name,
            request,
            &props,
            &loc,
            Spelling::Extension,
            fallback,
            scheme_loc.to_owned(),
        )
    }

    /// A `security` list: the one authorizer it names, or why it names none.
    pub(super) fn security_requirement(
        &mut self,
        d: &Definition,
        value: &Value,
        loc: &str,
        auth: &ApiAuth,
    ) -> Result<Security, Reported> {
        let items = match self.r.resolve(value, loc)? {
            None => return Ok(Security::Empty),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(self.r.diags.error(
                    loc,
                    format!(
                        "expected a list of security requirements ({{SchemeName: []}}), got {}",
                        describe(&other)
                    ),
                ));
            }
        };
        let mut named: Vec<(String, String, Vec<String>)> = Vec::new();
        let mut open = false;
        let mut failed = false;
        for (i, item) in items.iter().enumerate() {
            let at = index(loc, i);
            let Value::Object(requirement) = item else {
                self.r.diags.error(
                    &at,
                    format!(
                        "expected a mapping of scheme names to scopes, got {}",
                        describe(item)
                    ),
                );
                failed = true;
                continue;
            };
            for (name, scopes) in requirement {
                let name_loc = child(&at, name);
                if d.sam && name == "NONE" {
                    open = true;
                    continue;
                }
                let is_authorizer = match d.schemes.get(name) {
                    Some(a) => *a,
                    None if auth.authorizers.contains_key(name) || auth.broken.contains(name) => {
                        true
                    }
                    None => {
                        let mut declared: Vec<&str> =
                            d.schemes.keys().map(String::as_str).collect();
                        for n in auth.authorizers.keys().chain(auth.broken.iter()) {
                            if !declared.contains(&n.as_str()) {
                                declared.push(n);
                            }
                        }
                        let declared = if declared.is_empty() {
                            "it declares none".to_owned()
                        } else {
                            format!("it declares {}", declared.join(", "))
                        };
                        self.r.diags.error(
                            &name_loc,
                            format!(
                                "security scheme {name} is not declared in the definition ({declared})"
                            ),
                        );
                        failed = true;
                        continue;
                    }
                };
                if !is_authorizer {
                    continue;
                }
                let listed: Vec<String> = scopes
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if !named.iter().any(|(n, _, _)| n == name) {
                    named.push((name.clone(), name_loc, listed));
                }
            }
        }
        if failed {
            return Err(Reported);
        }
        let mut named = named.into_iter();
        match (named.next(), named.next()) {
            (Some((name, loc, scopes)), None) => Ok(Security::Authorizer { name, loc, scopes }),
            (Some((first, _, _)), Some((second, _, _))) => Err(self.r.diags.error(
                loc,
                format!(
                    "the security requirements name several authorizers ({first}, {second}); an API Gateway method takes one"
                ),
            )),
            (None, _) if open => Ok(Security::Open),
            (None, _) if items.is_empty() => Ok(Security::Empty),
            (None, _) => Ok(Security::NoAuthorizer),
        }
    }
}

/// The header a Swagger API-key scheme names (`in: header`, `name: Authorization`).
pub(super) fn scheme_header(scheme: &Map<String, Value>) -> Option<String> {
    let location = scheme.get("in").and_then(Value::as_str)?;
    let name = scheme.get("name").and_then(Value::as_str)?;
    (location.eq_ignore_ascii_case("header")
        && !name.is_empty()
        && !name.contains(char::is_whitespace))
    .then(|| name.to_owned())
}
