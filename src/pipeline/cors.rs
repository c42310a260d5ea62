//! An HTTP API's CORS (aws-httpapi-semantics.md §1.4, decision 9.1): the preflight the gateway
//! answers itself, and the headers it puts on every response to an allowed origin.
//!
//! - A preflight is an `OPTIONS` request with `Origin` and `Access-Control-Request-Method`.
//!   The gateway answers it only when no route matches `OPTIONS` for the path: a `$default`,
//!   `ANY /{proxy+}` or explicit `OPTIONS` route takes it first (and runs its authorizer,
//!   which is the classic trap). Answer: 204, empty body, the allow headers, `vary: origin`
//!   (unverified on AWS: the spec's recommendation). An origin that is not allowed gets the
//!   same 204 without CORS headers.
//! - Every other response to a request with an allowed `Origin`, the backend's and the
//!   gateway's own errors alike, gets `access-control-allow-origin`, `vary: origin` and the
//!   credentials and expose headers; `access-control-*` headers the backend set are dropped
//!   from every response.
//! - A listed origin is echoed; `*` in the list allows any origin, answered `*` (echoed when
//!   credentials are allowed, since browsers refuse `*` with credentials).

use bytes::Bytes;

use super::request::GatewayRequest;
use super::respond::GatewayResponse;
use crate::model::Cors;

/// Whether the request is a CORS preflight.
pub fn is_preflight(req: &GatewayRequest) -> bool {
    req.method == "OPTIONS"
        && req.header("origin").is_some()
        && req.header("access-control-request-method").is_some()
}

/// The `access-control-allow-origin` value for the request's origin; `None` when it has no
/// `Origin` or the origin is not allowed.
fn allowed_origin(cors: &Cors, req: &GatewayRequest) -> Option<String> {
    let origin = req.header("origin")?;
    if cors.allow_origins.iter().any(|o| o == origin) {
        return Some(origin.to_owned());
    }
    if cors.allow_origins.iter().any(|o| o == "*") {
        return Some(if cors.allow_credentials {
            origin.to_owned()
        } else {
            "*".to_owned()
        });
    }
    None
}

/// The gateway's answer to a preflight no route takes.
pub fn preflight(cors: &Cors, req: &GatewayRequest) -> GatewayResponse {
    let mut headers = Vec::new();
    if let Some(origin) = allowed_origin(cors, req) {
        headers.push(("access-control-allow-origin".to_owned(), origin));
        if !cors.allow_methods.is_empty() {
            headers.push((
                "access-control-allow-methods".to_owned(),
                cors.allow_methods.join(","),
            ));
        }
        if !cors.allow_headers.is_empty() {
            headers.push((
                "access-control-allow-headers".to_owned(),
                cors.allow_headers.join(","),
            ));
        }
        if let Some(age) = cors.max_age {
            headers.push(("access-control-max-age".to_owned(), age.to_string()));
        }
        if cors.allow_credentials {
            headers.push((
                "access-control-allow-credentials".to_owned(),
                "true".to_owned(),
            ));
        }
        headers.push(("vary".to_owned(), "origin".to_owned()));
    }
    GatewayResponse {
        status: 204,
        headers,
        body: Bytes::new(),
    }
}

/// Drop the `access-control-*` headers the backend set (the API's configuration owns them) and,
/// for an allowed origin, put the API's on.
pub fn decorate(cors: &Cors, req: &GatewayRequest, response: &mut GatewayResponse) {
    response
        .headers
        .retain(|(k, _)| !k.to_ascii_lowercase().starts_with("access-control-"));
    let Some(origin) = allowed_origin(cors, req) else {
        return;
    };
    response
        .headers
        .push(("access-control-allow-origin".to_owned(), origin));
    if cors.allow_credentials {
        response.headers.push((
            "access-control-allow-credentials".to_owned(),
            "true".to_owned(),
        ));
    }
    if !cors.expose_headers.is_empty() {
        response.headers.push((
            "access-control-expose-headers".to_owned(),
            cors.expose_headers.join(","),
        ));
    }
    if !response
        .headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("vary") && v.to_ascii_lowercase().contains("origin"))
    {
        response
            .headers
            .push(("vary".to_owned(), "origin".to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str], credentials: bool) -> Cors {
        Cors {
            allow_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["authorization".into()],
            expose_headers: vec!["x-total".into()],
            allow_credentials: credentials,
            max_age: Some(600),
        }
    }

    fn req(method: &str, headers: &[(&str, &str)]) -> GatewayRequest {
        GatewayRequest::local(method, "/items", headers.iter().copied(), "")
    }

    fn header<'r>(r: &'r GatewayResponse, name: &str) -> Option<&'r str> {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn preflights_need_an_origin_and_a_requested_method() {
        assert!(is_preflight(&req(
            "OPTIONS",
            &[
                ("Origin", "https://a"),
                ("Access-Control-Request-Method", "GET")
            ]
        )));
        assert!(!is_preflight(&req("OPTIONS", &[("Origin", "https://a")])));
        assert!(!is_preflight(&req(
            "GET",
            &[
                ("Origin", "https://a"),
                ("Access-Control-Request-Method", "GET")
            ]
        )));
    }

    #[test]
    fn a_listed_origin_is_echoed_and_others_get_no_headers() {
        let c = cors(&["https://app.example"], false);
        let ok = preflight(
            &c,
            &req(
                "OPTIONS",
                &[
                    ("Origin", "https://app.example"),
                    ("Access-Control-Request-Method", "GET"),
                ],
            ),
        );
        assert_eq!(ok.status, 204);
        assert_eq!(
            header(&ok, "access-control-allow-origin"),
            Some("https://app.example")
        );
        assert_eq!(
            header(&ok, "access-control-allow-methods"),
            Some("GET,POST")
        );
        assert_eq!(
            header(&ok, "access-control-allow-headers"),
            Some("authorization")
        );
        assert_eq!(header(&ok, "access-control-max-age"), Some("600"));
        assert_eq!(header(&ok, "vary"), Some("origin"));
        let other = preflight(
            &c,
            &req(
                "OPTIONS",
                &[
                    ("Origin", "https://evil.example"),
                    ("Access-Control-Request-Method", "GET"),
                ],
            ),
        );
        assert_eq!((other.status, other.headers.len()), (204, 0));
    }

    #[test]
    fn responses_get_the_headers_and_lose_the_backends() {
        let c = cors(&["*"], true);
        let mut r = GatewayResponse {
            status: 401,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "Access-Control-Allow-Origin".into(),
                    "https://backend-set".into(),
                ),
            ],
            body: Bytes::new(),
        };
        decorate(
            &c,
            &req("GET", &[("Origin", "http://localhost:5173")]),
            &mut r,
        );
        assert_eq!(
            r.headers,
            [
                ("content-type".to_owned(), "application/json".to_owned()),
                (
                    "access-control-allow-origin".to_owned(),
                    "http://localhost:5173".to_owned()
                ),
                (
                    "access-control-allow-credentials".to_owned(),
                    "true".to_owned()
                ),
                (
                    "access-control-expose-headers".to_owned(),
                    "x-total".to_owned()
                ),
                ("vary".to_owned(), "origin".to_owned()),
            ]
        );
        // Without an Origin nothing changes.
        let mut plain = GatewayResponse {
            status: 200,
            headers: vec![],
            body: Bytes::new(),
        };
        decorate(&c, &req("GET", &[]), &mut plain);
        assert!(plain.headers.is_empty());
    }
}
