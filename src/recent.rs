//! The recent requests: a bounded ring buffer of traces, newest last, for the admin API and
//! `glassgate explain`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::trace::Trace;

/// How many traces are kept by default.
pub const DEFAULT_CAPACITY: usize = 1000;

/// A bounded store of finished traces.
pub struct RecentRequests {
    buf: Mutex<VecDeque<Arc<Trace>>>,
    capacity: usize,
}

impl RecentRequests {
    /// A store keeping the last `capacity` traces.
    pub fn new(capacity: usize) -> Self {
        RecentRequests {
            buf: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity: capacity.max(1),
        }
    }

    /// Keep a trace, dropping the oldest past capacity.
    pub fn push(&self, trace: Arc<Trace>) {
        if let Ok(mut b) = self.buf.lock() {
            if b.len() == self.capacity {
                b.pop_front();
            }
            b.push_back(trace);
        }
    }

    /// A trace by request id: `x-amzn-RequestId`, or the extended id (`x-amz-apigw-id` on
    /// REST, `apigw-requestid`, the only id an HTTP API response carries).
    pub fn get(&self, request_id: &str) -> Option<Arc<Trace>> {
        let b = self.buf.lock().ok()?;
        b.iter()
            .rev()
            .find(|t| t.request_id == request_id || t.extended_request_id == request_id)
            .cloned()
    }

    /// Up to `limit` traces, newest first.
    pub fn newest(&self, limit: usize) -> Vec<Arc<Trace>> {
        self.buf
            .lock()
            .map(|b| b.iter().rev().take(limit).cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(id: &str) -> Arc<Trace> {
        Arc::new(Trace::start(
            id,
            "e",
            "GET",
            "/",
            time::OffsetDateTime::UNIX_EPOCH,
        ))
    }

    #[test]
    fn keeps_the_newest_within_capacity() {
        let r = RecentRequests::new(2);
        r.push(trace("a"));
        r.push(trace("b"));
        r.push(trace("c"));
        assert!(r.get("a").is_none());
        assert!(r.get("b").is_some());
        let ids: Vec<String> = r.newest(10).iter().map(|t| t.request_id.clone()).collect();
        assert_eq!(ids, vec!["c", "b"]);
    }
}
