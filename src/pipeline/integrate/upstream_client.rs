//! The HTTP client of `HTTP_PROXY` integrations: one pooled, keep-alive HTTP/1.1 client shared
//! by every route, http and https, and what a failed exchange was.
//!
//! It is hyper-util's pooled client over hyper-rustls, with the platform's certificate
//! verifier (the stack reqwest builds on). reqwest's own layer on top (URL parsing and
//! conversion, its header and body wrappers, its boxed futures) cost 12-17 us of CPU per
//! proxied request on the benchmark machine, about half of what the whole hyper stack costs
//! (BENCHMARKS.md, "the HTTP_PROXY path without reqwest"); this module does the few things glassgate needs
//! from it itself: the URL checked once, the headers set, the body collected.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::outcome::{Cause, Failure};
use crate::pipeline::MAX_BODY;

/// The shared client.
pub type UpstreamClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Why the client cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TLS backend (the platform's certificate verifier) cannot be set up.
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
}

/// Pooled keep-alive connections (idle ones closed after 60 s), a 10 s connect timeout, no
/// redirects followed (API Gateway passes a 3xx back), no decompression.
///
/// # Errors
/// The TLS backend cannot be set up.
pub fn client() -> Result<UpstreamClient, ClientError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    // https URLs are the TLS layer's to take; plain ones go straight through.
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .pool_timer(TokioTimer::new())
        .build(https))
}

/// One request to send.
pub struct Outgoing<'a> {
    /// The method, as the integration or the client gave it.
    pub method: &'a str,
    /// The whole URL.
    pub url: &'a str,
    /// Headers in order (their strings become the request's without a copy).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

/// The upstream's answer.
pub struct Answer {
    /// Its status code.
    pub status: u16,
    /// Its headers in order (values that are not UTF-8 decoded lossily).
    pub headers: Vec<(String, String)>,
    /// Its whole body.
    pub body: Bytes,
    /// From sending to the response head.
    pub first_byte: Duration,
}

/// What went wrong.
#[derive(Debug)]
pub enum ExchangeError {
    /// The request cannot be sent as written (the URL, the method or a header): the
    /// integration's configuration, not the network.
    Invalid(String),
    /// The connection, the TLS handshake or the exchange failed before the response head.
    Request(hyper_util::client::legacy::Error),
    /// The response broke off in its body.
    Body(hyper::Error),
    /// The response body is larger than API Gateway's payload limit: the length its head
    /// declared, or (`declared` false) the bytes read when reading stopped.
    TooLarge { bytes: u64, declared: bool },
}

/// Send `out` and read the whole answer (the caller bounds the time).
///
/// # Errors
/// An [`ExchangeError`]; [`failure`] says what it means.
pub async fn exchange(client: &UpstreamClient, out: Outgoing<'_>) -> Result<Answer, ExchangeError> {
    let uri = checked_uri(out.url)?;
    let method = hyper::Method::from_bytes(out.method.as_bytes()).map_err(|_| {
        ExchangeError::Invalid(format!(
            "the integration's method {:?} is not an HTTP method",
            out.method
        ))
    })?;
    let mut request = hyper::Request::builder().method(method).uri(uri);
    let headers = request.headers_mut().expect("a fresh builder has no error");
    for (name, value) in out.headers {
        let name = crate::pipeline::header_name::header_name(&name)
            .map_err(|_| ExchangeError::Invalid(format!("{name:?} is not a valid header name")))?;
        let value =
            hyper::header::HeaderValue::from_maybe_shared(Bytes::from(value)).map_err(|_| {
                ExchangeError::Invalid(format!("the value of header {name} is not valid in HTTP"))
            })?;
        headers.append(name, value);
    }
    let request = request
        .body(Full::new(out.body))
        .map_err(|e| ExchangeError::Invalid(e.to_string()))?;
    let began = Instant::now();
    let response = client
        .request(request)
        .await
        .map_err(ExchangeError::Request)?;
    let first_byte = began.elapsed();
    let (head, body) = response.into_parts();
    let headers = head
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = bounded_body(&head.headers, body).await?;
    Ok(Answer {
        status: head.status.as_u16(),
        headers,
        body,
        first_byte,
    })
}

/// The whole body, refused once it passes [`MAX_BODY`]: before reading when the head declares
/// more, otherwise at the frame that crosses it (dropping the body closes the connection, so
/// the rest is never read). A body of one frame is kept as it came, without a copy.
async fn bounded_body(
    head: &hyper::HeaderMap,
    mut body: hyper::body::Incoming,
) -> Result<Bytes, ExchangeError> {
    let declared = head
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > MAX_BODY as u64) {
        return Err(ExchangeError::TooLarge {
            bytes: n,
            declared: true,
        });
    }
    let mut first: Option<Bytes> = None;
    let mut rest = bytes::BytesMut::new();
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(ExchangeError::Body)?.into_data() else {
            continue; // trailers: API Gateway passes none
        };
        len += data.len();
        if len > MAX_BODY {
            return Err(ExchangeError::TooLarge {
                bytes: len as u64,
                declared: false,
            });
        }
        match &first {
            None => first = Some(data),
            Some(head) => {
                if rest.is_empty() {
                    rest.extend_from_slice(head);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    Ok(if rest.is_empty() {
        first.unwrap_or_default()
    } else {
        rest.freeze()
    })
}

/// The URL as hyper takes it: absolute, `http` or `https`, with a host.
fn checked_uri(url: &str) -> Result<hyper::Uri, ExchangeError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| ExchangeError::Invalid(format!("{url:?} is not a valid URL: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(ExchangeError::Invalid(format!(
                "{url:?} is not an http or https URL"
            )));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ExchangeError::Invalid(format!("{url:?} has no host")));
    }
    Ok(uri)
}

impl ExchangeError {
    /// Whether the integration's configuration is at fault, not the network.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

/// What a failed exchange with `url` was, as a failure of layer `integration`.
pub fn failure(url: &str, e: &ExchangeError) -> Failure {
    let (chain, connect) = match e {
        ExchangeError::Invalid(why) => {
            return Failure::new(
                Cause::UpstreamUnreachable,
                format!("{url} cannot be reached: {why}"),
            );
        }
        ExchangeError::Body(e) => {
            return Failure::new(
                Cause::UpstreamBroken,
                format!(
                    "{url} closed the connection in the middle of its response: {}",
                    deepest(e)
                ),
            );
        }
        ExchangeError::TooLarge { bytes, declared } => {
            let size = if *declared {
                format!("a body of {bytes} bytes (its Content-Length)")
            } else {
                format!("a body of more than {MAX_BODY} bytes (reading stopped at {bytes})")
            };
            return Failure::new(
                Cause::UpstreamTooLarge,
                format!(
                    "{url} answered {size}, more than API Gateway's payload limit of {MAX_BODY} bytes; it was not passed on"
                ),
            );
        }
        ExchangeError::Request(e) => (deepest(e), e.is_connect()),
    };
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return Failure::new(
            Cause::UpstreamTls,
            format!("the TLS handshake with {url} failed: {chain}"),
        );
    }
    if timed_out(e) {
        return Failure::new(
            Cause::UpstreamTimeout,
            format!("{url} did not answer in time: {chain}"),
        );
    }
    if connect {
        return Failure::new(
            Cause::UpstreamUnreachable,
            format!("{url} cannot be reached: {chain}"),
        );
    }
    Failure::new(
        Cause::UpstreamBroken,
        format!("the exchange with {url} failed: {chain}"),
    )
}

/// Whether an I/O timeout (the connect timeout) is somewhere in the error's causes.
fn timed_out(e: &ExchangeError) -> bool {
    let ExchangeError::Request(e) = e else {
        return false;
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// What an error comes down to: its deepest cause (`Connection refused`, the TLS alert), which
/// the outer layers only wrap.
fn deepest(e: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        deepest = s.to_string();
        source = s.source();
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_with_a_host_are_sent() {
        assert!(checked_uri("http://127.0.0.1:8080/a?b=c").is_ok());
        assert!(checked_uri("https://example.com").is_ok());
        for bad in ["ftp://example.com/x", "/relative", "http://", "not a url"] {
            let err = checked_uri(bad).expect_err(bad);
            assert!(err.is_invalid(), "{bad}");
            let f = failure(bad, &err);
            assert_eq!(f.cause, Cause::UpstreamUnreachable, "{bad}");
        }
    }
}
