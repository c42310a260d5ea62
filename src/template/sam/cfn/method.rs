//! `AWS::ApiGateway::Resource` (the path tree, from `ParentId` chains) and
//! `AWS::ApiGateway::Method`: each method becomes a route with its authorization and its
//! integration (a Lambda proxy, or a type glassgate does not emulate); `proxy_integration`
//! reads an integration's fields for OpenAPI too.

use serde_json::{Map, Value};

use super::super::apigw::{AUTHORIZER, IntegrationKeys};
use super::super::auth::lambda_function_name;
use super::super::{Builder, Prop, RouteAuth, TIMEOUT_RANGE_MESSAGE, http_method};
use super::{MAX_RESOURCE_DEPTH, METHOD, RESOURCE};
use crate::model::PathTemplate;
use crate::template::intrinsics::root_resource_id;
use crate::template::{Reported, child};

impl<'t> Builder<'t> {
    /// Check a Resource on its own, so its errors are reported even if no method uses it.
    pub(super) fn cfn_resource(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let Ok(api) = self.cfn_api_ref(&props, &props_loc, "resource") else {
            return;
        };
        if let Ok(path) = self.cfn_path(&api, logical, &child("Resources", logical), 0)
            && let Err(message) = PathTemplate::parse(&path)
        {
            self.r
                .diags
                .error(child(&props_loc, "PathPart"), message.to_string());
        }
    }

    /// The path of resource `id` of `api` (the root is `/`), as used at `loc`.
    pub(super) fn cfn_path(
        &mut self,
        api: &str,
        id: &str,
        loc: &str,
        depth: usize,
    ) -> Result<String, Reported> {
        if id == root_resource_id(api) {
            return Ok("/".to_owned());
        }
        if depth > MAX_RESOURCE_DEPTH {
            return Err(self.r.diags.error(
                loc,
                format!("the ParentId chain from here is more than {MAX_RESOURCE_DEPTH} resources long; does it loop?"),
            ));
        }
        let hint = format!("use !Ref MyResource, or !GetAtt {api}.RootResourceId for the root");
        match self.r.resource(id) {
            Some(info) if info.ty == RESOURCE => match self.r.included(id) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(self.r.diags.error(
                        loc,
                        format!("{id} is referenced here but its Condition excludes it"),
                    ));
                }
                Err(Reported) => return Err(Reported),
            },
            Some(info) => {
                return Err(self.r.diags.error(
                    loc,
                    format!("{id} is a {}, not an {RESOURCE}; {hint}", info.ty),
                ));
            }
            None => {
                let other_root = id
                    .strip_suffix(".RootResourceId")
                    .filter(|a| self.cfn.apis.contains_key(*a));
                let message = match other_root {
                    Some(other) => format!(
                        "this is the root resource of API {other}, but it belongs to API {api}"
                    ),
                    None => format!("{id:?} does not name an {RESOURCE} of this template; {hint}"),
                };
                return Err(self.r.diags.error(loc, message));
            }
        }
        let Some((props, props_loc)) = self.cfn_props(id) else {
            return Err(Reported);
        };
        let own_api = self.cfn_api_ref(&props, &props_loc, "resource")?;
        if own_api != api {
            return Err(self.r.diags.error(
                loc,
                format!("{id} is a resource of API {own_api}, but it is used in API {api}"),
            ));
        }
        for key in props.keys() {
            if !matches!(key.as_str(), "RestApiId" | "ParentId" | "PathPart") {
                self.warn_unknown(key, &child(&props_loc, key), RESOURCE);
            }
        }
        let part = self.required_string(&props, &props_loc, "PathPart", "resource", "");
        let part = part.and_then(|p| {
            if p.is_empty() || p.contains('/') {
                Err(self.r.diags.error(
                    child(&props_loc, "PathPart"),
                    format!("PathPart must be one non-empty path segment without '/', got {p:?}"),
                ))
            } else {
                Ok(p)
            }
        });
        let parent = self.required_string(
            &props,
            &props_loc,
            "ParentId",
            "resource",
            &format!("({hint})"),
        )?;
        let parent_path = self.cfn_path(api, &parent, &child(&props_loc, "ParentId"), depth + 1)?;
        let part = part?;
        Ok(if parent_path == "/" {
            format!("/{part}")
        } else {
            format!("{parent_path}/{part}")
        })
    }

    pub(super) fn cfn_method(&mut self, logical: &str) {
        let source = child("Resources", logical);
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let api = self.cfn_api_ref(&props, &props_loc, "method");
        let mut ok = api.is_ok();
        let path = match (&api, props.get("ResourceId")) {
            (Ok(api), Some(_)) => {
                let id = self.required_string(&props, &props_loc, "ResourceId", "method", "");
                let path =
                    id.and_then(|id| self.cfn_path(api, &id, &child(&props_loc, "ResourceId"), 0));
                // A bad path was reported with its Resource.
                path.ok().and_then(|p| PathTemplate::parse(&p).ok())
            }
            (_, None) => {
                self.r.diags.error(
                    &props_loc,
                    "method has no ResourceId (use !Ref MyResource, or !GetAtt MyApi.RootResourceId for the root)",
                );
                None
            }
            (Err(Reported), Some(_)) => None,
        };
        ok &= path.is_some();
        let method = match self.required_string(&props, &props_loc, "HttpMethod", "method", "") {
            Ok(m) => match http_method(&m) {
                Some(m) => Some(m),
                None => {
                    self.r.diags.error(
                        child(&props_loc, "HttpMethod"),
                        format!("unknown HTTP method {m:?}; expected GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"),
                    );
                    None
                }
            },
            Err(Reported) => None,
        };
        ok &= method.is_some();
        let mut authorization = ("NONE".to_owned(), String::new());
        let mut authorizer_id: Option<(String, String)> = None;
        let mut scopes = Vec::new();
        let mut integration: Option<crate::model::Integration> = None;
        let mut has_integration = false;
        for (key, value) in &props {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            match key.as_str() {
                "RestApiId" | "ResourceId" | "HttpMethod" => {}
                "AuthorizationType" => match self.string(&prop) {
                    Ok(Some(t)) => authorization = (t, prop.loc),
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "AuthorizerId" => match self.string(&prop) {
                    Ok(Some(id)) => authorizer_id = Some((id, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "Integration" => {
                    has_integration = true;
                    match self.cfn_integration(logical, &prop) {
                        Ok(Some(target)) => integration = Some(target),
                        // Not served; warned.
                        Ok(None) => {}
                        Err(Reported) => ok = false,
                    }
                }
                "ApiKeyRequired" => self.r.diags.warn(
                    &prop.loc,
                    "ApiKeyRequired is not emulated; requests are served without checking an API key",
                ),
                "AuthorizationScopes" => match self.string_list(&prop) {
                    Ok(s) => scopes = s,
                    Err(Reported) => ok = false,
                },
                "RequestParameters" | "RequestModels" | "RequestValidatorId" => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "{key} is not validated by glassgate; requests are passed through unchecked"
                    ),
                ),
                "MethodResponses" | "OperationName" => {}
                _ => self.warn_unknown(key, &prop.loc, METHOD),
            }
        }
        let route_auth = self.cfn_method_auth(api.as_deref().ok(), &authorization, authorizer_id);
        if !has_integration {
            self.r.diags.warn(
                &source,
                format!("method {logical} has no Integration; it is not served"),
            );
        }
        let (Ok(api), Some(path), Some(method), Some(integration), Ok(route_auth), true) =
            (api, path, method, integration, route_auth, ok)
        else {
            return;
        };
        let mut spec = super::super::rest_route(&method, path, integration, source);
        spec.scopes = scopes;
        self.add_route(api, spec, route_auth);
    }

    /// `AuthorizationType` and `AuthorizerId` of a method, as a route's authorizer.
    pub(super) fn cfn_method_auth(
        &mut self,
        api: Option<&str>,
        (ty, ty_loc): &(String, String),
        authorizer_id: Option<(String, String)>,
    ) -> Result<RouteAuth, Reported> {
        match ty.as_str() {
            "NONE" => {
                if let Some((_, loc)) = authorizer_id {
                    self.r.diags.warn(
                        loc,
                        "AuthorizerId is set but AuthorizationType is NONE, so API Gateway does not call the authorizer: the method is open (set AuthorizationType: CUSTOM)",
                    );
                }
                Ok(RouteAuth::Open)
            }
            "CUSTOM" | "COGNITO_USER_POOLS" => {
                let Some((id, loc)) = authorizer_id else {
                    return Err(self.r.diags.error(
                        ty_loc,
                        format!(
                            "AuthorizationType {ty} needs an AuthorizerId (use !Ref MyAuthorizer)"
                        ),
                    ));
                };
                match self.cfn.authorizers.get(&id) {
                    Some(Some((auth_api, name))) => match api {
                        Some(api) if api == auth_api => Ok(RouteAuth::Named {
                            name: name.clone(),
                            loc,
                        }),
                        Some(api) => Err(self.r.diags.error(
                            loc,
                            format!(
                                "authorizer {id} belongs to API {auth_api}, but this method belongs to API {api}"
                            ),
                        )),
                        None => Err(Reported),
                    },
                    // Broken: already reported.
                    Some(None) => Err(Reported),
                    None => {
                        let message = match self.r.resource(&id) {
                            Some(info) if info.ty == AUTHORIZER => {
                                format!("{id} is referenced here but its Condition excludes it")
                            }
                            Some(info) => format!(
                                "AuthorizerId refers to {id}, which is a {}; expected an {AUTHORIZER}",
                                info.ty
                            ),
                            None => format!(
                                "AuthorizerId {id:?} does not name an {AUTHORIZER} of this template (use !Ref MyAuthorizer)"
                            ),
                        };
                        Err(self.r.diags.error(loc, message))
                    }
                }
            }
            "AWS_IAM" => Ok(RouteAuth::Named {
                name: crate::model::Authorizer::IAM.to_owned(),
                loc: ty_loc.clone(),
            }),
            other => Err(self.r.diags.error(
                ty_loc,
                format!(
                    "unknown AuthorizationType {other:?}; expected NONE, CUSTOM, AWS_IAM or COGNITO_USER_POOLS"
                ),
            )),
        }
    }

    /// A method's `Integration`, of any type (a type glassgate does not emulate is
    /// `Integration::NotEmulated`, with a warning).
    pub(super) fn cfn_integration(
        &mut self,
        method: &str,
        prop: &Prop<'_>,
    ) -> Result<Option<crate::model::Integration>, Reported> {
        let entries = self.mapping(prop.value, &prop.loc)?;
        let ty = self.required_string(&entries, &prop.loc, "Type", "Integration", "(AWS_PROXY)")?;
        if ty == "HTTP_PROXY" {
            return self
                .http_proxy_integration(
                    &entries,
                    &prop.loc,
                    &super::super::http_proxy::CFN_REST,
                    crate::model::ApiKind::Rest,
                )
                .map(Some);
        }
        if ty == "MOCK" {
            return self
                .mock_integration(
                    &entries,
                    &prop.loc,
                    super::super::mapped::MappedForm::CloudFormation,
                )
                .map(Some);
        }
        if ty == "AWS" {
            return self
                .aws_integration(
                    &entries,
                    &prop.loc,
                    super::super::mapped::MappedForm::CloudFormation,
                    &IntegrationKeys {
                        owner: "Integration",
                        verb: "IntegrationHttpMethod",
                        uri: "Uri",
                        timeout: "TimeoutInMillis",
                    },
                    &format!("method {method}"),
                )
                .map(Some);
        }
        if ty != "AWS_PROXY" {
            if ty == "HTTP" {
                self.r.diags.warn(
                    child(&prop.loc, "Type"),
                    format!(
                        "integration type {ty} of method {method} is not emulated by glassgate yet; the method answers 500 (integration-not-emulated), never a proxy stand-in"
                    ),
                );
                return Ok(Some(crate::model::Integration::NotEmulated { kind: ty }));
            }
            return Err(self.r.diags.error(
                child(&prop.loc, "Type"),
                format!(
                    "unknown integration type {ty:?}; expected AWS_PROXY, AWS, HTTP, HTTP_PROXY or MOCK"
                ),
            ));
        }
        self.proxy_integration(
            &entries,
            &prop.loc,
            &IntegrationKeys {
                owner: "Integration",
                verb: "IntegrationHttpMethod",
                uri: "Uri",
                timeout: "TimeoutInMillis",
            },
            &format!("method {method}"),
        )
        .map(|(function, timeout_ms)| {
            Some(crate::model::Integration::Lambda {
                function,
                payload: crate::model::PayloadVersion::V1,
                timeout: std::time::Duration::from_millis(timeout_ms),
            })
        })
    }

    /// The function and timeout of an `AWS_PROXY` integration, as the CloudFormation
    /// `Integration` and the OpenAPI `x-amazon-apigateway-integration` both give them: the
    /// verb must be POST, the URI must invoke a function of the template.
    pub(in crate::template::sam) fn proxy_integration(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        keys: &IntegrationKeys<'_>,
        route: &str,
    ) -> Result<(String, u64), Reported> {
        let mut failed = false;
        match self.required_string(
            entries,
            loc,
            keys.verb,
            keys.owner,
            "(Lambda integrations use POST)",
        ) {
            Ok(v) if v.eq_ignore_ascii_case("POST") => {}
            Ok(v) => {
                self.r.diags.error(
                    child(loc, keys.verb),
                    format!(
                        "API Gateway calls Lambda with POST; {} {v} makes every call of {route} fail",
                        keys.verb
                    ),
                );
                failed = true;
            }
            Err(Reported) => failed = true,
        }
        let function = self
            .required_string(entries, loc, keys.uri, keys.owner, "")
            .and_then(|uri| {
                let uri_loc = child(loc, keys.uri);
                let Some(arn) = invocation_target(&uri) else {
                    return Err(self.r.diags.error(uri_loc, not_invocation_uri(&uri)));
                };
                let found = lambda_function_name(arn).and_then(|n| self.r.find_function(n));
                found.ok_or_else(|| {
                    self.r.diags.error(
                        uri_loc,
                        format!(
                            "{route}: no function of this template matches {arn:?} (use ${{MyFunction.Arn}} in the {})",
                            keys.uri
                        ),
                    )
                })
            });
        let mut timeout_ms = 29_000;
        if let Some(value) = entries.get(keys.timeout) {
            let at = Prop {
                value,
                loc: child(loc, keys.timeout),
            };
            match self.whole_number(&at, 50..=29_000, TIMEOUT_RANGE_MESSAGE) {
                Ok(Some(n)) => timeout_ms = n,
                Ok(None) => {}
                Err(Reported) => failed = true,
            }
        }
        let function = function?;
        if failed {
            return Err(Reported);
        }
        Ok((function, timeout_ms))
    }
}

/// The function ARN in a Lambda invocation URI
/// (`arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations`).
pub(in crate::template::sam) fn invocation_target(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("functions/")?;
    let (arn, _) = rest.split_once("/invocations")?;
    (!arn.is_empty()).then_some(arn)
}

pub(in crate::template::sam) fn not_invocation_uri(uri: &str) -> String {
    format!(
        "{uri:?} is not a Lambda invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)"
    )
}
