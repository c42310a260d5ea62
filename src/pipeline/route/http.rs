//! How a request finds its route on an HTTP API (aws-httpapi-semantics.md §1.2):
//!
//! 1. a route whose whole path matches, with the method (an explicit verb, else `ANY`), a
//!    literal segment beating a `{param}` at every level;
//! 2. else a greedy route with the method, the one with the longest literal prefix first;
//! 3. else `$default` (decided by the caller).
//!
//! Unlike REST there is no subtree ownership (a literal that leads nowhere falls back to its
//! siblings), a resource without the method keeps looking, and nothing is folded: `/metrics/`
//! is not `/metrics` (its empty last segment matches no literal and no `{param}`), though a
//! greedy variable may match an empty remainder (`/metrics/` under `/metrics/{proxy+}`:
//! emulation choice 1.2 of the spec). A greedy variable needs the slash after its prefix, so
//! `/` is not under `/{proxy+}` and `/files` is not under `/files/{proxy+}`.

use indexmap::IndexMap;

use super::RouteId;
use super::table::Node;

/// The route `path` (the part after the stage) takes for `method`, binding path variables.
pub(super) fn find(
    root: &Node,
    method: &str,
    path: &str,
    params: &mut IndexMap<String, String>,
) -> Option<RouteId> {
    let rest = path.strip_prefix('/')?;
    // `/` is the root resource: no segments. Otherwise every slash separates one segment,
    // empty ones included.
    let segs: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    exact(root, method, &segs, params).or_else(|| greedy(root, method, &segs, params))
}

/// Step 1: whole-path matches only.
fn exact(
    node: &Node,
    method: &str,
    segs: &[&str],
    params: &mut IndexMap<String, String>,
) -> Option<RouteId> {
    let Some((seg, after)) = segs.split_first() else {
        return node.methods.lookup(method);
    };
    if let Some(child) = node.literal.get(*seg)
        && let Some(id) = exact(child, method, after, params)
    {
        return Some(id);
    }
    with_param(node, seg, params, |child, params| {
        exact(child, method, after, params)
    })
}

/// Step 2: the deepest greedy variable along the path that has the method.
fn greedy(
    node: &Node,
    method: &str,
    segs: &[&str],
    params: &mut IndexMap<String, String>,
) -> Option<RouteId> {
    let (seg, after) = segs.split_first()?;
    if let Some(child) = node.literal.get(*seg)
        && let Some(id) = greedy(child, method, after, params)
    {
        return Some(id);
    }
    if let Some(id) = with_param(node, seg, params, |child, params| {
        greedy(child, method, after, params)
    }) {
        return Some(id);
    }
    let (name, methods) = node.greedy.as_ref()?;
    let id = methods.lookup(method)?;
    params.insert(name.clone(), segs.join("/"));
    Some(id)
}

/// Try the `{param}` child with `seg` bound to it (never an empty segment); unbind on a miss.
fn with_param(
    node: &Node,
    seg: &str,
    params: &mut IndexMap<String, String>,
    below: impl FnOnce(&Node, &mut IndexMap<String, String>) -> Option<RouteId>,
) -> Option<RouteId> {
    let (name, child) = node.param.as_ref()?;
    if seg.is_empty() {
        return None;
    }
    let mark = params.len();
    params.insert(name.clone(), seg.to_owned());
    let found = below(child, params);
    if found.is_none() {
        params.truncate(mark);
    }
    found
}
