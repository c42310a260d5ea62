//! A SAM function's `Events`: `Api` events become REST routes (path, method, `RestApiId`,
//! `Auth`, `TimeoutInMillis`), `HttpApi` events are read by `http_api.rs`; and `add_route`,
//! the registration of SAM events, HttpApi events and both CloudFormation forms, which refuses
//! a route declared twice and path levels whose variables disagree (OpenAPI definitions' routes
//! join in `openapi::openapi_finish`, under the routes declared elsewhere).

use serde_json::{Map, Value};

use super::{
    Builder, PendingRoute, Prop, RouteAuth, TIMEOUT_RANGE_MESSAGE, http_method, rest_lambda_route,
};
use crate::model::{PathTemplate, Route};
use crate::template::intrinsics::{IMPLICIT_API, SERVERLESS_API};
use crate::template::{Reported, child, describe};

impl<'t> Builder<'t> {
    pub(super) fn events(&mut self, logical: &str, events: &Prop<'_>) {
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

    pub(super) fn api_event(&mut self, logical: &str, event: &Map<String, Value>, loc: &str) {
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
                "Auth" => match self
                    .event_auth(&prop, &["ApiKeyRequired", "ResourcePolicy", "InvokeRole"])
                {
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
    pub(super) fn add_route(&mut self, api: String, spec: Route, auth: RouteAuth) {
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
    pub(super) fn check_sibling_variables(
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
    pub(super) fn rest_api_id(&mut self, prop: &Prop<'_>) -> Option<String> {
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

    /// An event's `Path`, checked as a path template.
    pub(super) fn event_path(&mut self, prop: &Prop<'_>) -> Result<Option<PathTemplate>, Reported> {
        let Some(p) = self.string(prop)? else {
            return Ok(None);
        };
        PathTemplate::parse(&p)
            .map(Some)
            .map_err(|e| self.r.diags.error(&prop.loc, e.to_string()))
    }

    /// An event's `Method`, upper-cased: one API Gateway accepts, or `ANY`.
    pub(super) fn event_method(&mut self, prop: &Prop<'_>) -> Result<Option<String>, Reported> {
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
}
