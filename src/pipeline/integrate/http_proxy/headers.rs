//! The headers of an `HTTP_PROXY` exchange: what each flavour passes on and adds going up
//! (REST: `x-amzn-apigateway-api-id`, the trace id, `User-Agent`; HTTP APIs: `Forwarded`,
//! `Via`), and what comes back to the client (REST renames `Connection`, `Content-Length`,
//! `Date` and `Server` to `x-amzn-Remapped-*`; hop-by-hop ones never pass).

use super::Upstream;
use crate::pipeline::request::GatewayRequest;

/// Request headers never sent upstream (hop-by-hop, or rewritten by the gateway).
const DROPPED_REQUEST: &[&str] = &[
    "connection",
    "content-length",
    "content-md5",
    "expect",
    "host",
    "keep-alive",
    "max-forwards",
    "proxy-authenticate",
    "proxy-authorization",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "www-authenticate",
];

/// Response headers a REST API renames to `x-amzn-Remapped-<Name>`.
const REMAPPED: &[&str] = &["connection", "content-length", "date", "server"];

/// Response headers never passed back (hop-by-hop).
const DROPPED_RESPONSE: &[&str] = &["keep-alive", "transfer-encoding", "upgrade", "trailer"];

/// The gateway's own address in `Forwarded: by=`: it serves on loopback.
const GATEWAY_IP: &str = "127.0.0.1";

/// The client's headers without the hop-by-hop ones (and a SigV4 `Authorization`, which
/// API Gateway keeps to itself).
fn passed_headers(req: &GatewayRequest) -> Vec<(String, String)> {
    req.headers
        .iter()
        .filter(|(k, v)| {
            let sigv4 =
                k.eq_ignore_ascii_case("authorization") && v.starts_with("AWS4-HMAC-SHA256");
            !(named_in(k, DROPPED_REQUEST) || sigv4)
        })
        .cloned()
        .collect()
}

/// REST: the client's headers (which already carry the `X-Forwarded-*` the gateway adds to
/// every request), then `x-amzn-apigateway-api-id`, the trace id, and a `User-Agent` when the
/// client sent none.
pub(super) fn rest_headers(up: &Upstream<'_>, req: &GatewayRequest) -> Vec<(String, String)> {
    let mut h = passed_headers(req);
    let set = |h: &mut Vec<(String, String)>, name: &str, value: String| {
        h.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        h.push((name.to_owned(), value));
    };
    if req.header("x-forwarded-for").is_none() {
        set(&mut h, "X-Forwarded-For", req.source_ip.to_string());
    }
    set(&mut h, "x-amzn-apigateway-api-id", up.api_id.to_owned());
    set(&mut h, "X-Amzn-Trace-Id", up.trace_root.to_owned());
    if req.header("user-agent").is_none() {
        h.push((
            "User-Agent".to_owned(),
            format!("AmazonAPIGateway_{}", up.api_id),
        ));
    }
    h
}

/// HTTP APIs: the client's headers without `X-Forwarded-*`, folded into one `Forwarded`
/// element of the gateway's, then `Via`, the trace id (decision 9.8) and, for a request without
/// a body, `Content-Length: 0`.
pub(super) fn http_headers(up: &Upstream<'_>, req: &GatewayRequest) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = passed_headers(req)
        .into_iter()
        .filter(|(k, _)| {
            let forwarded = k
                .get(..12)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-forwarded-"));
            !forwarded && !named_in(k, &["forwarded", "via"])
        })
        .collect();
    let host = req.header("host").unwrap_or("localhost");
    // The hops the client's X-Forwarded-For names before this one become `for=` elements.
    let source = req.source_ip.to_string();
    let mut elements: Vec<String> = req
        .header("forwarded")
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some(xff) = req.header("x-forwarded-for") {
        let hops: Vec<&str> = xff
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let before = match hops.last() {
            Some(last) if *last == source => &hops[..hops.len() - 1],
            _ => &hops[..],
        };
        elements.extend(before.iter().map(|ip| format!("for={ip}")));
    }
    elements.push(format!(
        "by={};for={source};host={host};proto=http",
        GATEWAY_IP
    ));
    let forwarded = elements.join(",");
    h.push(("Forwarded".to_owned(), forwarded));
    h.push(("Via".to_owned(), "HTTP/1.1 AmazonAPIGateway".to_owned()));
    // A request without a body still says so (aws-httpapi-semantics.md §5.1, captured);
    // hyper would send no length at all for a body-less GET.
    if req.body.is_empty() {
        h.push(("Content-Length".to_owned(), "0".to_owned()));
    }
    h.push(("X-Amzn-Trace-Id".to_owned(), up.trace_root.to_owned()));
    h
}

/// Whether `name` is one of `list` (lowercase names), in any case, without allocating.
fn named_in(name: &str, list: &[&str]) -> bool {
    list.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The upstream's headers as the client gets them.
pub(super) fn response_headers(
    headers: Vec<(String, String)>,
    rest: bool,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(headers.len());
    for (k, v) in headers {
        if named_in(&k, DROPPED_RESPONSE) {
            continue;
        }
        if rest && named_in(&k, REMAPPED) {
            let mut name = String::with_capacity("x-amzn-Remapped-".len() + k.len());
            name.push_str("x-amzn-Remapped-");
            // hyper hands names over lowercase: `date` becomes `Date`.
            crate::pipeline::request::push_display_case(&mut name, &k);
            out.push((name, v));
            continue;
        }
        if !rest && named_in(&k, &["connection", "content-length"]) {
            continue;
        }
        out.push((k, v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_remaps_and_http_drops_hop_by_hop_headers() {
        let h = vec![
            ("Content-Length".to_owned(), "5".to_owned()),
            ("Server".to_owned(), "nginx".to_owned()),
            ("X-Own".to_owned(), "1".to_owned()),
            ("Transfer-Encoding".to_owned(), "chunked".to_owned()),
        ];
        assert_eq!(
            response_headers(h.clone(), true),
            [
                ("x-amzn-Remapped-Content-Length".to_owned(), "5".to_owned()),
                ("x-amzn-Remapped-Server".to_owned(), "nginx".to_owned()),
                ("X-Own".to_owned(), "1".to_owned()),
            ]
        );
        assert_eq!(
            response_headers(h, false),
            [
                ("Server".to_owned(), "nginx".to_owned()),
                ("X-Own".to_owned(), "1".to_owned()),
            ]
        );
    }
}
