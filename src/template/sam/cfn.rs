//! Plain CloudFormation API Gateway resources: `AWS::ApiGateway::RestApi` and the `Resource`,
//! `Method`, `Authorizer`, `Stage`, `Deployment` and `GatewayResponse` resources that point at it.
//!
//! A RestApi is added to the model where it appears, so APIs keep template order; everything
//! that points at one is read after every other resource, because methods need the paths of
//! their resources, the names of their authorizers and the functions of their integrations,
//! which may all come later in the template.

use std::collections::HashMap;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::apigw::{AUTHORIZER, IntegrationKeys, Spelling};
use super::auth::{DEFAULT_TTL_SECONDS, TTL_RANGE, check_regex, lambda_function_name};
use super::{Builder, Prop, RouteAuth, TIMEOUT_RANGE_MESSAGE, check_stage_name, http_method};
use crate::model::{
    Api, Authorizer, AuthorizerKind, Flavor, IdentitySource, PathTemplate, api_id_for,
};
use crate::template::intrinsics::{CFN_REST_API, ResourceInfo, root_resource_id};
use crate::template::{Reported, child};

const RESOURCE: &str = "AWS::ApiGateway::Resource";
const METHOD: &str = "AWS::ApiGateway::Method";
const STAGE: &str = "AWS::ApiGateway::Stage";
const DEPLOYMENT: &str = "AWS::ApiGateway::Deployment";
const GATEWAY_RESPONSE: &str = "AWS::ApiGateway::GatewayResponse";

/// Resource types read once every other resource is known.
pub(super) const LATER_TYPES: &[&str] = &[
    RESOURCE,
    METHOD,
    AUTHORIZER,
    STAGE,
    DEPLOYMENT,
    GATEWAY_RESPONSE,
];

/// The stage served when no Stage or Deployment names one.
const DEFAULT_STAGE: &str = "local";

/// Far deeper than any real API; stops a `ParentId` loop.
const MAX_RESOURCE_DEPTH: usize = 64;

/// RestApi properties with no effect on how requests are served locally.
const HARMLESS_REST_API_PROPERTIES: &[&str] = &[
    "ApiKeySourceType",
    "CloneFrom",
    "Description",
    "DisableExecuteApiEndpoint",
    "EndpointConfiguration",
    "FailOnWarnings",
    "Mode",
    "Name",
    "Parameters",
    "Tags",
];

/// Stage and Deployment properties with no effect on how requests are served locally.
const HARMLESS_STAGE_PROPERTIES: &[&str] = &[
    "CacheClusterEnabled",
    "CacheClusterSize",
    "CanarySetting",
    "ClientCertificateId",
    "DeploymentCanarySettings",
    "DeploymentId",
    "Description",
    "DocumentationVersion",
    "MethodSettings",
    "Tags",
    "TracingEnabled",
];

/// The CloudFormation side of the [`Builder`].
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// Logical ids of resources of [`LATER_TYPES`], in template order.
    pub later: Vec<String>,
    /// RestApi logical id -> whether it was read without errors.
    apis: HashMap<String, bool>,
    /// Authorizer logical id -> (API, name); `None` when it is broken (already reported).
    authorizers: HashMap<String, Option<(String, String)>>,
    /// (API, response type) -> where it was declared, to report duplicates.
    responses: HashMap<(String, String), String>,
    /// API -> its stages, Stage resources first, then Deployments.
    stages: IndexMap<String, Vec<DeclaredStage>>,
}

/// A stage named by a Stage or Deployment resource.
#[derive(Debug)]
struct DeclaredStage {
    name: String,
    variables: IndexMap<String, String>,
    access_log: Option<crate::model::AccessLog>,
}

/// A method's integration: a Lambda proxy (function, timeout in ms), or the type of one
/// glassgate does not emulate.
type MethodTarget = Result<(String, u64), String>;

impl<'t> Builder<'t> {
    pub(super) fn cfn_rest_api(&mut self, logical: &str, info: &ResourceInfo<'t>) {
        let props_loc = child(&child("Resources", logical), "Properties");
        let Some(props) = self.properties(info.props, &props_loc) else {
            self.cfn.apis.insert(logical.to_owned(), false);
            return;
        };
        let keys: Vec<String> = props
            .get()
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for key in keys {
            let loc = child(&props_loc, &key);
            let message = match key.as_str() {
                k if HARMLESS_REST_API_PROPERTIES.contains(&k) => continue,
                "Body" | "BodyS3Location" => continue,
                "Policy" => "Policy (a resource policy) is not emulated; requests are not checked against it".to_owned(),
                "BinaryMediaTypes" => {
                    "BinaryMediaTypes is not supported yet; bodies are passed to functions as text".to_owned()
                }
                "MinimumCompressionSize" => {
                    "MinimumCompressionSize is not emulated; responses are not compressed".to_owned()
                }
                _ => format!("property {key} is not supported by glassgate; ignored"),
            };
            self.r.diags.warn(loc, message);
        }
        let definition = super::openapi::DefinitionProps {
            body: props.get().get("Body").map(|value| Prop {
                value,
                loc: child(&props_loc, "Body"),
            }),
            file: props.get().get("BodyS3Location").map(|value| Prop {
                value,
                loc: child(&props_loc, "BodyS3Location"),
            }),
        };
        let mut auth = self.api_auth.remove(logical).unwrap_or_default();
        self.import_definition(logical, definition, false, &mut auth);
        self.api_auth.insert(logical.to_owned(), auth);
        self.cfn.apis.insert(logical.to_owned(), true);
        self.apis.push(Api {
            logical_id: logical.to_owned(),
            api_id: api_id_for(logical),
            // Settled in `cfn_finish`, from the Stage and Deployment resources.
            stage: String::new(),
            stage_variables: IndexMap::new(),
            routes: Vec::new(),
            authorizers: IndexMap::new(),
            flavor: Flavor::rest(),
            access_log: None,
        });
    }

    /// Read every resource that points at a RestApi, then settle each RestApi's stage.
    pub(super) fn cfn_finish(&mut self) {
        let later = std::mem::take(&mut self.cfn.later);
        let typed: Vec<(String, &str)> = later
            .into_iter()
            .filter_map(|l| {
                let ty = self.r.resource(&l)?.ty;
                Some((l, ty))
            })
            .collect();
        // Each kind in its own pass: methods need authorizers and resources read first.
        for phase in [
            STAGE,
            DEPLOYMENT,
            AUTHORIZER,
            GATEWAY_RESPONSE,
            RESOURCE,
            METHOD,
        ] {
            for (logical, _) in typed.iter().filter(|(_, ty)| *ty == phase) {
                match phase {
                    STAGE => self.cfn_stage(logical, false),
                    DEPLOYMENT => self.cfn_stage(logical, true),
                    AUTHORIZER => self.cfn_authorizer(logical),
                    GATEWAY_RESPONSE => self.cfn_gateway_response(logical),
                    RESOURCE => self.cfn_resource(logical),
                    _ => self.cfn_method(logical),
                }
            }
        }
        let mut stages = std::mem::take(&mut self.cfn.stages);
        let mut apis = std::mem::take(&mut self.apis);
        for api in &mut apis {
            if self.cfn.apis.get(&api.logical_id) != Some(&true) {
                continue;
            }
            let found = stages.shift_remove(&api.logical_id).unwrap_or_default();
            let mut names: Vec<&str> = Vec::new();
            for stage in &found {
                if !names.contains(&stage.name.as_str()) {
                    names.push(&stage.name);
                }
            }
            if names.len() > 1 {
                self.r.diags.warn(
                    child("Resources", &api.logical_id),
                    format!(
                        "API {} is deployed to several stages ({}); glassgate serves only the first, {}",
                        api.logical_id,
                        names.join(", "),
                        names[0]
                    ),
                );
            }
            match found.into_iter().next() {
                Some(DeclaredStage {
                    name,
                    variables,
                    access_log,
                }) => {
                    api.stage = name;
                    api.stage_variables = variables;
                    api.access_log = access_log;
                }
                None => {
                    self.r.diags.warn(
                        child("Resources", &api.logical_id),
                        format!(
                            "API {} has no AWS::ApiGateway::Stage or Deployment with a StageName; glassgate serves it as stage {DEFAULT_STAGE:?}",
                            api.logical_id
                        ),
                    );
                    DEFAULT_STAGE.clone_into(&mut api.stage);
                }
            }
        }
        self.apis = apis;
    }

    /// `Properties` of a resource as an owned mapping, with its location.
    pub(super) fn cfn_props(&mut self, logical: &str) -> Option<(Map<String, Value>, String)> {
        let info = self.r.resource(logical)?;
        let loc = child(&child("Resources", logical), "Properties");
        let node = self.properties(info.props, &loc)?;
        let map = node.get().as_object()?.clone();
        Some((map, loc))
    }

    /// The RestApi a resource belongs to (`RestApiId`, required).
    fn cfn_api_ref(
        &mut self,
        props: &Map<String, Value>,
        props_loc: &str,
        what: &str,
    ) -> Result<String, Reported> {
        let id = self.required_string(props, props_loc, "RestApiId", what, "(use !Ref MyApi)")?;
        let loc = child(props_loc, "RestApiId");
        match self.cfn.apis.get(&id) {
            Some(true) => return Ok(id),
            Some(false) => return Err(Reported),
            None => {}
        }
        match self.r.resource(&id) {
            Some(info) if info.ty == CFN_REST_API => match self.r.included(&id) {
                Ok(false) => Err(self.r.diags.error(
                    loc,
                    format!("RestApiId refers to {id}, which its Condition excludes"),
                )),
                Ok(true) | Err(Reported) => Err(Reported),
            },
            Some(info) => Err(self.r.diags.error(
                loc,
                format!(
                    "RestApiId refers to {id}, which is a {}; expected an {CFN_REST_API} (use !Ref MyApi)",
                    info.ty
                ),
            )),
            None => Err(self.r.diags.error(
                loc,
                format!(
                    "RestApiId {id:?} does not name an {CFN_REST_API} of this template (use !Ref MyApi)"
                ),
            )),
        }
    }

    /// A string property that must be present.
    pub(super) fn required_string(
        &mut self,
        props: &Map<String, Value>,
        props_loc: &str,
        key: &str,
        what: &str,
        hint: &str,
    ) -> Result<String, Reported> {
        let missing = |b: &mut Self| {
            b.r.diags.error(
                props_loc,
                format!("{what} has no {key} {hint}").trim_end().to_owned(),
            )
        };
        let Some(value) = props.get(key) else {
            return Err(missing(self));
        };
        match self.string(&Prop {
            value,
            loc: child(props_loc, key),
        })? {
            Some(s) => Ok(s),
            None => Err(missing(self)),
        }
    }

    pub(super) fn warn_unknown(&mut self, key: &str, loc: &str, ty: &str) {
        self.r.diags.warn(
            loc,
            format!("property {key} of {ty} is not supported by glassgate; ignored"),
        );
    }

    /// A Stage (`deployment` false) or a Deployment naming a stage of its API.
    fn cfn_stage(&mut self, logical: &str, deployment: bool) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let what = if deployment { "deployment" } else { "stage" };
        let api = self.cfn_api_ref(&props, &props_loc, what);
        let mut name = None;
        let mut var_layers: Vec<Prop<'_>> = Vec::new();
        let mut access_log = None;
        let mut failed = false;
        for (key, value) in &props {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            match key.as_str() {
                "RestApiId" => {}
                "StageName" => match self.checked_string(&prop, check_stage_name) {
                    Ok(Some(s)) => name = Some(s),
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "Variables" if !deployment => var_layers.push(prop),
                "AccessLogSetting" if !deployment => match self.access_log_setting(&prop) {
                    Ok(l) => access_log = l,
                    Err(Reported) => failed = true,
                },
                "StageDescription" if deployment && value.get("AccessLogSetting").is_some() => {
                    if let Some(v) = value.get("Variables") {
                        var_layers.push(Prop {
                            value: v,
                            loc: child(&prop.loc, "Variables"),
                        });
                    }
                    let at = Prop {
                        value: &value["AccessLogSetting"],
                        loc: child(&prop.loc, "AccessLogSetting"),
                    };
                    match self.access_log_setting(&at) {
                        Ok(l) => access_log = l,
                        Err(Reported) => failed = true,
                    }
                }
                "StageDescription" if deployment => {
                    if let Some(v) = value.get("Variables") {
                        var_layers.push(Prop {
                            value: v,
                            loc: child(&prop.loc, "Variables"),
                        });
                    }
                }
                k if HARMLESS_STAGE_PROPERTIES.contains(&k) => {}
                _ => {
                    let ty = if deployment { DEPLOYMENT } else { STAGE };
                    self.warn_unknown(key, &prop.loc, ty);
                }
            }
        }
        let variables = self.stage_variables(&var_layers);
        let (Ok(api), Some(name), Ok(variables), false) = (api, name, variables, failed) else {
            return;
        };
        self.cfn.stages.entry(api).or_default().push(DeclaredStage {
            name,
            variables,
            access_log,
        });
    }

    fn cfn_authorizer(&mut self, logical: &str) {
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

    fn cfn_authorizer_spec(
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
    pub(super) fn gateway_authorizer(
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

    fn cfn_gateway_response(&mut self, logical: &str) {
        let Some((props, props_loc)) = self.cfn_props(logical) else {
            return;
        };
        let api = self.cfn_api_ref(&props, &props_loc, "gateway response");
        let ty = self.required_string(&props, &props_loc, "ResponseType", "gateway response", "");
        let ty = ty.and_then(|t| {
            self.check_response_type(&t, &child(&props_loc, "ResponseType"))
                .map(|()| t)
        });
        let mut spec = crate::model::GatewayResponseSpec::default();
        let mut failed = false;
        for (key, value) in &props {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            let result = match key.as_str() {
                "RestApiId" | "ResponseType" => Ok(()),
                "StatusCode" => self.response_status(&prop).map(|s| spec.status = s),
                "ResponseTemplates" => self.response_templates(&prop).map(|t| spec.templates = t),
                "ResponseParameters" => self.cfn_response_parameters(&prop, &mut spec.headers),
                _ => {
                    self.warn_unknown(key, &prop.loc, GATEWAY_RESPONSE);
                    Ok(())
                }
            };
            failed |= result.is_err();
        }
        let (Ok(api), Ok(ty), false) = (api, ty, failed) else {
            return;
        };
        let here = child("Resources", logical);
        if let Some(first) = self.cfn.responses.get(&(api.clone(), ty.clone())) {
            self.r.diags.error(
                &here,
                format!("API {api} already has a {ty} gateway response ({first})"),
            );
            return;
        }
        self.cfn.responses.insert((api.clone(), ty.clone()), here);
        self.api_auth
            .entry(api)
            .or_default()
            .gateway_responses
            .insert(ty, spec);
    }

    /// `ResponseParameters` of an `AWS::ApiGateway::GatewayResponse`:
    /// `gatewayresponse.header.NAME: value`.
    pub(super) fn cfn_response_parameters(
        &mut self,
        prop: &Prop<'_>,
        headers: &mut IndexMap<String, String>,
    ) -> Result<(), Reported> {
        let entries = self.mapping(prop.value, &prop.loc)?;
        let mut failed = false;
        for (key, value) in &entries {
            let at = child(&prop.loc, key);
            if let Some(name) = key.strip_prefix("gatewayresponse.header.") {
                match self.response_header(name, value, &at) {
                    Ok(text) => {
                        headers.insert(name.to_owned(), text);
                    }
                    Err(Reported) => failed = true,
                }
            } else if key.starts_with("gatewayresponse.path.")
                || key.starts_with("gatewayresponse.querystring.")
            {
                self.r.diags.warn(
                    &at,
                    "path and query string parameters of gateway responses are not emulated; only headers are applied",
                );
            } else {
                self.r.diags.error(
                    &at,
                    format!(
                        "unknown response parameter {key:?}; expected gatewayresponse.header.NAME"
                    ),
                );
                failed = true;
            }
        }
        if failed { Err(Reported) } else { Ok(()) }
    }

    /// Check a Resource on its own, so its errors are reported even if no method uses it.
    fn cfn_resource(&mut self, logical: &str) {
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
    fn cfn_path(
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

    fn cfn_method(&mut self, logical: &str) {
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
        let mut integration: Option<MethodTarget> = None;
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
        let mut spec = match integration {
            Ok((function, timeout_ms)) => {
                super::rest_lambda_route(&method, path, function, timeout_ms, source)
            }
            Err(kind) => super::rest_route(
                &method,
                path,
                crate::model::Integration::NotEmulated { kind },
                source,
            ),
        };
        spec.scopes = scopes;
        self.add_route(api, spec, route_auth);
    }

    /// `AuthorizationType` and `AuthorizerId` of a method, as a route's authorizer.
    fn cfn_method_auth(
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

    /// The function and timeout of a Lambda proxy integration; `Ok(Some(Err(type)))` (with a
    /// warning) for an integration type that is not emulated.
    fn cfn_integration(
        &mut self,
        method: &str,
        prop: &Prop<'_>,
    ) -> Result<Option<MethodTarget>, Reported> {
        let entries = self.mapping(prop.value, &prop.loc)?;
        let ty = self.required_string(&entries, &prop.loc, "Type", "Integration", "(AWS_PROXY)")?;
        if ty != "AWS_PROXY" {
            if matches!(ty.as_str(), "AWS" | "HTTP" | "HTTP_PROXY" | "MOCK") {
                let what = if ty == "AWS" {
                    " (a Lambda non-proxy integration, with mapping templates)"
                } else {
                    ""
                };
                self.r.diags.warn(
                    child(&prop.loc, "Type"),
                    format!(
                        "integration type {ty}{what} of method {method} is not emulated by glassgate yet; the method answers 500 (integration-not-emulated), never a proxy stand-in"
                    ),
                );
                return Ok(Some(Err(ty)));
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
        .map(|target| Some(Ok(target)))
    }

    /// The function and timeout of an `AWS_PROXY` integration, as the CloudFormation
    /// `Integration` and the OpenAPI `x-amazon-apigateway-integration` both give them: the
    /// verb must be POST, the URI must invoke a function of the template.
    pub(super) fn proxy_integration(
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
pub(super) fn invocation_target(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("functions/")?;
    let (arn, _) = rest.split_once("/invocations")?;
    (!arn.is_empty()).then_some(arn)
}

pub(super) fn not_invocation_uri(uri: &str) -> String {
    format!(
        "{uri:?} is not a Lambda invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)"
    )
}

/// One identity source as REST APIs write it.
pub(super) fn parse_identity_source(s: &str) -> Option<IdentitySource> {
    IdentitySource::parse(s, crate::model::ApiKind::Rest)
}
