//! `AWS::ApiGateway::Authorizer` (TOKEN, REQUEST, COGNITO_USER_POOLS) and the reading of
//! API Gateway's authorizer fields that OpenAPI's `x-amazon-apigateway-authorizer` shares
//! (`gateway_authorizer`), with their identity sources.

use std::time::Duration;

use serde_json::{Map, Value};

use super::super::apigw::Spelling;
use super::super::auth::{DEFAULT_TTL_SECONDS, TTL_RANGE, check_regex};
use super::super::{Builder, Prop};
use super::{invocation_target, not_invocation_uri};
use crate::model::{Authorizer, AuthorizerKind, IdentitySource};
use crate::template::{Reported, child};

impl<'t> Builder<'t> {
    pub(super) fn cfn_authorizer(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            self.cfn.authorizers.insert(logical.to_owned(), None);
            return;
        };
        let api = self.cfn_api_ref(&props, &props_loc, "authorizer");
        let name = match props.get("Name") {
            None => Ok(logical.to_owned()),
            Some(value) => match self.string(&Prop {
                value,
                loc: child(&props_loc, "Name"),
            }) {
                Ok(Some(n)) if !n.is_empty() => Ok(n),
                Ok(_) => Ok(logical.to_owned()),
                Err(Reported) => Err(Reported),
            },
        };
        let spec = match &name {
            Ok(name) => self.cfn_authorizer_spec(logical, name, &props, &props_loc),
            Err(Reported) => Err(Reported),
        };
        let (Ok(api), Ok(name)) = (api, name) else {
            self.cfn.authorizers.insert(logical.to_owned(), None);
            return;
        };
        let auth = self.api_auth.entry(api.clone()).or_default();
        if auth.authorizers.contains_key(&name) || auth.broken.contains(&name) {
            let first = auth
                .authorizers
                .get(&name)
                .map_or_else(|| "another resource".to_owned(), |a| a.source.clone());
            self.r.diags.error(
                child(&props_loc, "Name"),
                format!("API {api} already has an authorizer named {name} ({first})"),
            );
            self.cfn.authorizers.insert(logical.to_owned(), None);
            return;
        }
        match spec {
            Ok(a) => {
                auth.authorizers.insert(name.clone(), a);
                self.cfn
                    .authorizers
                    .insert(logical.to_owned(), Some((api, name)));
            }
            Err(Reported) => {
                auth.broken.insert(name);
                self.cfn.authorizers.insert(logical.to_owned(), None);
            }
        }
    }

    pub(super) fn cfn_authorizer_spec(
        &mut self,
        logical: &str,
        name: &str,
        props: &Map<String, Value>,
        props_loc: &str,
    ) -> Result<Authorizer, Reported> {
        let ty =
            self.required_string(props, props_loc, "Type", "authorizer", "(TOKEN or REQUEST)")?;
        let request = match ty.as_str() {
            "TOKEN" => false,
            "REQUEST" => true,
            "COGNITO_USER_POOLS" => {
                return self.gateway_cognito_authorizer(
                    name,
                    props,
                    props_loc,
                    Spelling::Resource,
                    None,
                    &child("Resources", logical),
                );
            }
            other => {
                return Err(self.r.diags.error(
                    child(props_loc, "Type"),
                    format!(
                        "authorizer Type must be TOKEN, REQUEST or COGNITO_USER_POOLS, got {other:?}"
                    ),
                ));
            }
        };
        self.gateway_authorizer(
            name,
            request,
            props,
            props_loc,
            Spelling::Resource,
            None,
            child("Resources", logical),
        )
    }

    /// The fields of an API Gateway authorizer after its type: the function, the identity
    /// sources, the validation expression and the TTL. `AWS::ApiGateway::Authorizer` and the
    /// OpenAPI `x-amazon-apigateway-authorizer` carry the same fields, spelled as `spelling`
    /// says; `fallback_header` is the TOKEN header to use when no identity source is given.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::template::sam) fn gateway_authorizer(
        &mut self,
        name: &str,
        request: bool,
        props: &Map<String, Value>,
        props_loc: &str,
        spelling: Spelling,
        fallback_header: Option<String>,
        source: String,
    ) -> Result<Authorizer, Reported> {
        let field = |camel: &str| spelling.field(camel);
        let mut failed = false;
        let mut function = None;
        let mut identity: Option<(String, String)> = None;
        let mut validation: Option<(String, String)> = None;
        let mut ttl = DEFAULT_TTL_SECONDS;
        for (key, value) in props {
            let prop = Prop {
                value,
                loc: child(props_loc, key),
            };
            match spelling.canonical(key).as_str() {
                "type" => {}
                "restApiId" | "name" if spelling == Spelling::Resource => {}
                // Credentials and Cognito settings have nothing to emulate for Lambda authorizers.
                "authorizerCredentials" | "authType" | "providerARNs" => {}
                "authorizerUri" => match self.string(&prop) {
                    Ok(Some(uri)) => match invocation_target(&uri) {
                        Some(arn) => {
                            function = Some(self.authorizer_function(name, arn, &prop.loc))
                        }
                        None => {
                            self.r.diags.error(&prop.loc, not_invocation_uri(&uri));
                            failed = true;
                        }
                    },
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "identitySource" => match self.string(&prop) {
                    Ok(Some(s)) => identity = Some((s, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "identityValidationExpression" => match self.string(&prop) {
                    Ok(Some(s)) => validation = Some((s, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "authorizerResultTtlInSeconds" => match self.whole_number(
                    &prop,
                    TTL_RANGE,
                    &format!(
                        "{} must be between 0 and 3600 seconds",
                        field("authorizerResultTtlInSeconds")
                    ),
                ) {
                    Ok(Some(n)) => ttl = n,
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "authorizerPayloadFormatVersion" | "enableSimpleResponses"
                    if spelling == Spelling::Extension =>
                {
                    self.r.diags.warn(
                        &prop.loc,
                        format!("{key} applies to HTTP API authorizers only; ignored"),
                    )
                }
                _ => self.warn_unknown(key, &prop.loc, spelling.what()),
            }
        }
        let function = match function {
            Some(f) => f,
            None if failed => Err(Reported),
            None => Err(self.r.diags.error(
                props_loc,
                format!(
                    "authorizer {name} has no {} (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)",
                    field("authorizerUri")
                ),
            )),
        };
        let kind = if request {
            if let Some((_, loc)) = &validation {
                self.r.diags.warn(
                    loc,
                    format!(
                        "{} applies to {} authorizers only; ignored",
                        field("identityValidationExpression"),
                        spelling.kind(false)
                    ),
                );
            }
            let mut sources = Vec::new();
            if let Some((text, loc)) = &identity {
                for part in text.split(',').map(str::trim) {
                    match parse_identity_source(part) {
                        Some(s) => sources.push(s),
                        None => {
                            self.r.diags.error(
                                loc,
                                format!(
                                    "unknown identity source {part:?}; expected method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME"
                                ),
                            );
                            failed = true;
                        }
                    }
                }
            }
            if sources.is_empty() && ttl != 0 && !failed {
                self.r.diags.error(
                    props_loc,
                    format!(
                        "{} authorizer {name} needs an {} while its results are cached; add one, or set {}: 0",
                        spelling.kind(true),
                        field("identitySource"),
                        field("authorizerResultTtlInSeconds")
                    ),
                );
                failed = true;
            }
            AuthorizerKind::rest_request(sources)
        } else {
            let validation_expression = match validation {
                Some((expr, loc)) => match check_regex(&expr) {
                    Ok(()) => Some(expr),
                    Err(message) => {
                        let message = message.replacen(
                            "ValidationExpression",
                            &field("identityValidationExpression"),
                            1,
                        );
                        self.r.diags.error(loc, message);
                        failed = true;
                        None
                    }
                },
                None => None,
            };
            let header = match &identity {
                Some((text, loc)) => match parse_identity_source(text.trim()) {
                    Some(IdentitySource::Header(h)) => Some(h),
                    _ => {
                        self.r.diags.error(
                            loc,
                            format!(
                                "a {} authorizer takes one header, method.request.header.NAME; got {text:?}",
                                spelling.kind(false)
                            ),
                        );
                        failed = true;
                        None
                    }
                },
                None if fallback_header.is_some() => fallback_header,
                None => {
                    let scheme_hint = match spelling {
                        Spelling::Resource => "",
                        Spelling::Extension => {
                            ", and its scheme names no header (in: header, name: Authorization)"
                        }
                    };
                    self.r.diags.error(
                        props_loc,
                        format!(
                            "{} authorizer {name} has no {} (e.g. method.request.header.Authorization){scheme_hint}",
                            spelling.kind(false),
                            field("identitySource")
                        ),
                    );
                    failed = true;
                    None
                }
            };
            AuthorizerKind::Token {
                header: header.unwrap_or_default(),
                validation_expression,
            }
        };
        let function = function?;
        if failed {
            return Err(Reported);
        }
        Ok(Authorizer {
            name: name.to_owned(),
            function: Some(function),
            kind,
            ttl: Duration::from_secs(ttl),
            source,
        })
    }
}

/// One identity source as REST APIs write it.
fn parse_identity_source(s: &str) -> Option<IdentitySource> {
    IdentitySource::parse(s, crate::model::ApiKind::Rest)
}
