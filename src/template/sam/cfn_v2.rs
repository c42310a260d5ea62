//! Plain CloudFormation HTTP APIs, as CDK synthesizes them (aws-httpapi-semantics.md §8.3):
//! `AWS::ApiGatewayV2::Api` (`ProtocolType: HTTP`, `CorsConfiguration`, the quick-create
//! `Target`), `Stage`, `Integration` (`AWS_PROXY` to a local function), `Authorizer`
//! (`REQUEST`) and `Route` (`RouteKey`, `Target: integrations/ID`, `AuthorizationType`).
//!
//! An Api is added to the model where it appears, so APIs keep template order; the other
//! resources are read once every resource is known (`cfn_v2_finish`), integrations and
//! authorizers before the routes that name them. A route that cannot be served (no target,
//! an integration glassgate does not run) is left out with a warning; one whose authorization
//! cannot be settled (an unknown authorizer) is an error, never an open route.

use std::collections::HashMap;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::apigw::Spelling;
use super::auth::{TTL_RANGE, lambda_function_name};
use super::cfn::invocation_target;
use super::{Builder, Prop, RouteAuth, check_stage_name};
use crate::model::{
    Api, ApiKind, Authorizer, AuthorizerKind, DEFAULT_STAGE, Flavor, IdentitySource, Integration,
    PayloadVersion, Route, RouteKey, api_id_for,
};
use crate::template::{Reported, child};

pub(super) const V2_API: &str = "AWS::ApiGatewayV2::Api";
const V2_STAGE: &str = "AWS::ApiGatewayV2::Stage";
const V2_INTEGRATION: &str = "AWS::ApiGatewayV2::Integration";
const V2_AUTHORIZER: &str = "AWS::ApiGatewayV2::Authorizer";
const V2_ROUTE: &str = "AWS::ApiGatewayV2::Route";

/// The resource types read after every other resource, in the order they are read.
pub(super) const V2_LATER_TYPES: &[&str] = &[V2_STAGE, V2_INTEGRATION, V2_AUTHORIZER, V2_ROUTE];

/// Resource types of API Gateway v2 with nothing to serve locally.
pub(super) const V2_IGNORED_TYPES: &[&str] = &[
    "AWS::ApiGatewayV2::Deployment",
    "AWS::ApiGatewayV2::ApiMapping",
    "AWS::ApiGatewayV2::DomainName",
    "AWS::ApiGatewayV2::VpcLink",
];

const HTTP_TIMEOUT_MESSAGE: &str = "TimeoutInMillis should be between 50 ms and 30000 ms";

/// What the v2 readers collect before the routes are settled.
#[derive(Debug, Default)]
pub(super) struct PendingV2 {
    /// Logical ids of resources of [`V2_LATER_TYPES`], in template order.
    pub later: Vec<String>,
    /// Api logical id -> whether it was read without errors.
    apis: HashMap<String, bool>,
    /// Api logical id -> its first Stage.
    stages: HashMap<String, V2Stage>,
    /// Integration logical id -> what it serves; `None` when it cannot be served (reported).
    integrations: HashMap<String, Option<Integration>>,
    /// Authorizer logical id -> its name; `None` when it is broken (reported).
    authorizers: HashMap<String, Option<String>>,
}

/// What an `AWS::ApiGatewayV2::Stage` settles for its Api.
#[derive(Debug)]
struct V2Stage {
    name: String,
    variables: IndexMap<String, String>,
    /// Where it is declared.
    at: String,
    access_log: Option<crate::model::AccessLog>,
}

impl Builder<'_> {
    /// An `AWS::ApiGatewayV2::Api`.
    pub(super) fn cfn_v2_api(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let mut cors = None;
        let mut ok = true;
        let mut quick_target = None;
        let mut definition = super::openapi::DefinitionProps {
            body: None,
            file: None,
        };
        for (key, value) in &props {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            match key.as_str() {
                "ProtocolType" => match self.string(&prop) {
                    Ok(Some(p)) if p == "HTTP" => {}
                    Ok(Some(p)) => {
                        self.r.diags.warn(
                            &prop.loc,
                            format!("ProtocolType {p} is not served by glassgate (HTTP APIs only); API {logical} ignored"),
                        );
                        self.cfn_v2.apis.insert(logical.to_owned(), false);
                        return;
                    }
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "CorsConfiguration" => match self.cors_configuration(&prop) {
                    Ok(c) => cors = c,
                    Err(Reported) => ok = false,
                },
                "Target" => match self.string(&prop) {
                    Ok(Some(t)) => quick_target = Some((t, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "Body" => definition.body = Some(prop),
                "BodyS3Location" => definition.file = Some(prop),
                "Name"
                | "Description"
                | "Tags"
                | "Version"
                | "DisableExecuteApiEndpoint"
                | "DisableSchemaValidation"
                | "FailOnWarnings"
                | "ApiKeySelectionExpression"
                | "RouteSelectionExpression" => {}
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!("property {key} of {V2_API} is not supported by glassgate; ignored"),
                ),
            }
        }
        self.cfn_v2.apis.insert(logical.to_owned(), ok);
        if !ok {
            return;
        }
        let mut auth = self.api_auth.remove(logical).unwrap_or_default();
        let definition_cors = self.import_http_definition(logical, definition, false, &mut auth);
        self.api_auth.insert(logical.to_owned(), auth);
        let cors = cors.or(definition_cors);
        self.apis.push(Api {
            logical_id: logical.to_owned(),
            api_id: api_id_for(logical),
            // Settled in `cfn_v2_finish`, from its Stage.
            stage: DEFAULT_STAGE.to_owned(),
            stage_variables: IndexMap::new(),
            routes: Vec::new(),
            authorizers: IndexMap::new(),
            flavor: Flavor::Http { cors },
            access_log: None,
        });
        // Quick create: a `$default` route to the function, payload 2.0, on `$default`.
        if let Some((target, loc)) = quick_target {
            if let Ok(function) = self.v2_function(&target, &loc, "Target") {
                self.add_route(
                    logical.to_owned(),
                    Route {
                        key: RouteKey::Default,
                        integration: Integration::Lambda {
                            function,
                            payload: PayloadVersion::V2,
                            timeout: Duration::from_millis(30_000),
                        },
                        authorizer: None,
                        scopes: Vec::new(),
                        source: loc,
                    },
                    RouteAuth::Open,
                );
            }
        }
    }

    /// Read the v2 resources that point at an Api, then settle each Api's stage.
    pub(super) fn cfn_v2_finish(&mut self) {
        let later = std::mem::take(&mut self.cfn_v2.later);
        let typed: Vec<(String, &str)> = later
            .into_iter()
            .filter_map(|l| {
                let ty = self.r.resource(&l)?.ty;
                Some((l, ty))
            })
            .collect();
        for phase in V2_LATER_TYPES {
            for (logical, _) in typed.iter().filter(|(_, ty)| ty == phase) {
                match *phase {
                    V2_STAGE => self.cfn_v2_stage(logical),
                    V2_INTEGRATION => self.cfn_v2_integration(logical),
                    V2_AUTHORIZER => self.cfn_v2_authorizer(logical),
                    _ => self.cfn_v2_route(logical),
                }
            }
        }
        let stages = std::mem::take(&mut self.cfn_v2.stages);
        for api in &mut self.apis {
            if self.cfn_v2.apis.get(&api.logical_id) != Some(&true) {
                continue;
            }
            match stages.get(&api.logical_id) {
                Some(stage) => {
                    api.stage.clone_from(&stage.name);
                    api.stage_variables.clone_from(&stage.variables);
                    api.access_log.clone_from(&stage.access_log);
                }
                None => self.r.diags.warn(
                    child("Resources", &api.logical_id),
                    format!(
                        "API {} has no {V2_STAGE}; glassgate serves it on the $default stage",
                        api.logical_id
                    ),
                ),
            }
        }
    }

    /// The Api a v2 resource belongs to (`ApiId`, required).
    fn v2_api_ref(
        &mut self,
        props: &Map<String, Value>,
        props_loc: &str,
        what: &str,
    ) -> Result<String, Reported> {
        let id = self.required_string(props, props_loc, "ApiId", what, "(use !Ref MyHttpApi)")?;
        match self.cfn_v2.apis.get(&id) {
            Some(true) => Ok(id),
            Some(false) => Err(Reported),
            None => Err(self.r.diags.error(
                child(props_loc, "ApiId"),
                format!(
                    "ApiId {id:?} does not name an {V2_API} of this template (use !Ref MyHttpApi)"
                ),
            )),
        }
    }

    /// The logical id of the local function a Lambda ARN or invocation URI names.
    pub(super) fn v2_function(
        &mut self,
        given: &str,
        loc: &str,
        key: &str,
    ) -> Result<String, Reported> {
        let arn = invocation_target(given).unwrap_or(given);
        lambda_function_name(arn)
            .and_then(|n| self.r.find_function(n))
            .ok_or_else(|| {
                self.r.diags.error(
                    loc,
                    format!(
                        "{key} {given:?} names no function of this template (use !GetAtt MyFunction.Arn)"
                    ),
                )
            })
    }

    fn cfn_v2_stage(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let Ok(api) = self.v2_api_ref(&props, &props_loc, "stage") else {
            return;
        };
        let Ok(name) = self.required_string(&props, &props_loc, "StageName", "stage", "") else {
            return;
        };
        if name != DEFAULT_STAGE
            && let Err(message) = check_stage_name(&name)
        {
            self.r.diags.error(
                child(&props_loc, "StageName"),
                format!("{message} (or be $default)"),
            );
            return;
        }
        let mut var_layers = Vec::new();
        let mut access_log = None;
        for (key, value) in &props {
            let loc = child(&props_loc, key);
            match key.as_str() {
                "ApiId" | "StageName" | "AutoDeploy" | "DeploymentId" | "Description" | "Tags" => {}
                "StageVariables" => var_layers.push(Prop { value, loc }),
                "AccessLogSettings" => match self.access_log_setting(&Prop { value, loc }) {
                    Ok(l) => access_log = l,
                    Err(Reported) => return,
                },
                "DefaultRouteSettings" | "RouteSettings" => self.r.diags.warn(
                    &loc,
                    format!("{key} is not emulated: requests are not throttled"),
                ),
                _ => self.r.diags.warn(
                    &loc,
                    format!("property {key} of {V2_STAGE} is not supported by glassgate; ignored"),
                ),
            }
        }
        let Ok(vars) = self.stage_variables(&var_layers) else {
            return;
        };
        let here = child("Resources", logical);
        if let Some(first) = self.cfn_v2.stages.get(&api) {
            self.r.diags.warn(
                &here,
                format!(
                    "API {api} already has stage {} ({}); glassgate serves only that one",
                    first.name, first.at
                ),
            );
            return;
        }
        self.cfn_v2.stages.insert(
            api,
            V2Stage {
                name,
                variables: vars,
                at: here,
                access_log,
            },
        );
    }

    fn cfn_v2_integration(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let served = self.v2_integration(logical, &props, &props_loc);
        self.cfn_v2.integrations.insert(logical.to_owned(), served);
    }

    fn v2_integration(
        &mut self,
        logical: &str,
        props: &Map<String, Value>,
        props_loc: &str,
    ) -> Option<Integration> {
        self.v2_api_ref(props, props_loc, "integration").ok()?;
        let ty = self
            .required_string(
                props,
                props_loc,
                "IntegrationType",
                "integration",
                "(AWS_PROXY)",
            )
            .ok()?;
        if ty == "HTTP_PROXY" {
            return self
                .http_proxy_integration(
                    props,
                    props_loc,
                    &super::http_proxy::CFN_V2,
                    crate::model::ApiKind::Http,
                )
                .ok();
        }
        if ty != "AWS_PROXY" {
            self.r.diags.warn(
                child(props_loc, "IntegrationType"),
                format!("integration {logical} of type {ty} is not served by glassgate yet (AWS_PROXY only); routes that target it are left out"),
            );
            return None;
        }
        let uri = self
            .required_string(
                props,
                props_loc,
                "IntegrationUri",
                "integration",
                "(use !GetAtt MyFunction.Arn)",
            )
            .ok()?;
        let function = self
            .v2_function(&uri, &child(props_loc, "IntegrationUri"), "IntegrationUri")
            .ok()?;
        let mut payload = None;
        let mut timeout_ms = 30_000;
        let mut ok = true;
        for (key, value) in props {
            let prop = Prop {
                value,
                loc: child(props_loc, key),
            };
            match key.as_str() {
                "PayloadFormatVersion" => match self.payload_version(&prop) {
                    Ok(p) => payload = p,
                    Err(Reported) => ok = false,
                },
                "TimeoutInMillis" => {
                    match self.whole_number(&prop, 50..=30_000, HTTP_TIMEOUT_MESSAGE) {
                        Ok(Some(n)) => timeout_ms = n,
                        Ok(None) => {}
                        Err(Reported) => ok = false,
                    }
                }
                "ApiId" | "IntegrationType" | "IntegrationUri" | "IntegrationMethod"
                | "Description" | "CredentialsArn" | "ConnectionType" => {}
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "property {key} of {V2_INTEGRATION} is not supported by glassgate; ignored"
                    ),
                ),
            }
        }
        let Some(payload) = payload else {
            if ok {
                self.r.diags.error(
                    props_loc,
                    format!("integration {logical} has no PayloadFormatVersion (HTTP APIs require one for Lambda: \"2.0\", or \"1.0\")"),
                );
            }
            return None;
        };
        ok.then(|| Integration::Lambda {
            function,
            payload,
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    fn cfn_v2_authorizer(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        match self.v2_authorizer(logical, &props, &props_loc) {
            Some((api, a)) => {
                self.cfn_v2
                    .authorizers
                    .insert(logical.to_owned(), Some(a.name.clone()));
                self.api_auth
                    .entry(api)
                    .or_default()
                    .authorizers
                    .insert(a.name.clone(), a);
            }
            None => {
                self.cfn_v2.authorizers.insert(logical.to_owned(), None);
            }
        }
    }

    fn v2_authorizer(
        &mut self,
        logical: &str,
        props: &Map<String, Value>,
        props_loc: &str,
    ) -> Option<(String, Authorizer)> {
        let api = self.v2_api_ref(props, props_loc, "authorizer").ok()?;
        let name = self
            .required_string(props, props_loc, "Name", "authorizer", "")
            .ok()?;
        let a = self.v2_lambda_authorizer(
            &name,
            props,
            props_loc,
            Spelling::Resource,
            child("Resources", logical),
        )?;
        Some((api, a))
    }

    /// An HTTP API Lambda authorizer as API Gateway spells it: the fields of an
    /// `AWS::ApiGatewayV2::Authorizer` (`Spelling::Resource`: `AuthorizerType: REQUEST`,
    /// `AuthorizerUri`, ...) or of an OpenAPI `x-amazon-apigateway-authorizer`
    /// (`Spelling::Extension`: `type: request`, `authorizerUri`, ...). `None` when it cannot
    /// run (reported): JWT, a missing function, no payload version.
    pub(super) fn v2_lambda_authorizer(
        &mut self,
        name: &str,
        props: &Map<String, Value>,
        props_loc: &str,
        spelling: Spelling,
        source: String,
    ) -> Option<Authorizer> {
        let f = |camel: &str| spelling.field(camel);
        let type_key = match spelling {
            Spelling::Resource => "AuthorizerType".to_owned(),
            Spelling::Extension => "type".to_owned(),
        };
        let ty = self
            .required_string(props, props_loc, &type_key, "authorizer", "(REQUEST)")
            .ok()?;
        match ty.to_ascii_uppercase().as_str() {
            "REQUEST" => {}
            "JWT" => return self.v2_jwt_authorizer(name, props, props_loc, spelling, source),
            _ => {
                self.r.diags.error(
                    child(props_loc, &type_key),
                    format!(
                        "{type_key} must be {} or {}, got {ty:?}",
                        spelling.kind(true),
                        if spelling == Spelling::Resource {
                            "JWT"
                        } else {
                            "jwt"
                        }
                    ),
                );
                return None;
            }
        }
        let uri_key = f("authorizerUri");
        let uri = self
            .required_string(props, props_loc, &uri_key, "authorizer", "(arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)")
            .ok()?;
        let function = self
            .v2_function(&uri, &child(props_loc, &uri_key), &uri_key)
            .ok()?;
        let mut payload = None;
        let mut simple = false;
        let mut sources = Vec::new();
        let mut ttl = 0;
        let mut ok = true;
        for (key, value) in props {
            let prop = Prop {
                value,
                loc: child(props_loc, key),
            };
            match spelling.canonical(key).as_str() {
                "authorizerPayloadFormatVersion" => match self.payload_version(&prop) {
                    Ok(p) => payload = p,
                    Err(Reported) => ok = false,
                },
                "enableSimpleResponses" => match self.boolean(&prop) {
                    Ok(b) => simple = b.unwrap_or(false),
                    Err(Reported) => ok = false,
                },
                "identitySource" => match self.v2_identity_sources(&prop) {
                    Ok(s) => sources = s,
                    Err(Reported) => ok = false,
                },
                "authorizerResultTtlInSeconds" => match self.whole_number(
                    &prop,
                    TTL_RANGE,
                    &format!("{key} must be between 0 and 3600 seconds"),
                ) {
                    Ok(n) => ttl = n.unwrap_or(0),
                    Err(Reported) => ok = false,
                },
                "apiId"
                | "name"
                | "authorizerType"
                | "type"
                | "authorizerUri"
                | "authorizerCredentialsArn"
                | "authorizerCredentials" => {}
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "property {key} of {} is not supported by glassgate; ignored",
                        match spelling {
                            Spelling::Resource => V2_AUTHORIZER,
                            Spelling::Extension => "x-amazon-apigateway-authorizer",
                        }
                    ),
                ),
            }
        }
        if !ok {
            return None;
        }
        let Some(payload) = payload else {
            self.r.diags.error(
                props_loc,
                format!(
                    "authorizer {name} has no {} (required for REQUEST authorizers: \"2.0\" or \"1.0\")",
                    f("authorizerPayloadFormatVersion")
                ),
            );
            return None;
        };
        if simple && payload == PayloadVersion::V1 {
            self.r.diags.error(
                child(props_loc, &f("enableSimpleResponses")),
                format!(
                    "{} needs {} \"2.0\"; authorizer {name} uses \"1.0\"",
                    f("enableSimpleResponses"),
                    f("authorizerPayloadFormatVersion")
                ),
            );
            return None;
        }
        if sources.is_empty() && ttl != 0 {
            self.r.diags.error(
                props_loc,
                format!(
                    "authorizer {name} caches its results ({} {ttl}) but has no {}; API Gateway requires one to cache",
                    f("authorizerResultTtlInSeconds"),
                    f("identitySource")
                ),
            );
            return None;
        }
        Some(Authorizer {
            name: name.to_owned(),
            function: Some(function),
            kind: AuthorizerKind::Request {
                identity_sources: sources,
                payload,
                simple_responses: simple,
            },
            ttl: Duration::from_secs(ttl),
            source,
        })
    }

    /// A JWT authorizer as API Gateway spells it: `JwtConfiguration{Issuer, Audience}` and
    /// `IdentitySource` (`Spelling::Resource`), or `jwtConfiguration{issuer, audience}` and
    /// `identitySource` (`Spelling::Extension`).
    fn v2_jwt_authorizer(
        &mut self,
        name: &str,
        props: &Map<String, Value>,
        props_loc: &str,
        spelling: Spelling,
        source: String,
    ) -> Option<Authorizer> {
        let conf_key = spelling.field("jwtConfiguration");
        let conf_loc = child(props_loc, &conf_key);
        let conf = match props.get(&conf_key) {
            Some(v) => self.mapping(v, &conf_loc).ok()?,
            None => Map::new(),
        };
        let mut issuer = None;
        let mut audience = Vec::new();
        for (k, v) in &conf {
            let at = Prop {
                value: v,
                loc: child(&conf_loc, k),
            };
            match k.to_ascii_lowercase().as_str() {
                "issuer" => issuer = self.string(&at).ok()?.map(|i| (i, at.loc.clone())),
                "audience" => {
                    audience = match self.r.resolve(v, &at.loc).ok()? {
                        Some(Value::String(a)) => vec![a],
                        Some(Value::Array(_)) => self.string_list(&at).ok()?,
                        _ => Vec::new(),
                    }
                }
                _ => self.r.diags.warn(
                    &at.loc,
                    format!("property {k} of {conf_key} is not supported by glassgate; ignored"),
                ),
            }
        }
        let source_key = spelling.field("identitySource");
        let identity = match props.get(&source_key) {
            None => None,
            Some(v) => {
                let at = Prop {
                    value: v,
                    loc: child(props_loc, &source_key),
                };
                let text = match self.r.resolve(v, &at.loc).ok()? {
                    Some(Value::Array(_)) => self.string_list(&at).ok()?.join(","),
                    Some(Value::String(s)) => s,
                    _ => String::new(),
                };
                Some((text, at.loc))
            }
        };
        let mut a = self
            .jwt_authorizer(name, issuer, audience, identity, props_loc)
            .ok()?;
        a.source = source;
        Some(a)
    }

    /// `IdentitySource`: a list of (or one comma-separated text of) `$request.header.X`,
    /// `$request.querystring.X`, `$context.X`, `$stageVariables.X`.
    pub(super) fn v2_identity_sources(
        &mut self,
        prop: &Prop<'_>,
    ) -> Result<Vec<IdentitySource>, Reported> {
        let items: Vec<String> = match self.r.resolve(prop.value, &prop.loc)? {
            None => Vec::new(),
            Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_owned()).collect(),
            Some(Value::Array(_)) => self.string_list(prop)?,
            Some(other) => {
                return Err(self.r.diags.error(
                    &prop.loc,
                    format!(
                        "IdentitySource must be a list, got {}",
                        crate::template::describe(&other)
                    ),
                ));
            }
        };
        items
            .iter()
            .map(|s| {
                IdentitySource::parse(s, ApiKind::Http).ok_or_else(|| {
                    self.r.diags.error(
                        &prop.loc,
                        format!("{s:?} is not an identity source of HTTP APIs ($request.header.NAME, $request.querystring.NAME, $context.NAME or $stageVariables.NAME)"),
                    )
                })
            })
            .collect()
    }

    fn cfn_v2_route(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let source = child("Resources", logical);
        let Ok(api) = self.v2_api_ref(&props, &props_loc, "route") else {
            return;
        };
        let Ok(key_text) = self.required_string(
            &props,
            &props_loc,
            "RouteKey",
            "route",
            "(\"GET /items\" or $default)",
        ) else {
            return;
        };
        let key = match RouteKey::parse(&key_text) {
            Ok(k) => k,
            Err(e) => {
                self.r
                    .diags
                    .error(child(&props_loc, "RouteKey"), e.to_string());
                return;
            }
        };
        let mut target = None;
        let mut scopes = Vec::new();
        let mut auth_type = "NONE".to_owned();
        let mut authorizer_id = None;
        let mut ok = true;
        for (k, value) in &props {
            let prop = Prop {
                value,
                loc: child(&props_loc, k),
            };
            match k.as_str() {
                "Target" => match self.string(&prop) {
                    Ok(t) => target = t.map(|t| (t, prop.loc.clone())),
                    Err(Reported) => ok = false,
                },
                "AuthorizationType" => match self.string(&prop) {
                    Ok(Some(t)) => auth_type = t,
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "AuthorizerId" => match self.string(&prop) {
                    Ok(id) => authorizer_id = id.map(|id| (id, prop.loc.clone())),
                    Err(Reported) => ok = false,
                },
                "AuthorizationScopes" => match self.string_list(&prop) {
                    Ok(s) => scopes = s,
                    Err(Reported) => ok = false,
                },
                "ApiId" | "RouteKey" | "OperationName" | "ApiKeyRequired" => {}
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!("property {k} of {V2_ROUTE} is not supported by glassgate; ignored"),
                ),
            }
        }
        if !ok {
            return;
        }
        let auth = match auth_type.as_str() {
            "NONE" => RouteAuth::Open,
            "CUSTOM" | "JWT" => match authorizer_id {
                Some((id, loc)) => match self.cfn_v2.authorizers.get(&id) {
                    Some(Some(name)) => RouteAuth::Named {
                        name: name.clone(),
                        loc,
                    },
                    // Broken, and reported where it is declared.
                    Some(None) => return,
                    None => {
                        self.r.diags.error(
                            &loc,
                            format!("AuthorizerId {id:?} names no {V2_AUTHORIZER} of this template (use !Ref MyAuthorizer)"),
                        );
                        return;
                    }
                },
                None => {
                    self.r.diags.error(
                        &props_loc,
                        format!(
                            "route {key} has AuthorizationType {auth_type} but no AuthorizerId"
                        ),
                    );
                    return;
                }
            },
            "AWS_IAM" => RouteAuth::Named {
                name: crate::model::Authorizer::IAM.to_owned(),
                loc: child(&props_loc, "AuthorizationType"),
            },
            other => {
                self.r.diags.error(
                    child(&props_loc, "AuthorizationType"),
                    format!(
                        "AuthorizationType must be NONE, CUSTOM, JWT or AWS_IAM, got {other:?}"
                    ),
                );
                return;
            }
        };
        let Some((target, target_loc)) = target else {
            self.r.diags.warn(
                &source,
                format!("route {key} has no Target; an HTTP API route without an integration is not served"),
            );
            return;
        };
        let Some(integration_id) = target.strip_prefix("integrations/") else {
            self.r.diags.error(
                &target_loc,
                format!("Target {target:?} is not integrations/INTEGRATION_ID (use !Join [/, [integrations, !Ref MyIntegration]])"),
            );
            return;
        };
        let integration = match self.cfn_v2.integrations.get(integration_id) {
            Some(Some(i)) => i.clone(),
            // Not served, and said so where it is declared.
            Some(None) => return,
            None => {
                self.r.diags.error(
                    &target_loc,
                    format!("Target names {integration_id:?}, which is no {V2_INTEGRATION} of this template"),
                );
                return;
            }
        };
        let spec = Route {
            key,
            integration,
            authorizer: None,
            scopes,
            source,
        };
        self.add_route(api, spec, auth);
    }
}
