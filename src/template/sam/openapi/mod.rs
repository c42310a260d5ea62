//! OpenAPI definitions with API Gateway's extensions: of REST APIs (Swagger 2.0 and OpenAPI
//! 3.x; SAM `DefinitionBody` / `DefinitionUri` and the `Body` / `BodyS3Location` of
//! `AWS::ApiGateway::RestApi`) and of HTTP APIs (OpenAPI 3.0 only, aws-httpapi-semantics.md
//! §7.1; `AWS::Serverless::HttpApi` and `AWS::ApiGatewayV2::Api`): there `/$default` is the
//! `$default` route, integrations carry `payloadFormatVersion`, authorizers are `request`
//! with `authorizerPayloadFormatVersion` (read as `cfn_v2` reads the resource form),
//! `x-amazon-apigateway-cors` is the API's CORS, and root-level `security` is ignored.
//!
//! A definition is read where its API is read: its Lambda authorizers (security schemes with
//! `x-amazon-apigateway-authorizer`) and gateway responses join the API's at once, while its
//! routes wait in the [`Builder`] until every event and method is known, because routes declared
//! elsewhere for the same method and path replace the definition's (SAM merges events into the
//! definition). As everywhere in the loader, a route is never served open because of something
//! that was not understood: unknown scheme names and authorizers whose function cannot be found
//! are errors.
//!
//! Here: finding and reading the definition, its version, its gateway responses, and merging
//! its routes with the others'; `security.rs` its security schemes and requirements,
//! `paths.rs` its operations and integrations.

mod paths;
mod security;

use std::collections::HashSet;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::auth::{ApiAuth, ResponseSpelling};
use super::{Builder, PendingRoute, Prop};
use crate::model::Cors;
use crate::template::intrinsics::{scalar_text, single_intrinsic};
use crate::template::yaml::{self, ParseFailure};
use crate::template::{Reported, child, describe};

const INTEGRATION: &str = "x-amazon-apigateway-integration";
const AUTHORIZER: &str = "x-amazon-apigateway-authorizer";
const AUTH_TYPE: &str = "x-amazon-apigateway-authtype";
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";
const GATEWAY_RESPONSES: &str = "x-amazon-apigateway-gateway-responses";
const METHOD_AUTH: &str = "x-amazon-apigateway-auth";
const REQUEST_VALIDATOR: &str = "x-amazon-apigateway-request-validator";

/// Extensions that change behaviour but are not emulated, with what that means locally.
const NOT_EMULATED: &[(&str, &str)] = &[
    (
        "x-amazon-apigateway-binary-media-types",
        "bodies are passed to functions as text",
    ),
    (
        "x-amazon-apigateway-request-validators",
        "requests are passed through unchecked",
    ),
    (REQUEST_VALIDATOR, "requests are passed through unchecked"),
    (
        "x-amazon-apigateway-api-key-source",
        "requests are served without checking an API key",
    ),
    (
        "x-amazon-apigateway-policy",
        "requests are not checked against it",
    ),
    (
        "x-amazon-apigateway-cors",
        "no CORS headers or OPTIONS methods are added",
    ),
    (
        "x-amazon-apigateway-minimum-compression-size",
        "responses are not compressed",
    ),
];

/// Extensions with no effect on how requests are served locally.
const HARMLESS_EXTENSIONS: &[&str] = &[
    "x-amazon-apigateway-documentation",
    "x-amazon-apigateway-endpoint-configuration",
    "x-amazon-apigateway-importexport-version",
    "x-amazon-apigateway-tag-value",
];

/// The OpenAPI operations API Gateway serves, as written under a path.
const OPERATIONS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// Where an API's definition may be: inline (`DefinitionBody` / `Body`) or in a file
/// (`DefinitionUri` / `BodyS3Location`).
pub(super) struct DefinitionProps<'a> {
    pub body: Option<Prop<'a>>,
    pub file: Option<Prop<'a>>,
}

/// What one definition is read with.
struct Definition {
    api: String,
    /// Where the definition is: the property holding it (or naming its file).
    loc: String,
    /// An `AWS::Serverless::Api` (SAM's `NONE` and `DefaultAuthorizer` apply).
    sam: bool,
    /// The API has a SAM `DefaultAuthorizer`, which SAM writes on every operation that names
    /// no authorizer of its own.
    sam_default: bool,
    /// Security schemes by name: whether each is an authorizer (working or broken).
    schemes: IndexMap<String, bool>,
    /// Not-emulated extensions already warned about (once per definition).
    warned: HashSet<&'static str>,
    /// An HTTP API's definition (see the module doc for what differs).
    http: bool,
    /// An HTTP API's `x-amazon-apigateway-cors`.
    cors: Option<Cors>,
}

/// What a `security` list asks for.
#[derive(Debug, Clone)]
enum Security {
    /// `security: []`.
    Empty,
    /// Only schemes that are not authorizers (API keys).
    NoAuthorizer,
    /// SAM's `NONE`: explicitly open.
    Open,
    /// One authorizer, asked at `loc`, with the scopes it lists (JWT authorizers of HTTP
    /// APIs check them).
    Authorizer {
        name: String,
        loc: String,
        scopes: Vec<String>,
    },
}

impl Builder<'_> {
    /// Import the OpenAPI definition of REST API `api`, if it has one: authorizers and
    /// gateway responses go into `auth`, routes wait for [`Builder::openapi_finish`].
    pub(super) fn import_definition(
        &mut self,
        api: &str,
        props: DefinitionProps<'_>,
        sam: bool,
        auth: &mut ApiAuth,
    ) {
        self.import(api, props, sam, false, auth);
    }

    /// Import the OpenAPI definition of HTTP API `api`, if it has one, as
    /// [`Builder::import_definition`] does; returns its `x-amazon-apigateway-cors`.
    pub(super) fn import_http_definition(
        &mut self,
        api: &str,
        props: DefinitionProps<'_>,
        sam: bool,
        auth: &mut ApiAuth,
    ) -> Option<Cors> {
        self.import(api, props, sam, true, auth)
    }

    fn import(
        &mut self,
        api: &str,
        props: DefinitionProps<'_>,
        sam: bool,
        http: bool,
        auth: &mut ApiAuth,
    ) -> Option<Cors> {
        let (root, loc) = self.definition_root(props, sam)?;
        let mut d = Definition {
            api: api.to_owned(),
            loc,
            sam,
            sam_default: sam && auth.default.is_some(),
            schemes: IndexMap::new(),
            warned: HashSet::new(),
            http,
            cors: None,
        };
        self.read_definition(&mut d, &root, auth);
        d.cors
    }

    /// Add the routes of every definition to their APIs, ahead of the routes declared
    /// elsewhere; a route also declared elsewhere keeps that declaration, unless the
    /// definition gives it an integration other than a Lambda proxy (non-proxy, MOCK,
    /// HTTP_PROXY, or one glassgate does not emulate): that is what API Gateway runs (SAM
    /// never replaces a definition's integration with an event's), so the event's Lambda
    /// proxy must not stand in for it.
    pub(super) fn openapi_finish(&mut self) {
        let pending = std::mem::take(&mut self.openapi_routes);
        let mut by_api: IndexMap<String, Vec<PendingRoute>> = IndexMap::new();
        for (api, route) in pending {
            let spec = &route.spec;
            let key = (api.clone(), spec.key.clone());
            let not_proxy = !matches!(spec.integration, crate::model::Integration::Lambda { .. });
            if let (Some(first), true) = (self.seen_routes.get(&key).cloned(), not_proxy) {
                let kind = spec.integration.type_name().to_owned();
                if let Some(routes) = self.routes.get_mut(&api) {
                    routes.retain(|r| r.spec.key != spec.key);
                }
                self.r.diags.warn(
                    &first,
                    format!(
                        "{} of API {api} is also in the API's definition with integration type {kind}, which is what API Gateway runs; this declaration does not replace it",
                        spec.key
                    ),
                );
                self.seen_routes.insert(key, spec.source.clone());
                by_api.entry(api).or_default().push(route);
                continue;
            }
            if let Some(first) = self.seen_routes.get(&key) {
                self.r.diags.warn(
                    &spec.source,
                    format!(
                        "{} of API {api} is also declared at {first}, which is served instead",
                        spec.key
                    ),
                );
                continue;
            }
            if !self.check_sibling_variables(&api, spec.path(), &spec.source) {
                continue;
            }
            self.seen_routes.insert(key, spec.source.clone());
            by_api.entry(api).or_default().push(route);
        }
        for (api, mut routes) in by_api {
            routes.extend(self.routes.shift_remove(&api).unwrap_or_default());
            self.routes.insert(api, routes);
        }
    }

    /// The definition tree and the location its contents are reported under.
    fn definition_root(
        &mut self,
        props: DefinitionProps<'_>,
        sam: bool,
    ) -> Option<(Value, String)> {
        let (body_key, file_key) = if sam {
            ("DefinitionBody", "DefinitionUri")
        } else {
            ("Body", "BodyS3Location")
        };
        match (props.body, props.file) {
            (Some(_), Some(file)) => {
                self.r.diags.error(
                    &file.loc,
                    format!("{body_key} and {file_key} are both set; use one"),
                );
                None
            }
            (Some(body), None) => self.inline_definition(&body),
            (None, Some(file)) => self.file_definition(&file, file_key),
            (None, None) => None,
        }
    }

    /// `DefinitionBody` / `Body`, possibly `Fn::Transform: {Name: AWS::Include, ...}`.
    fn inline_definition(&mut self, body: &Prop<'_>) -> Option<(Value, String)> {
        let include = match body.value {
            Value::Object(m) => single_intrinsic(m).filter(|(k, _)| *k == "Fn::Transform"),
            _ => None,
        };
        let Some((key, arg)) = include else {
            return Some((body.value.clone(), body.loc.clone()));
        };
        let at = child(&body.loc, key);
        let location = self.include_location(arg, &at)?;
        let root = self.definition_file(&location, &at)?;
        Some((root, body.loc.clone()))
    }

    /// The local file an `AWS::Include` transform names; `None` (reported) otherwise.
    fn include_location(&mut self, arg: &Value, loc: &str) -> Option<String> {
        let entries = self.mapping(arg, loc).ok()?;
        let name = match entries.get("Name") {
            Some(value) => self
                .string(&Prop {
                    value,
                    loc: child(loc, "Name"),
                })
                .ok()?,
            None => None,
        };
        match name.as_deref() {
            Some("AWS::Include") => {}
            Some(other) => {
                self.r.diags.warn(
                    loc,
                    format!(
                        "transform {other} is not applied by glassgate; the OpenAPI definition is not imported"
                    ),
                );
                return None;
            }
            None => {
                self.r
                    .diags
                    .error(loc, "Fn::Transform has no Name (use AWS::Include)");
                return None;
            }
        }
        let params_loc = child(loc, "Parameters");
        let params = match entries.get("Parameters") {
            Some(v) => self.mapping(v, &params_loc).ok()?,
            None => Map::new(),
        };
        let location_loc = child(&params_loc, "Location");
        let location = match params.get("Location") {
            Some(value) => self
                .string(&Prop {
                    value,
                    loc: location_loc.clone(),
                })
                .ok()?,
            None => None,
        };
        let Some(location) = location else {
            self.r.diags.error(
                loc,
                "AWS::Include has no Parameters.Location (the file holding the definition)",
            );
            return None;
        };
        if is_remote(&location) {
            self.r.diags.warn(location_loc, not_local(&location));
            return None;
        }
        Some(location)
    }

    /// `DefinitionUri` / `BodyS3Location`: a local file, or a warning for S3.
    fn file_definition(&mut self, file: &Prop<'_>, key: &str) -> Option<(Value, String)> {
        let given = match self.r.resolve(file.value, &file.loc) {
            Ok(Some(v)) => v,
            Ok(None) | Err(Reported) => return None,
        };
        let location = match given {
            Value::String(s) if is_remote(&s) => {
                self.r.diags.warn(&file.loc, not_local(&s));
                return None;
            }
            Value::String(s) => s,
            Value::Object(_) => {
                self.r.diags.warn(
                    &file.loc,
                    "the OpenAPI definition is in S3, not local; not imported (set the property to a file path relative to the template)",
                );
                return None;
            }
            other => {
                self.r.diags.error(
                    &file.loc,
                    format!(
                        "expected the path of an OpenAPI file, got {}",
                        describe(&other)
                    ),
                );
                return None;
            }
        };
        let root = self.definition_file(&location, &file.loc)?;
        if has_intrinsic(&root, 0) {
            self.r.diags.warn(
                &file.loc,
                format!(
                    "CloudFormation does not evaluate intrinsic functions in a {key} file (use Fn::Transform with AWS::Include instead); glassgate evaluates them, but a deployment would not"
                ),
            );
        }
        Some((root, file.loc.clone()))
    }

    /// Read and parse an OpenAPI file relative to the template's folder.
    fn definition_file(&mut self, location: &str, loc: &str) -> Option<Value> {
        let path = self.base_dir.join(location);
        let shown = path.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                self.r
                    .diags
                    .error(loc, format!("cannot read the OpenAPI file {shown}: {e}"));
                return None;
            }
        };
        let Ok(text) = String::from_utf8(bytes) else {
            self.r.diags.error(
                loc,
                format!("the OpenAPI file {shown} is not UTF-8 text (YAML or JSON)"),
            );
            return None;
        };
        match yaml::parse(&text) {
            Ok((v, warnings)) => {
                for w in warnings {
                    self.r.diags.warn(
                        loc,
                        format!("the OpenAPI file {shown}, at {}: {}", w.location, w.message),
                    );
                }
                Some(v)
            }
            Err(ParseFailure::Syntax {
                line,
                column,
                message,
            }) => {
                self.r.diags.error(
                    loc,
                    format!("the OpenAPI file {shown}: line {line}, column {column}: {message}"),
                );
                None
            }
            Err(ParseFailure::Invalid(problems)) => {
                for p in problems {
                    self.r.diags.error(
                        loc,
                        format!("the OpenAPI file {shown}: {}: {}", p.location, p.message),
                    );
                }
                None
            }
        }
    }

    fn read_definition(&mut self, d: &mut Definition, root: &Value, auth: &mut ApiAuth) {
        let loc = d.loc.clone();
        let Ok(root) = self.mapping(root, &loc) else {
            return;
        };
        if root.is_empty() {
            self.r.diags.warn(
                &loc,
                "the OpenAPI definition is empty; no routes are imported",
            );
            return;
        }
        self.check_version(&root, &loc, d.http);
        for (key, value) in &root {
            let at = child(&loc, key);
            if d.http && key == "x-amazon-apigateway-cors" {
                if let Ok(c) = self.cors_configuration(&Prop {
                    value,
                    loc: at.clone(),
                }) {
                    d.cors = c;
                }
            } else if d.http && key == GATEWAY_RESPONSES {
                self.r.diags.warn(
                    &at,
                    "gateway responses are a REST API feature; an HTTP API answers its own fixed bodies, so these are ignored",
                );
            } else if let Some((ext, effect)) = NOT_EMULATED.iter().find(|(e, _)| e == key) {
                warn_once(self, d, ext, effect, &at);
            } else if key == GATEWAY_RESPONSES {
                self.definition_gateway_responses(value, &at, d.sam, auth);
            } else if key.starts_with("x-amazon-apigateway-")
                && !HARMLESS_EXTENSIONS.contains(&key.as_str())
            {
                self.r.diags.warn(
                    &at,
                    format!("{key} is not supported by glassgate here; ignored"),
                );
            }
        }
        if let Some(v) = root.get("securityDefinitions") {
            self.security_schemes(d, v, &child(&loc, "securityDefinitions"), auth);
        }
        if let Some(components) = root.get("components") {
            let at = child(&loc, "components");
            if let Ok(components) = self.mapping(components, &at) {
                if let Some(v) = components.get("securitySchemes") {
                    self.security_schemes(d, v, &child(&at, "securitySchemes"), auth);
                }
            }
        }
        let top = match root.get("security") {
            Some(_) if d.http => {
                self.r.diags.warn(
                    child(&loc, "security"),
                    "HTTP APIs ignore a root-level security requirement (set security on each operation); ignored",
                );
                Ok(None)
            }
            Some(v) => self
                .security_requirement(d, v, &child(&loc, "security"), auth)
                .map(Some),
            None => Ok(None),
        };
        match root.get("paths") {
            Some(paths) => self.definition_paths(d, paths, &top, auth),
            None => self.r.diags.warn(
                &loc,
                "the OpenAPI definition has no paths; no routes are imported",
            ),
        }
    }

    fn check_version(&mut self, root: &Map<String, Value>, loc: &str, http: bool) {
        let (key, value) = match (root.get("swagger"), root.get("openapi")) {
            (Some(v), _) => ("swagger", v),
            (None, Some(v)) => ("openapi", v),
            (None, None) => {
                self.r.diags.warn(
                    loc,
                    "the OpenAPI definition has neither swagger: \"2.0\" nor openapi: 3.x; read as OpenAPI anyway",
                );
                return;
            }
        };
        let at = child(loc, key);
        let Ok(Some(value)) = self.r.resolve(value, &at) else {
            return;
        };
        let text = scalar_text(&value).unwrap_or_default();
        if http && key == "swagger" {
            self.r.diags.error(
                at,
                format!("HTTP APIs import OpenAPI 3.0 definitions only, not swagger {text:?}"),
            );
            return;
        }
        let known = if key == "swagger" {
            text == "2.0"
        } else {
            text.starts_with("3.")
        };
        if !known {
            self.r.diags.warn(
                at,
                format!(
                    "{key} {text:?} is not a version API Gateway imports (swagger 2.0, openapi 3.x); read as is"
                ),
            );
        }
    }

    /// `x-amazon-apigateway-gateway-responses`. SAM's `GatewayResponses` (already in `auth`)
    /// win over the definition's; for a RestApi, `AWS::ApiGateway::GatewayResponse` resources
    /// are read later and replace them.
    fn definition_gateway_responses(
        &mut self,
        value: &Value,
        loc: &str,
        sam: bool,
        auth: &mut ApiAuth,
    ) {
        let Ok(entries) = self.mapping(value, loc) else {
            return;
        };
        for (ty, v) in &entries {
            let at = child(loc, ty);
            let Ok(spec) = self.gateway_response(ty, v, &at, ResponseSpelling::Extension) else {
                continue;
            };
            if auth.gateway_responses.contains_key(ty) {
                if sam {
                    self.r.diags.warn(
                        &at,
                        format!(
                            "replaced by GatewayResponses.{ty} of the API (SAM writes its GatewayResponses over the definition's)"
                        ),
                    );
                }
                continue;
            }
            auth.gateway_responses.insert(ty.clone(), spec);
        }
    }
}

/// Warn once per definition that extension `ext` is not emulated.
fn warn_once(b: &mut Builder<'_>, d: &mut Definition, ext: &'static str, effect: &str, loc: &str) {
    if d.warned.insert(ext) {
        b.r.diags
            .warn(loc, format!("{ext} is not emulated; {effect}"));
    }
}

fn is_remote(location: &str) -> bool {
    location.contains("://")
}

fn not_local(location: &str) -> String {
    format!(
        "the OpenAPI definition {location} is not local; not imported (use a file path relative to the template)"
    )
}

/// Whether a parsed file holds an intrinsic function anywhere.
fn has_intrinsic(v: &Value, depth: usize) -> bool {
    if depth > 256 {
        return false;
    }
    match v {
        Value::Object(m) => {
            single_intrinsic(m).is_some() || m.values().any(|x| has_intrinsic(x, depth + 1))
        }
        Value::Array(items) => items.iter().any(|x| has_intrinsic(x, depth + 1)),
        _ => false,
    }
}
