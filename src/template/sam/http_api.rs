//! SAM HTTP APIs: `AWS::Serverless::HttpApi`, `Globals.HttpApi`, `HttpApi` function events and
//! the implicit `ServerlessHttpApi` (aws-httpapi-semantics.md §8.1).
//!
//! Served: the stage (`StageName`, `$default` when absent) and its variables, routes from
//! events (`Path` + `Method`, or neither for the `$default` route), `PayloadFormatVersion`
//! (2.0 by default), `TimeoutInMillis` (50 to 30 000 ms, 30 s by default, as AWS applies it
//! when SAM writes none), and `Auth` (Lambda authorizers, read in `http_auth.rs`; a route's
//! `Auth.Authorizer` names one, `NONE`, or inherits `DefaultAuthorizer`). JWT authorizers and
//! IAM authorization are not emulated yet: a template that uses one is refused, since serving
//! its routes open would hide the very failures glassgate exists to show. What is only
//! ignored is a named warning.

use serde_json::{Map, Value};

use super::{Builder, Prop, RouteAuth, check_stage_name};
use crate::model::{
    Api, Cors, DEFAULT_STAGE, Flavor, Integration, PathTemplate, PayloadVersion, Route, RouteKey,
    api_id_for,
};
use crate::template::intrinsics::{IMPLICIT_HTTP_API, ResourceInfo, SERVERLESS_HTTP_API};
use crate::template::{Reported, child};

/// HTTP API properties that change nothing locally.
const HARMLESS_HTTP_API_PROPERTIES: &[&str] = &[
    "Name",
    "Description",
    "Tags",
    "PropagateTags",
    "Domain",
    "DisableExecuteApiEndpoint",
    "FailOnWarnings",
];

/// AWS's integration timeout range and default for HTTP APIs.
const HTTP_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 50..=30_000;
const HTTP_TIMEOUT_MESSAGE: &str = "TimeoutInMillis should be between 50 ms and 30000 ms";
const HTTP_DEFAULT_TIMEOUT_MS: u64 = 30_000;

impl<'t> Builder<'t> {
    /// An `AWS::Serverless::HttpApi` resource.
    pub(super) fn http_api(&mut self, logical: &str, info: &ResourceInfo<'t>) {
        let res_loc = child("Resources", logical);
        let props_loc = child(&res_loc, "Properties");
        let Some(props) = self.properties(info.props, &props_loc) else {
            return;
        };
        let Some(own) = props.get().as_object() else {
            return;
        };
        let ignore = self.ignore_globals_of(info, &res_loc);
        let mut layers: Vec<(String, Prop<'_>)> = Vec::new();
        for (key, value) in self.globals_http_api.clone() {
            if !ignore.ignores(key) {
                let loc = child("Globals.HttpApi", key);
                layers.push((key.to_owned(), Prop { value, loc }));
            }
        }
        for (key, value) in own {
            let loc = child(&props_loc, key);
            layers.push((key.clone(), Prop { value, loc }));
        }
        let Ok(settings) = self.http_api_settings(logical, &layers) else {
            return;
        };
        self.apis.push(new_http_api(logical, settings));
    }

    /// The implicit `ServerlessHttpApi` that `HttpApi` events without `ApiId` attach to,
    /// configured by `Globals.HttpApi` only.
    pub(super) fn implicit_http_api(&mut self) {
        let layers: Vec<(String, Prop<'_>)> = self
            .globals_http_api
            .clone()
            .into_iter()
            .map(|(key, value)| {
                let loc = child("Globals.HttpApi", key);
                (key.to_owned(), Prop { value, loc })
            })
            .collect();
        let Ok(settings) = self.http_api_settings(IMPLICIT_HTTP_API, &layers) else {
            return;
        };
        self.apis.push(new_http_api(IMPLICIT_HTTP_API, settings));
    }

    /// The stage and stage variables of HTTP API `logical` from its property layers (Globals
    /// first, the resource's own last), its authorizers (kept for `settle_routes`), and a
    /// report of everything else.
    fn http_api_settings(
        &mut self,
        logical: &str,
        layers: &[(String, Prop<'_>)],
    ) -> Result<HttpApiSettings, Reported> {
        let mut stage = DEFAULT_STAGE.to_owned();
        let mut var_layers = Vec::new();
        let mut auth_layers = Vec::new();
        let mut cors = None;
        let mut access_log = None;
        let mut definition = super::openapi::DefinitionProps {
            body: None,
            file: None,
        };
        let mut failed = false;
        for (key, prop) in layers {
            match key.as_str() {
                "StageName" => match self.checked_string(prop, check_http_stage_name) {
                    Ok(Some(s)) => stage = s,
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "StageVariables" => var_layers.push(Prop {
                    value: prop.value,
                    loc: prop.loc.clone(),
                }),
                "Auth" => auth_layers.push(Prop {
                    value: prop.value,
                    loc: prop.loc.clone(),
                }),
                "DefinitionBody" => {
                    definition.body = Some(Prop {
                        value: prop.value,
                        loc: prop.loc.clone(),
                    });
                }
                "DefinitionUri" => {
                    definition.file = Some(Prop {
                        value: prop.value,
                        loc: prop.loc.clone(),
                    });
                }
                "CorsConfiguration" => match self.cors_configuration(prop) {
                    Ok(c) => cors = c,
                    Err(Reported) => failed = true,
                },
                "AccessLogSettings" => match self.access_log_setting(prop) {
                    Ok(l) => access_log = l,
                    Err(Reported) => failed = true,
                },
                "DefaultRouteSettings" | "RouteSettings" => self.r.diags.warn(
                    &prop.loc,
                    format!("{key} is not emulated: requests are not throttled"),
                ),
                other => self.property_note(other, &prop.loc, HARMLESS_HTTP_API_PROPERTIES, None),
            }
        }
        let variables = self.stage_variables(&var_layers);
        let mut auth = self.http_api_authorizers(logical, &auth_layers);
        // SAM merges events and Auth into the definition; its CorsConfiguration wins over
        // the definition's x-amazon-apigateway-cors.
        let definition_cors = self.import_http_definition(logical, definition, true, &mut auth);
        cors = cors.or(definition_cors);
        self.api_auth.insert(logical.to_owned(), auth);
        match (failed, variables) {
            (false, Ok(stage_variables)) => Ok(HttpApiSettings {
                stage,
                stage_variables,
                cors,
                access_log,
            }),
            _ => Err(Reported),
        }
    }

    /// One `HttpApi` event of function `logical`.
    pub(super) fn http_api_event(&mut self, logical: &str, event: &Map<String, Value>, loc: &str) {
        let props_loc = child(loc, "Properties");
        let Some(node) = self.properties(event.get("Properties"), &props_loc) else {
            return;
        };
        let Some(props) = node.get().as_object() else {
            return;
        };
        let mut path: Option<PathTemplate> = None;
        let mut method: Option<String> = None;
        let mut api = Some(IMPLICIT_HTTP_API.to_owned());
        let mut payload = PayloadVersion::V2;
        let mut timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
        let mut route_auth = RouteAuth::Inherit;
        let mut route_scopes = Vec::new();
        let mut ok = true;
        for (key, value) in props {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            match key.as_str() {
                "Path" => match self.event_path(&prop) {
                    Ok(Some(p)) if p.as_str().len() > 1 && p.as_str().ends_with('/') => {
                        self.r.diags.error(
                            &prop.loc,
                            format!("HTTP API route paths may not end with '/', got {:?} (API Gateway refuses the route key)", p.as_str()),
                        );
                        ok = false;
                    }
                    Ok(p) => path = p,
                    Err(Reported) => ok = false,
                },
                "Method" => match self.event_method(&prop) {
                    Ok(m) => method = m,
                    Err(Reported) => ok = false,
                },
                "ApiId" => api = self.http_api_id(&prop),
                "PayloadFormatVersion" => match self.payload_version(&prop) {
                    Ok(v) => payload = v.unwrap_or(payload),
                    Err(Reported) => ok = false,
                },
                "TimeoutInMillis" => {
                    match self.whole_number(&prop, HTTP_TIMEOUT_RANGE, HTTP_TIMEOUT_MESSAGE) {
                        Ok(Some(n)) => timeout_ms = n,
                        Ok(None) => {}
                        Err(Reported) => ok = false,
                    }
                }
                "Auth" => match self.event_auth(&prop, &[]) {
                    Ok((a, s)) => {
                        route_auth = a;
                        route_scopes = s;
                    }
                    Err(Reported) => ok = false,
                },
                "RouteSettings" => self.r.diags.warn(
                    &prop.loc,
                    "RouteSettings is not emulated: requests are not throttled",
                ),
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "property {key} of HttpApi events is not supported by glassgate; ignored"
                    ),
                ),
            }
        }
        let key = match (path, method) {
            (Some(path), Some(method)) => RouteKey::path(&method, path),
            (None, None) if !props.contains_key("Path") && !props.contains_key("Method") => {
                RouteKey::Default
            }
            (Some(_), None) if !props.contains_key("Method") => {
                self.r.diags.error(
                    &props_loc,
                    "HttpApi event has a Path but no Method (give both, or neither for the $default route)",
                );
                return;
            }
            (None, Some(_)) if !props.contains_key("Path") => {
                self.r.diags.error(
                    &props_loc,
                    "HttpApi event has a Method but no Path (give both, or neither for the $default route)",
                );
                return;
            }
            // The bad property is reported.
            _ => return,
        };
        let (Some(api), true) = (api, ok) else {
            return;
        };
        if api == IMPLICIT_HTTP_API {
            self.implicit_http_used = true;
        }
        let spec = Route {
            key,
            integration: Integration::Lambda {
                function: logical.to_owned(),
                payload,
                timeout: std::time::Duration::from_millis(timeout_ms),
            },
            authorizer: None,
            scopes: route_scopes,
            source: loc.to_owned(),
        };
        self.add_route(api, spec, route_auth);
    }

    /// SAM `CorsConfiguration`: `true` (every origin), an origin as text (quoted the way
    /// REST `Cors` is, `"'https://app.example'"`, or bare), or the object form. `false` is
    /// no CORS.
    pub(super) fn cors_configuration(&mut self, prop: &Prop<'_>) -> Result<Option<Cors>, Reported> {
        let Some(value) = self.r.resolve(prop.value, &prop.loc)? else {
            return Ok(None);
        };
        let origin = |s: &str| s.trim().trim_matches('\'').to_owned();
        let entries = match value {
            Value::Bool(false) => return Ok(None),
            Value::Bool(true) => {
                return Ok(Some(Cors {
                    allow_origins: vec!["*".to_owned()],
                    ..Cors::default()
                }));
            }
            Value::String(s) => {
                return Ok(Some(Cors {
                    allow_origins: vec![origin(&s)],
                    ..Cors::default()
                }));
            }
            Value::Object(m) => m,
            other => {
                return Err(self.r.diags.error(
                    &prop.loc,
                    format!(
                        "CorsConfiguration must be true, an origin or a mapping, got {}",
                        crate::template::describe(&other)
                    ),
                ));
            }
        };
        let mut cors = Cors::default();
        let mut failed = false;
        for (key, v) in &entries {
            let at = Prop {
                value: v,
                loc: child(&prop.loc, key),
            };
            // The CloudFormation (`AWS::ApiGatewayV2::Api`) spelling starts lower-case.
            let list = match key.as_str() {
                "AllowOrigins" | "allowOrigins" => &mut cors.allow_origins,
                "AllowHeaders" | "allowHeaders" => &mut cors.allow_headers,
                "AllowMethods" | "allowMethods" => &mut cors.allow_methods,
                "ExposeHeaders" | "exposeHeaders" => &mut cors.expose_headers,
                "AllowCredentials" | "allowCredentials" => {
                    match self.boolean(&at) {
                        Ok(b) => cors.allow_credentials = b.unwrap_or(false),
                        Err(Reported) => failed = true,
                    }
                    continue;
                }
                "MaxAge" | "maxAge" => {
                    match self.whole_number(
                        &at,
                        0..=86_400,
                        "MaxAge should be between 0 and 86400 seconds",
                    ) {
                        Ok(n) => cors.max_age = n,
                        Err(Reported) => failed = true,
                    }
                    continue;
                }
                _ => {
                    self.r.diags.warn(
                        &at.loc,
                        format!("property {key} of CorsConfiguration is not supported by glassgate; ignored"),
                    );
                    continue;
                }
            };
            match self.string_list(&at) {
                Ok(items) => *list = items.iter().map(|s| origin(s)).collect(),
                Err(Reported) => failed = true,
            }
        }
        if failed {
            Err(Reported)
        } else {
            Ok(Some(cors))
        }
    }

    /// The logical id of the HTTP API an event's `ApiId` points at.
    fn http_api_id(&mut self, prop: &Prop<'_>) -> Option<String> {
        let id = match self.string(prop) {
            Ok(Some(id)) => id,
            Ok(None) => return Some(IMPLICIT_HTTP_API.to_owned()),
            Err(Reported) => return None,
        };
        match self.r.resource(&id) {
            Some(info) if info.ty == SERVERLESS_HTTP_API => match self.r.included(&id) {
                Ok(true) => Some(id),
                Ok(false) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("ApiId refers to {id}, whose Condition is false"),
                    );
                    None
                }
                Err(Reported) => None,
            },
            Some(info) => {
                self.r.diags.error(
                    &prop.loc,
                    format!(
                        "ApiId refers to {id}, which is a {}; expected an {SERVERLESS_HTTP_API} (use !Ref MyHttpApi)",
                        info.ty
                    ),
                );
                None
            }
            None if id == IMPLICIT_HTTP_API => Some(id),
            None => {
                self.r.diags.error(
                    &prop.loc,
                    format!("ApiId {id:?} does not name an {SERVERLESS_HTTP_API} of this template (use !Ref MyHttpApi)"),
                );
                None
            }
        }
    }
}

/// What an HTTP API's properties settle, besides its routes and authorizers.
struct HttpApiSettings {
    stage: String,
    stage_variables: indexmap::IndexMap<String, String>,
    cors: Option<Cors>,
    access_log: Option<crate::model::AccessLog>,
}

fn new_http_api(logical: &str, settings: HttpApiSettings) -> Api {
    Api {
        logical_id: logical.to_owned(),
        api_id: api_id_for(logical),
        stage: settings.stage,
        stage_variables: settings.stage_variables,
        routes: Vec::new(),
        authorizers: indexmap::IndexMap::new(),
        flavor: Flavor::Http {
            cors: settings.cors,
        },
        access_log: settings.access_log,
    }
}

/// HTTP API stage names: `$default`, or what REST stages allow.
fn check_http_stage_name(s: &str) -> Result<(), String> {
    if s == DEFAULT_STAGE {
        return Ok(());
    }
    check_stage_name(s).map_err(|e| format!("{e} (or be $default)"))
}
