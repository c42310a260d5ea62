//! REST Cognito user pool authorizers as the three forms spell them: SAM `Auth.Authorizers.X`
//! with `UserPoolArn`, CloudFormation `AWS::ApiGateway::Authorizer` `Type: COGNITO_USER_POOLS`
//! with `ProviderARNs`, and OpenAPI `x-amazon-apigateway-authorizer` `type:
//! cognito_user_pools` with `providerARNs`. Each pool ARN becomes the issuer its tokens carry;
//! an ARN that names no pool is an error (the route is never served open).

use serde_json::{Map, Value};

use super::apigw::Spelling;
use super::{Builder, Prop};
use crate::model::{Authorizer, AuthorizerKind, cognito_issuer};
use crate::template::{Reported, child, describe, index};

use super::auth::check_regex;

/// A Cognito authorizer read from any form.
pub(super) fn authorizer(
    name: &str,
    issuers: Vec<String>,
    header: String,
    validation_expression: Option<String>,
    source: &str,
) -> Authorizer {
    Authorizer {
        name: name.to_owned(),
        function: None,
        kind: AuthorizerKind::CognitoUserPools {
            issuers,
            header,
            validation_expression,
        },
        // Nothing is cached: the gateway checks each token itself (the JWKS is cached).
        ttl: std::time::Duration::ZERO,
        source: source.to_owned(),
    }
}

impl Builder<'_> {
    /// The issuers of `prop`, one pool ARN or a list of them (`UserPoolArn`, `ProviderARNs`).
    pub(super) fn pool_issuers(&mut self, prop: &Prop<'_>) -> Result<Vec<String>, Reported> {
        let items: Vec<(Value, String)> = match self.r.resolve(prop.value, &prop.loc)? {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (v, index(&prop.loc, i)))
                .collect(),
            Some(v) => vec![(v, prop.loc.clone())],
        };
        if items.is_empty() {
            return Err(self.r.diags.error(
                &prop.loc,
                "a Cognito user pool authorizer needs at least one user pool ARN",
            ));
        }
        let mut issuers = Vec::with_capacity(items.len());
        let mut failed = false;
        for (v, loc) in items {
            match &v {
                Value::String(arn) => match cognito_issuer(arn) {
                    Some(issuer) => issuers.push(issuer),
                    None => {
                        self.r.diags.error(
                            &loc,
                            format!(
                                "{arn:?} is not a Cognito user pool ARN (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID, or !GetAtt Pool.Arn of an AWS::Cognito::UserPool in this template)"
                            ),
                        );
                        failed = true;
                    }
                },
                other => {
                    self.r.diags.error(
                        &loc,
                        format!("expected a user pool ARN, got {}", describe(other)),
                    );
                    failed = true;
                }
            }
        }
        if failed { Err(Reported) } else { Ok(issuers) }
    }

    /// SAM `Auth.Authorizers.X` with `UserPoolArn`, and its `AuthorizationScopes` (what
    /// methods using it without scopes of their own require).
    pub(super) fn sam_cognito_authorizer(
        &mut self,
        name: &str,
        props: &Map<String, Value>,
        loc: &str,
    ) -> Result<(Authorizer, Vec<String>), Reported> {
        let mut issuers = Err(Reported);
        let mut header = "Authorization".to_owned();
        let mut validation = None;
        let mut scopes = Vec::new();
        let mut failed = false;
        for (key, v) in props {
            let prop = Prop {
                value: v,
                loc: child(loc, key),
            };
            match key.as_str() {
                "UserPoolArn" => issuers = self.pool_issuers(&prop),
                "AuthorizationScopes" => match self.string_list(&prop) {
                    Ok(s) => scopes = s,
                    Err(Reported) => failed = true,
                },
                "Identity" => {
                    let Ok(entries) = self.mapping(v, &prop.loc) else {
                        failed = true;
                        continue;
                    };
                    for (k, iv) in &entries {
                        let at = Prop {
                            value: iv,
                            loc: child(&prop.loc, k),
                        };
                        match k.as_str() {
                            "Header" => match self.string(&at) {
                                Ok(Some(h)) => header = h,
                                Ok(None) => {}
                                Err(Reported) => failed = true,
                            },
                            "ValidationExpression" => {
                                match self.checked_string(&at, check_regex) {
                                    Ok(e) => validation = e,
                                    Err(Reported) => failed = true,
                                }
                            }
                            // Tokens are checked on every request; nothing to cache.
                            "ReauthorizeEvery" => {}
                            _ => self.r.diags.warn(
                                &at.loc,
                                format!(
                                    "property {k} of a Cognito authorizer's Identity is not supported by glassgate; ignored"
                                ),
                            ),
                        }
                    }
                }
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "property {key} of Cognito user pool authorizers is not supported by glassgate; ignored"
                    ),
                ),
            }
        }
        let issuers = issuers?;
        if failed {
            return Err(Reported);
        }
        Ok((authorizer(name, issuers, header, validation, loc), scopes))
    }

    /// `AWS::ApiGateway::Authorizer` `Type: COGNITO_USER_POOLS` (`ProviderARNs`,
    /// `IdentitySource`, `IdentityValidationExpression`) or OpenAPI
    /// `x-amazon-apigateway-authorizer` `type: cognito_user_pools` (`providerARNs`, the header
    /// from the security scheme's `name`), spelled as `spelling` says.
    pub(super) fn gateway_cognito_authorizer(
        &mut self,
        name: &str,
        props: &Map<String, Value>,
        props_loc: &str,
        spelling: Spelling,
        fallback_header: Option<String>,
        source: &str,
    ) -> Result<Authorizer, Reported> {
        let mut issuers = None;
        let mut header = fallback_header.unwrap_or_else(|| "Authorization".to_owned());
        let mut validation = None;
        let mut failed = false;
        for (key, value) in props {
            let prop = Prop {
                value,
                loc: child(props_loc, key),
            };
            match spelling.canonical(key).as_str() {
                "type" => {}
                "restApiId" | "name" if spelling == Spelling::Resource => {}
                "providerARNs" => match self.pool_issuers(&prop) {
                    Ok(i) => issuers = Some(i),
                    Err(Reported) => failed = true,
                },
                "identitySource" => match self.string(&prop) {
                    Ok(Some(s)) => match s.strip_prefix("method.request.header.") {
                        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => {
                            header = h.to_owned();
                        }
                        _ => {
                            self.r.diags.error(
                                &prop.loc,
                                format!(
                                    "a Cognito authorizer reads its token from a header: expected method.request.header.NAME, got {s:?}"
                                ),
                            );
                            failed = true;
                        }
                    },
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "identityValidationExpression" => match self.checked_string(&prop, check_regex) {
                    Ok(e) => validation = e,
                    Err(Reported) => failed = true,
                },
                // Tokens are checked on every request; nothing to cache or to assume.
                "authorizerResultTtlInSeconds" | "authorizerCredentials" | "authType" => {}
                _ => self.warn_unknown(key, &prop.loc, spelling.what()),
            }
        }
        let Some(issuers) = issuers else {
            if !failed {
                self.r.diags.error(
                    props_loc,
                    format!(
                        "Cognito user pool authorizer {name} has no {} (the ARNs of its user pools)",
                        spelling.field("providerARNs")
                    ),
                );
            }
            return Err(Reported);
        };
        if failed {
            return Err(Reported);
        }
        Ok(authorizer(name, issuers, header, validation, source))
    }
}
