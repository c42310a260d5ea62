//! Stage 1, `route`: match method + path against the REST resource tree.
//!
//! Input: the request's method and raw path. Output: [`RouteMatch`]. Error: [`RouteError`]
//! (which the pipeline turns into `MISSING_AUTHENTICATION_TOKEN`, 403).
//!
//! REST API routing as API Gateway does it (aws-semantics.md §2.1):
//! - a literal segment beats a `{param}`, which beats a greedy `{name+}`;
//! - a literal child that matches a segment *owns* that subtree: there is no fallback to a
//!   sibling `{param}` or `{proxy+}` when the literal subtree has no resource for the rest
//!   of the path (documented for `{proxy+}`);
//! - from a `{param}` child whose subtree has no resource, matching falls back to a greedy
//!   sibling (unverified against AWS; the permissive choice, as the SAM and LocalStack route
//!   tables do);
//! - an explicit method beats `ANY` on the same resource;
//! - a greedy variable needs at least one segment, so `/` is matched only by the root resource.
//!
//! All APIs of a template are served at the root (as `sam local start-api` does); a method and
//! path declared by two APIs is a [`RouteTableError::Conflict`]. A `$default` route
//! ([`RouteKey::Default`], HTTP APIs) answers whatever no other route matches.
//!
//! Path templates arrive parsed ([`PathTemplate`]): the grammar is the model's, shared with the
//! template readers, so the table only checks what spans routes (variable names per level,
//! duplicates).

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::model::{ANY_METHOD, Api, PathTemplate, RouteKey, Segment};

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

/// Why no route matched. Both answer 403 `Missing Authentication Token`, but the diagnosis differs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
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

#[derive(Debug, Default)]
struct Methods {
    /// Explicit verbs.
    verbs: HashMap<String, RouteId>,
    /// The `ANY` method.
    any: Option<RouteId>,
    /// The resource template (for messages and `resourcePath`).
    template: Option<String>,
}

impl Methods {
    fn is_empty(&self) -> bool {
        self.verbs.is_empty() && self.any.is_none()
    }

    fn lookup(&self, method: &str) -> Option<RouteId> {
        self.verbs.get(method).copied().or(self.any)
    }

    fn allowed(&self) -> Vec<String> {
        let mut v: Vec<String> = self.verbs.keys().cloned().collect();
        v.sort();
        if self.any.is_some() {
            v.push("ANY".to_owned());
        }
        v
    }
}

#[derive(Debug, Default)]
struct Node {
    literal: HashMap<String, Node>,
    param: Option<(String, Box<Node>)>,
    greedy: Option<(String, Methods)>,
    methods: Methods,
}

/// The compiled routing table of every API in the model.
#[derive(Debug, Default)]
pub struct Router {
    root: Node,
    /// Where each route was declared, for conflict messages.
    sources: HashMap<(String, String), String>,
    /// Every `METHOD /path` for "did you mean" hints.
    all: Vec<(String, String)>,
    /// The `$default` route, if any.
    default: Option<RouteId>,
}

impl Router {
    /// Build the table for every API of the model.
    ///
    /// # Errors
    /// A route set API Gateway would not deploy (see [`RouteTableError`]).
    pub fn new(apis: &[Api]) -> Result<Self, RouteTableError> {
        let mut router = Router::default();
        for (a, api) in apis.iter().enumerate() {
            for (r, route) in api.routes.iter().enumerate() {
                let id = RouteId { api: a, route: r };
                match &route.key {
                    RouteKey::Path { method, path } => {
                        router.insert(method, path, &route.source, id)?;
                    }
                    RouteKey::Default => {
                        if let Some(first) = router.default {
                            return Err(RouteTableError::Conflict {
                                route: route.key.to_string(),
                                first: apis[first.api].routes[first.route].source.clone(),
                                second: route.source.clone(),
                            });
                        }
                        router.default = Some(id);
                    }
                }
            }
        }
        Ok(router)
    }

    fn insert(
        &mut self,
        method: &str,
        path: &PathTemplate,
        source: &str,
        id: RouteId,
    ) -> Result<(), RouteTableError> {
        let text = path.as_str();
        let key = (method.to_owned(), text.to_owned());
        if let Some(first) = self.sources.get(&key) {
            return Err(RouteTableError::Conflict {
                route: format!("{method} {text}"),
                first: first.clone(),
                second: source.to_owned(),
            });
        }
        let mut node = &mut self.root;
        let mut methods_slot: Option<&mut Methods> = None;
        for seg in path.segments() {
            match seg {
                Segment::Literal(l) => node = node.literal.entry(l.clone()).or_default(),
                Segment::Param(name) => {
                    let slot = node
                        .param
                        .get_or_insert_with(|| (name.clone(), Box::default()));
                    if slot.0 != *name {
                        return Err(RouteTableError::VariableConflict {
                            path: text.to_owned(),
                            name: name.clone(),
                            other: slot.0.clone(),
                        });
                    }
                    node = &mut slot.1;
                }
                Segment::Greedy(name) => {
                    // The parser keeps a greedy variable last: nothing follows it.
                    let slot = node
                        .greedy
                        .get_or_insert_with(|| (name.clone(), Methods::default()));
                    if slot.0 != *name {
                        return Err(RouteTableError::VariableConflict {
                            path: text.to_owned(),
                            name: format!("{name}+"),
                            other: format!("{}+", slot.0),
                        });
                    }
                    methods_slot = Some(&mut slot.1);
                    break;
                }
            }
        }
        let methods = match methods_slot {
            Some(m) => m,
            None => &mut node.methods,
        };
        methods.template = Some(text.to_owned());
        if method == ANY_METHOD {
            methods.any = Some(id);
        } else {
            methods.verbs.insert(method.to_owned(), id);
        }
        self.sources.insert(key, source.to_owned());
        self.all.push((method.to_owned(), text.to_owned()));
        Ok(())
    }

    /// Match a request.
    ///
    /// `path` is the raw request path without the query string.
    ///
    /// # Errors
    /// [`RouteError`] when no resource or no method matches.
    pub fn route(&self, method: &str, path: &str) -> Result<RouteMatch, RouteError> {
        let mut params = IndexMap::new();
        let found = find(&self.root, path, 0, &mut params);
        let missed = match found {
            Some(methods) => match methods.lookup(method) {
                Some(id) => {
                    return Ok(RouteMatch {
                        id,
                        path_params: params,
                    });
                }
                None => RouteError::NoMethod {
                    resource: methods.template.clone().unwrap_or_default(),
                    method: method.to_owned(),
                    allowed: methods.allowed(),
                },
            },
            None => RouteError::NoResource {
                path: path.to_owned(),
            },
        };
        match self.default {
            Some(id) => Ok(RouteMatch {
                id,
                path_params: IndexMap::new(),
            }),
            None => Err(missed),
        }
    }

    /// Routes whose path shares the longest prefix with `path`, for "did you mean" hints.
    pub fn nearest(&self, path: &str, limit: usize) -> Vec<String> {
        let want: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut scored: Vec<(usize, usize, String)> = self
            .all
            .iter()
            .map(|(m, p)| {
                let have: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
                let common = want
                    .iter()
                    .zip(&have)
                    .take_while(|(w, h)| w == h || h.starts_with('{'))
                    .count();
                let distance = want.len().abs_diff(have.len());
                (common, distance, format!("{m} {p}"))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        scored.into_iter().take(limit).map(|s| s.2).collect()
    }
}

/// Walk the tree from byte offset `pos` of `path`.
fn find<'n>(
    node: &'n Node,
    path: &str,
    pos: usize,
    params: &mut IndexMap<String, String>,
) -> Option<&'n Methods> {
    // Skip separators: a doubled slash does not create an empty resource segment.
    let rest = path[pos..].trim_start_matches('/');
    let start = path.len() - rest.len();
    if rest.is_empty() {
        return (!node.methods.is_empty()).then_some(&node.methods);
    }
    let end = rest.find('/').map_or(path.len(), |i| start + i);
    let seg = &path[start..end];

    if let Some(child) = node.literal.get(seg) {
        return find(child, path, end, params);
    }
    if let Some((name, child)) = &node.param {
        let mark = params.len();
        params.insert(name.clone(), seg.to_owned());
        if let Some(m) = find(child, path, end, params) {
            return Some(m);
        }
        params.truncate(mark);
    }
    if let Some((name, methods)) = &node.greedy {
        // The greedy value keeps inner double slashes but drops one trailing slash (§2.1).
        let value = rest.strip_suffix('/').unwrap_or(rest);
        if !methods.is_empty() && !value.is_empty() {
            params.insert(name.clone(), value.to_owned());
            return Some(methods);
        }
    }
    None
}

#[cfg(test)]
mod tests;
