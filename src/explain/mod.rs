//! `glassgate explain --log FILE`: read an API Gateway execution log and say, per request, which
//! layer answered and why, in plain words.
//!
//! Input: the log file's text (glassgate's text or JSON log, a CloudWatch export, or the JSON of
//! `aws logs filter-log-events`). Output: one [`RequestReport`] per request id, in first-seen
//! order, and [`render`] for the human report. Error: [`ExplainError`], only when the file holds
//! no execution-log line at all. Emulates nothing itself; the rules come from
//! `aws-semantics.md` §5.1, §8.3, §9.1 and §12.
//!
//! Not owned here: reading the file (the CLI does it, lossily, so binary input still reaches us
//! as text) and the CLI flags.

mod diagnose;
mod facts;
mod parse;
mod policy;

#[cfg(test)]
mod tests;

pub use crate::outcome::Layer;

/// The diagnosis of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestReport {
    /// API Gateway's request id (the `(id)` prefix of each log line).
    pub request_id: String,
    /// The status the client got, from the log or, when the log does not print it, the status
    /// AWS answers for the cause.
    pub status: Option<u16>,
    /// The layer that produced the response; `None` when the log is too short to tell.
    pub layer: Option<Layer>,
    /// The glassgate cause token (`handler-error`, `policy-not-covered`, …); `None` for a
    /// response the backend chose or an unclear log.
    pub cause: Option<String>,
    /// One plain sentence: which layer answered and what that means.
    pub summary: String,
    /// The decisive log lines, each at most 300 characters, and the raw authorizer result.
    pub evidence: Vec<String>,
    /// One to three concrete things to do next.
    pub next_steps: Vec<String>,
    /// How many log messages the request had, so a reader can tell a short log from a quiet one.
    pub lines: usize,
}

impl RequestReport {
    /// Whether a gateway layer failed the request (as opposed to the backend answering, even
    /// with an error status of its own).
    pub fn failed(&self) -> bool {
        self.cause.is_some()
    }

    /// Whether the backend answered and no layer failed.
    pub fn ok(&self) -> bool {
        self.cause.is_none() && self.layer == Some(Layer::Backend)
    }
}

/// Why a file could not be explained.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExplainError {
    /// Nothing in the file looks like an execution-log line.
    #[error(
        "no API Gateway execution-log lines found; expected 'TIMESTAMP (REQUEST_ID) MESSAGE' lines or the JSON of aws logs filter-log-events"
    )]
    NoLogLines,
}

/// Diagnose every request in an execution log.
///
/// # Errors
///
/// [`ExplainError::NoLogLines`] when no line of `text` carries a request id (an empty file, a
/// file of another kind, binary data). Requests whose logs are incomplete still get a report
/// saying so.
pub fn explain_log(text: &str) -> Result<Vec<RequestReport>, ExplainError> {
    let logs = parse::collect(text);
    if logs.is_empty() {
        return Err(ExplainError::NoLogLines);
    }
    Ok(logs.iter().map(diagnose::diagnose).collect())
}

/// The human report: one block per request, then a count line.
pub fn render(reports: &[RequestReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let status = r
            .status
            .map_or_else(|| "status unknown".to_owned(), |s| s.to_string());
        let layer = match r.layer {
            Some(_) => format!(" from {}", diagnose::layer_phrase(r.layer)),
            None => String::new(),
        };
        let cause = r
            .cause
            .as_deref()
            .map(|c| format!(" (cause: {c})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "Request {}: {status}{layer}{cause}\n",
            r.request_id
        ));
        out.push_str(&format!("  {}\n", r.summary));
        if !r.evidence.is_empty() {
            out.push_str("  Evidence:\n");
            for e in &r.evidence {
                out.push_str(&format!("    - {e}\n"));
            }
        }
        if !r.next_steps.is_empty() {
            out.push_str("  Next:\n");
            for n in &r.next_steps {
                out.push_str(&format!("    - {n}\n"));
            }
        }
        out.push('\n');
    }
    let ok = reports.iter().filter(|r| r.ok()).count();
    let failed = reports.iter().filter(|r| r.failed()).count();
    let unclear = reports.len() - ok - failed;
    out.push_str(&format!(
        "{} request(s): {ok} ok, {failed} failed",
        reports.len()
    ));
    if unclear > 0 {
        out.push_str(&format!(", {unclear} unclear"));
    }
    out.push('\n');
    out
}
