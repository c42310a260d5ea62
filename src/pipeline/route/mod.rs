//! Stage 1, `route`: find the API and the route a request is for.
//!
//! Input: the request's method and raw path. Output: [`RouteMatch`]. Error: [`RouteError`]
//! (REST: `MISSING_AUTHENTICATION_TOKEN`, 403; HTTP APIs: 404 `Not Found`).
//!
//! Where each API is served (ARCHITECTURE.md, "Several APIs in one template"), unless the
//! request's host names one API by its id (`{apiId}.localhost`, as AWS names it in
//! `{apiId}.execute-api.{region}.amazonaws.com`), which then answers alone:
//! - every REST API at the root, all in one table (as `sam local start-api` does): a method
//!   and path declared by two REST APIs is a [`RouteTableError::Conflict`];
//! - an HTTP API on its `$default` stage at the root too, after the REST APIs;
//! - an HTTP API on a named stage under `/{stage}`, as on AWS: the stage stays in the path the
//!   function sees and is left out of matching.
//!
//! How a request walks a table is the flavour's: `rest.rs` (a literal owns its subtree, ...)
//! and `http.rs` (exact, then greedy, then `$default`); `table.rs` builds the trees. Path
//! templates arrive parsed ([`crate::model::PathTemplate`]): the grammar is the model's,
//! shared with the template readers.

mod http;
mod rest;
mod table;

use indexmap::IndexMap;

use crate::model::{Api, Flavor, RouteKey};
use table::Table;

/// Identifies one route: `apis[api].routes[route]` of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteId {
    /// Index into `Model::apis`.
    pub api: usize,
    /// Index into `Api::routes`.
    pub route: usize,
}

/// A successful match.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch {
    /// The route that serves the request.
    pub id: RouteId,
    /// Path variables by name, raw (not percent-decoded, as AWS passes them).
    pub path_params: IndexMap<String, String>,
}

/// Why no route matched. On REST both kinds answer 403 `Missing Authentication Token`, but
/// the diagnosis differs; on an HTTP API the answer is 404 `Not Found`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No route of an HTTP API matches, and it has no `$default` route.
    #[error("no route of the HTTP API matches {method} {path} and it has no $default route")]
    NoRoute {
        /// The HTTP API that judged (index into `Model::apis`).
        api: usize,
        /// The request method.
        method: String,
        /// The path after the stage.
        path: String,
    },
    /// No resource matches the path.
    #[error("no resource matches path {path}")]
    NoResource {
        /// The request path.
        path: String,
    },
    /// A resource matches, but it has no method for this verb (and no `ANY`).
    #[error("resource {resource} has no method {method} (it has: {})", allowed.join(", "))]
    NoMethod {
        /// The matched resource template.
        resource: String,
        /// The request method.
        method: String,
        /// The methods the resource has.
        allowed: Vec<String>,
    },
}

/// A route set that API Gateway would refuse to deploy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteTableError {
    /// Two path variables with different names at the same level.
    #[error(
        "{path}: path variable {{{name}}} conflicts with sibling {{{other}}}; API Gateway allows one variable per level"
    )]
    VariableConflict {
        /// The resource path being added.
        path: String,
        /// Its variable name.
        name: String,
        /// The existing sibling's name.
        other: String,
    },
    /// A `$default` route on a REST API, which has none.
    #[error("{at}: REST APIs have no $default route")]
    DefaultOnRest {
        /// Where it was declared.
        at: String,
    },
    /// The same route key served twice (by two APIs: all are served at the root).
    #[error("{route} is declared twice ({first} and {second})")]
    Conflict {
        /// The route key, `METHOD /path` or `$default`.
        route: String,
        /// Where the first declaration is.
        first: String,
        /// Where the second declaration is.
        second: String,
    },
}

/// The compiled routing tables of every API in the model, and where each is mounted.
#[derive(Debug, Default)]
pub struct Router {
    /// Every REST API's routes, served together at the root.
    rest: Option<Table>,
    /// Each REST API's routes alone, for requests whose host names it.
    rest_by_api: Vec<(usize, Table)>,
    /// HTTP APIs, each with its own table, in template order.
    http: Vec<HttpMount>,
    /// Every API's id, by index into `Model::apis`.
    ids: Vec<String>,
    /// REST routes another REST API's route shadows at the root (they answer on their API's
    /// own host), as warnings.
    shadowed: Vec<crate::model::Warning>,
}

#[derive(Debug)]
struct HttpMount {
    /// Index into `Model::apis`.
    api: usize,
    /// `Some(stage)` for a named stage (served under `/{stage}`), `None` at the root.
    prefix: Option<String>,
    table: Table,
}

impl Router {
    /// Build the tables of every API of the model.
    ///
    /// # Errors
    /// A route set API Gateway would not deploy (see [`RouteTableError`]).
    pub fn new(apis: &[Api]) -> Result<Self, RouteTableError> {
        let mut router = Router {
            ids: apis.iter().map(|a| a.api_id.clone()).collect(),
            ..Router::default()
        };
        for (a, api) in apis.iter().enumerate() {
            if matches!(api.flavor, Flavor::Rest { .. }) {
                let mut own = Table::default();
                for (r, route) in api.routes.iter().enumerate() {
                    if let RouteKey::Path { method, path } = &route.key {
                        own.insert(method, path, &route.source, RouteId { api: a, route: r })?;
                    }
                }
                router.rest_by_api.push((a, own));
            }
            let table = match api.flavor {
                Flavor::Rest { .. } => router.rest.get_or_insert_with(Table::default),
                Flavor::Http { .. } => {
                    router.http.push(HttpMount {
                        api: a,
                        prefix: api.stage_prefix().map(str::to_owned),
                        table: Table::default(),
                    });
                    &mut router.http.last_mut().expect("just pushed").table
                }
            };
            for (r, route) in api.routes.iter().enumerate() {
                let id = RouteId { api: a, route: r };
                match (&route.key, &api.flavor) {
                    // REST APIs share the root: a route another API already has there (its own
                    // API accepted it) stays reachable on its API's host instead of refusing
                    // the template, as each API has its own endpoint on AWS.
                    (RouteKey::Path { method, path }, Flavor::Rest { .. }) => {
                        if let Err(e) = table.insert(method, path, &route.source, id) {
                            router.shadowed.push(crate::model::Warning {
                                location: route.source.clone(),
                                message: format!(
                                    "{} of API {} is not served at the root, where another REST API has it ({e}); it answers on its API's own host, http://{}.localhost:PORT",
                                    route.key, api.logical_id, api.api_id
                                ),
                            });
                        }
                    }
                    (RouteKey::Path { method, path }, _) => {
                        table.insert(method, path, &route.source, id)?;
                    }
                    (RouteKey::Default, Flavor::Http { .. }) => {
                        table.set_default(id, &route.source)?
                    }
                    (RouteKey::Default, Flavor::Rest { .. }) => {
                        return Err(RouteTableError::DefaultOnRest {
                            at: route.source.clone(),
                        });
                    }
                }
            }
        }
        Ok(router)
    }

    /// The REST routes shadowed at the root by another REST API's, as warnings.
    pub fn shadowed(&self) -> &[crate::model::Warning] {
        &self.shadowed
    }

    /// Match a request.
    ///
    /// `path` is the raw request path without the query string.
    ///
    /// # Errors
    /// [`RouteError`] when no route matches.
    pub fn route(&self, method: &str, path: &str) -> Result<RouteMatch, RouteError> {
        // A named stage owns every path under it, as its own host would on AWS.
        for mount in &self.http {
            let Some(prefix) = &mount.prefix else {
                continue;
            };
            let Some(rest) = path
                .strip_prefix('/')
                .and_then(|p| p.strip_prefix(prefix.as_str()))
                .filter(|r| r.is_empty() || r.starts_with('/'))
            else {
                continue;
            };
            let rest = if rest.is_empty() { "/" } else { rest };
            return mount
                .route(method, rest)
                .ok_or_else(|| RouteError::NoRoute {
                    api: mount.api,
                    method: method.to_owned(),
                    path: rest.to_owned(),
                });
        }
        let mut rest_miss = None;
        if let Some(table) = &self.rest {
            let mut params = IndexMap::new();
            match rest::find(&table.root, path, 0, &mut params) {
                Some(methods) => match methods.lookup(method) {
                    Some(id) => {
                        return Ok(RouteMatch {
                            id,
                            path_params: params,
                        });
                    }
                    None => {
                        rest_miss = Some(RouteError::NoMethod {
                            resource: methods.template.clone().unwrap_or_default(),
                            method: method.to_owned(),
                            allowed: methods.allowed(),
                        });
                    }
                },
                None => {
                    rest_miss = Some(RouteError::NoResource {
                        path: path.to_owned(),
                    });
                }
            }
        }
        let root = || self.http.iter().filter(|m| m.prefix.is_none());
        for mount in root() {
            let mut params = IndexMap::new();
            if let Some(id) = http::find(&mount.table.root, method, path, &mut params) {
                return Ok(RouteMatch {
                    id,
                    path_params: params,
                });
            }
        }
        if let Some(id) = root().find_map(|m| m.table.default.as_ref().map(|(id, _)| *id)) {
            return Ok(RouteMatch {
                id,
                path_params: IndexMap::new(),
            });
        }
        // Outside every named stage and with nothing at the root, an HTTP API's host would
        // answer its 404 (a request for a stage that does not exist goes to `$default`).
        Err(match (rest_miss, root().next().or(self.http.first())) {
            (Some(miss), _) => miss,
            (None, Some(mount)) => RouteError::NoRoute {
                api: mount.api,
                method: method.to_owned(),
                path: path.to_owned(),
            },
            (None, None) => RouteError::NoResource {
                path: path.to_owned(),
            },
        })
    }

    /// The API a request's `Host` names by its id as the first label (`abc123defg.localhost`,
    /// `abc123defg.execute-api.us-east-1.amazonaws.com`), if any.
    pub fn api_for_host(&self, host: &str) -> Option<usize> {
        let name = host.split(':').next()?.to_ascii_lowercase();
        let (first, rest) = name.split_once('.')?;
        if rest.is_empty() {
            return None;
        }
        self.ids.iter().position(|id| id == first)
    }

    /// Match a request against API `api` alone, as its own host would.
    ///
    /// # Errors
    /// [`RouteError`] when no route of that API matches.
    pub fn route_in(&self, api: usize, method: &str, path: &str) -> Result<RouteMatch, RouteError> {
        if let Some((_, table)) = self.rest_by_api.iter().find(|(a, _)| *a == api) {
            let mut params = IndexMap::new();
            return match rest::find(&table.root, path, 0, &mut params) {
                Some(methods) => match methods.lookup(method) {
                    Some(id) => Ok(RouteMatch {
                        id,
                        path_params: params,
                    }),
                    None => Err(RouteError::NoMethod {
                        resource: methods.template.clone().unwrap_or_default(),
                        method: method.to_owned(),
                        allowed: methods.allowed(),
                    }),
                },
                None => Err(RouteError::NoResource {
                    path: path.to_owned(),
                }),
            };
        }
        let miss = |path: &str| RouteError::NoRoute {
            api,
            method: method.to_owned(),
            path: path.to_owned(),
        };
        let Some(mount) = self.http.iter().find(|m| m.api == api) else {
            return Err(miss(path));
        };
        let rest = match &mount.prefix {
            None => path,
            Some(prefix) => match path
                .strip_prefix('/')
                .and_then(|p| p.strip_prefix(prefix.as_str()))
            {
                Some("") => "/",
                Some(r) if r.starts_with('/') => r,
                // Not under the stage: the host's `$default` stage, which this API lacks.
                _ => return Err(miss(path)),
            },
        };
        mount.route(method, rest).ok_or_else(|| miss(rest))
    }

    /// Routes whose path shares the longest prefix with `path`, for "did you mean" hints.
    pub fn nearest(&self, path: &str, limit: usize) -> Vec<String> {
        let mut scored: Vec<(usize, usize, String)> = self
            .rest
            .iter()
            .chain(self.http.iter().map(|m| &m.table))
            .flat_map(|t| t.nearest(path))
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        scored.into_iter().take(limit).map(|s| s.2).collect()
    }

    /// Whether any API has a route at all.
    pub fn is_empty(&self) -> bool {
        self.rest.as_ref().is_none_or(Table::is_empty)
            && self.http.iter().all(|m| m.table.is_empty())
    }
}

impl HttpMount {
    fn route(&self, method: &str, path: &str) -> Option<RouteMatch> {
        let mut params = IndexMap::new();
        if let Some(id) = http::find(&self.table.root, method, path, &mut params) {
            return Some(RouteMatch {
                id,
                path_params: params,
            });
        }
        self.table.default.as_ref().map(|(id, _)| RouteMatch {
            id: *id,
            path_params: IndexMap::new(),
        })
    }
}

#[cfg(test)]
mod tests;
