//! Who may ask the admin API what. The port has no authentication, so it is kept to the
//! person at the machine and their tools:
//!
//! - `Host` must be a loopback name (`localhost`, `*.localhost`) or an IP address. A page of
//!   another site that points its own name at 127.0.0.1 (DNS rebinding) sends that name, and
//!   is refused; an address typed by the user is not a rebinding.
//! - A change (`POST`, `PUT`, `DELETE`, `PATCH`) must carry `X-Glassgate-Admin`: a
//!   cross-site form, link or image cannot send a custom header, and a cross-site script
//!   cannot either without a CORS preflight, which this API never grants.
//! - A change with a body must say it is JSON (a form can only send three other types).

use std::net::{IpAddr, SocketAddr};

use http::{Method, Request, StatusCode, header};

/// A request the guard turns away: the status and why, for the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// 400, 403 or 415.
    pub status: StatusCode,
    /// What was wrong and what to do.
    pub message: String,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        status,
        message: message.into(),
    })
}

/// The header every change carries.
pub const CHANGE_HEADER: &str = "x-glassgate-admin";

/// Refuse a request whose `Host` is not the machine's.
pub fn host<B>(req: &Request<B>, local: SocketAddr) -> Result<(), Refusal> {
    // HTTP/1.1 requires Host; a request without one is no browser's.
    let Some(value) = req.headers().get(header::HOST) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    if host_allowed(text, local) {
        return Ok(());
    }
    refuse(
        StatusCode::BAD_REQUEST,
        format!(
            "the admin API answers only requests for localhost or an IP address, not Host {text:?} (a page of another site reaching it through DNS rebinding); open http://{local}/ instead"
        ),
    )
}

fn host_allowed(host: &str, local: SocketAddr) -> bool {
    // `name:port`, `[v6]:port`, `[v6]`, `name`.
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, tail)) if tail.is_empty() || tail.starts_with(':') => ip,
            _ => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip == local.ip() || local.ip().is_unspecified(),
        Err(_) => false,
    }
}

/// Refuse a change that a cross-site page could have sent.
pub fn change<B>(req: &Request<B>) -> Result<(), Refusal> {
    let m = req.method();
    if !(m == Method::POST || m == Method::PUT || m == Method::DELETE || m == Method::PATCH) {
        return Ok(());
    }
    let marked = req
        .headers()
        .get(CHANGE_HEADER)
        .is_some_and(|v| !v.as_bytes().is_empty());
    if !marked {
        return refuse(
            StatusCode::FORBIDDEN,
            format!(
                "a change through the admin API needs the header `X-Glassgate-Admin: 1` (so that no other site's page can make one), e.g. curl -X {m} -H 'X-Glassgate-Admin: 1' ..."
            ),
        );
    }
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if has_body && !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body of a change must be JSON, sent with Content-Type: application/json",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> SocketAddr {
        "127.0.0.1:3001".parse().expect("addr")
    }

    #[test]
    fn loopback_names_and_addresses_pass_other_names_do_not() {
        for ok in [
            "localhost",
            "localhost:3001",
            "api.localhost:3001",
            "LOCALHOST.",
            "127.0.0.1:3001",
            "127.0.0.2",
            "[::1]:3001",
            "[::1]",
        ] {
            assert!(host_allowed(ok, local()), "{ok}");
        }
        for bad in [
            "evil.example:3001",
            "localhost.evil.example",
            "10.0.0.5:3001",
            "[::1",
            "[::1]x",
            "",
        ] {
            assert!(!host_allowed(bad, local()), "{bad}");
        }
    }

    #[test]
    fn an_admin_port_bound_to_every_address_takes_any_address_but_no_other_name() {
        let any: SocketAddr = "0.0.0.0:3001".parse().expect("addr");
        assert!(host_allowed("10.0.0.5:3001", any));
        assert!(!host_allowed("my-laptop:3001", any));
    }

    fn req(method: Method, headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::builder().method(method).uri("/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).expect("request")
    }

    fn status(r: Result<(), Refusal>) -> u16 {
        r.err().map_or(200, |r| r.status.as_u16())
    }

    #[test]
    fn changes_need_the_header_and_json_bodies() {
        assert_eq!(status(change(&req(Method::GET, &[]))), 200);
        assert_eq!(status(change(&req(Method::DELETE, &[]))), 403);
        assert_eq!(
            status(change(&req(Method::DELETE, &[("x-glassgate-admin", "1")]))),
            200
        );
        let form = [
            ("x-glassgate-admin", "1"),
            ("content-type", "text/plain"),
            ("content-length", "2"),
        ];
        assert_eq!(status(change(&req(Method::POST, &form))), 415);
        let json = [
            ("x-glassgate-admin", "1"),
            ("content-type", "application/json; charset=utf-8"),
            ("content-length", "2"),
        ];
        assert_eq!(status(change(&req(Method::POST, &json))), 200);
    }
}
