//! The limits the gateway holds every connection and request to, as API Gateway and the edge
//! gateways set them (../shared/scale-reliability.md §3): a request's headers must arrive
//! within 10 s (a slowloris client is dropped), its body may not pause for more than 10 s,
//! its header block may not exceed API Gateway's 10 KB, its body API Gateway's 10 MB (and a
//! Lambda event Lambda's 6 MB, checked where the event is built), and at most 10,000
//! connections are served at once (the rest wait in the listen backlog). Each is
//! configurable on `serve`; each rejection answers with a cause of layer `gateway`. Past
//! 1,000 requests in the lifecycle at once, a request is answered 503 (`gateway-overloaded`)
//! before its body is read: back-pressure before memory or the process pools run out.

use std::time::Duration;

/// The limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a request's headers may take to arrive, from its first byte (and how long a
    /// connection may sit idle between requests).
    pub header_read_timeout: Duration,
    /// How long a request body may go without a byte.
    pub body_idle_timeout: Duration,
    /// The largest header block (names, values and separators), in bytes.
    pub max_header_bytes: usize,
    /// The most connections served at once.
    pub max_connections: usize,
    /// The most requests in the lifecycle at once; past it a request is answered 503 at once.
    pub max_in_flight: usize,
}

/// Requests held at once by default: with bodies up to 10 MB, a bound on memory (and on the
/// invocations queued for the process pools) well before the machine runs out.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;

/// API Gateway's limit on the request line and headers together: 10,240 bytes.
pub const MAX_HEADER_BYTES: usize = 10 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(10),
            max_header_bytes: MAX_HEADER_BYTES,
            max_connections: 10_000,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The size of a header block as API Gateway counts it: each `Name: value\r\n`.
pub fn header_bytes<'a>(headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> usize {
    headers.map(|(k, v)| k.len() + 2 + v.len() + 2).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_block_counts_names_values_and_separators() {
        let h = [("Host", b"a".as_slice()), ("X", b"12345".as_slice())];
        assert_eq!(header_bytes(h.into_iter()), 4 + 2 + 1 + 2 + 1 + 2 + 5 + 2);
    }
}
