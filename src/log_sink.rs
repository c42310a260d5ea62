//! The one writer of stderr while glassgate runs: execution logs and echoed handler output.
//!
//! Records are queued and written by a dedicated thread, so a slow or blocked stderr (a
//! pager, a full pipe, a terminal being scrolled) never stalls a runtime worker, and traces
//! are rendered off the request path. One queue keeps handler lines and traces in the
//! order they were produced.
//!
//! The queue is bounded: if stderr stops draining for long enough to fill it, new records
//! are counted and dropped rather than growing memory without limit, and the writer says
//! how many once it catches up. The traces themselves stay available through the admin API.
//! [`flush`] waits (bounded) for everything queued to be written; the binary calls it
//! before exiting.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::trace::Trace;

/// Records the queue holds before new ones are dropped.
const CAPACITY: usize = 65_536;

/// How long the writer waits after a batch before taking the next.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

/// How each request's trace is written to stderr (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// AWS-style execution-log lines (`TIMESTAMP (REQUEST_ID) MESSAGE`).
    Text,
    /// One JSON object per request (the whole trace).
    Json,
    /// Nothing (for benchmarks).
    Off,
}

enum Record {
    Trace(Arc<Trace>, LogFormat),
    Line(String),
    Flush(SyncSender<()>),
}

/// The queue, once something was logged (`None` if the writer thread could not start).
static SINK: OnceLock<Option<SyncSender<Record>>> = OnceLock::new();

/// Records dropped on a full queue since the writer last reported them.
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn sink() -> Option<&'static SyncSender<Record>> {
    SINK.get_or_init(|| {
        let (tx, rx) = sync_channel(CAPACITY);
        std::thread::Builder::new()
            .name("glassgate-log".into())
            .spawn(move || write_loop(&rx))
            .ok()
            .map(|_| tx)
    })
    .as_ref()
}

fn send(record: Record) {
    match sink() {
        Some(tx) => match tx.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
            // The writer thread is gone (it only ends if the process is ending).
            Err(TrySendError::Disconnected(r)) => write_now(r),
        },
        // No thread could be started: write in place, as before there was a queue.
        None => write_now(record),
    }
}

/// Queue a trace for stderr in `format` (nothing for [`LogFormat::Off`]).
pub fn trace(trace: Arc<Trace>, format: LogFormat) {
    if format != LogFormat::Off {
        send(Record::Trace(trace, format));
    }
}

/// Queue one line (a newline is added) for stderr.
pub fn line(text: String) {
    send(Record::Line(text));
}

/// Wait until everything queued so far is written, for at most `timeout` (a stderr that
/// never drains must not keep the process from exiting). Answers whether it was.
pub fn flush(timeout: Duration) -> bool {
    // Nothing was ever queued: no thread to start just to flush it.
    let Some(tx) = SINK.get().and_then(Option::as_ref) else {
        return true;
    };
    let (ack_tx, ack_rx) = sync_channel(1);
    // A full queue is waited on here (bounded below), so the marker is never dropped.
    let deadline = std::time::Instant::now() + timeout;
    let mut marker = Record::Flush(ack_tx);
    loop {
        match tx.try_send(marker) {
            Ok(()) => break,
            Err(TrySendError::Full(m)) if std::time::Instant::now() < deadline => {
                marker = m;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return false,
        }
    }
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    ack_rx.recv_timeout(left).is_ok()
}

fn render(record: &Record, out: &mut impl Write) -> std::io::Result<()> {
    match record {
        Record::Trace(t, LogFormat::Text) => out.write_all(t.render_text().as_bytes()),
        Record::Trace(t, LogFormat::Json) => out.write_all(t.render_json().as_bytes()),
        Record::Trace(_, LogFormat::Off) => Ok(()),
        Record::Line(l) => {
            out.write_all(l.as_bytes())?;
            out.write_all(b"\n")
        }
        Record::Flush(_) => Ok(()),
    }
}

fn write_now(record: Record) {
    let _ = render(&record, &mut std::io::stderr().lock());
}

fn write_loop(rx: &Receiver<Record>) {
    let mut buf = Vec::with_capacity(64 * 1024);
    // Blocks for the next record, then takes whatever else is already queued, and writes
    // the batch under one stderr lock: a burst costs one write, nothing waits in a buffer
    // once the queue is empty, and the lock is not held between batches (other threads
    // still print through `eprintln!`).
    while let Ok(first) = rx.recv() {
        let mut acks = Vec::new();
        let mut next = Some(first);
        while let Some(record) = next {
            match record {
                Record::Flush(ack) => acks.push(ack),
                record => {
                    let _ = render(&record, &mut buf);
                }
            }
            next = if buf.len() < 1024 * 1024 {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        let lost = DROPPED.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let _ = writeln!(
                buf,
                "glassgate: {lost} log record(s) dropped: stderr was not being read fast enough (the admin API still has the traces)"
            );
        }
        let _ = std::io::stderr().lock().write_all(&buf);
        buf.clear();
        let flushed = !acks.is_empty();
        for ack in acks {
            let _ = ack.try_send(());
        }
        // Waking this thread for every record costs a context switch per request, which
        // on a small machine is more than rendering the record; a short pause lets a busy
        // server's records gather into one batch, at the price of logs appearing up to
        // this much later.
        if !flushed {
            std::thread::sleep(BATCH_PAUSE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_render_as_before() {
        let t = Arc::new(Trace::start(
            "req-1",
            "ext",
            "GET",
            "/x",
            time::OffsetDateTime::UNIX_EPOCH,
        ));
        let mut out = Vec::new();
        render(&Record::Line("[Fn] hello".into()), &mut out).unwrap();
        render(&Record::Trace(t.clone(), LogFormat::Json), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("[Fn] hello"));
        let json: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        assert_eq!(json["requestId"], "req-1");
        assert_eq!(text, format!("[Fn] hello\n{}", t.render_json()));
    }

    #[test]
    fn flush_returns_once_queued_records_are_written() {
        line("glassgate log_sink test line".into());
        // Nothing blocks stderr in the test harness, so the writer acknowledges the flush.
        assert!(flush(Duration::from_secs(30)));
    }
}
