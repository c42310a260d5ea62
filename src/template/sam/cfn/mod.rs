//! Plain CloudFormation API Gateway resources: `AWS::ApiGateway::RestApi` and the `Resource`,
//! `Method`, `Authorizer`, `Stage`, `Deployment` and `GatewayResponse` resources that point at it.
//!
//! A RestApi is added to the model where it appears, so APIs keep template order; everything
//! that points at one is read after every other resource, because methods need the paths of
//! their resources, the names of their authorizers and the functions of their integrations,
//! which may all come later in the template.
//!
//! Here: RestApis, stages and deployments, gateway responses and the shared property readers;
//! `authorizer.rs` the Authorizer resources, `method.rs` resources and methods.

mod authorizer;
mod method;

pub(super) use method::{invocation_target, not_invocation_uri};

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::apigw::AUTHORIZER;
use super::{Builder, Prop, check_stage_name};
use crate::model::{Api, Flavor, api_id_for};
use crate::template::intrinsics::{CFN_REST_API, ResourceInfo};
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
}
