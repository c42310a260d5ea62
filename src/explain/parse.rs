//! Turning an execution-log file into per-request message lists.
//!
//! Input: the whole file as text. Output: [`RequestLog`]s in first-seen order. Three shapes are
//! accepted, detected per file and, for JSON lines, per line: `TIMESTAMP (REQUEST_ID) MESSAGE`
//! text (CloudWatch exports, console copies, glassgate's text log), the JSON of
//! `aws logs filter-log-events` (a document, a bare array, or one event per line), and
//! glassgate's `--log-format json` records. Nothing here fails: unrecognised lines are skipped,
//! and the caller decides what an empty result means.

use std::collections::HashMap;

use serde_json::Value;

/// Everything read for one request id.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    /// API Gateway's request id, from the `(id)` prefix or glassgate's `requestId`.
    pub id: String,
    /// Execution-log messages without their prefix, in file order.
    pub messages: Vec<String>,
    /// What glassgate recorded about the request, when the input was its JSON log.
    pub record: Option<GlassgateRecord>,
}

/// The structured fields of one glassgate JSON log record that the diagnosis uses.
///
/// Read leniently from a `serde_json::Value` rather than derived, so one field of an unexpected
/// type (an older or newer glassgate) loses that field, not the whole request.
#[derive(Debug, Default, Clone)]
pub(crate) struct GlassgateRecord {
    pub status: Option<u16>,
    pub layer: Option<String>,
    pub cause: Option<String>,
    pub detail: Option<String>,
    /// `authorizer.cache`: `hit`, `miss` or `disabled`.
    pub auth_cache: Option<String>,
    pub auth_cache_age_s: Option<f64>,
    pub auth_method_arn: Option<String>,
    pub auth_cached_for: Option<String>,
    pub auth_raw_result: Option<String>,
    pub auth_invocation: Option<InvocationRecord>,
    pub invocation: Option<InvocationRecord>,
}

/// The failure facts of one Lambda invocation in a glassgate record.
#[derive(Debug, Default, Clone)]
pub(crate) struct InvocationRecord {
    pub error_type: Option<String>,
    pub error_message: Option<String>,
    pub exit: Option<String>,
    pub output_tail: Vec<String>,
}

/// Longest request id accepted in a `(id)` prefix; real ones are 36-character UUIDs, and a cap
/// keeps a parenthesised remark in a continuation line from being taken for one.
const MAX_ID_LEN: usize = 128;
/// Longest timestamp accepted before a `(id)` prefix.
const MAX_TIMESTAMP_LEN: usize = 64;

#[derive(Default)]
struct Collector {
    logs: Vec<RequestLog>,
    index: HashMap<String, usize>,
    /// The request that received the last message, so continuation lines know where to go.
    last: Option<usize>,
    /// The request of a console TestInvoke log, whose lines carry no `(id)` prefix: the id is
    /// named once in its `Execution log for request ID` header.
    test_invoke_id: Option<String>,
}

/// Read a whole file.
pub(crate) fn collect(text: &str) -> Vec<RequestLog> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut c = Collector::default();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // A whole JSON document (the usual `filter-log-events` output); JSON lines fail this
        // parse and fall through to the per-line loop.
        let parsed = serde_json::from_str::<Value>(trimmed).ok();
        if parsed.is_some_and(|v| c.take_document(&v)) {
            return c.logs;
        }
    }
    for line in text.lines() {
        c.take_line(line);
    }
    c.logs
}

impl Collector {
    fn slot(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.logs.len();
        self.logs.push(RequestLog {
            id: id.to_owned(),
            ..Default::default()
        });
        self.index.insert(id.to_owned(), i);
        i
    }

    fn push(&mut self, id: &str, message: &str) {
        let i = self.slot(id);
        if let Some(log) = self.logs.get_mut(i) {
            log.messages.push(message.to_owned());
        }
        self.last = Some(i);
    }

    /// Append a line that has no prefix to the previous message: API Gateway logs bodies and
    /// headers verbatim, so one message can span several lines.
    fn append(&mut self, text: &str) {
        let Some(i) = self.last else { return };
        if let Some(m) = self.logs.get_mut(i).and_then(|l| l.messages.last_mut()) {
            m.push('\n');
            m.push_str(text);
        }
    }

    /// A parsed JSON document; false when it is not a shape we know.
    fn take_document(&mut self, v: &Value) -> bool {
        match v {
            Value::Object(o) => match o.get("events") {
                Some(Value::Array(events)) => {
                    for e in events {
                        self.take_object(e);
                    }
                    true
                }
                _ => self.take_object(v),
            },
            Value::Array(items) => {
                let mut any = false;
                for item in items {
                    any |= self.take_object(item);
                }
                any
            }
            _ => false,
        }
    }

    /// One CloudWatch event or glassgate record; false when it is neither.
    fn take_object(&mut self, v: &Value) -> bool {
        if is_glassgate_record(v) {
            self.take_record(v);
            true
        } else if let Some(message) = event_message(v) {
            self.take_text(message);
            true
        } else {
            false
        }
    }

    fn take_line(&mut self, line: &str) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            return;
        }
        if line.trim_start().starts_with('{') {
            let parsed = serde_json::from_str::<Value>(line.trim()).ok();
            if parsed.is_some_and(|v| self.take_object(&v)) {
                return;
            }
        }
        self.take_text_line(line);
    }

    /// A message that may span several lines (a CloudWatch event's `message`).
    fn take_text(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.trim().is_empty() {
                self.take_text_line(line);
            }
        }
    }

    fn take_text_line(&mut self, line: &str) {
        if let Some((id, message)) = split_prefix(line) {
            self.push(id, message);
            return;
        }
        let header_id = line
            .trim()
            .strip_prefix("Execution log for request ")
            .map(str::trim)
            .filter(|id| looks_like_request_id(id));
        if let Some(id) = header_id {
            self.test_invoke_id = Some(id.to_owned());
            self.last = Some(self.slot(id));
            return;
        }
        let test_invoke = self.test_invoke_id.clone().zip(test_invoke_message(line));
        if let Some((id, message)) = test_invoke {
            self.push(&id, message);
            return;
        }
        self.append(line);
    }

    fn take_record(&mut self, v: &Value) {
        let Some(id) = v.get("requestId").and_then(Value::as_str) else {
            return;
        };
        let i = self.slot(id);
        let messages: Vec<String> = v
            .get("log")
            .and_then(Value::as_array)
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| l.get("message").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(log) = self.logs.get_mut(i) {
            log.messages.extend(messages);
            log.record = Some(record_from(v));
        }
        self.last = Some(i);
    }
}

fn is_glassgate_record(v: &Value) -> bool {
    v.get("requestId").is_some_and(Value::is_string) && v.get("log").is_some_and(Value::is_array)
}

/// The `message` of a CloudWatch Logs event. The extra key check keeps a JSON body that happens
/// to contain `"message"` (a gateway response body continued on its own line) from being taken
/// for an event.
fn event_message(v: &Value) -> Option<&str> {
    let o = v.as_object()?;
    let looks_like_event = ["timestamp", "eventId", "logStreamName", "ingestionTime"]
        .iter()
        .any(|k| o.contains_key(*k));
    if !looks_like_event {
        return None;
    }
    o.get("message").and_then(Value::as_str)
}

/// Split `[TIMESTAMP] (REQUEST_ID) MESSAGE` into id and message.
pub(crate) fn split_prefix(line: &str) -> Option<(&str, &str)> {
    let open = line.find('(')?;
    let (before, after) = line.split_at(open);
    let stamp = before.trim();
    if !stamp.is_empty() && !looks_like_timestamp(stamp) {
        return None;
    }
    let inner = after.get(1..)?;
    let close = inner.find(')')?;
    let id = inner.get(..close)?;
    if !looks_like_request_id(id) {
        return None;
    }
    let message = inner.get(close + 1..)?;
    Some((id, message.trim_start_matches([' ', '\t'])))
}

/// `Wed Nov 25 09:04:07 UTC 2026 : MESSAGE` (API Gateway console TestInvoke) → MESSAGE.
fn test_invoke_message(line: &str) -> Option<&str> {
    let (stamp, message) = line.split_once(" : ")?;
    let stamp = stamp.trim();
    let plausible = stamp.len() <= MAX_TIMESTAMP_LEN
        && stamp.starts_with(|c: char| c.is_ascii_alphabetic())
        && stamp.contains(':')
        && stamp.ends_with(|c: char| c.is_ascii_digit());
    plausible.then_some(message)
}

fn looks_like_timestamp(s: &str) -> bool {
    s.len() <= MAX_TIMESTAMP_LEN
        && s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || "-:.+TZ ,\t/".contains(c))
}

fn looks_like_request_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        // Words like "(none)" in a continuation line are not ids; real ids carry digits or dashes.
        && s.chars().any(|c| c.is_ascii_digit() || c == '-')
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn invocation_from(v: &Value) -> Option<InvocationRecord> {
    if !v.is_object() {
        return None;
    }
    Some(InvocationRecord {
        error_type: str_field(v, "errorType"),
        error_message: str_field(v, "errorMessage"),
        exit: str_field(v, "exit"),
        output_tail: v
            .get("outputTail")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn record_from(v: &Value) -> GlassgateRecord {
    let failure = v.get("failure").filter(|f| f.is_object());
    let auth = v.get("authorizer").filter(|a| a.is_object());
    let auth_str = |k: &str| auth.and_then(|a| str_field(a, k));
    GlassgateRecord {
        status: v
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            // glassgate records 0 before a response exists; that is no status.
            .filter(|s| *s != 0),
        layer: failure.and_then(|f| str_field(f, "layer")),
        cause: failure.and_then(|f| str_field(f, "cause")),
        detail: failure.and_then(|f| str_field(f, "detail")),
        auth_cache: auth_str("cache"),
        auth_cache_age_s: auth
            .and_then(|a| a.get("cacheAgeS"))
            .and_then(Value::as_f64),
        auth_method_arn: auth_str("methodArn"),
        auth_cached_for: auth_str("cachedForMethodArn"),
        auth_raw_result: auth_str("rawResult"),
        auth_invocation: auth
            .and_then(|a| a.get("invocation"))
            .and_then(invocation_from),
        invocation: v.get("invocation").and_then(invocation_from),
    }
}
