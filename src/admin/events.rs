//! `GET /events`: the live stream (server-sent events) of requests and changes, for the
//! console and for `curl -N`.
//!
//! Each subscriber gets a task that moves events from the feed ([`crate::recent`]) into its
//! response body through a small channel, the events that arrive within 20 ms of each other
//! in one write (under load one write per request would cost the gateway more than the
//! requests' own serialization). The gateway never waits for it: the feed drops
//! what a slow subscriber has not taken, and the subscriber is then sent `reset` and closed;
//! one whose client stops reading is closed when a frame waits longer than [`STALLED`]. The
//! stream ends on the shutdown signal, so it never holds the process up.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame};
use serde_json::json;
use tokio::sync::{broadcast, mpsc};

use super::AdminBody;
use crate::recent::{Event, EventKind};
use crate::server::ServerState;

/// A comment line this often, so that proxies and browsers keep the stream open.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// How long a frame may wait for the client to read before the subscriber is dropped.
const STALLED: Duration = Duration::from_secs(5);

/// Frames waiting for the client, per subscriber.
const QUEUE: usize = 64;

/// How long events are gathered into one write once one arrives.
const LINGER: Duration = Duration::from_millis(20);

/// The most bytes gathered into one write.
const BATCH_BYTES: usize = 64 * 1024;

/// Which request events a subscriber wants (`?layer=authorizer&failures=1`); changes are
/// always sent.
#[derive(Debug, Default)]
struct Filter {
    layer: Option<String>,
    failures_only: bool,
}

impl Filter {
    fn parse(query: &str) -> Filter {
        let mut f = Filter::default();
        for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match k {
                "layer" => f.layer = Some(v.to_owned()),
                "failures" => f.failures_only = v == "1" || v == "true",
                _ => {}
            }
        }
        f
    }

    fn wants(&self, e: &Event) -> bool {
        let EventKind::Request(t) = &e.kind else {
            return true;
        };
        if self.failures_only && t.failure.is_none() {
            return false;
        }
        match &self.layer {
            Some(l) => {
                let layer = t.failure.as_ref().map_or("backend", |f| f.layer.as_str());
                layer == l
            }
            None => true,
        }
    }
}

/// Append one event, as the stream sends it, to `out`.
fn frame_into(out: &mut Vec<u8>, e: &Event) {
    use std::io::Write;
    let name = match &e.kind {
        EventKind::Request(_) => "request",
        EventKind::Mode { .. } => "mode",
        EventKind::Cache { .. } => "cache",
        EventKind::Reload { .. } => "reload",
    };
    let _ = write!(out, "id: {}\nevent: {name}\ndata: ", e.seq);
    // Compact JSON holds no newline, so one `data:` line carries it.
    let _ = match &e.kind {
        EventKind::Request(t) => {
            serde_json::to_writer(&mut *out, &super::requests::summary(e.seq, t))
        }
        EventKind::Mode { authorizer, mode } => serde_json::to_writer(
            &mut *out,
            &json!({ "authorizer": authorizer, "mode": mode }),
        ),
        EventKind::Cache {
            authorizer,
            entry,
            flushed,
        } => serde_json::to_writer(
            &mut *out,
            &json!({ "authorizer": authorizer, "entryId": entry, "flushed": flushed }),
        ),
        EventKind::Reload { template } => {
            serde_json::to_writer(&mut *out, &json!({ "template": template }))
        }
    };
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
fn frame(e: &Event) -> Bytes {
    let mut out = Vec::new();
    frame_into(&mut out, e);
    Bytes::from(out)
}

/// Start over: fetch the list again and open a new stream.
const RESET: &[u8] = b"event: reset\ndata: {}\n\n";

/// The body of a stream: whatever its task sends, until the task ends.
struct StreamBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for StreamBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// `GET /events`.
pub(super) fn stream<B>(
    state: &Arc<ServerState>,
    req: &Request<B>,
    query: &str,
) -> Response<AdminBody> {
    let after = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let subscription = state.recent.subscribe(after);
    let filter = Filter::parse(query);
    let (tx, rx) = mpsc::channel(QUEUE);
    let down = state.shutdown_watch();
    tokio::spawn(pump(subscription, filter, tx, down));
    let mut r = Response::new(StreamBody { rx }.boxed_unsync());
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// What a subscriber's stream does after a batch.
enum Then {
    /// Wait for more.
    Go,
    /// It fell behind: tell it to start over, and end.
    Reset,
    /// The feed is gone: end.
    End,
}

/// Move events to one subscriber until it goes, falls behind, or the server stops.
async fn pump(
    sub: crate::recent::Subscription,
    filter: Filter,
    tx: mpsc::Sender<Bytes>,
    mut down: tokio::sync::watch::Receiver<bool>,
) {
    let send = |b: Bytes| {
        let tx = tx.clone();
        async move { matches!(tokio::time::timeout(STALLED, tx.send(b)).await, Ok(Ok(()))) }
    };
    // `retry`: reconnect after 1 s (browsers wait 3 s by default).
    if !send(Bytes::from_static(b": glassgate events\nretry: 1000\n\n")).await {
        return;
    }
    if sub.gap {
        let _ = send(Bytes::from_static(RESET)).await;
        return;
    }
    let crate::recent::Subscription {
        backlog, mut live, ..
    } = sub;
    // The backlog and the receiver were taken under the feed's lock: nothing in one is
    // in the other.
    let mut batch = Vec::new();
    for e in backlog.iter().filter(|e| filter.wants(e)) {
        frame_into(&mut batch, e);
    }
    if !batch.is_empty() && !send(Bytes::from(batch)).await {
        return;
    }
    // The watch only ever turns true: a change is the shutdown.
    if *down.borrow_and_update() {
        return;
    }
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        tokio::select! {
            got = live.recv() => {
                let first = match got {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = send(Bytes::from_static(RESET)).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                // Under load, events come faster than anyone reads them: gather what arrives
                // within a moment into one write instead of one per request.
                let mut batch = Vec::with_capacity(4096);
                if filter.wants(&first) {
                    frame_into(&mut batch, &first);
                }
                let flush_at = tokio::time::Instant::now() + LINGER;
                let mut then = Then::Go;
                while batch.len() < BATCH_BYTES {
                    match tokio::time::timeout_at(flush_at, live.recv()).await {
                        Ok(Ok(e)) => {
                            if filter.wants(&e) {
                                frame_into(&mut batch, &e);
                            }
                        }
                        Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                            then = Then::Reset;
                            break;
                        }
                        Ok(Err(broadcast::error::RecvError::Closed)) => {
                            then = Then::End;
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if !batch.is_empty() && !send(Bytes::from(batch)).await {
                    return;
                }
                match then {
                    Then::Go => {}
                    Then::Reset => {
                        let _ = send(Bytes::from_static(RESET)).await;
                        return;
                    }
                    Then::End => return,
                }
            }
            _ = beat.tick() => {
                if !send(Bytes::from_static(b": ping\n\n")).await {
                    return;
                }
            }
            _ = down.changed() => return,
            () = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_one_event_each_with_its_id() {
        let e = Event {
            seq: 7,
            kind: EventKind::Mode {
                authorizer: "Tok".into(),
                mode: "bypass",
            },
        };
        assert_eq!(
            &frame(&e)[..],
            b"id: 7\nevent: mode\ndata: {\"authorizer\":\"Tok\",\"mode\":\"bypass\"}\n\n"
        );
    }

    #[test]
    fn filters_keep_changes_and_pick_requests() {
        let f = Filter::parse("layer=authorizer&failures=1");
        assert_eq!(f.layer.as_deref(), Some("authorizer"));
        assert!(f.failures_only);
        let t = crate::trace::Trace::start("r", "e", "GET", "/", time::OffsetDateTime::UNIX_EPOCH);
        let ok = Event {
            seq: 1,
            kind: EventKind::Request(Arc::new(t)),
        };
        assert!(!f.wants(&ok), "a request that did not fail");
        let change = Event {
            seq: 2,
            kind: EventKind::Reload {
                template: "t".into(),
            },
        };
        assert!(f.wants(&change));
    }
}
