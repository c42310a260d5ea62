//! SAM resources to the [`Model`]: functions, REST APIs and their routes.
//!
//! This module owns the meaning of the resource types we emulate (`AWS::Serverless::Function`,
//! `AWS::Lambda::Function`, `AWS::Serverless::Api`, `Api` events) and of `Globals`, including
//! which properties are honoured, which are harmless to ignore, and which change behaviour and
//! so deserve a warning. Evaluating values is left to [`super::intrinsics`].
//!
//! Authorizers and gateway responses (`auth`), the plain CloudFormation API Gateway resources
//! (`cfn`) and OpenAPI definitions (`openapi`) live in submodules; all feed the same
//! [`Builder`].

mod apigw;
mod auth;
mod cfn;
mod cfn_v2;
mod cognito;
mod http_api;
mod http_auth;
mod layers;
mod openapi;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::intrinsics::{
    CFN_REST_API, IMPLICIT_API, Node, Resolver, ResourceInfo, SERVERLESS_API, SERVERLESS_HTTP_API,
    scalar_text,
};
use super::{Diagnostics, LoadOptions, Reported, child, code, describe};
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

/// Function properties with no effect on running the code locally (permissions, deployment,
/// networking, observability).
const HARMLESS_FUNCTION_PROPERTIES: &[&str] = &[
    "Architectures",
    "AssumeRolePolicyDocument",
    "AutoPublishAlias",
    "AutoPublishAliasAllProperties",
    "AutoPublishCodeSha256",
    "CodeSigningConfigArn",
    "DeadLetterConfig",
    "DeadLetterQueue",
    "DeploymentPreference",
    "Description",
    "EphemeralStorage",
    "EventInvokeConfig",
    "KmsKeyArn",
    "LoggingConfig",
    "PermissionsBoundary",
    "Policies",
    "PropagateTags",
    "ProvisionedConcurrencyConfig",
    "RecursiveLoop",
    "ReservedConcurrentExecutions",
    "Role",
    "RolePath",
    "RuntimeManagementConfig",
    "SnapStart",
    "SourceKMSKeyArn",
    "Tags",
    "Tracing",
    "TracingConfig",
    "VersionDescription",
    "VpcConfig",
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
                        | "AccessLogSetting" => {
                            self.globals_api.push((key.as_str(), value));
                        }
                        k => self.api_property_note(k, &at),
                    }
                }
            }
        }
    }

    /// Warn about a function property we do not honour (or stay silent if it is harmless).
    fn function_property_note(&mut self, key: &str, loc: &str) {
        let specific = match key {
            "FileSystemConfigs" => Some("EFS file systems are not mounted"),
            "FunctionUrlConfig" => Some("function URLs are not served by glassgate"),
            "ImageConfig" => {
                Some("ImageConfig applies to container images, which glassgate does not run")
            }
            _ => None,
        };
        self.property_note(key, loc, HARMLESS_FUNCTION_PROPERTIES, specific);
    }

    fn api_property_note(&mut self, key: &str, loc: &str) {
        let specific = match key {
            "Cors" => {
                Some("Cors is not supported yet; no CORS headers or OPTIONS methods are added")
            }
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

    fn function(&mut self, logical: &str, info: &ResourceInfo<'t>, serverless: bool) {
        let res_loc = child("Resources", logical);
        let props_loc = child(&res_loc, "Properties");
        let Some(props) = self.properties(info.props, &props_loc) else {
            return;
        };
        let Some(own) = props.get().as_object() else {
            return;
        };
        let ignore = self.ignore_globals_of(info, &res_loc);
        let mut effective: IndexMap<&str, Prop<'_>> = IndexMap::new();
        let mut env_layers: Vec<Prop<'_>> = Vec::new();
        let mut layer_props: Vec<Prop<'_>> = Vec::new();
        if serverless {
            for (key, value) in self.globals_function.clone() {
                if ignore.ignores(key) {
                    continue;
                }
                let prop = Prop {
                    value,
                    loc: child("Globals.Function", key),
                };
                if key == "Environment" {
                    env_layers.push(prop);
                } else if key == "Layers" {
                    layer_props.push(prop);
                } else {
                    effective.insert(key, prop);
                }
            }
        }
        for (key, value) in own {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            if key == "Environment" {
                env_layers.push(prop);
            } else if key == "Layers" {
                // SAM appends a function's Layers to those of Globals.
                layer_props.push(prop);
            } else {
                effective.insert(key.as_str(), prop);
            }
        }

        let mut ok = true;
        let mut runtime: Option<(String, String)> = None;
        let mut handler = None;
        let mut code: Option<Prop<'_>> = None;
        let mut timeout = 3;
        let mut memory = 128;
        let mut events: Option<Prop<'_>> = None;
        let mut image: Option<String> = None;
        let mut inline: Option<Prop<'_>> = None;
        // A Handler that failed to resolve is reported already: not also as missing.
        let mut handler_failed = false;
        for (key, prop) in effective {
            match key {
                // Read through the resolver, which caches it for `Ref`s.
                "FunctionName" => {}
                "Runtime" => match self.string(&prop) {
                    Ok(Some(s)) => runtime = Some((s, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "Handler" => match self.string(&prop) {
                    Ok(s) => handler = s,
                    Err(Reported) => {
                        ok = false;
                        handler_failed = true;
                    }
                },
                "CodeUri" if serverless => code = Some(prop),
                "Code" if !serverless => code = Some(prop),
                "InlineCode" if serverless => inline = Some(prop),
                "Timeout" => match self.whole_number(
                    &prop,
                    1..=900,
                    "Timeout must be between 1 and 900 seconds",
                ) {
                    Ok(Some(n)) => timeout = n,
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "MemorySize" => {
                    match self.whole_number(
                        &prop,
                        128..=10240,
                        "MemorySize must be between 128 and 10240 MB",
                    ) {
                        Ok(Some(n)) => memory = n,
                        Ok(None) => {}
                        Err(Reported) => ok = false,
                    }
                }
                "Events" if serverless => events = Some(prop),
                "PackageType" => match self.string(&prop) {
                    Ok(Some(t)) if t == "Image" => image = Some(prop.loc),
                    Ok(_) => {}
                    Err(Reported) => ok = false,
                },
                "ImageUri" => {
                    image.get_or_insert(prop.loc);
                }
                other => self.function_property_note(other, &prop.loc),
            }
        }

        let function_name = self.r.function_name(logical);
        let environment = self.environment(&env_layers);
        let layers = self.layer_folders(logical, &layer_props);
        if let Some(events) = &events {
            self.events(logical, events);
        }

        // The code, once the runtime is one glassgate runs: code it cannot reach (in S3, a
        // folder that is not there) makes the function one it cannot run, like a runtime.
        let mut code_dir = None;
        let mut code_unavailable = None;
        if image.is_none()
            && let Some((r, _)) = &runtime
            && runtime_kind(r).is_some()
        {
            code_dir = match (&inline, &code) {
                (Some(prop), None) => self.inline_code_dir(logical, prop, r),
                (Some(prop), Some(_)) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("function {logical} has both InlineCode and CodeUri; use one"),
                    );
                    None
                }
                (None, _) => match self.code_dir(logical, code.as_ref(), serverless, r) {
                    Ok(dir) => dir,
                    Err(unavailable) => {
                        code_unavailable = Some(unavailable);
                        None
                    }
                },
            };
        }
        // A function glassgate cannot run does not stop the template: its routes answer 502
        // (`runtime-unsupported`) and everything else is served.
        let unsupported = match (&image, &runtime) {
            (Some(loc), _) => Some((
                loc.clone(),
                "it is a container image (PackageType: Image); glassgate runs code from a folder (CodeUri)".to_owned(),
            )),
            (None, Some((r, loc))) if runtime_kind(r).is_none() => Some((
                loc.clone(),
                format!(
                    "its runtime {r} is not one glassgate runs (python3.x, nodejs*.x and provided runtimes)"
                ),
            )),
            _ => code_unavailable,
        };
        if let Some((loc, reason)) = unsupported {
            self.r.diags.warn(
                loc,
                format!(
                    "function {logical} cannot run under glassgate: {reason}; its routes are served and answer 502 (runtime-unsupported), the rest of the template runs"
                ),
            );
            let (Ok(function_name), Ok(environment), true) = (function_name, environment, ok)
            else {
                return;
            };
            self.functions.insert(
                logical.to_owned(),
                Function {
                    logical_id: logical.to_owned(),
                    function_name,
                    runtime: runtime.map_or_else(|| "image".to_owned(), |(r, _)| r),
                    handler,
                    code_dir: self.base_dir.to_path_buf(),
                    timeout: Duration::from_secs(timeout),
                    memory_mb: u32::try_from(memory).unwrap_or(128),
                    environment,
                    layers,
                    deps: None,
                    unsupported: Some(reason),
                },
            );
            return;
        }
        let Some((runtime, _)) = runtime else {
            let hint = if serverless {
                " (set it on the function or in Globals.Function)"
            } else {
                ""
            };
            self.r.diags.error(
                &props_loc,
                format!("function {logical} has no Runtime{hint}"),
            );
            return;
        };
        let Some(kind) = runtime_kind(&runtime) else {
            return;
        };
        if handler.is_none() && !handler_failed && kind == RuntimeKind::Interpreted {
            self.r.diags.error(
                &props_loc,
                format!("function {logical} has no Handler; {runtime} functions need one (e.g. app.handler)"),
            );
            ok = false;
        }
        let (Ok(function_name), Ok(environment), Some(code_dir), true) =
            (function_name, environment, code_dir, ok)
        else {
            return;
        };
        let Ok(memory_mb) = u32::try_from(memory) else {
            return;
        };
        let deps = code::deps_target(&self.r.opts().cache_dir, &runtime, &code_dir)
            .map(|t| t.folder)
            .filter(|f| f.is_dir());
        self.functions.insert(
            logical.to_owned(),
            Function {
                logical_id: logical.to_owned(),
                function_name,
                runtime,
                handler,
                code_dir,
                timeout: Duration::from_secs(timeout),
                memory_mb,
                environment,
                layers,
                deps,
                unsupported: None,
            },
        );
    }

    /// Which Globals keys the resource opts out of (`IgnoreGlobals: "*"` or a list).
    fn ignore_globals_of(&mut self, info: &ResourceInfo<'t>, res_loc: &str) -> IgnoreGlobals {
        let raw = info.ignore_globals;
        let loc = child(res_loc, "IgnoreGlobals");
        match raw {
            None => IgnoreGlobals::None,
            Some(Value::String(s)) if s == "*" => IgnoreGlobals::All,
            Some(Value::String(s)) => IgnoreGlobals::Some(vec![s.clone()]),
            Some(Value::Array(items)) => {
                IgnoreGlobals::Some(items.iter().filter_map(scalar_text).collect())
            }
            Some(other) => {
                self.r.diags.warn(
                    loc,
                    format!(
                        "expected \"*\" or a list of property names, got {}; ignored",
                        describe(other)
                    ),
                );
                IgnoreGlobals::None
            }
        }
    }

    /// `Environment.Variables` of every layer (Globals first), later layers winning per name.
    fn environment(&mut self, layers: &[Prop<'_>]) -> Result<IndexMap<String, String>, Reported> {
        let mut vars = IndexMap::new();
        let mut failed = false;
        for layer in layers {
            let env = match self.r.resolve_shallow(layer.value, &layer.loc) {
                Ok(Some(node)) => node,
                Ok(None) => continue,
                Err(Reported) => {
                    failed = true;
                    continue;
                }
            };
            let Some(env) = env.get().as_object() else {
                self.r.diags.error(
                    &layer.loc,
                    format!(
                        "expected a mapping with Variables, got {}",
                        describe(env.get())
                    ),
                );
                failed = true;
                continue;
            };
            for (key, value) in env {
                let loc = child(&layer.loc, key);
                if key != "Variables" {
                    self.r.diags.warn(
                        loc,
                        format!("Environment.{key} is not supported by glassgate; ignored"),
                    );
                    continue;
                }
                let node = match self.r.resolve_shallow(value, &loc) {
                    Ok(Some(node)) => node,
                    Ok(None) => continue,
                    Err(Reported) => {
                        failed = true;
                        continue;
                    }
                };
                let Some(entries) = node.get().as_object() else {
                    self.r.diags.error(
                        &loc,
                        format!(
                            "expected a mapping of names to values, got {}",
                            describe(node.get())
                        ),
                    );
                    failed = true;
                    continue;
                };
                for (name, v) in entries {
                    let at = child(&loc, name);
                    // As SAM CLI does: a value it cannot resolve, or null, is an empty string.
                    if let Some(param) = self.r.valueless_parameter(v) {
                        self.r.diags.warn(
                            &at,
                            format!(
                                "{name} uses parameter {param}, which has no Default and no value: it is empty, as SAM CLI passes it (give one with --parameter-overrides {param}=VALUE)"
                            ),
                        );
                        vars.insert(name.clone(), String::new());
                        continue;
                    }
                    if v.is_null() {
                        self.r.diags.warn(
                            &at,
                            format!("{name} is null: it is empty, as SAM CLI passes it"),
                        );
                        vars.insert(name.clone(), String::new());
                        continue;
                    }
                    match self.r.resolve(v, &at) {
                        Ok(Some(v)) => match scalar_text(&v) {
                            Some(text) => {
                                vars.insert(name.clone(), text);
                            }
                            None => {
                                self.r
                                    .diags
                                    .error(at, format!("expected a string, got {}", describe(&v)));
                                failed = true;
                            }
                        },
                        Ok(None) => {
                            vars.shift_remove(name);
                        }
                        Err(Reported) => failed = true,
                    }
                }
            }
        }
        if failed { Err(Reported) } else { Ok(vars) }
    }

    /// The absolute code folder, from `CodeUri` (serverless) or `Code` (Lambda).
    /// `InlineCode` (SAM) or `Code.ZipFile` (CloudFormation): written where Lambda writes it.
    fn inline_code_dir(
        &mut self,
        logical: &str,
        prop: &Prop<'_>,
        runtime: &str,
    ) -> Option<PathBuf> {
        let code = match self.string(prop) {
            Ok(Some(c)) => c,
            Ok(None) => return None,
            Err(Reported) => return None,
        };
        let cache = self.r.opts().cache_dir.clone();
        match code::inline(&cache, &code, runtime) {
            Ok(Some(dir)) => Some(dir),
            Ok(None) => {
                self.r.diags.error(
                    &prop.loc,
                    format!("inline code of function {logical} needs a Python or Node.js runtime, as on Lambda (it has {runtime})"),
                );
                None
            }
            Err(e) => {
                self.r.diags.error(&prop.loc, e);
                None
            }
        }
    }

    /// A function's code folder; `Ok(None)` when the template is wrong (reported), `Err` with
    /// where and why when the code is valid SAM but out of glassgate's reach.
    fn code_dir(
        &mut self,
        logical: &str,
        code: Option<&Prop<'_>>,
        serverless: bool,
        runtime: &str,
    ) -> Result<Option<PathBuf>, (String, String)> {
        let local_hint = "glassgate runs code from the machine: point CodeUri at the local folder or .zip, or run `sam build` and serve the project (glassgate uses .aws-sam/build)";
        let relative = match code {
            None => None,
            Some(prop) => match self.r.resolve(prop.value, &prop.loc) {
                Err(Reported) => return Ok(None),
                Ok(None) => None,
                Ok(Some(Value::String(s))) if s.starts_with("s3://") => {
                    return Err((
                        prop.loc.clone(),
                        format!("its code is in S3 ({s}); {local_hint}"),
                    ));
                }
                Ok(Some(Value::String(s))) => Some((s, prop.loc.clone())),
                Ok(Some(Value::Object(m))) if !serverless && m.contains_key("ZipFile") => {
                    let zip = Prop {
                        value: &m["ZipFile"],
                        loc: child(&prop.loc, "ZipFile"),
                    };
                    return Ok(self.inline_code_dir(logical, &zip, runtime));
                }
                Ok(Some(Value::Object(_))) => {
                    return Err((
                        prop.loc.clone(),
                        format!("its code is in S3 (Bucket and Key); {local_hint}"),
                    ));
                }
                Ok(Some(other)) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("expected a folder path, got {}", describe(&other)),
                    );
                    return Ok(None);
                }
            },
        };
        let (dir, loc) = match &relative {
            Some((s, loc)) => (self.base_dir.join(s), loc.clone()),
            None => (
                self.base_dir.to_path_buf(),
                child(&child("Resources", logical), "Properties"),
            ),
        };
        match std::fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => Ok(Some(std::fs::canonicalize(&dir).unwrap_or(dir))),
            // A built artifact (unpacked once into the cache), or a single file (alone in a
            // folder, as in the deployment package Lambda would get).
            Ok(_) => {
                let cache = self.r.opts().cache_dir.clone();
                let is_zip = dir
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
                let unpacked = if is_zip {
                    code::unpacked_zip(&cache, &dir)
                } else {
                    code::single_file(&cache, &dir)
                };
                match unpacked {
                    Ok(folder) => Ok(Some(folder)),
                    Err(e) => Err((loc, format!("its code cannot be used: {e}"))),
                }
            }
            Err(_) => Err((
                loc,
                format!(
                    "its code folder {} does not exist (a CodeUri that is not built yet, or a typo in it)",
                    dir.display()
                ),
            )),
        }
    }

    fn events(&mut self, logical: &str, events: &Prop<'_>) {
        let node = match self.r.resolve_shallow(events.value, &events.loc) {
            Ok(Some(node)) => node,
            Ok(None) | Err(Reported) => return,
        };
        let Some(entries) = node.get().as_object() else {
            self.r.diags.error(
                &events.loc,
                format!("expected a mapping of events, got {}", describe(node.get())),
            );
            return;
        };
        for (name, event) in entries {
            let loc = child(&events.loc, name);
            let node = match self.r.resolve_shallow(event, &loc) {
                Ok(Some(node)) => node,
                Ok(None) | Err(Reported) => continue,
            };
            let Some(event) = node.get().as_object() else {
                self.r.diags.error(
                    &loc,
                    format!(
                        "expected an event (a mapping with Type), got {}",
                        describe(node.get())
                    ),
                );
                continue;
            };
            let ty = match event.get("Type") {
                None => {
                    self.r.diags.error(&loc, "event has no Type");
                    continue;
                }
                Some(t) => match self.string(&Prop {
                    value: t,
                    loc: child(&loc, "Type"),
                }) {
                    Ok(Some(t)) => t,
                    Ok(None) | Err(Reported) => continue,
                },
            };
            match ty.as_str() {
                "Api" => self.api_event(logical, event, &loc),
                "HttpApi" => self.http_api_event(logical, event, &loc),
                _ => self.r.diags.warn(
                    &loc,
                    format!("event type {ty} is not served by glassgate; event {name} ignored"),
                ),
            }
        }
    }

    fn api_event(&mut self, logical: &str, event: &Map<String, Value>, loc: &str) {
        let props_loc = child(loc, "Properties");
        let Some(node) = self.properties(event.get("Properties"), &props_loc) else {
            return;
        };
        let Some(props) = node.get().as_object() else {
            return;
        };
        let mut path = None;
        let mut method = None;
        let mut api = Some(IMPLICIT_API.to_owned());
        let mut timeout_ms = 29_000;
        let mut route_auth = RouteAuth::Inherit;
        let mut scopes = Vec::new();
        let mut ok = true;
        for (key, value) in props {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            match key.as_str() {
                "Path" => match self.event_path(&prop) {
                    Ok(p) => path = p,
                    Err(Reported) => ok = false,
                },
                "Method" => match self.event_method(&prop) {
                    Ok(m) => method = m,
                    Err(Reported) => ok = false,
                },
                "RestApiId" => match self.rest_api_id(&prop) {
                    Some(id) => api = Some(id),
                    None => {
                        api = None;
                        ok = false;
                    }
                },
                "TimeoutInMillis" => {
                    match self.whole_number(&prop, 50..=29_000, TIMEOUT_RANGE_MESSAGE) {
                        Ok(Some(n)) => timeout_ms = n,
                        Ok(None) => {}
                        Err(Reported) => ok = false,
                    }
                }
                "Auth" => match self.event_auth(&prop) {
                    Ok((a, s)) => (route_auth, scopes) = (a, s),
                    Err(Reported) => ok = false,
                },
                "RequestParameters" | "RequestModel" => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "{key} is not validated by glassgate; requests are passed through unchecked"
                    ),
                ),
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!("property {key} of Api events is not supported by glassgate; ignored"),
                ),
            }
        }
        if path.is_none() && !props.contains_key("Path") {
            self.r.diags.error(&props_loc, "Api event has no Path");
            ok = false;
        }
        if method.is_none() && !props.contains_key("Method") {
            self.r.diags.error(&props_loc, "Api event has no Method");
            ok = false;
        }
        let (Some(path), Some(method), Some(api), true) = (path, method, api, ok) else {
            return;
        };
        if api == IMPLICIT_API {
            self.implicit_used = true;
        }
        let mut spec = rest_lambda_route(
            &method,
            path,
            logical.to_owned(),
            timeout_ms,
            loc.to_owned(),
        );
        spec.scopes = scopes;
        self.add_route(api, spec, route_auth);
    }

    /// Register a route of API `api` declared at `spec.source` (a SAM event or a
    /// CloudFormation route or method), its authorizer settled later: refused when the API
    /// already has the route key or when its path variables disagree with a sibling's.
    fn add_route(&mut self, api: String, spec: Route, auth: RouteAuth) {
        let route_key = (api.clone(), spec.key.clone());
        if let Some(first) = self.seen_routes.get(&route_key) {
            self.r.diags.error(
                &spec.source,
                format!(
                    "route {} of API {api} is also declared at {first}",
                    spec.key
                ),
            );
            return;
        }
        let source = spec.source.clone();
        if !self.check_sibling_variables(&api, spec.path(), &source) {
            return;
        }
        self.seen_routes.insert(route_key, source);
        self.routes
            .entry(api)
            .or_default()
            .push(PendingRoute { spec, auth });
    }

    /// API Gateway rejects `/users/{id}` next to `/users/{name}`: one variable per level.
    fn check_sibling_variables(
        &mut self,
        api: &str,
        path: Option<&PathTemplate>,
        loc: &str,
    ) -> bool {
        let Some(path) = path.map(PathTemplate::as_str) else {
            return true;
        };
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        for (i, seg) in segments.iter().enumerate() {
            if !seg.starts_with('{') {
                continue;
            }
            let parent = format!("/{}", segments[..i].join("/"));
            let key = (api.to_owned(), parent);
            match self.path_variables.get(&key) {
                Some((other, other_path, other_loc)) if other != seg => {
                    self.r.diags.error(
                        loc,
                        format!(
                            "path {path} uses {seg} where {other_path} (at {other_loc}) uses {other}; API Gateway allows one variable name per path level"
                        ),
                    );
                    return false;
                }
                Some(_) => {}
                None => {
                    self.path_variables
                        .insert(key, ((*seg).to_owned(), path.to_owned(), loc.to_owned()));
                }
            }
        }
        true
    }

    /// The logical id of the API an event's `RestApiId` points at.
    fn rest_api_id(&mut self, prop: &Prop<'_>) -> Option<String> {
        let id = match self.string(prop) {
            Ok(Some(id)) => id,
            Ok(None) => return Some(IMPLICIT_API.to_owned()),
            Err(Reported) => return None,
        };
        if id == IMPLICIT_API && self.r.resource(&id).is_none() {
            return Some(id);
        }
        match self.r.resource(&id) {
            Some(info) if info.ty == SERVERLESS_API => match self.r.included(&id) {
                Ok(true) => Some(id),
                Ok(false) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("RestApiId refers to {id}, which its Condition excludes"),
                    );
                    None
                }
                Err(Reported) => None,
            },
            Some(info) => {
                self.r.diags.error(
                    &prop.loc,
                    format!(
                        "RestApiId refers to {id}, which is a {}; expected an {SERVERLESS_API} (use !Ref MyApi)",
                        info.ty
                    ),
                );
                None
            }
            None => {
                self.r.diags.error(
                    &prop.loc,
                    format!(
                        "RestApiId {id:?} does not name an {SERVERLESS_API} of this template (use !Ref MyApi)"
                    ),
                );
                None
            }
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
                other => self.api_property_note(other, &prop.loc),
            }
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

    /// An event's `Path`, checked as a path template.
    fn event_path(&mut self, prop: &Prop<'_>) -> Result<Option<PathTemplate>, Reported> {
        let Some(p) = self.string(prop)? else {
            return Ok(None);
        };
        PathTemplate::parse(&p)
            .map(Some)
            .map_err(|e| self.r.diags.error(&prop.loc, e.to_string()))
    }

    /// An event's `Method`, upper-cased: one API Gateway accepts, or `ANY`.
    fn event_method(&mut self, prop: &Prop<'_>) -> Result<Option<String>, Reported> {
        let Some(m) = self.string(prop)? else {
            return Ok(None);
        };
        http_method(&m).map(Some).ok_or_else(|| {
            self.r.diags.error(
                &prop.loc,
                format!("unknown HTTP method {m:?}; expected GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"),
            )
        })
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

#[derive(Debug, PartialEq, Eq)]
enum IgnoreGlobals {
    None,
    All,
    Some(Vec<String>),
}

impl IgnoreGlobals {
    fn ignores(&self, key: &str) -> bool {
        match self {
            IgnoreGlobals::None => false,
            IgnoreGlobals::All => true,
            IgnoreGlobals::Some(keys) => keys.iter().any(|k| k == key),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuntimeKind {
    /// python and node: the handler names a file and a function.
    Interpreted,
    /// `provided*`: the code folder holds a `bootstrap` executable; `Handler` is optional.
    Custom,
}

fn runtime_kind(runtime: &str) -> Option<RuntimeKind> {
    if runtime.len() > "python3.".len() && runtime.starts_with("python3.")
        || runtime.len() > "nodejs".len() && runtime.starts_with("nodejs")
    {
        Some(RuntimeKind::Interpreted)
    } else if matches!(runtime, "provided" | "provided.al2" | "provided.al2023") {
        Some(RuntimeKind::Custom)
    } else {
        None
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
