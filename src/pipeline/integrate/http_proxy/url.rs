//! The upstream URL of an `HTTP_PROXY` request: REST's rendered URI (placeholders filled
//! through `requestParameters`), an HTTP API's (`$default` appends the request path, `{var}`
//! takes the route's path variable, `overwrite:path` replaces it), stage variables, and the
//! query string with the mapped changes.

use indexmap::IndexMap;

use super::{Mapped, Upstream};
use crate::pipeline::request::GatewayRequest;

/// `${stageVariables.NAME}` in an endpoint URL replaced by the stage's value (empty when the
/// stage has none), as API Gateway does before it sends the request.
fn with_stage_variables(uri: &str, vars: &IndexMap<String, String>) -> String {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find(OPEN) {
        let Some(end) = rest[at..].find('}') else {
            break;
        };
        out.push_str(&rest[..at]);
        let name = &rest[at + OPEN.len()..at + end];
        out.push_str(vars.get(name).map_or("", String::as_str));
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// REST: the rendered URI is the whole URL; the client's query string is passed on, with the
/// mapped parameters set.
pub(super) fn rest_url(up: &Upstream<'_>, req: &GatewayRequest, params: &Mapped) -> String {
    let uri = with_stage_variables(&up.spec.uri, up.stage_variables);
    let base = fill(&uri, |name| {
        params
            .path
            .get(name)
            .or_else(|| up.path_params.get(name))
            .map(|v| encode_path_value(v))
    });
    with_query(base, req.query.as_deref(), &params.query)
}

/// HTTP APIs: `$default` appends the request path; `{var}` take the route's path variables;
/// otherwise the URI as written; the query string is passed on.
pub(super) fn http_url(up: &Upstream<'_>, req: &GatewayRequest, params: &Mapped) -> String {
    let uri = with_stage_variables(&up.spec.uri, up.stage_variables);
    let mut base = fill(&uri, |name| {
        up.path_params.get(name).map(|v| encode_path_value(v))
    });
    if let Some(path) = &params.overwrite_path {
        base = replace_path(&base, path);
    } else if up.default_route {
        base = format!("{}{}", base.trim_end_matches('/'), req.path);
    }
    with_query(base, req.query.as_deref(), &params.query)
}

/// `{name}` (and `{name+}`) placeholders replaced; unknown ones stay as written.
fn fill(uri: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = rest[open + 1..open + close].trim_end_matches('+');
        out.push_str(&rest[..open]);
        match value(name) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// A path variable's value as it goes into a URL: `/` kept (a greedy variable spans
/// segments), everything else outside the unreserved set percent-encoded.
fn encode_path_value(v: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
    let mut out = String::with_capacity(decoded.len());
    for b in decoded.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base` with its path replaced (an HTTP API's `overwrite:path`).
fn replace_path(base: &str, path: &str) -> String {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find(['/', '?'])
        .map_or(base.len(), |i| after_scheme + i);
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    format!("{}{path}", &base[..host_end])
}

/// `base` with the client's query string and the mapped changes (a name set again replaces
/// every value of it; `append` adds one; `None` removes it).
fn with_query(
    base: String,
    query: Option<&str>,
    changes: &[(String, Option<String>, bool)],
) -> String {
    let (base, own) = match base.split_once('?') {
        Some((b, q)) => (b.to_owned(), Some(q.to_owned())),
        None => (base, None),
    };
    let mut pairs: Vec<(String, String)> = own
        .iter()
        .map(String::as_str)
        .chain(query)
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    for (name, value, append) in changes {
        let encoded = percent_encoding::utf8_percent_encode(name, QUERY).to_string();
        if !append {
            pairs.retain(|(k, _)| *k != encoded);
        }
        if let Some(v) = value {
            pairs.push((
                encoded,
                percent_encoding::utf8_percent_encode(v, QUERY).to_string(),
            ));
        }
    }
    if pairs.is_empty() {
        return base;
    }
    let q: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") })
        .collect();
    format!("{base}?{}", q.join("&"))
}

/// What a query value escapes.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let v = |n: &str| (n == "proxy").then(|| "a/b c".to_owned());
        assert_eq!(
            fill("http://h/base/{proxy}/{other}", |n| v(n)
                .map(|s| encode_path_value(&s))),
            "http://h/base/a/b%20c/{other}"
        );
        assert_eq!(
            fill("http://h/{proxy+}", |_| Some("x".into())),
            "http://h/x"
        );
    }

    #[test]
    fn query_changes_set_append_and_remove() {
        let changes = vec![
            ("a".to_owned(), Some("1".to_owned()), false),
            ("b".to_owned(), None, false),
            ("c".to_owned(), Some("x y".to_owned()), true),
        ];
        assert_eq!(
            with_query("http://h/p".into(), Some("a=0&b=2&c=3"), &changes),
            "http://h/p?c=3&a=1&c=x%20y"
        );
        assert_eq!(with_query("http://h/p".into(), None, &[]), "http://h/p");
    }

    #[test]
    fn stage_variables_fill_the_endpoint() {
        let vars = IndexMap::from([("host".to_owned(), "10.0.0.1:8080".to_owned())]);
        assert_eq!(
            with_stage_variables(
                "http://${stageVariables.host}/a/${stageVariables.none}b",
                &vars
            ),
            "http://10.0.0.1:8080/a/b"
        );
    }

    #[test]
    fn overwrite_path_keeps_scheme_and_host() {
        assert_eq!(replace_path("https://h:8443/a/b", "/c"), "https://h:8443/c");
        assert_eq!(replace_path("http://h", "c"), "http://h/c");
    }
}
