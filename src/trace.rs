//! The per-request [`Trace`]: the one record every view is rendered from (execution log,
//! JSON log lines, and later the admin API and `explain`).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use time::OffsetDateTime;

use crate::outcome::Failure;

/// A lifecycle stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Route matching.
    Route,
    /// The Lambda authorizer.
    Authorize,
    /// Building and invoking the integration (the backend runs inside it).
    Integrate,
    /// Mapping the outcome to the client response.
    Respond,
}

/// One stage a request went through.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageRecord {
    /// Which stage.
    pub stage: Stage,
    /// Offset from the start of the request, in ms.
    pub start_ms: f64,
    /// How long it took, in ms.
    pub duration_ms: f64,
    /// What it ended in, in a few words.
    pub result: Cow<'static, str>,
}

/// What we saw of the Lambda invocation behind the integration.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationFacts {
    /// Function logical id.
    pub function: String,
    /// Lambda request id.
    pub lambda_request_id: String,
    /// Whether a process was started for it.
    pub cold_start: bool,
    /// Handler time in ms.
    pub duration_ms: f64,
    /// Time the invocation waited for a free process, in ms.
    pub queue_wait_ms: f64,
    /// What the pool decided when no process was idle: why it waited, or why it started one
    /// (words, so that the trace does not depend on the Lambda service's types).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// Process id.
    pub pid: Option<u32>,
    /// `errorType`, when it failed.
    pub error_type: Option<String>,
    /// `errorMessage`, when it failed.
    pub error_message: Option<String>,
    /// How the process ended, when it did.
    pub exit: Option<String>,
    /// The last lines the process printed, when it failed.
    pub output_tail: Vec<String>,
    /// The raw payload it returned (truncated).
    pub raw_response: Option<String>,
    /// The event it was sent (up to 64 KB), raw: never serialized with the trace (it holds
    /// the request's headers); the admin API shows it masked.
    #[serde(skip)]
    pub event: Option<KeptBody>,
}

/// What we saw of the authorizer stage.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerFacts {
    /// Authorizer name.
    pub name: String,
    /// `TOKEN` or `REQUEST`.
    pub kind: &'static str,
    /// Function logical id.
    pub function: String,
    /// Mode it ran in (`normal` unless changed).
    pub mode: &'static str,
    /// Identity values, masked.
    pub identity: Vec<String>,
    /// The method ARN of this request.
    pub method_arn: std::sync::Arc<str>,
    /// `hit`, `miss`, `disabled` (TTL 0), or `not-consulted` (the request failed on its
    /// identity before the lookup).
    pub cache: &'static str,
    /// Age of the cache entry on a hit, in seconds.
    pub cache_age_s: Option<f64>,
    /// The cache entry this request looked up, when the cache was consulted (the admin API
    /// flushes it by this id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_entry: Option<crate::ids::EntryId>,
    /// Effective TTL in seconds.
    pub ttl_s: u64,
    /// On a hit: the method ARN the cached policy was issued for.
    pub cached_for_method_arn: Option<std::sync::Arc<str>>,
    /// The raw result, as the function returned it (secrets masked).
    pub raw_result: Option<String>,
    /// `principalId`.
    pub principal_id: Option<String>,
    /// The policy, one line per statement.
    pub policy: std::sync::Arc<[String]>,
    /// The statements those lines summarise (shared with the cached result), for the admin
    /// API's policy check.
    #[serde(skip)]
    pub statements: std::sync::Arc<[crate::iam_policy::Statement]>,
    /// `allow`, `explicit-deny` or `implicit-deny`, when a policy was evaluated.
    pub decision: Option<&'static str>,
    /// Authorizer latency in ms (0 on a cache hit).
    pub latency_ms: f64,
    /// The authorizer's invocation, when it ran.
    pub invocation: Option<InvocationFacts>,
}

/// One execution-log line.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The message, in API Gateway's words (most lines are formatted; the fixed ones are not
    /// copied).
    pub message: Cow<'static, str>,
}

/// What happened to a request, for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// One or two sentences: who answered, why, and whether the backend ran.
    pub summary: String,
    /// Concrete things to try.
    pub next_steps: Vec<String>,
}

/// Who took a CORS preflight (an `OPTIONS` with `Origin` and `Access-Control-Request-Method`)
/// to an HTTP API that has a `CorsConfiguration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preflight {
    /// The gateway answered it from the `CorsConfiguration`: no route matches `OPTIONS`.
    Answered,
    /// A route that matches `OPTIONS` (`$default`, `ANY /{proxy+}`, an `OPTIONS` route) took
    /// it, authorizer included, before the `CorsConfiguration` could answer.
    Routed,
}

/// Everything about one request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// `x-amzn-RequestId`.
    pub request_id: String,
    /// `x-amz-apigw-id`.
    pub extended_request_id: String,
    /// When the request arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// The API (logical id) that served it.
    pub api: Option<String>,
    /// Its stage.
    pub stage: Option<String>,
    /// REST or HTTP: the product whose answers (bodies, id headers) the request got; `None`
    /// when no API judged it (a template with no API).
    pub flavor: Option<crate::model::ApiKind>,
    /// For a CORS preflight to an HTTP API with `CorsConfiguration`: who took it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preflight: Option<Preflight>,
    /// `METHOD /resource` of the matched route.
    pub route: Option<String>,
    /// Stages in order.
    pub stages: Vec<StageRecord>,
    /// The authorizer stage, if the route has an authorizer.
    pub authorizer: Option<AuthorizerFacts>,
    /// The Lambda invocation, if one ran.
    pub invocation: Option<InvocationFacts>,
    /// The upstream exchange of an `HTTP_PROXY` integration, if one was attempted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamFacts>,
    /// Final status code.
    pub status: u16,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
    /// Total gateway latency in ms.
    pub latency_ms: f64,
    /// The execution log.
    pub log: Vec<LogLine>,
    /// What went wrong, in plain words, when something did.
    pub diagnosis: Option<Diagnosis>,
    /// The stage's access log line for this request, when the stage has an access log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log: Option<String>,
    /// The request id this request replays (admin API replay), `None` for a client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay_of: Option<String>,
    /// What the client sent and got, raw: never serialized with the trace (header values
    /// carry secrets); the admin API shows it masked and replays it.
    #[serde(skip)]
    pub exchange: Option<Arc<Exchange>>,
    #[serde(skip)]
    start: Option<Instant>,
}

/// How much of a request or response body a trace keeps.
pub const KEPT_BODY: usize = 64 * 1024;

/// A body as kept with a trace: at most [`KEPT_BODY`] bytes of it.
#[derive(Debug, Clone, Default)]
pub struct KeptBody {
    /// The kept bytes.
    pub bytes: Bytes,
    /// The size of the whole body.
    pub len: usize,
}

impl KeptBody {
    /// Keep `body`: shared when small, a copy of its start when large (a slice would keep
    /// the whole buffer alive in the ring).
    pub fn keep(body: &Bytes) -> KeptBody {
        let bytes = if body.len() > KEPT_BODY {
            Bytes::copy_from_slice(&body[..KEPT_BODY])
        } else {
            body.clone()
        };
        KeptBody {
            bytes,
            len: body.len(),
        }
    }

    /// Whether part of the body was not kept.
    pub fn truncated(&self) -> bool {
        self.len > self.bytes.len()
    }
}

/// The request as it entered the lifecycle (the gateway's forwarding headers included).
#[derive(Debug, Clone)]
pub struct ClientRequest {
    /// Method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: Option<String>,
    /// Headers, raw, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: KeptBody,
    /// Client address.
    pub source_ip: std::net::IpAddr,
    /// Port the request arrived on.
    pub local_port: u16,
    /// `HTTP/1.1`, `HTTP/1.0`.
    pub protocol: &'static str,
}

/// The response the lifecycle gave (the gateway's id and diagnosis headers are added when
/// it is sent, and again when it is shown).
#[derive(Debug, Clone)]
pub struct ClientResponse {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: KeptBody,
}

/// What the client sent and got.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request.
    pub request: ClientRequest,
    /// The response.
    pub response: ClientResponse,
}

/// What an `HTTP_PROXY` integration sent and got.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamFacts {
    /// The method sent.
    pub method: String,
    /// The URL sent to.
    pub url: String,
    /// The upstream's status, when it answered.
    pub status: Option<u16>,
    /// Until the response headers arrived (connect included), in ms.
    pub first_byte_ms: Option<f64>,
    /// The whole exchange, in ms.
    pub total_ms: f64,
    /// The response body's size.
    pub response_bytes: usize,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

impl Trace {
    /// Start a trace for a request.
    pub fn start(
        request_id: &str,
        extended_request_id: &str,
        method: &str,
        path: &str,
        received_at: OffsetDateTime,
    ) -> Self {
        Trace {
            request_id: request_id.to_owned(),
            extended_request_id: extended_request_id.to_owned(),
            received_at,
            method: method.to_owned(),
            path: path.to_owned(),
            api: None,
            stage: None,
            flavor: None,
            preflight: None,
            route: None,
            stages: Vec::new(),
            authorizer: None,
            invocation: None,
            upstream: None,
            status: 0,
            failure: None,
            latency_ms: 0.0,
            log: Vec::new(),
            diagnosis: None,
            access_log: None,
            replay_of: None,
            exchange: None,
            start: Some(Instant::now()),
        }
    }

    /// Append an execution-log line.
    pub fn log(&mut self, message: impl Into<Cow<'static, str>>) {
        // The arrival time plus the monotonic time since: a request writes about twenty lines,
        // and this costs a fraction of reading the wall clock and converting it each time
        // (and the lines of one request cannot go back in time).
        let time = match self.start {
            Some(start) => self.received_at + start.elapsed(),
            None => OffsetDateTime::now_utc(),
        };
        self.log.push(LogLine {
            time,
            message: message.into(),
        });
    }

    /// Record a finished stage that began at `began`.
    pub fn stage(&mut self, stage: Stage, began: Instant, result: impl Into<Cow<'static, str>>) {
        let origin = self.start.unwrap_or(began);
        self.stages.push(StageRecord {
            stage,
            start_ms: ms(began.saturating_duration_since(origin)),
            duration_ms: ms(began.elapsed()),
            result: result.into(),
        });
    }

    /// Close the trace with the final status.
    pub fn finish(&mut self, status: u16, failure: Option<Failure>) {
        self.status = status;
        self.failure = failure;
        if let Some(s) = self.start {
            self.latency_ms = ms(s.elapsed());
        }
    }

    /// Rewrite every log message and quoted payload with `f` (used to mask secrets).
    ///
    /// `f` answers `Cow::Borrowed` for text it leaves alone, so untouched lines are not copied.
    pub fn redact(&mut self, f: impl Fn(&str) -> Cow<'_, str>) {
        let fix = |s: &mut String| {
            if let Cow::Owned(new) = f(s) {
                *s = new;
            }
        };
        for l in &mut self.log {
            if let Cow::Owned(new) = f(&l.message) {
                l.message = Cow::Owned(new);
            }
        }
        let fix_inv = |inv: &mut InvocationFacts| {
            if let Some(raw) = &mut inv.raw_response {
                fix(raw);
            }
            for line in &mut inv.output_tail {
                fix(line);
            }
        };
        if let Some(inv) = &mut self.invocation {
            fix_inv(inv);
        }
        if let Some(a) = &mut self.authorizer {
            if let Some(inv) = &mut a.invocation {
                fix_inv(inv);
            }
            if let Some(raw) = &mut a.raw_result {
                fix(raw);
            }
        }
    }

    /// The execution log as CloudWatch exports it: `TIMESTAMP (REQUEST_ID) MESSAGE`, then one
    /// glassgate summary line with the outcome, the failing layer and cause, and stage timings.
    pub fn render_text(&self) -> String {
        // Runs for every request with the default `--log-format text`: one buffer, and the
        // date and time formatted once per second rather than once per line.
        let mut out = String::with_capacity(
            self.log
                .iter()
                .map(|l| l.message.len() + self.request_id.len() + 40)
                .sum::<usize>()
                + 256,
        );
        let mut clock = Rfc3339::default();
        for l in &self.log {
            clock.push(&mut out, l.time);
            out.push_str(" (");
            out.push_str(&self.request_id);
            out.push_str(") ");
            out.push_str(&l.message);
            out.push('\n');
        }
        // The summary line is stamped with the moment the request finished.
        // (`try_`: a latency that is not a finite, positive number must not panic a render.)
        let finished = self.received_at
            + Duration::try_from_secs_f64(self.latency_ms / 1000.0).unwrap_or_default();
        clock.push(&mut out, finished);
        out.push_str(&format!(
            " ({}) glassgate: {} {} -> {}",
            self.request_id, self.method, self.path, self.status
        ));
        if let Some(r) = &self.route {
            out.push_str(&format!(" route=\"{r}\""));
        }
        match &self.failure {
            Some(f) => out.push_str(&format!(" layer={} cause={}", f.layer, f.cause)),
            None => out.push_str(" layer=backend"),
        }
        out.push_str(&format!(" latency={}ms stages=", self.latency_ms));
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|s| format!("{:?}:{}ms", s.stage, s.duration_ms).to_lowercase())
            .collect();
        out.push_str(&stages.join(","));
        out.push('\n');
        out
    }

    /// The whole trace as one JSON line.
    pub fn render_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default() + "\n"
    }
}

/// RFC 3339 timestamps exactly as the `time` crate writes them (UTC as `Z`, nanoseconds with
/// trailing zeros trimmed, no fraction when there is none), with the part up to the seconds
/// reused while the second does not change.
#[derive(Default)]
struct Rfc3339 {
    second: Option<i64>,
    prefix: String,
}

impl Rfc3339 {
    fn push(&mut self, out: &mut String, t: OffsetDateTime) {
        if !t.offset().is_utc() {
            out.push_str(
                &t.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            );
            return;
        }
        let second = t.unix_timestamp();
        if self.second != Some(second) {
            self.prefix = t
                .replace_nanosecond(0)
                .ok()
                .and_then(|whole| {
                    whole
                        .format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map(|s| s.trim_end_matches('Z').to_owned())
                .unwrap_or_default();
            self.second = Some(second);
        }
        out.push_str(&self.prefix);
        let nanos = t.nanosecond();
        if nanos > 0 {
            let digits = format!("{nanos:09}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        out.push('Z');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_the_time_crate_to_the_byte() {
        let base = time::macros::datetime!(2026-11-25 23:59:58 UTC);
        let mut clock = Rfc3339::default();
        // Whole seconds, trailing zeros, every digit, a second boundary, a year boundary.
        let offsets_ns: [i64; 9] = [
            0,
            40_000_000,
            25_424_650,
            999_999_999,
            1_000_000_000,
            1_000_000_001,
            1_500_000_000,
            2_000_000_007,
            86_400 * 37 * 1_000_000_000 + 123_456_789,
        ];
        for ns in offsets_ns {
            let t = base + time::Duration::nanoseconds(ns);
            let mut ours = String::new();
            clock.push(&mut ours, t);
            let theirs = t
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            assert_eq!(ours, theirs, "{ns} ns after {base}");
        }
    }

    #[test]
    fn the_summary_line_is_stamped_when_the_request_finished() {
        let received = time::macros::datetime!(2026-11-25 12:00:00 UTC);
        let mut t = Trace::start("r-1", "e", "GET", "/x", received);
        t.latency_ms = 12.5;
        t.status = 200;
        let text = t.render_text();
        assert!(
            text.starts_with("2026-11-25T12:00:00.0125Z (r-1) glassgate: GET /x -> 200"),
            "{text}"
        );
        t.latency_ms = f64::NAN;
        assert!(t.render_text().starts_with("2026-11-25T12:00:00Z (r-1)"));
    }
}
