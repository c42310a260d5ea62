//! Ingress: the inbound HTTP request normalised into a [`GatewayRequest`], with the ids
//! API Gateway assigns to it.

use std::net::IpAddr;

use base64::Engine;
use bytes::Bytes;
use indexmap::IndexMap;
use time::OffsetDateTime;

/// One request as the gateway sees it, before routing.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    /// `x-amzn-RequestId`: a UUID, as on AWS.
    pub request_id: String,
    /// `x-amz-apigw-id` / `extendedRequestId`: 16 characters ending in `=`, as on AWS.
    pub extended_request_id: String,
    /// Upper-case method.
    pub method: String,
    /// Raw path, still percent-encoded.
    pub path: String,
    /// Raw query string without `?`, if any.
    pub query: Option<String>,
    /// Headers in arrival order. Names as reconstructed by [`display_case`].
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// Client address.
    pub source_ip: IpAddr,
    /// Local port the request arrived on (for `X-Forwarded-Port`).
    pub local_port: u16,
    /// `HTTP/1.1`, `HTTP/1.0`.
    pub protocol: &'static str,
    /// When the gateway received it.
    pub received_at: OffsetDateTime,
    /// `query`, parsed on first use by whichever stage reads it first (the log, the event,
    /// an identity source, a gateway response); `Default::default()` when building one.
    pub parsed_query: std::sync::OnceLock<QueryParams>,
}

/// A query string parsed once and shared by every stage that reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryParams {
    /// Last value of each key (`queryStringParameters`); `None` when there are none.
    pub single: Option<indexmap::IndexMap<String, String>>,
    /// Every value of each key (`multiValueQueryStringParameters`).
    pub multi: Option<indexmap::IndexMap<String, Vec<String>>>,
}

impl GatewayRequest {
    /// The query string, parsed (once per request).
    pub fn query_params(&self) -> &QueryParams {
        self.parsed_query.get_or_init(|| {
            let (single, multi) = parse_query(self.query.as_deref());
            QueryParams { single, multi }
        })
    }

    /// A request made without a socket (test-invokes, `glassgate invoke`, probes), as if a
    /// client on 127.0.0.1 had sent it now: fresh ids, `path?query` split, header names in
    /// the event's case.
    pub fn local<'a>(
        method: &str,
        path_and_query: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &str,
    ) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (path_and_query, None),
        };
        GatewayRequest {
            request_id: new_request_id(),
            extended_request_id: new_extended_request_id(),
            method: method.to_ascii_uppercase(),
            path: if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            },
            query,
            headers: headers
                .into_iter()
                .map(|(k, v)| {
                    (
                        display_case(&k.trim().to_ascii_lowercase()),
                        v.trim().to_owned(),
                    )
                })
                .collect(),
            body: Bytes::from(body.to_owned()),
            source_ip: IpAddr::from([127, 0, 0, 1]),
            local_port: 0,
            protocol: "HTTP/1.1",
            received_at: OffsetDateTime::now_utc(),
            parsed_query: Default::default(),
        }
    }

    /// What a trace keeps of this request: its strings moved, not copied; its body kept up
    /// to [`crate::trace::KEPT_BODY`].
    pub fn into_kept(self) -> crate::trace::ClientRequest {
        crate::trace::ClientRequest {
            body: crate::trace::KeptBody::keep(&self.body),
            method: self.method,
            path: self.path,
            query: self.query,
            headers: self.headers,
            source_ip: self.source_ip,
            local_port: self.local_port,
            protocol: self.protocol,
        }
    }

    /// The kept request sent again: the same method, path, headers and body, from the same
    /// client, with fresh ids, received now.
    pub fn again(kept: &crate::trace::ClientRequest) -> Self {
        GatewayRequest {
            request_id: new_request_id(),
            extended_request_id: new_extended_request_id(),
            method: kept.method.clone(),
            path: kept.path.clone(),
            query: kept.query.clone(),
            headers: kept.headers.clone(),
            body: kept.body.bytes.clone(),
            source_ip: kept.source_ip,
            local_port: kept.local_port,
            protocol: kept.protocol,
            received_at: OffsetDateTime::now_utc(),
            parsed_query: Default::default(),
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A fresh `x-amzn-RequestId`.
pub fn new_request_id() -> String {
    crate::ids::new_uuid()
}

/// The X-Ray trace root of a request (`Root=1-{epoch seconds}-{24 hex}`), derived from its
/// request id so the gateway's response header and the Lambda invocations it makes for the
/// request (`Lambda-Runtime-Trace-Id`) name the same trace, as on AWS.
pub fn trace_root(request_id: &str, received_at: OffsetDateTime) -> String {
    use std::fmt::Write;
    // Built twice per request (response header, invocation): appends, not `format!` with
    // padding, which cost more than the rest of the header handling.
    let mut root = String::with_capacity(40);
    root.push_str("Root=1-");
    let _ = write!(root, "{:08x}", received_at.unix_timestamp());
    root.push('-');
    let hex_at = root.len();
    root.extend(request_id.chars().filter(char::is_ascii_hexdigit).take(24));
    while root.len() < hex_at + 24 {
        root.push('0');
    }
    root
}

/// A fresh `x-amz-apigw-id`: 11 random bytes in base64 (16 characters ending in `=`).
pub fn new_extended_request_id() -> String {
    let bytes: [u8; 11] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reconstruct a header name's case for the REST v1 event.
///
/// hyper lower-cases header names and cannot give back the client's spelling, so REST
/// events use the canonical form (`content-type` becomes `Content-Type`), which is what
/// browsers, curl and SDKs send for the common headers. A client that sends an unusual
/// spelling (`x-api-KEY`) sees `X-Api-Key` here, while AWS would keep its spelling.
pub fn display_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    push_display_case(&mut out, name);
    out
}

/// [`display_case`] appended to `out`.
pub fn push_display_case(out: &mut String, name: &str) {
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
}

/// Parse a raw query string into (last value, all values) maps; `None` when empty.
#[allow(clippy::type_complexity)]
pub fn parse_query(
    query: Option<&str>,
) -> (
    Option<IndexMap<String, String>>,
    Option<IndexMap<String, Vec<String>>>,
) {
    let Some(q) = query.filter(|q| !q.is_empty()) else {
        return (None, None);
    };
    let mut multi: IndexMap<String, Vec<String>> = IndexMap::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        multi.entry(decode(k)).or_default().push(decode(v));
    }
    if multi.is_empty() {
        return (None, None);
    }
    let single = multi
        .iter()
        .filter_map(|(k, v)| v.last().map(|l| (k.clone(), l.clone())))
        .collect();
    (Some(single), Some(multi))
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_parsed_once_and_shared() {
        let req = GatewayRequest::local("GET", "/p?a=1&a=2&b=x+y", [], "");
        let q = req.query_params();
        assert_eq!(q.single.as_ref().unwrap()["a"], "2");
        assert_eq!(q.single.as_ref().unwrap()["b"], "x y");
        assert_eq!(q.multi.as_ref().unwrap()["a"], vec!["1", "2"]);
        assert!(std::ptr::eq(q, req.query_params()), "parsed once");
        let bare = GatewayRequest::local("GET", "/p", [], "");
        assert_eq!(bare.query_params(), &QueryParams::default());
    }

    #[test]
    fn trace_root_has_the_xray_shape() {
        let at = time::macros::datetime!(2026-11-25 12:00:00 UTC);
        assert_eq!(
            trace_root("c0ffee00-1234-4abc-9def-0123456789ab", at),
            "Root=1-6b06cdc0-c0ffee0012344abc9def0123"
        );
        // Fewer than 24 hex digits in the id: zero-padded, as before.
        assert_eq!(
            trace_root("ab-xyz", at),
            "Root=1-6b06cdc0-ab0000000000000000000000"
        );
    }

    #[test]
    fn ids_have_aws_shapes() {
        let ext = new_extended_request_id();
        assert_eq!(ext.len(), 16);
        assert!(ext.ends_with('=') && !ext.ends_with("=="));
        assert_eq!(new_request_id().len(), 36);
    }

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(display_case("content-type"), "Content-Type");
        assert_eq!(display_case("x-amz-date"), "X-Amz-Date");
        assert_eq!(display_case("host"), "Host");
    }
}
