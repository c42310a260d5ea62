//! How a request walks a REST API's resource tree (aws-semantics.md §2.1): a literal child
//! owns its subtree, a `{param}` child falls back to a greedy sibling, a greedy variable
//! needs at least one segment, and doubled slashes do not make empty segments.

use indexmap::IndexMap;

use super::table::{Methods, Node};

/// The resource `path` lands on, from byte offset `pos`, binding path variables.
pub(super) fn find<'n>(
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
