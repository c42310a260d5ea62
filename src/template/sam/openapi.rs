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
//! that was not understood: Cognito and IAM schemes, unknown scheme names and authorizers whose
//! function cannot be found are errors.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::apigw::{IntegrationKeys, Spelling};
use super::auth::{ApiAuth, ResponseSpelling};
use super::{Builder, PendingRoute, Prop, RouteAuth};
use crate::model::{Authorizer, Cors, Integration, PathTemplate, PayloadVersion, Route, RouteKey};
use crate::template::intrinsics::{scalar_text, single_intrinsic};
use crate::template::yaml::{self, ParseFailure};
use crate::template::{Reported, child, describe, index};

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
    /// definition gives it an integration glassgate does not emulate: that is what API
    /// Gateway runs (SAM never replaces a definition's integration with an event's), so the
    /// event's Lambda proxy must not stand in for it.
    pub(super) fn openapi_finish(&mut self) {
        let pending = std::mem::take(&mut self.openapi_routes);
        let mut by_api: IndexMap<String, Vec<PendingRoute>> = IndexMap::new();
        for (api, route) in pending {
            let spec = &route.spec;
            let key = (api.clone(), spec.key.clone());
            if let (Some(first), crate::model::Integration::NotEmulated { kind }) =
                (self.seen_routes.get(&key).cloned(), &spec.integration)
            {
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

    /// `securityDefinitions` (Swagger 2) or `components.securitySchemes` (OpenAPI 3).
    fn security_schemes(
        &mut self,
        d: &mut Definition,
        value: &Value,
        loc: &str,
        auth: &mut ApiAuth,
    ) {
        let Ok(entries) = self.mapping(value, loc) else {
            return;
        };
        for (name, v) in &entries {
            let at = child(loc, name);
            if d.sam && (auth.authorizers.contains_key(name) || auth.broken.contains(name)) {
                self.r.diags.warn(
                    &at,
                    format!(
                        "security scheme {name} is replaced by the authorizer {name} of Auth.Authorizers (SAM writes its authorizers over the definition's)"
                    ),
                );
                d.schemes.insert(name.clone(), true);
                continue;
            }
            let is_authorizer = match self.mapping(v, &at) {
                Ok(scheme) => self.security_scheme(name, &scheme, &at, auth, d.http),
                Err(Reported) => {
                    auth.broken.insert(name.clone());
                    true
                }
            };
            d.schemes.insert(name.clone(), is_authorizer);
        }
    }

    /// One security scheme; whether it is an authorizer (declared in `auth`, working or broken).
    fn security_scheme(
        &mut self,
        name: &str,
        scheme: &Map<String, Value>,
        loc: &str,
        auth: &mut ApiAuth,
        http: bool,
    ) -> bool {
        let lower = |b: &mut Self, key: &str| -> Result<Option<String>, Reported> {
            match scheme.get(key) {
                None => Ok(None),
                Some(value) => b
                    .string(&Prop {
                        value,
                        loc: child(loc, key),
                    })
                    .map(|s| s.map(|s| s.to_ascii_lowercase())),
            }
        };
        let (Ok(auth_type), Ok(ty)) = (lower(self, AUTH_TYPE), lower(self, "type")) else {
            auth.broken.insert(name.to_owned());
            return true;
        };
        let broken = |b: &mut Self, auth: &mut ApiAuth, message: String| {
            b.r.diags.error(loc, message);
            auth.broken.insert(name.to_owned());
            true
        };
        match auth_type.as_deref() {
            Some("cognito_user_pools") if http => {
                return broken(
                    self,
                    auth,
                    format!(
                        "security scheme {name} is a Cognito user pool authorizer, which HTTP APIs do not have: use a JWT authorizer (x-amazon-apigateway-authorizer type: jwt) with the pool's issuer https://cognito-idp.REGION.amazonaws.com/POOL_ID"
                    ),
                );
            }
            Some("cognito_user_pools") if !scheme.contains_key(AUTHORIZER) => {
                return broken(
                    self,
                    auth,
                    format!(
                        "security scheme {name} is a Cognito user pool authorizer without {AUTHORIZER} (type: cognito_user_pools, providerARNs: [...])"
                    ),
                );
            }
            // `type: apiKey, name: Authorization, in: header` with this auth type: SigV4.
            Some("awssigv4") => {
                auth.authorizers
                    .insert(name.to_owned(), Authorizer::iam(name, loc.to_owned()));
                return true;
            }
            _ => {}
        }
        if let Some(ext) = scheme.get(AUTHORIZER)
            && http
        {
            let at = child(loc, AUTHORIZER);
            let found = self.mapping(ext, &at).ok().and_then(|props| {
                self.v2_lambda_authorizer(name, &props, &at, Spelling::Extension, loc.to_owned())
            });
            match found {
                Some(a) => {
                    auth.authorizers.insert(name.to_owned(), a);
                }
                None => {
                    auth.broken.insert(name.to_owned());
                }
            }
            return true;
        }
        if let Some(ext) = scheme.get(AUTHORIZER) {
            match self.definition_authorizer(name, scheme, ext, loc) {
                Ok(a) => {
                    auth.authorizers.insert(name.to_owned(), a);
                }
                Err(Reported) => {
                    auth.broken.insert(name.to_owned());
                }
            }
            return true;
        }
        if auth_type.as_deref() == Some("custom") {
            return broken(
                self,
                auth,
                format!("security scheme {name} is a custom authorizer without {AUTHORIZER}"),
            );
        }
        if ty.as_deref() == Some("apikey") {
            self.r.diags.warn(
                loc,
                format!(
                    "security scheme {name} is an API key; API keys are not emulated, so requests are served without checking one"
                ),
            );
        } else {
            let ty = ty.unwrap_or_else(|| "(none)".to_owned());
            self.r.diags.warn(
                loc,
                format!(
                    "security scheme {name} of type {ty} is not a Lambda authorizer ({AUTHORIZER}); API Gateway does not enforce it, and neither does glassgate"
                ),
            );
        }
        false
    }

    /// `x-amazon-apigateway-authorizer` of scheme `name`.
    fn definition_authorizer(
        &mut self,
        name: &str,
        scheme: &Map<String, Value>,
        ext: &Value,
        scheme_loc: &str,
    ) -> Result<Authorizer, Reported> {
        let loc = child(scheme_loc, AUTHORIZER);
        let props = self.mapping(ext, &loc)?;
        let ty =
            self.required_string(&props, &loc, "type", "the authorizer", "(token or request)")?;
        let request = match ty.to_ascii_lowercase().as_str() {
            "token" => false,
            "request" => true,
            "cognito_user_pools" => {
                return self.gateway_cognito_authorizer(
                    name,
                    &props,
                    &loc,
                    Spelling::Extension,
                    scheme_header(scheme),
                    scheme_loc,
                );
            }
            _ => {
                return Err(self.r.diags.error(
                    child(&loc, "type"),
                    format!(
                        "authorizer type must be token, request or cognito_user_pools, got {ty:?}"
                    ),
                ));
            }
        };
        let fallback = scheme_header(scheme);
        self.gateway_authorizer(
            name,
            request,
            &props,
            &loc,
            Spelling::Extension,
            fallback,
            scheme_loc.to_owned(),
        )
    }

    /// A `security` list: the one authorizer it names, or why it names none.
    fn security_requirement(
        &mut self,
        d: &Definition,
        value: &Value,
        loc: &str,
        auth: &ApiAuth,
    ) -> Result<Security, Reported> {
        let items = match self.r.resolve(value, loc)? {
            None => return Ok(Security::Empty),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(self.r.diags.error(
                    loc,
                    format!(
                        "expected a list of security requirements ({{SchemeName: []}}), got {}",
                        describe(&other)
                    ),
                ));
            }
        };
        let mut named: Vec<(String, String, Vec<String>)> = Vec::new();
        let mut open = false;
        let mut failed = false;
        for (i, item) in items.iter().enumerate() {
            let at = index(loc, i);
            let Value::Object(requirement) = item else {
                self.r.diags.error(
                    &at,
                    format!(
                        "expected a mapping of scheme names to scopes, got {}",
                        describe(item)
                    ),
                );
                failed = true;
                continue;
            };
            for (name, scopes) in requirement {
                let name_loc = child(&at, name);
                if d.sam && name == "NONE" {
                    open = true;
                    continue;
                }
                let is_authorizer = match d.schemes.get(name) {
                    Some(a) => *a,
                    None if auth.authorizers.contains_key(name) || auth.broken.contains(name) => {
                        true
                    }
                    None => {
                        let mut declared: Vec<&str> =
                            d.schemes.keys().map(String::as_str).collect();
                        for n in auth.authorizers.keys().chain(auth.broken.iter()) {
                            if !declared.contains(&n.as_str()) {
                                declared.push(n);
                            }
                        }
                        let declared = if declared.is_empty() {
                            "it declares none".to_owned()
                        } else {
                            format!("it declares {}", declared.join(", "))
                        };
                        self.r.diags.error(
                            &name_loc,
                            format!(
                                "security scheme {name} is not declared in the definition ({declared})"
                            ),
                        );
                        failed = true;
                        continue;
                    }
                };
                if !is_authorizer {
                    continue;
                }
                let listed: Vec<String> = scopes
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if !named.iter().any(|(n, _, _)| n == name) {
                    named.push((name.clone(), name_loc, listed));
                }
            }
        }
        if failed {
            return Err(Reported);
        }
        let mut named = named.into_iter();
        match (named.next(), named.next()) {
            (Some((name, loc, scopes)), None) => Ok(Security::Authorizer { name, loc, scopes }),
            (Some((first, _, _)), Some((second, _, _))) => Err(self.r.diags.error(
                loc,
                format!(
                    "the security requirements name several authorizers ({first}, {second}); an API Gateway method takes one"
                ),
            )),
            (None, _) if open => Ok(Security::Open),
            (None, _) if items.is_empty() => Ok(Security::Empty),
            (None, _) => Ok(Security::NoAuthorizer),
        }
    }

    fn definition_paths(
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

    fn definition_operation(
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
                    Ok(t) => {
                        target = t.map(|t| match t {
                            RestTarget::Proxy((function, timeout_ms)) => Integration::Lambda {
                                function,
                                payload: PayloadVersion::V1,
                                timeout: std::time::Duration::from_millis(timeout_ms),
                            },
                            RestTarget::NotEmulated(kind) => Integration::NotEmulated { kind },
                        });
                    }
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
    fn http_definition_integration(
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
                self.r.diags.warn(
                    loc,
                    format!("integration type {ty} of {route} is not emulated by glassgate yet; the route answers 500 (integration-not-emulated)"),
                );
                return Ok(Some(Integration::NotEmulated { kind: ty }));
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

    /// The function and timeout of an `x-amazon-apigateway-integration`; `Ok(None)` (with a
    /// warning) for integration types that are not emulated.
    fn definition_integration(
        &mut self,
        route: &str,
        value: &Value,
        loc: &str,
    ) -> Result<Option<RestTarget>, Reported> {
        let entries = self.mapping(value, loc)?;
        let what = format!("the integration of {route}");
        let ty = self.required_string(&entries, loc, "type", &what, "(aws_proxy)")?;
        match ty.to_ascii_lowercase().as_str() {
            "aws_proxy" => {}
            "mock" | "http" | "http_proxy" | "aws" => {
                let what = if ty.eq_ignore_ascii_case("aws") {
                    " (a Lambda non-proxy integration, with mapping templates)"
                } else {
                    ""
                };
                self.r.diags.warn(
                    loc,
                    format!("integration type {ty}{what} of {route} is not emulated by glassgate yet; the route answers 500 (integration-not-emulated), never a proxy stand-in"),
                );
                return Ok(Some(RestTarget::NotEmulated(ty)));
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
        .map(|target| Some(RestTarget::Proxy(target)))
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

/// What a REST operation's integration is: a Lambda proxy (function, timeout in ms), or a type
/// glassgate does not emulate.
enum RestTarget {
    Proxy((String, u64)),
    NotEmulated(String),
}

/// The header a Swagger API-key scheme names (`in: header`, `name: Authorization`).
fn scheme_header(scheme: &Map<String, Value>) -> Option<String> {
    let location = scheme.get("in").and_then(Value::as_str)?;
    let name = scheme.get("name").and_then(Value::as_str)?;
    (location.eq_ignore_ascii_case("header")
        && !name.is_empty()
        && !name.contains(char::is_whitespace))
    .then(|| name.to_owned())
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
