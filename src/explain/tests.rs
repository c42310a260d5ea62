//! `explain` read like a spec: one execution-log sample per failure, what it must be diagnosed
//! as, and the words the summary must use.

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/execution-logs/", $name))
    };
}

fn only(text: &str) -> RequestReport {
    let mut reports = explain_log(text).expect("the sample has log lines");
    assert_eq!(reports.len(), 1, "one request expected: {reports:#?}");
    reports.remove(0)
}

fn find<'a>(reports: &'a [RequestReport], id: &str) -> &'a RequestReport {
    reports
        .iter()
        .find(|r| r.request_id == id)
        .unwrap_or_else(|| panic!("no report for {id}: {reports:#?}"))
}

#[track_caller]
fn check(r: &RequestReport, status: u16, layer: Layer, cause: Option<&str>, words: &[&str]) {
    assert_eq!(r.status, Some(status), "status of {r:#?}");
    assert_eq!(r.layer, Some(layer), "layer of {r:#?}");
    assert_eq!(r.cause.as_deref(), cause, "cause of {r:#?}");
    for w in words {
        assert!(r.summary.contains(w), "summary lacks {w:?}: {}", r.summary);
    }
    if cause.is_some() {
        assert!(!r.evidence.is_empty(), "no evidence: {r:#?}");
        assert!(
            (1..=3).contains(&r.next_steps.len()),
            "1-3 next steps: {r:#?}"
        );
    }
    assert!(r.evidence.iter().all(|e| e.chars().count() <= 300));
}

fn evidence_has(r: &RequestReport, needle: &str) -> bool {
    r.evidence.iter().any(|e| e.contains(needle))
}

// ---- authorizer ----

#[test]
fn authorizer_timeout_without_result_body_is_an_authorizer_error() {
    let r = only(fixture!("authorizer-timeout.log"));
    check(
        &r,
        500,
        Layer::Authorizer,
        Some("authorizer-error"),
        &[
            "500 from the authorizer",
            "not exactly \"Unauthorized\"",
            "timed out",
            "{\"message\":null}",
            "backend never ran",
        ],
    );
    assert!(evidence_has(&r, "Authorizer error"));
    assert!(r.next_steps.iter().any(|s| s.contains("`Unauthorized`")));
    assert_eq!(r.request_id, "3f1c9a2e-7b44-4d1a-9e0f-1a2b3c4d5e01");
    assert_eq!(r.lines, 10);
}

#[test]
fn authorizer_crash_in_a_tab_separated_console_copy() {
    let r = only(fixture!("authorizer-crash.log"));
    check(
        &r,
        500,
        Layer::Authorizer,
        Some("authorizer-error"),
        &["crashed"],
    );
    assert!(evidence_has(&r, "AUTHORIZER_CONFIGURATION_ERROR"));
}

#[test]
fn invalid_json_result_is_malformed() {
    let r = only(fixture!("authorizer-invalid-json.log"));
    check(
        &r,
        500,
        Layer::Authorizer,
        Some("authorizer-malformed-response"),
        &["not a valid authorizer response"],
    );
    assert!(evidence_has(&r, "authorizer result: allow"));
    // The Jackson location continues on the next line; it belongs to the same message.
    assert!(evidence_has(&r, "line: 1, column: 6"));
}

#[test]
fn nested_context_is_invalid_context() {
    let r = only(fixture!("authorizer-nested-context.log"));
    check(
        &r,
        500,
        Layer::Authorizer,
        Some("authorizer-invalid-context"),
        &["context", "nested object or array"],
    );
    assert!(
        r.next_steps
            .iter()
            .any(|s| s.contains("strings, numbers or booleans"))
    );
    assert!(evidence_has(&r, "\"roles\":[\"admin\""));
}

#[test]
fn http_style_authorizer_response_is_named() {
    let r = only(fixture!("authorizer-http-style.log"));
    check(
        &r,
        500,
        Layer::Authorizer,
        Some("authorizer-malformed-response"),
        &["HTTP-style response", "statusCode"],
    );
    assert!(
        r.next_steps
            .iter()
            .any(|s| s.contains("principalId, policyDocument, context, usageIdentifierKey"))
    );
}

#[test]
fn role_permission_error() {
    let r = only(fixture!("authorizer-role-permission.log"));
    check(
        &r,
        500,
        Layer::Authorizer,
        Some("authorizer-permission"),
        &["could not invoke the authorizer", "role"],
    );
    assert!(evidence_has(&r, "apigw-authorizer-invoke"));
    assert!(r.next_steps.iter().any(|s| s.contains("glassgate")));
}

#[test]
fn authorizer_lambda_permission_error() {
    let r = only(fixture!("authorizer-lambda-permission.log"));
    check(
        &r,
        500,
        Layer::Authorizer,
        Some("authorizer-permission"),
        &["lambda:InvokeFunction"],
    );
}

#[test]
fn explicit_deny_is_read_from_the_result_body() {
    let r = only(fixture!("explicit-deny.log"));
    check(
        &r,
        403,
        Layer::Authorizer,
        Some("policy-explicit-deny"),
        &["explicit deny", "Deny statement"],
    );
    assert!(evidence_has(
        &r,
        "authorizer result: {\"principalId\":\"user-42\""
    ));
}

#[test]
fn implicit_deny_with_result_body() {
    let r = only(fixture!("implicit-deny.log"));
    check(
        &r,
        403,
        Layer::Authorizer,
        Some("policy-not-covered"),
        &[
            "implicit deny",
            "does not allow this method ARN",
            "/prod/POST/pets",
        ],
    );
}

#[test]
fn deny_without_invocation_is_the_cache_trap() {
    let r = only(fixture!("cached-deny.log"));
    check(
        &r,
        403,
        Layer::Authorizer,
        Some("cached-policy-not-covered"),
        &[
            "served from the authorizer cache",
            "cached for another method/path",
        ],
    );
    assert!(r.next_steps.iter().any(|s| s.contains("wildcard")));
    assert!(r.next_steps.iter().any(|s| s.contains("TTL to 0")));
}

#[test]
fn unauthorized_after_an_invocation() {
    let r = only(fixture!("authorizer-unauthorized.log"));
    check(
        &r,
        401,
        Layer::Authorizer,
        Some("authorizer-unauthorized"),
        &["exactly \"Unauthorized\""],
    );
}

#[test]
fn unauthorized_without_an_invocation_is_missing_identity() {
    let r = only(fixture!("missing-identity.log"));
    check(
        &r,
        401,
        Layer::Authorizer,
        Some("identity-missing"),
        &[
            "identity source was missing",
            "without running the authorizer",
        ],
    );
}

// ---- method phase ----

#[test]
fn handler_error() {
    let r = only(fixture!("handler-error.log"));
    check(
        &r,
        502,
        Layer::Backend,
        Some("handler-error"),
        &[
            "502 from the backend",
            "raised an error",
            "Cannot read properties of undefined",
        ],
    );
    assert!(evidence_has(
        &r,
        "function response: {\"errorType\":\"TypeError\""
    ));
}

#[test]
fn a_non_proxy_error_mapped_to_200_is_named() {
    let r = only(fixture!("non-proxy-error-mapped-to-200.log"));
    check(
        &r,
        200,
        Layer::Backend,
        Some("handler-error"),
        &[
            "200 from the backend",
            "Lambda non-proxy integration",
            "instead of an error",
        ],
    );
    assert!(r.next_steps.iter().any(|s| s.contains("selectionPattern")));
}

#[test]
fn handler_timeout() {
    let r = only(fixture!("handler-timeout.log"));
    check(
        &r,
        502,
        Layer::Backend,
        Some("handler-timeout"),
        &["function timeout"],
    );
}

#[test]
fn handler_crash_without_timestamps() {
    let r = only(fixture!("handler-crash.log"));
    check(
        &r,
        502,
        Layer::Backend,
        Some("handler-crash"),
        &["process exited", "signal: killed"],
    );
}

#[test]
fn handler_init_error() {
    let r = only(fixture!("handler-init-error.log"));
    check(
        &r,
        502,
        Layer::Backend,
        Some("handler-init-error"),
        &["failed to initialise", "No module named 'requests'"],
    );
}

#[test]
fn malformed_proxy_response_lists_the_contract() {
    let r = only(fixture!("malformed-proxy.log"));
    check(
        &r,
        502,
        Layer::Backend,
        Some("malformed-proxy-response"),
        &[
            "statusCode",
            "headers",
            "multiValueHeaders",
            "body",
            "isBase64Encoded",
        ],
    );
    assert!(evidence_has(&r, "{\"status\":200"));
}

#[test]
fn integration_timeout() {
    let r = only(fixture!("integration-timeout.log"));
    check(
        &r,
        504,
        Layer::Integration,
        Some("integration-timeout"),
        &["integration timeout", "29 s", "may still be running"],
    );
}

#[test]
fn throttling() {
    let r = only(fixture!("throttled.log"));
    check(
        &r,
        500,
        Layer::Integration,
        Some("throttled"),
        &["throttled", "429"],
    );
}

#[test]
fn integration_permission() {
    let r = only(fixture!("integration-permission.log"));
    check(
        &r,
        500,
        Layer::Integration,
        Some("integration-permission"),
        &["lambda:InvokeFunction", "never ran"],
    );
}

#[test]
fn missing_route_both_forms() {
    let reports = explain_log(fixture!("missing-route.log")).expect("lines");
    assert_eq!(reports.len(), 2);
    for r in &reports {
        check(
            r,
            403,
            Layer::Route,
            Some("no-route"),
            &["no resource/method matched: check the path, the method and the stage in the URL"],
        );
    }
}

#[test]
fn success() {
    let r = only(fixture!("success.log"));
    check(&r, 200, Layer::Backend, None, &["the backend answered 200"]);
    assert!(r.ok());
    assert!(r.next_steps.is_empty());
}

// ---- several requests, other formats ----

#[test]
fn interleaved_requests_keep_first_seen_order() {
    let reports = explain_log(fixture!("multi-request.log")).expect("lines");
    let ids: Vec<&str> = reports.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "a1f0e2d3-c4b5-4a69-8788-99aabbccdd01",
            "b2e1f3a4-d5c6-4b7a-9899-aabbccddee02",
            "c3d2a4b5-e6d7-4c8b-8a9a-bbccddeeff03",
            "d4e3b5c6-f7e8-4d9c-9bab-ccddeeff0004",
        ]
    );
    check(
        &reports[0],
        200,
        Layer::Backend,
        None,
        &["the backend answered 200"],
    );
    check(
        &reports[1],
        502,
        Layer::Backend,
        Some("handler-error"),
        &["name is required"],
    );
    check(
        &reports[2],
        403,
        Layer::Authorizer,
        Some("cached-policy-not-covered"),
        &["authorizer cache"],
    );
    check(
        &reports[3],
        504,
        Layer::Integration,
        Some("integration-timeout"),
        &["integration timeout"],
    );
    let out = render(&reports);
    assert!(out.ends_with("4 request(s): 1 ok, 3 failed\n"), "{out}");
    assert!(out.contains(
        "Request b2e1f3a4-d5c6-4b7a-9899-aabbccddee02: 502 from the backend (cause: handler-error)\n  502 from the backend: the handler raised"
    ));
}

#[test]
fn filter_log_events_json_document() {
    let reports = explain_log(fixture!("filter-log-events.json")).expect("events");
    assert_eq!(reports.len(), 2);
    let auth = find(&reports, "e5f4c6d7-a8f9-4eab-8cbc-ddeeff001105");
    check(
        auth,
        500,
        Layer::Authorizer,
        Some("authorizer-malformed-response"),
        &["HTTP-style"],
    );
    let ok = find(&reports, "f6a5d7e8-b9a0-4fbc-9dcd-eeff00112206");
    check(ok, 200, Layer::Backend, None, &["the backend answered 200"]);
}

#[test]
fn filter_log_events_bare_array() {
    let doc: serde_json::Value =
        serde_json::from_str(fixture!("filter-log-events.json")).expect("json");
    let events = serde_json::to_string(&doc["events"]).expect("json");
    let reports = explain_log(&events).expect("events");
    assert_eq!(reports.len(), 2);
    assert_eq!(
        reports[0].cause.as_deref(),
        Some("authorizer-malformed-response")
    );
}

#[test]
fn json_lines_of_events() {
    let reports = explain_log(fixture!("events.jsonl")).expect("events");
    assert_eq!(reports.len(), 2);
    // The Deny covers …/prod/*/admin/*, and the logged methodArn is …/prod/GET/admin/users.
    check(
        find(&reports, "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c31"),
        403,
        Layer::Authorizer,
        Some("policy-explicit-deny"),
        &["explicit deny"],
    );
    check(
        find(&reports, "1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d42"),
        500,
        Layer::Integration,
        Some("throttled"),
        &["Rate Exceeded"],
    );
}

#[test]
fn glassgate_json_records_use_the_structured_fields() {
    let reports = explain_log(fixture!("glassgate.jsonl")).expect("records");
    assert_eq!(reports.len(), 4);
    let handler = &reports[0];
    check(
        handler,
        502,
        Layer::Backend,
        Some("handler-error"),
        &["'id'"],
    );
    assert!(evidence_has(handler, "handler error: KeyError: 'id'"));
    assert!(evidence_has(handler, "handler output: KeyError: 'id'"));

    let cached = &reports[1];
    check(
        cached,
        403,
        Layer::Authorizer,
        Some("cached-policy-not-covered"),
        &["local/prod/GET/pets"],
    );
    assert!(evidence_has(cached, "authorizer cache: hit, 42 s old"));

    // glassgate knows more than AWS's text: the token passes through.
    let crash = &reports[2];
    check(
        crash,
        500,
        Layer::Authorizer,
        Some("authorizer-crash"),
        &["process exited"],
    );
    assert!(evidence_has(
        crash,
        "authorizer process exit: signal 9 (SIGKILL)"
    ));
    assert!(evidence_has(crash, "authorizer output: MemoryError"));

    check(
        &reports[3],
        200,
        Layer::Backend,
        None,
        &["the backend answered 200"],
    );
}

#[test]
fn glassgate_text_summary_line_gives_the_cause() {
    let reports = explain_log(fixture!("glassgate-text.log")).expect("lines");
    assert_eq!(reports.len(), 2);
    check(
        &reports[0],
        500,
        Layer::Authorizer,
        Some("authorizer-timeout"),
        &["function timeout"],
    );
    check(
        &reports[1],
        401,
        Layer::Authorizer,
        Some("identity-invalid"),
        &["validation expression"],
    );
}

#[test]
fn summary_line_wins_over_inference() {
    let log = "(0f0f0f0f-0000-4000-8000-000000000001) Method completed with status: 403\n\
               (0f0f0f0f-0000-4000-8000-000000000001) glassgate: GET /a -> 403 layer=authorizer cause=policy-not-covered latency=1ms\n";
    let r = only(log);
    check(
        &r,
        403,
        Layer::Authorizer,
        Some("policy-not-covered"),
        &["implicit deny"],
    );
}

#[test]
fn unknown_glassgate_token_is_reported_as_is() {
    let log = "(0f0f0f0f-0000-4000-8000-000000000002) glassgate: GET /a -> 429 layer=gateway cause=stage-throttled latency=1ms\n";
    let r = only(log);
    assert_eq!(r.cause.as_deref(), Some("stage-throttled"));
    assert_eq!(r.layer, Some(Layer::Gateway));
    assert!(r.summary.contains("stage-throttled"));
}

// ---- rendering ----

#[test]
fn render_block_shape() {
    let r = only(fixture!("handler-error.log"));
    let out = render(std::slice::from_ref(&r));
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(
            "Request 0e1f2a3b-4c5d-4e6f-9a0b-1c2d3e4f5a13: 502 from the backend (cause: handler-error)"
        )
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("  502 from the backend:"))
    );
    assert!(out.contains("\n  Evidence:\n    - Lambda execution failed"));
    assert!(out.contains("\n  Next:\n    - "));
    assert!(out.ends_with("1 request(s): 0 ok, 1 failed\n"));
}

#[test]
fn incomplete_log_is_unclear_not_failed() {
    let log = "2026-11-25T09:00:00Z (0f0f0f0f-0000-4000-8000-000000000003) Starting execution for request: x\n";
    let r = only(log);
    assert_eq!(r.status, None);
    assert_eq!(r.cause, None);
    assert!(r.summary.contains("incomplete"));
    assert!(render(&[r]).ends_with("1 request(s): 0 ok, 0 failed, 1 unclear\n"));
}

#[test]
fn backend_error_status_is_the_backends_own() {
    let log = "(0f0f0f0f-0000-4000-8000-000000000004) Received response. Status: 200, Integration latency: 5 ms\n\
               (0f0f0f0f-0000-4000-8000-000000000004) Successfully completed execution\n\
               (0f0f0f0f-0000-4000-8000-000000000004) Method completed with status: 404\n";
    let r = only(log);
    check(&r, 404, Layer::Backend, None, &["the backend answered 404"]);
    assert!(r.ok());
}

// ---- robustness ----

#[test]
fn garbage_is_an_error() {
    let err = explain_log(fixture!("garbage.txt")).expect_err("no log lines");
    assert_eq!(err, ExplainError::NoLogLines);
    assert!(
        err.to_string()
            .starts_with("no API Gateway execution-log lines found")
    );
}

#[test]
fn empty_and_odd_inputs_do_not_panic() {
    let huge = "x".repeat(2_000_000);
    let huge_msg = format!("(0f0f0f0f-0000-4000-8000-000000000005) {huge}");
    let deep = "[".repeat(100_000);
    let unicode = "(0f0f0f0f-0000-4000-8000-000000000006) Lambda execution failed with status 200 due to customer function error: ünïcødé ✓ 🚀. Lambda request id: x\n";
    let inputs = [
        "",
        "\n\n\n",
        "\u{feff}",
        "(",
        "()",
        "(x)",
        ")(",
        "{",
        "[",
        "{\"events\":[]}",
        "{\"events\":[{\"message\":5}]}",
        "{\"requestId\":\"r-1\",\"log\":5}",
        "{\"requestId\":\"r-1\",\"log\":[{\"message\":null}],\"status\":70000,\"failure\":{\"cause\":7}}",
        "\0\0\0\u{1}\u{2}",
        huge.as_str(),
        huge_msg.as_str(),
        deep.as_str(),
        unicode,
        "(0f0f0f0f-0000-4000-8000-000000000007) glassgate: -> -> layer= cause=\"",
        "(0f0f0f0f-0000-4000-8000-000000000008) Gateway response type:",
        "(0f0f0f0f-0000-4000-8000-000000000009) Authorizer result body before parsing: {\"policyDocument\":{\"Statement\":{\"Effect\":\"Deny\",\"Resource\":\"****************************************a\"}}}\n(0f0f0f0f-0000-4000-8000-000000000009) The client is not authorized to perform this operation.",
    ];
    for input in inputs {
        if let Ok(reports) = explain_log(input) {
            let out = render(&reports);
            assert!(out.ends_with('\n'));
            for r in &reports {
                assert!(r.evidence.iter().all(|e| e.chars().count() <= 300));
            }
        }
    }
    let r = only(unicode);
    assert!(r.summary.contains("ünïcødé ✓ 🚀"));
}

#[test]
fn continuation_before_any_prefix_is_ignored() {
    assert_eq!(
        explain_log("  at line 1\nmore text\n"),
        Err(ExplainError::NoLogLines)
    );
}

// ---- helpers ----

#[test]
fn prefix_forms() {
    use super::parse::split_prefix;
    let id = "588e312c-1c78-4d06-abae-b31e591eeff7";
    for line in [
        format!("2026-11-25T09:04:07.044970529Z ({id}) Method completed with status: 502"),
        format!("2026-11-25T09:04:07.044+00:00\t({id}) Method completed with status: 502"),
        format!("2026-11-25 09:04:07.044 ({id}) Method completed with status: 502"),
        format!("({id}) Method completed with status: 502"),
    ] {
        assert_eq!(
            split_prefix(&line),
            Some((id, "Method completed with status: 502")),
            "{line}"
        );
    }
    assert_eq!(split_prefix("Cannot read (reading 'id')"), None);
    assert_eq!(split_prefix("(none) x"), None);
}

#[test]
fn arn_wildcards() {
    // explain reads logged policies with the gateway's own matcher.
    use crate::iam_policy::wildcard_match as arn_matches;
    let arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets";
    assert!(arn_matches(
        "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*",
        arn
    ));
    assert!(arn_matches(
        "arn:aws:execute-api:*:*:a1b2c3d4e5/prod/*/pets",
        arn
    ));
    assert!(arn_matches(arn, arn));
    assert!(!arn_matches(
        "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/POST/pets",
        arn
    ));
    assert!(!arn_matches(
        "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/*/x",
        arn
    ));
    assert!(arn_matches("*", ""));
    assert!(!arn_matches("a?c", "ac"));
    // A pathological pattern must finish quickly.
    let long = "a".repeat(5_000);
    assert!(!arn_matches(&"*a".repeat(1_000), &(long + "b")));
}

#[test]
fn console_test_invoke_log() {
    let r = only(fixture!("test-invoke.log"));
    assert_eq!(r.request_id, "e1d2c3b4-a596-4877-8899-aabbccddeeff");
    check(
        &r,
        502,
        Layer::Backend,
        Some("malformed-proxy-response"),
        &["proxy response"],
    );
    assert!(evidence_has(
        &r,
        "function response: {   \"status\": \"ok\" }"
    ));
}
