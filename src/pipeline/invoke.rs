//! What the stages that invoke a function share about it: the trace's record of an
//! invocation, and payloads quoted in the execution log as API Gateway truncates them.

use crate::lambda::InvokeOutcome;
use crate::trace::InvocationFacts;

/// Longest body or payload quoted in the execution log, as AWS truncates them.
const LOG_LIMIT: usize = 1000;

/// Quote `s` for a log line, truncated as API Gateway does.
pub fn truncate_for_log(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(LOG_LIMIT) + 12);
    push_truncated(&mut out, s);
    out
}

/// `PREFIX` followed by `body` quoted for a log line: secrets masked, then truncated as
/// API Gateway does. One buffer, and no lossy UTF-8 pass over bodies that are valid (the
/// request, event and response bodies of every request go through here).
pub fn quote_for_log(prefix: &str, body: &[u8], redactor: Option<&super::Redactor>) -> String {
    // `from_utf8` first: its validation is several times faster than the lossy decoder's,
    // and bodies are nearly always valid.
    let text = match std::str::from_utf8(body) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(body),
    };
    let masked = redactor.map(|r| r.apply(&text));
    let text = masked.as_deref().unwrap_or(&text);
    let mut out = String::with_capacity(prefix.len() + text.len().min(LOG_LIMIT) + 12);
    out.push_str(prefix);
    push_truncated(&mut out, text);
    out
}

/// Append at most [`LOG_LIMIT`] bytes of `text` (cut on a character boundary), marked
/// ` [TRUNCATED]` when cut.
fn push_truncated(out: &mut String, text: &str) {
    let mut cut = text.len().min(LOG_LIMIT);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(&text[..cut]);
    if cut < text.len() {
        out.push_str(" [TRUNCATED]");
    }
}

/// The trace's record of an invocation report.
pub fn invocation_facts(function: &str, report: &crate::lambda::InvokeReport) -> InvocationFacts {
    let mut facts = InvocationFacts {
        function: function.to_owned(),
        lambda_request_id: report.request_id.clone(),
        cold_start: report.cold_start,
        duration_ms: report.duration.as_secs_f64() * 1000.0,
        queue_wait_ms: report.queue_wait.as_secs_f64() * 1000.0,
        pool: report.pool.map(|p| p.to_string()),
        pid: report.pid,
        ..InvocationFacts::default()
    };
    if let InvokeOutcome::Failure(f) = &report.outcome {
        facts.error_type = Some(f.error_type.clone());
        facts.error_message = Some(f.error_message.clone());
        facts.exit.clone_from(&f.exit);
        facts.output_tail.clone_from(&f.output_tail);
        facts.raw_response = Some(truncate_for_log(&String::from_utf8_lossy(&f.payload)));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_bodies_are_masked_then_truncated() {
        let mut r = crate::pipeline::Redactor::default();
        r.add("Bearer s3cr3t-token");
        let body = format!(
            "{{\"auth\":\"Bearer s3cr3t-token\",\"pad\":\"{}\"}}",
            "x".repeat(2000)
        );
        let line = quote_for_log("Body: ", body.as_bytes(), Some(&r));
        assert!(
            line.starts_with("Body: {\"auth\":\"***************oken\""),
            "{line}"
        );
        assert!(line.ends_with("x [TRUNCATED]"));
        assert_eq!(
            line.len(),
            "Body: ".len() + LOG_LIMIT + " [TRUNCATED]".len()
        );
        // Short bodies are quoted whole; bytes that are not UTF-8 are replaced, not dropped.
        assert_eq!(quote_for_log("B: ", b"ok\xff", None), "B: ok\u{fffd}");
        assert_eq!(quote_for_log("B: ", b"", None), "B: ");
    }
}
