//! SAM `Cors` of an `AWS::Serverless::Api` (and `Globals.Api`): SAM adds an `OPTIONS` method
//! with a `MOCK` integration to every path of the API that has none, answering the configured
//! `Access-Control-Allow-*` headers. Those methods take the API's `DefaultAuthorizer` unless
//! `Auth.AddDefaultAuthorizerToCorsPreflight` is false, as SAM does, so a browser's preflight
//! meets the authorizer (and fails without a token) exactly as on AWS.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Builder, PendingRoute, Prop, RouteAuth};
use crate::model::{Integration, IntegrationResponse, Mock, Route, RouteKey};
use crate::template::{Reported, child, describe};
use crate::vtl::Template;

/// What `Cors` asks for: header values as SAM writes them (quoted literals, `"'*'"`).
#[derive(Debug, Clone, Default)]
pub(super) struct RestCors {
    allow_origin: String,
    allow_methods: Option<String>,
    allow_headers: Option<String>,
    max_age: Option<String>,
    allow_credentials: bool,
}

/// Every method, as SAM spells `ANY` in `Access-Control-Allow-Methods`.
const ANY_METHODS: &str = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT";

impl Builder<'_> {
    /// `Cors`: a string (the `AllowOrigin`) or a mapping.
    pub(super) fn rest_cors(&mut self, prop: &Prop<'_>) -> Result<RestCors, Reported> {
        let value = self.r.resolve(prop.value, &prop.loc)?;
        match value {
            Some(Value::String(origin)) => Ok(RestCors {
                allow_origin: origin,
                ..RestCors::default()
            }),
            Some(Value::Object(m)) => {
                let mut cors = RestCors::default();
                let mut origin = None;
                for (k, v) in &m {
                    let at = Prop {
                        value: v,
                        loc: child(&prop.loc, k),
                    };
                    match k.as_str() {
                        "AllowOrigin" => origin = self.string(&at)?,
                        "AllowMethods" => cors.allow_methods = self.string(&at)?,
                        "AllowHeaders" => cors.allow_headers = self.string(&at)?,
                        "MaxAge" => cors.max_age = self.string(&at)?,
                        "AllowCredentials" => {
                            cors.allow_credentials = self.boolean(&at)?.unwrap_or(false);
                        }
                        other => self.r.diags.warn(
                            &at.loc,
                            format!("property {other} of Cors is not one SAM takes; ignored"),
                        ),
                    }
                }
                let Some(origin) = origin else {
                    return Err(self.r.diags.error(
                        &prop.loc,
                        "Cors needs AllowOrigin (a quoted value such as \"'*'\"), as SAM requires",
                    ));
                };
                cors.allow_origin = origin;
                Ok(cors)
            }
            Some(other) => Err(self.r.diags.error(
                &prop.loc,
                format!(
                    "Cors must be an origin (\"'*'\") or a mapping with AllowOrigin, got {}",
                    describe(&other)
                ),
            )),
            None => Ok(RestCors::default()),
        }
    }

    /// The `OPTIONS` methods SAM adds for `Cors`: one per path of the API without its own,
    /// once every route of the API is known.
    pub(super) fn add_cors_preflights(&mut self) {
        let apis: Vec<(String, RestCors)> = self.rest_cors.drain().collect();
        for (api, cors) in apis {
            if cors.allow_origin.is_empty() {
                continue;
            }
            let Some(routes) = self.routes.get(&api) else {
                continue;
            };
            // Path -> its methods, in the order the paths first appear.
            let mut paths: indexmap::IndexMap<
                String,
                (crate::model::PathTemplate, BTreeSet<String>, String),
            > = indexmap::IndexMap::new();
            for r in routes {
                if let RouteKey::Path { method, path } = &r.spec.key {
                    let entry = paths
                        .entry(path.as_str().to_owned())
                        .or_insert_with(|| (path.clone(), BTreeSet::new(), r.spec.source.clone()));
                    entry.1.insert(method.clone());
                }
            }
            for (_, (path, methods, source)) in paths {
                if methods.contains("OPTIONS") {
                    continue;
                }
                let allow_methods = cors.allow_methods.clone().unwrap_or_else(|| {
                    if methods.contains("ANY") {
                        format!("'{ANY_METHODS}'")
                    } else {
                        let mut all: BTreeSet<String> = methods.clone();
                        all.insert("OPTIONS".into());
                        format!("'{}'", all.into_iter().collect::<Vec<_>>().join(","))
                    }
                });
                let header = |name: &str| format!("method.response.header.{name}");
                let mut parameters = vec![(header("Access-Control-Allow-Methods"), allow_methods)];
                if let Some(h) = &cors.allow_headers {
                    parameters.push((header("Access-Control-Allow-Headers"), h.clone()));
                }
                parameters.push((
                    header("Access-Control-Allow-Origin"),
                    cors.allow_origin.clone(),
                ));
                if let Some(age) = &cors.max_age {
                    parameters.push((header("Access-Control-Max-Age"), age.clone()));
                }
                if cors.allow_credentials {
                    parameters.push((header("Access-Control-Allow-Credentials"), "'true'".into()));
                }
                let spec = Route {
                    key: RouteKey::Path {
                        method: "OPTIONS".into(),
                        path,
                    },
                    integration: Integration::Mock(Box::new(Mock {
                        request_templates: vec![(
                            "application/json".into(),
                            Template::parse("{\n  \"statusCode\" : 200\n}\n"),
                        )],
                        responses: vec![IntegrationResponse {
                            pattern: None,
                            status: 200,
                            parameters,
                            templates: vec![("application/json".into(), Template::parse("{}\n"))],
                        }],
                    })),
                    authorizer: None,
                    scopes: Vec::new(),
                    source: format!("{source} (the OPTIONS method SAM adds for Cors)"),
                };
                self.routes
                    .entry(api.clone())
                    .or_default()
                    .push(PendingRoute {
                        spec,
                        auth: RouteAuth::Inherit,
                    });
            }
        }
    }
}
