//! An OpenAPI definition's `paths`: each operation becomes a route, with the integration its
//! `x-amazon-apigateway-integration` names (a Lambda proxy, or a type glassgate does not
//! emulate, which answers 500) and the authorizer its security or `x-amazon-apigateway-auth`
//! asks for.

use serde_json::Value;

use super::super::apigw::IntegrationKeys;
use super::super::auth::ApiAuth;
use super::super::{Builder, PendingRoute, Prop, RouteAuth};
use super::{
    ANY_METHOD, Definition, INTEGRATION, METHOD_AUTH, OPERATIONS, REQUEST_VALIDATOR, Security,
    warn_once,
};
use crate::model::{Authorizer, Integration, PathTemplate, PayloadVersion, Route, RouteKey};
use crate::template::intrinsics::scalar_text;
use crate::template::{Reported, child};

impl Builder<'_> {
    pub(super) fn definition_paths(
        &mut self,
        d: &mut Definition,
        value: &Value,
        top: &Result<Option<Security>, Reported>,
        auth: &ApiAuth,
    ) {
        let loc = child(&d.loc, "paths");
        let Ok(paths) = self.mapping(value, &loc) else {
            return;
        };
        for (path, item) in &paths {
            let path_loc = child(&loc, path);
            // HTTP APIs write their `$default` route as the path `/$default`.
            let default_route = d.http && path == "/$default";
            let template = match PathTemplate::parse(path) {
                Ok(t) => t,
                Err(message) => {
                    self.r.diags.error(&path_loc, message.to_string());
                    continue;
                }
            };
            let Ok(operations) = self.mapping(item, &path_loc) else {
                continue;
            };
            for (key, op) in &operations {
                let op_loc = child(&path_loc, key);
                let lower = key.to_ascii_lowercase();
                let method = if OPERATIONS.contains(&lower.as_str()) {
                    lower.to_ascii_uppercase()
                } else if lower == ANY_METHOD {
                    "ANY".to_owned()
                } else {
                    match lower.as_str() {
                        "parameters" | "summary" | "description" | "servers" => {}
                        "$ref" => self.r.diags.warn(
                            &op_loc,
                            format!("$ref path items are not followed by glassgate; {path} is not served"),
                        ),
                        "trace" => self.r.diags.warn(
                            &op_loc,
                            "API Gateway has no TRACE method; the operation is ignored",
                        ),
                        k if k.starts_with("x-") => {}
                        _ => self.r.diags.warn(
                            &op_loc,
                            format!("{key} is not an HTTP method; ignored"),
                        ),
                    }
                    continue;
                };
                let key = match default_route {
                    true if method == "ANY" => RouteKey::Default,
                    true => {
                        self.r.diags.error(
                            &op_loc,
                            "the $default route takes every method: declare it as x-amazon-apigateway-any-method",
                        );
                        continue;
                    }
                    false => RouteKey::path(&method, template.clone()),
                };
                self.definition_operation(d, key, op, &op_loc, top, auth);
            }
        }
    }

    pub(super) fn definition_operation(
        &mut self,
        d: &mut Definition,
        key: RouteKey,
        value: &Value,
        loc: &str,
        top: &Result<Option<Security>, Reported>,
        auth: &ApiAuth,
    ) {
        let route = key.to_string();
        let Ok(op) = self.mapping(value, loc) else {
            return;
        };
        let mut ok = true;
        let mut target = None;
        let mut security = None;
        let mut iam_auth = None;
        for (key, v) in &op {
            let at = child(loc, key);
            match key.as_str() {
                INTEGRATION if d.http => match self.http_definition_integration(&route, v, &at) {
                    Ok(t) => target = t,
                    Err(Reported) => ok = false,
                },
                INTEGRATION => match self.definition_integration(&route, v, &at) {
                    Ok(t) => target = t,
                    Err(Reported) => ok = false,
                },
                "security" => match self.security_requirement(d, v, &at, auth) {
                    Ok(s) => security = Some(s),
                    Err(Reported) => ok = false,
                },
                METHOD_AUTH => {
                    let ty = self
                        .mapping(v, &at)
                        .ok()
                        .and_then(|m| m.get("type").and_then(scalar_text));
                    // `x-amazon-apigateway-auth: {type: AWS_IAM}` sets the method's
                    // AuthorizationType, over its security requirement.
                    if ty.is_some_and(|t| t.eq_ignore_ascii_case("aws_iam")) {
                        iam_auth = Some(at.clone());
                    }
                }
                REQUEST_VALIDATOR => {
                    warn_once(
                        self,
                        d,
                        REQUEST_VALIDATOR,
                        "requests are passed through unchecked",
                        &at,
                    );
                }
                _ => {}
            }
        }
        if !op.contains_key(INTEGRATION) {
            self.r.diags.warn(
                loc,
                format!("{route} has no {INTEGRATION}; it is not served"),
            );
            return;
        }
        let (Some(integration), true) = (target, ok) else {
            return;
        };
        let mut route_scopes = Vec::new();
        let route_auth = if let Some(loc) = iam_auth {
            RouteAuth::Named {
                name: Authorizer::IAM.to_owned(),
                loc,
            }
        } else {
            match security {
                Some(Security::Authorizer { name, loc, scopes }) => {
                    route_scopes = scopes;
                    RouteAuth::Named { name, loc }
                }
                Some(Security::Open) => RouteAuth::Open,
                Some(Security::Empty) if d.sam_default => {
                    self.r.diags.warn(
                    child(loc, "security"),
                    "security: [] does not open an operation of an API with a DefaultAuthorizer: SAM adds the default to it (write security: [{NONE: []}] to leave it open)",
                );
                    RouteAuth::Inherit
                }
                Some(Security::Empty | Security::NoAuthorizer) | None if d.sam_default => {
                    RouteAuth::Inherit
                }
                Some(Security::Empty | Security::NoAuthorizer) => RouteAuth::Open,
                None => match top {
                    Ok(Some(Security::Authorizer { name, loc, scopes })) => {
                        route_scopes.clone_from(scopes);
                        RouteAuth::Named {
                            name: name.clone(),
                            loc: loc.clone(),
                        }
                    }
                    Ok(_) => RouteAuth::Open,
                    // The top-level security is broken (reported): never serve the route open.
                    Err(Reported) => return,
                },
            }
        };
        self.openapi_routes.push((
            d.api.clone(),
            PendingRoute {
                spec: Route {
                    key,
                    integration,
                    authorizer: None,
                    scopes: route_scopes,
                    source: loc.to_owned(),
                },
                auth: route_auth,
            },
        ));
    }

    /// An HTTP API operation's `x-amazon-apigateway-integration`: `aws_proxy` to a local
    /// function with its `payloadFormatVersion` (required) and `timeoutInMillis` (50 to
    /// 30 000, 30 s by default); `Ok(None)` (with a warning) for types not served.
    pub(super) fn http_definition_integration(
        &mut self,
        route: &str,
        value: &Value,
        loc: &str,
    ) -> Result<Option<Integration>, Reported> {
        let entries = self.mapping(value, loc)?;
        let what = format!("the integration of {route}");
        let ty = self.required_string(&entries, loc, "type", &what, "(aws_proxy)")?;
        match ty.to_ascii_lowercase().as_str() {
            "aws_proxy" => {}
            "http_proxy" => {
                return self
                    .http_proxy_integration(
                        &entries,
                        loc,
                        &super::super::http_proxy::OPENAPI,
                        crate::model::ApiKind::Http,
                    )
                    .map(Some);
            }
            _ => {
                return Err(self.r.diags.error(
                    child(loc, "type"),
                    format!("integration type {ty:?} of {route} is not one HTTP APIs take (aws_proxy or http_proxy)"),
                ));
            }
        }
        let uri = self.required_string(
            &entries,
            loc,
            "uri",
            &what,
            "(the function's invocation ARN)",
        )?;
        let function = self.v2_function(&uri, &child(loc, "uri"), "uri")?;
        let payload = match entries.get("payloadFormatVersion") {
            None => {
                return Err(self.r.diags.error(
                    loc,
                    format!("{what} has no payloadFormatVersion (HTTP APIs require one: \"2.0\", or \"1.0\")"),
                ));
            }
            Some(value) => {
                let at = Prop {
                    value,
                    loc: child(loc, "payloadFormatVersion"),
                };
                let Some(p) = self.payload_version(&at)? else {
                    return Err(self.r.diags.error(&at.loc, "payloadFormatVersion is empty"));
                };
                p
            }
        };
        let mut timeout_ms = 30_000;
        if let Some(value) = entries.get("timeoutInMillis") {
            let at = Prop {
                value,
                loc: child(loc, "timeoutInMillis"),
            };
            if let Some(n) = self.whole_number(
                &at,
                50..=30_000,
                "timeoutInMillis should be between 50 ms and 30000 ms",
            )? {
                timeout_ms = n;
            }
        }
        Ok(Some(Integration::Lambda {
            function,
            payload,
            timeout: std::time::Duration::from_millis(timeout_ms),
        }))
    }

    /// A REST operation's `x-amazon-apigateway-integration`, of any type (a type glassgate
    /// does not emulate is `Integration::NotEmulated`, with a warning).
    pub(super) fn definition_integration(
        &mut self,
        route: &str,
        value: &Value,
        loc: &str,
    ) -> Result<Option<Integration>, Reported> {
        let entries = self.mapping(value, loc)?;
        let what = format!("the integration of {route}");
        let ty = self.required_string(&entries, loc, "type", &what, "(aws_proxy)")?;
        match ty.to_ascii_lowercase().as_str() {
            "aws_proxy" => {}
            "http_proxy" => {
                return self
                    .http_proxy_integration(
                        &entries,
                        loc,
                        &super::super::http_proxy::OPENAPI,
                        crate::model::ApiKind::Rest,
                    )
                    .map(Some);
            }
            "mock" => {
                return self
                    .mock_integration(&entries, loc, super::super::mapped::MappedForm::OpenApi)
                    .map(Some);
            }
            "aws" => {
                return self
                    .aws_integration(
                        &entries,
                        loc,
                        super::super::mapped::MappedForm::OpenApi,
                        &IntegrationKeys {
                            owner: &what,
                            verb: "httpMethod",
                            uri: "uri",
                            timeout: "timeoutInMillis",
                        },
                        route,
                    )
                    .map(Some);
            }
            "http" => {
                self.r.diags.warn(
                    loc,
                    format!("integration type {ty} of {route} is not emulated by glassgate yet; the route answers 500 (integration-not-emulated), never a proxy stand-in"),
                );
                return Ok(Some(Integration::NotEmulated { kind: ty }));
            }
            _ => {
                return Err(self.r.diags.error(
                    child(loc, "type"),
                    format!(
                        "unknown integration type {ty:?} of {route}; expected aws_proxy, aws, http, http_proxy or mock"
                    ),
                ));
            }
        }
        self.proxy_integration(
            &entries,
            loc,
            &IntegrationKeys {
                owner: &what,
                verb: "httpMethod",
                uri: "uri",
                timeout: "timeoutInMillis",
            },
            route,
        )
        .map(|(function, timeout_ms)| {
            Some(Integration::Lambda {
                function,
                payload: PayloadVersion::V1,
                timeout: std::time::Duration::from_millis(timeout_ms),
            })
        })
    }
}
