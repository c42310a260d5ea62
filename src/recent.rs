//! The recent requests and the live feed of what happens: a bounded ring of traces, newest
//! last, and a smaller ring of notices (mode changes, flushes, reloads), under one sequence
//! number. The admin API lists and pages them, `glassgate explain` reads one, and the event
//! stream (`GET /events`) resumes from them after a reconnect.
//!
//! Every event is numbered under the ring's lock and sent to live subscribers under the same
//! lock, so a subscriber that takes its backlog and its receiver together (in
//! [`RecentRequests::subscribe`]) sees every event once, in order. The feed is a
//! `tokio::sync::broadcast`: sending never waits for a subscriber, and one that falls behind
//! by more than its capacity is told so (and then dropped by the stream).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;

use crate::trace::Trace;

/// How many traces are kept by default.
pub const DEFAULT_CAPACITY: usize = 1000;

/// How many notices are kept for resuming streams.
const NOTICES: usize = 256;

/// Events a subscriber may fall behind by before it is told to start over.
const FEED_CAPACITY: usize = 1024;

/// Something that happened, numbered.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its place in the one sequence of every event.
    pub seq: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// A request finished.
    Request(Arc<Trace>),
    /// An authorizer's mode was changed.
    Mode {
        /// The authorizer.
        authorizer: String,
        /// `normal`, `bypass` or `allow`.
        mode: &'static str,
    },
    /// Authorizer cache entries were flushed.
    Cache {
        /// The authorizer, `None` for all of them.
        authorizer: Option<String>,
        /// The one entry flushed, when only one was asked for.
        entry: Option<String>,
        /// How many entries went.
        flushed: usize,
    },
    /// The template or the code was reloaded.
    Reload {
        /// The template served now.
        template: String,
    },
}

/// A subscription: what was missed since the resume point, then the live feed.
pub struct Subscription {
    /// Events after the resume point, in order.
    pub backlog: Vec<Event>,
    /// Some events after the resume point are gone (or the point is from another run):
    /// the subscriber has to start over.
    pub gap: bool,
    /// Events from now on.
    pub live: broadcast::Receiver<Event>,
}

struct Ring {
    traces: VecDeque<(u64, Arc<Trace>)>,
    notices: VecDeque<Event>,
    /// The next sequence number.
    next: u64,
    /// The highest sequence number no longer kept (0: none dropped yet).
    forgotten: u64,
}

/// A bounded store of finished traces and the live feed.
pub struct RecentRequests {
    ring: Mutex<Ring>,
    capacity: usize,
    feed: broadcast::Sender<Event>,
}

impl RecentRequests {
    /// A store keeping the last `capacity` traces.
    pub fn new(capacity: usize) -> Self {
        RecentRequests {
            ring: Mutex::new(Ring {
                traces: VecDeque::with_capacity(capacity.min(1024)),
                notices: VecDeque::new(),
                // From 1, so that a `Last-Event-ID: 0` means "nothing seen".
                next: 1,
                forgotten: 0,
            }),
            capacity: capacity.max(1),
            feed: broadcast::channel(FEED_CAPACITY).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keep a trace, dropping the oldest past capacity; returns its sequence number.
    pub fn push(&self, trace: Arc<Trace>) -> u64 {
        let mut ring = self.lock();
        let seq = ring.next;
        ring.next += 1;
        if ring.traces.len() == self.capacity
            && let Some((old, _)) = ring.traces.pop_front()
        {
            ring.forgotten = ring.forgotten.max(old);
        }
        // Nobody listening (the usual case): no clone, no send.
        if self.feed.receiver_count() > 0 {
            let _ = self.feed.send(Event {
                seq,
                kind: EventKind::Request(trace.clone()),
            });
        }
        ring.traces.push_back((seq, trace));
        seq
    }

    /// Record a notice (a mode change, a flush, a reload); returns its sequence number.
    pub fn notify(&self, kind: EventKind) -> u64 {
        let mut ring = self.lock();
        let seq = ring.next;
        ring.next += 1;
        if ring.notices.len() == NOTICES
            && let Some(old) = ring.notices.pop_front()
        {
            ring.forgotten = ring.forgotten.max(old.seq);
        }
        let event = Event { seq, kind };
        let _ = self.feed.send(event.clone());
        ring.notices.push_back(event);
        seq
    }

    /// The live feed from now on, with every kept event after `after` (the `Last-Event-ID`
    /// of a reconnecting client) first.
    pub fn subscribe(&self, after: Option<u64>) -> Subscription {
        let ring = self.lock();
        let live = self.feed.subscribe();
        let Some(after) = after else {
            return Subscription {
                backlog: Vec::new(),
                gap: false,
                live,
            };
        };
        // A point past the end comes from an earlier run of the server.
        let gap = after < ring.forgotten || after >= ring.next;
        let mut backlog: Vec<Event> = ring
            .traces
            .iter()
            .filter(|(seq, _)| *seq > after)
            .map(|(seq, t)| Event {
                seq: *seq,
                kind: EventKind::Request(t.clone()),
            })
            .chain(ring.notices.iter().filter(|e| e.seq > after).cloned())
            .collect();
        backlog.sort_by_key(|e| e.seq);
        Subscription { backlog, gap, live }
    }

    /// A trace by request id: `x-amzn-RequestId`, or the extended id (`x-amz-apigw-id` on
    /// REST, `apigw-requestid`, the only id an HTTP API response carries).
    pub fn get(&self, request_id: &str) -> Option<(u64, Arc<Trace>)> {
        self.lock()
            .traces
            .iter()
            .rev()
            .find(|(_, t)| t.request_id == request_id || t.extended_request_id == request_id)
            .cloned()
    }

    /// Up to `limit` traces older than `before` (all when `None`), newest first.
    pub fn newest(&self, limit: usize, before: Option<u64>) -> Vec<(u64, Arc<Trace>)> {
        let before = before.unwrap_or(u64::MAX);
        self.lock()
            .traces
            .iter()
            .rev()
            .filter(|(seq, _)| *seq < before)
            .take(limit)
            .cloned()
            .collect()
    }

    /// The request ids of the kept replays of `request_id`, oldest first.
    pub fn replays_of(&self, request_id: &str) -> Vec<String> {
        self.lock()
            .traces
            .iter()
            .filter(|(_, t)| t.replay_of.as_deref() == Some(request_id))
            .map(|(_, t)| t.request_id.clone())
            .collect()
    }

    /// Every kept trace, oldest first (for counts over the recent requests).
    pub fn all(&self) -> Vec<Arc<Trace>> {
        self.lock().traces.iter().map(|(_, t)| t.clone()).collect()
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

    fn ids(events: &[Event]) -> Vec<u64> {
        events.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn keeps_the_newest_within_capacity() {
        let r = RecentRequests::new(2);
        r.push(trace("a"));
        r.push(trace("b"));
        r.push(trace("c"));
        assert!(r.get("a").is_none());
        assert_eq!(r.get("b").map(|(seq, _)| seq), Some(2));
        let ids: Vec<String> = r
            .newest(10, None)
            .iter()
            .map(|(_, t)| t.request_id.clone())
            .collect();
        assert_eq!(ids, vec!["c", "b"]);
        let older: Vec<u64> = r.newest(10, Some(3)).iter().map(|(s, _)| *s).collect();
        assert_eq!(older, vec![2]);
    }

    #[test]
    fn a_resumed_subscription_gets_what_it_missed_in_order_then_the_live_feed() {
        let r = RecentRequests::new(10);
        r.push(trace("a"));
        r.notify(EventKind::Reload {
            template: "t".into(),
        });
        r.push(trace("b"));
        let mut s = r.subscribe(Some(1));
        assert!(!s.gap);
        assert_eq!(ids(&s.backlog), vec![2, 3]);
        r.push(trace("c"));
        assert_eq!(s.live.try_recv().map(|e| e.seq).ok(), Some(4));
    }

    #[test]
    fn a_resume_point_that_is_gone_or_from_another_run_is_a_gap() {
        let r = RecentRequests::new(2);
        for id in ["a", "b", "c", "d"] {
            r.push(trace(id));
        }
        assert!(r.subscribe(Some(1)).gap, "1 and 2 were dropped");
        assert!(!r.subscribe(Some(2)).gap, "everything after 2 is kept");
        assert!(r.subscribe(Some(99)).gap, "no such event yet");
        assert!(!r.subscribe(None).gap);
    }

    #[test]
    fn a_subscriber_that_falls_behind_is_told() {
        let r = RecentRequests::new(10);
        let mut s = r.subscribe(None);
        for _ in 0..FEED_CAPACITY + 5 {
            r.push(trace("x"));
        }
        assert!(matches!(
            s.live.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
    }

    #[test]
    fn replays_are_found_by_their_original() {
        let r = RecentRequests::new(10);
        r.push(trace("a"));
        let mut t = Trace::start("b", "e", "GET", "/", time::OffsetDateTime::UNIX_EPOCH);
        t.replay_of = Some("a".into());
        r.push(Arc::new(t));
        assert_eq!(r.replays_of("a"), vec!["b"]);
    }
}
