//! What one request's execution-log messages say, as named facts.
//!
//! Input: a request's messages (aws-semantics.md §9.1 wordings). Output: [`Facts`], each fact
//! keeping the message it came from so the report can quote it as evidence.

/// The facts of one request; `Option<String>` fields hold the message that established them.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub auth_started: Option<String>,
    pub identity: Option<String>,
    /// The authorizer's event, which carries the `methodArn` the policy is checked against.
    pub auth_request_body: Option<String>,
    /// `Sending request to …` in the authorizer phase: the authorizer function was invoked.
    pub auth_sent: Option<String>,
    /// The raw authorizer result, without the message prefix.
    pub auth_result: Option<String>,
    pub auth_valid_policy: Option<String>,
    pub auth_completed: Option<String>,
    pub auth_invalid_json: Option<String>,
    pub auth_error: Option<String>,
    pub auth_role_permission: Option<String>,
    pub auth_lambda_permission: Option<String>,
    pub auth_config_exception: Option<String>,
    pub deny: Option<String>,
    /// Gateway response line: (type, status, message).
    pub gateway_response: Option<(String, Option<u16>, String)>,
    pub method_started: Option<String>,
    pub http_method: Option<String>,
    pub received: Option<String>,
    pub endpoint_body: Option<String>,
    pub lambda_failed: Option<String>,
    pub malformed_proxy: Option<String>,
    pub timeout: Option<String>,
    /// `Lambda invocation failed with status: 429`.
    pub throttled: Option<String>,
    /// `Execution failed due to configuration error: Rate Exceeded.`, its companion line.
    pub rate_exceeded: Option<String>,
    pub integration_permission: Option<String>,
    /// Any other `Execution failed due to …` line, for requests none of the above explains.
    pub other_failure: Option<String>,
    pub completed: Option<String>,
    pub method_status: Option<u16>,
    pub summary_line: Option<SummaryLine>,
}

/// glassgate's own closing line: `glassgate: GET /x -> 502 route="GET /x" layer=… cause=…`.
#[derive(Debug, Default, Clone)]
pub(crate) struct SummaryLine {
    pub message: String,
    pub status: Option<u16>,
    pub layer: Option<String>,
    pub cause: Option<String>,
}

const CONFIG_ERROR: &str = "Execution failed due to configuration error: ";

impl Facts {
    pub(crate) fn read(messages: &[String]) -> Facts {
        let mut f = Facts::default();
        for m in messages {
            f.take(m);
        }
        f
    }

    /// Whether the method phase (after the authorizer) had begun when a line was seen: several
    /// texts (`Sending request to`, `Invalid permissions on Lambda function`) occur in both.
    pub(crate) fn in_method_phase(&self) -> bool {
        self.method_started.is_some() || self.http_method.is_some()
    }

    /// The closing line, rebuilt for evidence from the parsed status.
    pub(crate) fn completed_line(&self) -> Option<String> {
        self.method_status
            .map(|s| format!("Method completed with status: {s}"))
    }

    /// Whether the log shows the authorizer function being invoked (rather than a cache hit or
    /// an identity check that stopped before the call).
    pub(crate) fn authorizer_invoked(&self) -> bool {
        self.auth_sent.is_some()
            || self.auth_result.is_some()
            || self.auth_request_body.is_some()
            || self.auth_error.is_some()
            || self.auth_invalid_json.is_some()
    }

    fn take(&mut self, m: &str) {
        let t = m.trim();
        let set = |slot: &mut Option<String>| {
            if slot.is_none() {
                *slot = Some(t.to_owned());
            }
        };
        if t.starts_with("glassgate: ") {
            if let Some(s) = parse_summary_line(t) {
                self.summary_line = Some(s);
            }
        } else if t.starts_with("Starting authorizer:") {
            set(&mut self.auth_started);
        } else if t.starts_with("Incoming identity:") {
            set(&mut self.identity);
        } else if let Some(body) = t.strip_prefix("Endpoint request body after transformations:") {
            if !self.in_method_phase()
                && self.auth_started.is_some()
                && self.auth_request_body.is_none()
            {
                self.auth_request_body = Some(body.trim().to_owned());
            }
        } else if t.starts_with("Sending request to") {
            if !self.in_method_phase() && self.auth_started.is_some() {
                set(&mut self.auth_sent);
            }
        } else if let Some(raw) = t.strip_prefix("Authorizer result body before parsing:") {
            if self.auth_result.is_none() {
                self.auth_result = Some(raw.trim().to_owned());
            }
        } else if t.starts_with("Using valid authorizer policy for principal") {
            set(&mut self.auth_valid_policy);
        } else if t.starts_with("Successfully completed authorizer execution") {
            set(&mut self.auth_completed);
        } else if let Some(rest) = t.strip_prefix(CONFIG_ERROR) {
            self.take_config_error(t, rest);
        } else if t.starts_with("Execution failed due to a timeout error") {
            set(&mut self.timeout);
        } else if t.starts_with("Execution failed due to") {
            set(&mut self.other_failure);
        } else if t == "AuthorizerConfigurationException" {
            set(&mut self.auth_config_exception);
        } else if let Some(rest) = t.strip_prefix("Gateway response type:") {
            if self.gateway_response.is_none() {
                let (kind, status) = parse_gateway_response(rest);
                self.gateway_response = Some((kind, status, t.to_owned()));
            }
        } else if t.starts_with("The client is not authorized to perform this operation") {
            set(&mut self.deny);
        } else if t.starts_with("Starting execution for request") {
            set(&mut self.method_started);
        } else if t.starts_with("HTTP Method:") {
            set(&mut self.http_method);
        } else if t.starts_with("Received response.") {
            set(&mut self.received);
        } else if let Some(body) = t.strip_prefix("Endpoint response body before transformations:")
        {
            if self.endpoint_body.is_none() {
                self.endpoint_body = Some(body.trim().to_owned());
            }
        } else if t.starts_with("Lambda execution failed with status") {
            set(&mut self.lambda_failed);
        } else if t.starts_with("Lambda invocation failed with status: 429") {
            set(&mut self.throttled);
        } else if t.starts_with("Successfully completed execution") {
            set(&mut self.completed);
        } else if let Some(rest) = t.strip_prefix("Method completed with status:") {
            if let Ok(s) = rest.trim().parse::<u16>() {
                self.method_status = Some(s);
            }
        }
    }

    fn take_config_error(&mut self, line: &str, rest: &str) {
        let slot = if rest.starts_with("Invalid JSON in response") {
            &mut self.auth_invalid_json
        } else if rest.starts_with("Authorizer error") {
            &mut self.auth_error
        } else if rest.starts_with("API Gateway does not have permission to assume") {
            &mut self.auth_role_permission
        } else if rest.starts_with("Invalid permissions on Lambda function") {
            if self.in_method_phase() || self.auth_started.is_none() {
                &mut self.integration_permission
            } else {
                &mut self.auth_lambda_permission
            }
        } else if rest.starts_with("Malformed Lambda proxy response") {
            &mut self.malformed_proxy
        } else if rest.starts_with("Rate Exceeded") {
            &mut self.rate_exceeded
        } else {
            &mut self.other_failure
        };
        if slot.is_none() {
            *slot = Some(line.to_owned());
        }
    }
}

/// `" UNAUTHORIZED with status code: 401"` → (`UNAUTHORIZED`, 401).
fn parse_gateway_response(rest: &str) -> (String, Option<u16>) {
    let rest = rest.trim();
    let (kind, status) = match rest.split_once(" with status code:") {
        Some((k, s)) => (k, s.trim().parse::<u16>().ok()),
        None => (rest, None),
    };
    (kind.trim().to_owned(), status)
}

/// Parse glassgate's summary line; `None` for other `glassgate:` notes (bypass mode and such).
fn parse_summary_line(t: &str) -> Option<SummaryLine> {
    let rest = t.strip_prefix("glassgate: ")?;
    let (_, after_arrow) = rest.split_once(" -> ")?;
    let mut words = after_arrow.splitn(2, ' ');
    let status = words.next().and_then(|s| s.trim().parse::<u16>().ok());
    let mut out = SummaryLine {
        message: t.to_owned(),
        status,
        ..Default::default()
    };
    for (k, v) in key_values(words.next().unwrap_or("")) {
        match k {
            "layer" => out.layer = Some(v),
            "cause" => out.cause = Some(v),
            _ => {}
        }
    }
    Some(out)
}

/// `k=v k2="v w"` pairs; quoted values may hold spaces (the route key does).
fn key_values(s: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while let Some(eq) = rest.find('=') {
        let key = rest.get(..eq).unwrap_or("").trim();
        let after = rest.get(eq + 1..).unwrap_or("");
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (
                    q.get(..end).unwrap_or("").to_owned(),
                    q.get(end + 1..).unwrap_or(""),
                ),
                None => (q.to_owned(), ""),
            }
        } else {
            match after.find(' ') {
                Some(end) => (
                    after.get(..end).unwrap_or("").to_owned(),
                    after.get(end..).unwrap_or(""),
                ),
                None => (after.to_owned(), ""),
            }
        };
        // A key with spaces means the text was not a key=value list after all.
        if !key.is_empty() && !key.contains(' ') {
            out.push((key, value));
        }
        rest = next.trim_start();
    }
    out
}
