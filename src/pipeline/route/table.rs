//! One route table: the resource tree of path templates, each resource with its methods.
//!
//! Shared by both flavours; how a request walks the tree is each flavour's own (`rest.rs`,
//! `http.rs`). The table checks what spans routes: one variable name per level, and no route
//! key twice.

use std::collections::HashMap;

use super::{RouteId, RouteTableError};
use crate::model::{ANY_METHOD, PathTemplate, Segment};

#[derive(Debug, Default)]
pub(super) struct Methods {
    /// Explicit verbs.
    verbs: HashMap<String, RouteId>,
    /// The `ANY` method.
    any: Option<RouteId>,
    /// The resource template (for messages and `resourcePath`).
    pub(super) template: Option<String>,
}

impl Methods {
    pub(super) fn is_empty(&self) -> bool {
        self.verbs.is_empty() && self.any.is_none()
    }

    /// An explicit verb first, else `ANY`.
    pub(super) fn lookup(&self, method: &str) -> Option<RouteId> {
        self.verbs.get(method).copied().or(self.any)
    }

    pub(super) fn allowed(&self) -> Vec<String> {
        let mut v: Vec<String> = self.verbs.keys().cloned().collect();
        v.sort();
        if self.any.is_some() {
            v.push(ANY_METHOD.to_owned());
        }
        v
    }
}

#[derive(Debug, Default)]
pub(super) struct Node {
    pub(super) literal: HashMap<String, Node>,
    pub(super) param: Option<(String, Box<Node>)>,
    pub(super) greedy: Option<(String, Methods)>,
    pub(super) methods: Methods,
}

/// The routes of one mount: every REST API's (served together at the root), or one HTTP
/// API's.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) root: Node,
    /// Where each route was declared, for conflict messages.
    sources: HashMap<(String, String), String>,
    /// Every `METHOD /path` for "did you mean" hints.
    all: Vec<(String, String)>,
    /// The `$default` route, if any (HTTP APIs).
    pub(super) default: Option<(RouteId, String)>,
}

impl Table {
    pub(super) fn insert(
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

    pub(super) fn set_default(&mut self, id: RouteId, source: &str) -> Result<(), RouteTableError> {
        if let Some((_, first)) = &self.default {
            return Err(RouteTableError::Conflict {
                route: crate::model::DEFAULT_ROUTE.to_owned(),
                first: first.clone(),
                second: source.to_owned(),
            });
        }
        self.default = Some((id, source.to_owned()));
        Ok(())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.all.is_empty() && self.default.is_none()
    }

    /// Routes whose path shares the longest prefix with `path`.
    pub(super) fn nearest(&self, path: &str) -> Vec<(usize, usize, String)> {
        let want: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.all
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
            .collect()
    }
}
