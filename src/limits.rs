//! The limits the gateway holds every connection and request to, as API Gateway and the edge
//! gateways set them (../shared/scale-reliability.md §3): a request's headers must arrive
//! within 10 s (a slowloris client is dropped), its body may not pause for more than 10 s,
//! its header block may not exceed API Gateway's 10 KB, its body API Gateway's 10 MB (and a
//! Lambda event Lambda's 6 MB, checked where the event is built), and at most 10,000
//! connections are served at once (the rest wait in the listen backlog). Each is
//! configurable on `serve`; each rejection answers with a cause of layer `gateway`.
//!
//! Two budgets answer 503 (`gateway-overloaded`) before memory or the process pools run out:
//! the bytes of request bodies being received and held (1 GiB: a hundred 10 MB bodies at once),
//! and the requests in the lifecycle (1,000), counted once the body is in. A client that sends
//! its body slowly so holds only its bytes, never a place in the lifecycle: a thousand such
//! clients do not shut the door on well-behaved ones.

use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// The most bytes of request bodies received and held at once, across all requests; a
    /// body that would pass it is answered 503.
    pub max_body_buffer: usize,
}

/// Requests held at once by default: with bodies up to 10 MB, a bound on memory (and on the
/// invocations queued for the process pools) well before the machine runs out.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;

/// Body bytes held at once by default: 1 GiB, a hundred bodies of API Gateway's 10 MB.
pub const DEFAULT_MAX_BODY_BUFFER: usize = 1 << 30;

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
            max_body_buffer: DEFAULT_MAX_BODY_BUFFER,
        }
    }
}

/// The size of a header block as API Gateway counts it: each `Name: value\r\n`.
pub fn header_bytes<'a>(headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> usize {
    headers.map(|(k, v)| k.len() + 2 + v.len() + 2).sum()
}

/// The bytes of request bodies held across all requests, against `--max-body-buffer`.
#[derive(Debug)]
pub struct BodyBudget {
    held: AtomicUsize,
    most: usize,
}

impl BodyBudget {
    /// A budget of `most` bytes.
    pub fn new(most: usize) -> Self {
        BodyBudget {
            held: AtomicUsize::new(0),
            most,
        }
    }

    /// A lease for one request's body, holding nothing yet.
    pub fn lease(&self) -> BodyLease<'_> {
        BodyLease {
            budget: self,
            bytes: 0,
        }
    }

    /// Bytes held now, by every request together.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// The budget.
    pub fn most(&self) -> usize {
        self.most
    }
}

/// One request's share of the body budget, given back when the request is done.
#[derive(Debug)]
pub struct BodyLease<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl BodyLease<'_> {
    /// Hold `n` more bytes; false (and nothing taken) when that would pass the budget.
    pub fn take(&mut self, n: usize) -> bool {
        let before = self.budget.held.fetch_add(n, Ordering::Relaxed);
        if before + n > self.budget.most {
            self.budget.held.fetch_sub(n, Ordering::Relaxed);
            return false;
        }
        self.bytes += n;
        true
    }
}

impl Drop for BodyLease<'_> {
    fn drop(&mut self) {
        // Most requests have no body: no shared write for them on the request path.
        if self.bytes > 0 {
            self.budget.held.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_lease_holds_its_bytes_until_dropped_and_never_passes_the_budget() {
        let budget = BodyBudget::new(100);
        let mut a = budget.lease();
        assert!(a.take(60));
        let mut b = budget.lease();
        assert!(!b.take(41), "60 + 41 is past 100");
        assert_eq!(budget.held(), 60, "a refused take holds nothing");
        assert!(b.take(40));
        assert_eq!(budget.held(), 100);
        drop(a);
        assert_eq!(budget.held(), 40);
        drop(b);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn a_header_block_counts_names_values_and_separators() {
        let h = [("Host", b"a".as_slice()), ("X", b"12345".as_slice())];
        assert_eq!(header_bytes(h.into_iter()), 4 + 2 + 1 + 2 + 1 + 2 + 5 + 2);
    }
}
