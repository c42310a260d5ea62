//! SAM resources to the [`Model`]: functions, REST APIs and their routes.
//!
//! This module owns the meaning of the resource types we emulate (`AWS::Serverless::Function`,
//! `AWS::Lambda::Function`, `AWS::Serverless::Api`, `Api` events) and of `Globals`, including
//! which properties are honoured, which are harmless to ignore, and which change behaviour and
//! so deserve a warning. Evaluating values is left to [`super::intrinsics`].
//!
//! Here: the walk over the resources, `Globals`, `AWS::Serverless::Api` and the property
//! readers every submodule uses. In submodules: functions and their code (`function`), `Api`
//! events and route registration (`events`), authorizers and gateway responses (`auth`,
//! `cognito`), HTTP APIs (`http_api`, `http_auth`, `cfn_v2`), the plain CloudFormation API
//! Gateway resources (`cfn`), OpenAPI definitions (`openapi`) and layers (`layers`); all feed
//! the same [`Builder`].

mod apigw;
mod auth;
mod cfn;
mod cfn_v2;
mod cognito;
mod events;
mod function;
mod http_api;
mod http_auth;
mod http_proxy;
mod layers;
mod mapped;
mod openapi;
mod rest_cors;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::intrinsics::{
    CFN_REST_API, IMPLICIT_API, Node, Resolver, ResourceInfo, SERVERLESS_API, SERVERLESS_HTTP_API,
    scalar_text,
};
use super::{Diagnostics, LoadOptions, Reported, child, describe};
use crate::model::{
    Api, Flavor, Function, Integration, Model, PathTemplate, PayloadVersion, Route, RouteKey,
    api_id_for,
};

const TOP_LEVEL_KEYS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Globals",
];

const SERVERLESS_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

const RESOURCE_KEYS: &[&str] = &[
    "Type",
    "Properties",
    "Condition",
    "DependsOn",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
    "Connectors",
    "IgnoreGlobals",
];

/// Api properties with no effect on how requests are served locally.
const HARMLESS_API_PROPERTIES: &[&str] = &[
    "AlwaysDeploy",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "CanarySetting",
    "Description",
    "DisableExecuteApiEndpoint",
    "Domain",
    "EndpointConfiguration",
    "FailOnWarnings",
    "MergeDefinitions",
    "MethodSettings",
    "Mode",
    "Name",
    "OpenApiVersion",
    "PropagateTags",
    "Tags",
    "TracingEnabled",
];

/// `Globals` sections SAM knows that have nothing to do with APIs.
const IGNORED_GLOBALS: &[&str] = &[
    "SimpleTable",
    "StateMachine",
    "LayerVersion",
    "CapacityProvider",
];

const TIMEOUT_RANGE_MESSAGE: &str = "Timeout should be between 50 ms and 29000 ms";

/// Build the model from a parsed template. The model is `None` when the template is too broken
/// to describe; callers must still check `problems`.
pub(super) fn build(
    tree: &Value,
    path: &Path,
    base_dir: &Path,
    opts: &LoadOptions,
) -> (Option<Model>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let root = match tree {
        Value::Object(m) => m,
        Value::Null => {
            diags.error("(template)", "the template is empty");
            return (None, diags);
        }
        other => {
            diags.error(
                "(template)",
                format!(
                    "expected a mapping of sections (Resources, ...), got {}",
                    describe(other)
                ),
            );
            return (None, diags);
        }
    };
    check_top_level(root, &mut diags);
    let resources = match root.get("Resources") {
        Some(Value::Object(m)) => m,
        None => {
            diags.error("Resources", "the template has no Resources section");
            return (None, diags);
        }
        Some(other) => {
            diags.error(
                "Resources",
                format!("expected a mapping of resources, got {}", describe(other)),
            );
            return (None, diags);
        }
    };
    let infos = read_resources(resources, &mut diags);
    let resolver = Resolver::new(root, infos.clone(), opts, diags);
    let mut b = Builder {
        r: resolver,
        base_dir,
        globals_function: Vec::new(),
        globals_api: Vec::new(),
        globals_http_api: Vec::new(),
        functions: IndexMap::new(),
        apis: Vec::new(),
        routes: IndexMap::new(),
        seen_routes: HashMap::new(),
        path_variables: HashMap::new(),
        implicit_used: false,
        implicit_http_used: false,
        api_auth: HashMap::new(),
        rest_cors: HashMap::new(),
        cfn: cfn::Pending::default(),
        cfn_v2: cfn_v2::PendingV2::default(),
        openapi_routes: Vec::new(),
        layer_memo: HashMap::new(),
    };
    b.read_globals(root.get("Globals"));
    for (logical, info) in &infos {
        match b.r.included(logical) {
            Ok(true) => {}
            Ok(false) | Err(Reported) => continue,
        }
        match info.ty {
            "AWS::Serverless::Function" => b.function(logical, info, true),
            "AWS::Lambda::Function" => b.function(logical, info, false),
            SERVERLESS_API => b.api(logical, info),
            SERVERLESS_HTTP_API => b.http_api(logical, info),
            CFN_REST_API => b.cfn_rest_api(logical, info),
            ty if cfn::LATER_TYPES.contains(&ty) => b.cfn.later.push((*logical).to_owned()),
            cfn_v2::V2_API => b.cfn_v2_api(logical),
            ty if cfn_v2::V2_LATER_TYPES.contains(&ty) => {
                b.cfn_v2.later.push((*logical).to_owned());
            }
            // Deployment plumbing and custom domains: nothing to serve locally.
            ty if cfn_v2::V2_IGNORED_TYPES.contains(&ty) => {}
            // The permission API Gateway needs to call a function: boilerplate, nothing to emulate.
            "AWS::Lambda::Permission" => {}
            // Read where functions name them (`layers.rs`).
            "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion" => {}
            // Sign-in is not emulated, but the pool's issuer is what its authorizers check.
            "AWS::Cognito::UserPool" => {
                let issuer = format!(
                    "https://cognito-idp.{}.amazonaws.com/{}",
                    opts.region,
                    super::intrinsics::user_pool_id(&opts.region, logical)
                );
                b.r.diags.warn(
                    child("Resources", logical),
                    format!(
                        "user pool {logical} is not emulated (no sign-in, no tokens); authorizers check its issuer {issuer}: sign tokens with `glassgate token --issuer {issuer}` and serve with --trust-dev-issuer {issuer}, or give its keys with --jwks {issuer}=PATH_OR_URL"
                    ),
                );
            }
            // Already reported by `read_resources`.
            "" => {}
            other => b.r.diags.warn(
                child("Resources", logical),
                format!("resource type {other} is not emulated; ignored"),
            ),
        }
    }
    if b.implicit_used {
        let layers: Vec<(&str, &Value)> = b.globals_api.clone();
        let layers: Vec<Prop<'_>> = layers
            .into_iter()
            .filter(|(k, _)| *k == "Variables")
            .map(|(k, value)| Prop {
                value,
                loc: child("Globals.Api", k),
            })
            .collect();
        let stage_variables = b.stage_variables(&layers).unwrap_or_default();
        let auth = b.implicit_api_auth();
        b.api_auth.insert(IMPLICIT_API.to_owned(), auth);
        b.apis.push(Api {
            logical_id: IMPLICIT_API.to_owned(),
            api_id: api_id_for(IMPLICIT_API),
            stage: "Prod".to_owned(),
            stage_variables,
            routes: Vec::new(),
            authorizers: IndexMap::new(),
            flavor: Flavor::rest(),
            access_log: None,
        });
    }
    if b.implicit_http_used {
        b.implicit_http_api();
    }
    b.cfn_finish();
    b.cfn_v2_finish();
    b.openapi_finish();
    b.add_cors_preflights();
    b.settle_routes();
    let Builder {
        r, functions, apis, ..
    } = b;
    let model = Model {
        template_path: path.to_path_buf(),
        functions,
        apis,
        warnings: r.diags.warnings.clone(),
        region: opts.region.clone(),
        account_id: opts.account_id.clone(),
    };
    (Some(model), r.diags)
}

fn check_top_level(root: &Map<String, Value>, diags: &mut Diagnostics) {
    for key in root.keys() {
        if key == "Rules" {
            diags.warn("Rules", "Rules are not checked by glassgate; ignored");
        } else if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
            diags.warn(
                key.as_str(),
                format!("unknown top-level section {key}; ignored"),
            );
        }
    }
    let transforms: Vec<&Value> = match root.get("Transform") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for t in transforms {
        let name = match t {
            Value::String(s) => s.as_str(),
            Value::Object(m) => m.get("Name").and_then(Value::as_str).unwrap_or("(unnamed)"),
            _ => "(unreadable)",
        };
        if name != SERVERLESS_TRANSFORM {
            diags.warn(
                "Transform",
                format!("transform {name} is not applied by glassgate; the template is read as is"),
            );
        }
    }
}

fn read_resources<'t>(
    resources: &'t Map<String, Value>,
    diags: &mut Diagnostics,
) -> IndexMap<&'t str, ResourceInfo<'t>> {
    let mut infos = IndexMap::new();
    for (logical, r) in resources {
        let loc = child("Resources", logical);
        let mut info = ResourceInfo {
            ty: "",
            condition: None,
            props: None,
            ignore_globals: None,
        };
        match r {
            Value::Object(m) => {
                match m.get("Type") {
                    Some(Value::String(t)) if !t.is_empty() => info.ty = t.as_str(),
                    Some(other) => {
                        diags.error(
                            child(&loc, "Type"),
                            format!("expected a resource type name, got {}", describe(other)),
                        );
                    }
                    None => {
                        diags.error(&loc, "resource has no Type");
                    }
                }
                info.condition = m.get("Condition");
                info.props = m.get("Properties");
                info.ignore_globals = m.get("IgnoreGlobals");
                for key in m.keys() {
                    if !RESOURCE_KEYS.contains(&key.as_str()) {
                        diags.warn(
                            child(&loc, key),
                            format!("unknown resource attribute {key}; ignored"),
                        );
                    }
                }
            }
            other => {
                diags.error(
                    &loc,
                    format!(
                        "expected a resource (a mapping with Type), got {}",
                        describe(other)
                    ),
                );
            }
        }
        // Kept even when broken, so references to it do not add errors of their own.
        infos.insert(logical.as_str(), info);
    }
    infos
}

/// Where a property value came from: the resource itself or `Globals`.
struct Prop<'a> {
    value: &'a Value,
    loc: String,
}

struct Builder<'t> {
    r: Resolver<'t>,
    base_dir: &'t Path,
    globals_function: Vec<(&'t str, &'t Value)>,
    globals_api: Vec<(&'t str, &'t Value)>,
    globals_http_api: Vec<(&'t str, &'t Value)>,
    functions: IndexMap<String, Function>,
    /// Explicit APIs in template order; routes are attached at the end.
    apis: Vec<Api>,
    /// Routes by API logical id, in template order, with what they ask of the API's
    /// authorizers (settled once every API is read, as events may come before their API).
    routes: IndexMap<String, Vec<PendingRoute>>,
    /// (api, route key) -> source, to report duplicates.
    seen_routes: HashMap<(String, RouteKey), String>,
    /// (api, parent path) -> (variable segment, path, source): API Gateway allows one variable
    /// name per level.
    path_variables: HashMap<(String, String), (String, String, String)>,
    implicit_used: bool,
    implicit_http_used: bool,
    /// Authorizers and gateway responses by API logical id.
    api_auth: HashMap<String, auth::ApiAuth>,
    /// CloudFormation API Gateway resources, read after every other resource.
    cfn: cfn::Pending,
    /// CloudFormation API Gateway v2 resources (HTTP APIs), likewise.
    cfn_v2: cfn_v2::PendingV2,
    /// Routes of OpenAPI definitions by API logical id, added once every other route is known
    /// (a route declared elsewhere for the same method and path replaces the definition's).
    openapi_routes: Vec<(String, PendingRoute)>,
    /// Each layer's folder once read (`None`: reported, not mountable).
    layer_memo: HashMap<String, Option<PathBuf>>,
    /// SAM `Cors` of REST APIs by logical id: their OPTIONS methods are added once every
    /// route is known.
    rest_cors: HashMap<String, rest_cors::RestCors>,
}

/// A route whose authorizer is not settled yet.
struct PendingRoute {
    spec: Route,
    auth: RouteAuth,
}

/// A REST route served by a Lambda proxy integration (payload 1.0), its authorizer not
/// settled yet: the one shape every REST reader (SAM events, CloudFormation methods, OpenAPI
/// operations) produces.
fn rest_lambda_route(
    method: &str,
    path: PathTemplate,
    function: String,
    timeout_ms: u64,
    source: String,
) -> Route {
    let integration = Integration::Lambda {
        function,
        payload: PayloadVersion::V1,
        timeout: Duration::from_millis(timeout_ms),
    };
    rest_route(method, path, integration, source)
}

/// A REST route with any integration, its authorizer not settled yet.
fn rest_route(method: &str, path: PathTemplate, integration: Integration, source: String) -> Route {
    Route {
        key: RouteKey::path(method, path),
        integration,
        authorizer: None,
        scopes: Vec::new(),
        source,
    }
}

/// What a route asks of its API's authorizers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RouteAuth {
    /// No `Auth.Authorizer` on the event: the API's `DefaultAuthorizer`, if any.
    Inherit,
    /// `Authorizer: NONE`, or `AuthorizationType: NONE`.
    Open,
    /// A named authorizer of the API, as asked at `loc`.
    Named { name: String, loc: String },
}

impl<'t> Builder<'t> {
    fn read_globals(&mut self, globals: Option<&'t Value>) {
        let sections = match globals {
            None | Some(Value::Null) => return,
            Some(Value::Object(m)) => m,
            Some(other) => {
                self.r.diags.error(
                    "Globals",
                    format!("expected a mapping, got {}", describe(other)),
                );
                return;
            }
        };
        for (section, v) in sections {
            let loc = child("Globals", section);
            let entries = match (section.as_str(), v) {
                ("Function" | "Api" | "HttpApi", Value::Object(m)) => m,
                ("Function" | "Api" | "HttpApi", other) => {
                    self.r
                        .diags
                        .error(loc, format!("expected a mapping, got {}", describe(other)));
                    continue;
                }
                (s, _) if IGNORED_GLOBALS.contains(&s) => continue,
                _ => {
                    self.r
                        .diags
                        .warn(loc, format!("unknown Globals section {section}; ignored"));
                    continue;
                }
            };
            for (key, value) in entries {
                let at = child(&loc, key);
                if section == "HttpApi" {
                    // Judged with each HTTP API's own properties (http_api.rs).
                    self.globals_http_api.push((key.as_str(), value));
                } else if section == "Function" {
                    match key.as_str() {
                        "Runtime" | "Handler" | "CodeUri" | "Timeout" | "MemorySize"
                        | "Environment" | "Layers" => {
                            self.globals_function.push((key.as_str(), value))
                        }
                        k => self.function_property_note(k, &at),
                    }
                } else {
                    match key.as_str() {
                        "StageName" | "Variables" | "Auth" | "GatewayResponses"
                        | "AccessLogSetting" | "Cors" => {
                            self.globals_api.push((key.as_str(), value));
                        }
                        k => self.api_property_note(k, &at),
                    }
                }
            }
        }
    }

    fn api_property_note(&mut self, key: &str, loc: &str) {
        let specific = match key {
            "BinaryMediaTypes" => Some(
                "BinaryMediaTypes is not supported yet; bodies are passed to functions as text",
            ),
            _ => None,
        };
        self.property_note(key, loc, HARMLESS_API_PROPERTIES, specific);
    }

    /// The one warning path for properties: silent for harmless ones, the specific
    /// consequence when there is one, else a generic "ignored".
    fn property_note(
        &mut self,
        key: &str,
        loc: &str,
        harmless: &[&str],
        specific: Option<&'static str>,
    ) {
        if harmless.contains(&key) {
            return;
        }
        match specific {
            Some(message) => self.r.diags.warn(loc, message),
            None => self.r.diags.warn(
                loc,
                format!("property {key} is not supported by glassgate; ignored"),
            ),
        }
    }

    /// `Properties` as a mapping (empty if absent).
    fn properties<'a>(&mut self, raw: Option<&'a Value>, loc: &str) -> Option<Node<'a>> {
        match raw {
            None | Some(Value::Null) => Some(Node::Owned(Value::Object(Map::new()))),
            Some(v) => match self.r.resolve_shallow(v, loc) {
                Ok(Some(node)) if node.get().is_object() => Some(node),
                Ok(Some(node)) => {
                    self.r.diags.error(
                        loc,
                        format!("expected a mapping, got {}", describe(node.get())),
                    );
                    None
                }
                Ok(None) => Some(Node::Owned(Value::Object(Map::new()))),
                Err(Reported) => None,
            },
        }
    }

    fn api(&mut self, logical: &str, info: &ResourceInfo<'t>) {
        let res_loc = child("Resources", logical);
        let props_loc = child(&res_loc, "Properties");
        let Some(props) = self.properties(info.props, &props_loc) else {
            return;
        };
        let Some(own) = props.get().as_object() else {
            return;
        };
        let ignore = self.ignore_globals_of(info, &res_loc);
        let mut stage: Option<Prop<'_>> = None;
        let mut var_layers: Vec<Prop<'_>> = Vec::new();
        let mut auth_layers: Vec<Prop<'_>> = Vec::new();
        let mut response_layers: Vec<Prop<'_>> = Vec::new();
        let mut access_log: Option<Prop<'_>> = None;
        let mut cors: Option<Prop<'_>> = None;
        let mut definition = openapi::DefinitionProps {
            body: None,
            file: None,
        };
        for (key, value) in self.globals_api.clone() {
            if ignore.ignores(key) {
                continue;
            }
            let prop = Prop {
                value,
                loc: child("Globals.Api", key),
            };
            match key {
                "StageName" => stage = Some(prop),
                "Auth" => auth_layers.push(prop),
                "GatewayResponses" => response_layers.push(prop),
                "AccessLogSetting" => access_log = Some(prop),
                "Cors" => cors = Some(prop),
                _ => var_layers.push(prop),
            }
        }
        for (key, value) in own {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            match key.as_str() {
                "StageName" => stage = Some(prop),
                "Variables" => var_layers.push(prop),
                "Auth" => auth_layers.push(prop),
                "GatewayResponses" => response_layers.push(prop),
                "DefinitionBody" => definition.body = Some(prop),
                "DefinitionUri" => definition.file = Some(prop),
                "AccessLogSetting" => access_log = Some(prop),
                "Cors" => cors = Some(prop),
                other => self.api_property_note(other, &prop.loc),
            }
        }
        if let Some(prop) = &cors
            && let Ok(c) = self.rest_cors(prop)
        {
            self.rest_cors.insert(logical.to_owned(), c);
        }
        let variables = self.stage_variables(&var_layers);
        let mut api_auth = self.sam_auth(logical, &auth_layers);
        api_auth.gateway_responses = self.sam_gateway_responses(&response_layers);
        self.import_definition(logical, definition, true, &mut api_auth);
        self.api_auth.insert(logical.to_owned(), api_auth);
        let stage = match &stage {
            None => {
                self.r.diags.error(
                    &props_loc,
                    format!("API {logical} has no StageName (SAM requires one)"),
                );
                None
            }
            Some(prop) => match self.checked_string(prop, check_stage_name) {
                Ok(Some(s)) => Some(s),
                Ok(None) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("API {logical} has no StageName (SAM requires one)"),
                    );
                    None
                }
                Err(Reported) => None,
            },
        };
        let access_log = match &access_log {
            Some(p) => self.access_log_setting(p),
            None => Ok(None),
        };
        let (Some(stage), Ok(stage_variables), Ok(access_log)) = (stage, variables, access_log)
        else {
            return;
        };
        self.apis.push(Api {
            logical_id: logical.to_owned(),
            api_id: api_id_for(logical),
            stage,
            stage_variables,
            routes: Vec::new(),
            authorizers: IndexMap::new(),
            flavor: Flavor::rest(),
            access_log,
        });
    }

    fn stage_variables(
        &mut self,
        layers: &[Prop<'_>],
    ) -> Result<IndexMap<String, String>, Reported> {
        let mut vars = IndexMap::new();
        let mut failed = false;
        for layer in layers {
            let node = match self.r.resolve(layer.value, &layer.loc) {
                Ok(Some(node)) => node,
                Ok(None) => continue,
                Err(Reported) => {
                    failed = true;
                    continue;
                }
            };
            let Some(entries) = node.as_object() else {
                self.r.diags.error(
                    &layer.loc,
                    format!(
                        "expected a mapping of names to values, got {}",
                        describe(&node)
                    ),
                );
                failed = true;
                continue;
            };
            for (name, v) in entries {
                match scalar_text(v) {
                    Some(text) => {
                        vars.insert(name.clone(), text);
                    }
                    None => {
                        self.r.diags.error(
                            child(&layer.loc, name),
                            format!("expected a string, got {}", describe(v)),
                        );
                        failed = true;
                    }
                }
            }
        }
        if failed { Err(Reported) } else { Ok(vars) }
    }

    /// `AccessLogSetting` (REST) / `AccessLogSettings` (HTTP APIs): `{DestinationArn, Format}`.
    /// Only `Format` matters locally; without one there is nothing to write (a warning).
    pub(super) fn access_log_setting(
        &mut self,
        prop: &Prop<'_>,
    ) -> Result<Option<crate::model::AccessLog>, Reported> {
        let entries = self.mapping(prop.value, &prop.loc)?;
        let mut format = None;
        for (key, value) in &entries {
            let at = Prop {
                value,
                loc: child(&prop.loc, key),
            };
            match key.as_str() {
                "Format" => format = self.string(&at)?,
                // Where AWS would ship the lines; locally they go to stderr.
                "DestinationArn" => {}
                _ => self.r.diags.warn(
                    &at.loc,
                    format!("property {key} of an access log setting is not supported by glassgate; ignored"),
                ),
            }
        }
        match format {
            Some(format) => Ok(Some(crate::model::AccessLog { format })),
            None => {
                self.r.diags.warn(
                    &prop.loc,
                    "the access log setting has no Format; no access log lines are written",
                );
                Ok(None)
            }
        }
    }

    /// A payload format version (`PayloadFormatVersion`, `AuthorizerPayloadFormatVersion`,
    /// `payloadFormatVersion`): `"1.0"` or `"2.0"`, as text or a number.
    fn payload_version(&mut self, prop: &Prop<'_>) -> Result<Option<PayloadVersion>, Reported> {
        let Some(v) = self.r.resolve(prop.value, &prop.loc)? else {
            return Ok(None);
        };
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        match PayloadVersion::parse(&text) {
            Some(p) => Ok(Some(p)),
            None => {
                let key = prop
                    .loc
                    .rsplit('.')
                    .next()
                    .unwrap_or("the payload format version");
                Err(self.r.diags.error(
                    &prop.loc,
                    format!("{key} must be \"1.0\" or \"2.0\", got {text:?}"),
                ))
            }
        }
    }

    /// A property that must be text; `Ok(None)` when it is `AWS::NoValue`.
    fn string(&mut self, prop: &Prop<'_>) -> Result<Option<String>, Reported> {
        match self.r.resolve(prop.value, &prop.loc)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.r.diags.error(
                &prop.loc,
                format!("expected a string, got {}", describe(&other)),
            )),
        }
    }

    /// A string that must also pass `check`, whose `Err` message is reported at the
    /// property (as an error) when it does not.
    fn checked_string(
        &mut self,
        prop: &Prop<'_>,
        check: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<Option<String>, Reported> {
        match self.string(prop)? {
            Some(s) => match check(&s) {
                Ok(()) => Ok(Some(s)),
                Err(message) => Err(self.r.diags.error(&prop.loc, message)),
            },
            None => Ok(None),
        }
    }

    /// A whole number (a number or numeric text) within `range`.
    fn whole_number(
        &mut self,
        prop: &Prop<'_>,
        range: std::ops::RangeInclusive<u64>,
        range_message: &str,
    ) -> Result<Option<u64>, Reported> {
        let Some(v) = self.r.resolve(prop.value, &prop.loc)? else {
            return Ok(None);
        };
        let n = match &v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            Some(n) => Err(self
                .r
                .diags
                .error(&prop.loc, format!("{range_message}, got {n}"))),
            None => Err(self.r.diags.error(
                &prop.loc,
                format!("expected a whole number, got {}", shown_value(&v)),
            )),
        }
    }
}

fn http_method(m: &str) -> Option<String> {
    let upper = m.trim().to_ascii_uppercase();
    const METHODS: &[&str] = &[
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
    ];
    METHODS.contains(&upper.as_str()).then_some(upper)
}

/// API Gateway's rule for stage names, with the message for a name that breaks it.
fn check_stage_name(s: &str) -> Result<(), String> {
    let valid = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "stage name {s:?} may only hold letters, digits, '-' and '_'"
        ))
    }
}

fn shown_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        other => describe(other).to_owned(),
    }
}
