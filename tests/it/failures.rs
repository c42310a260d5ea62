//! Every way a request fails, with the exact status, body and `x-amzn-ErrorType` AWS sends,
//! and the cause recorded in the trace.

use std::time::Duration;

use crate::support::{Gateway, Resp, handlers};

const BAD_GATEWAY: &str = r#"{"message": "Internal server error"}"#;

/// One function per fixture handler, each on `GET /<name>`.
fn template(runtime: &str, code: &std::path::Path, names: &[(&str, &str)], extra: &str) -> String {
    let mut t = String::from("Resources:\n");
    for (i, (path, handler)) in names.iter().enumerate() {
        t.push_str(&format!(
            r#"  Fn{i}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {runtime}
      CodeUri: {code}
      Handler: {handler}
      Timeout: 2
{extra}      Events:
        E:
          Type: Api
          Properties:
            Path: /{path}
            Method: get
"#,
            code = code.display()
        ));
    }
    t
}

fn assert_502(r: &Resp) {
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.text(), BAD_GATEWAY);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InternalServerErrorException")
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("x-amzn-requestid").is_some());
}

/// Layer, cause and execution log of a response, after checking that the diagnosis headers
/// and the `Diagnosis:` line agree with the trace.
fn cause(gw: &Gateway, r: &Resp) -> (String, String, String) {
    let t = gw.trace(r.header("x-amzn-requestid").expect("request id"));
    assert_eq!(
        r.header("x-glassgate-layer"),
        t["failure"]["layer"].as_str()
    );
    assert_eq!(
        r.header("x-glassgate-cause"),
        t["failure"]["cause"].as_str()
    );
    let log: Vec<&str> = t["log"]
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(
        log.iter().any(|l| l.starts_with("Diagnosis: ")),
        "no Diagnosis line: {log:?}"
    );
    (
        t["failure"]["layer"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        t["failure"]["cause"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        log.join("\n"),
    )
}

async fn handler_failures(runtime: &str, kind: &str, ext: &str) {
    let code = handlers(kind);
    let gw = Gateway::start(
        &template(
            runtime,
            &code,
            &[
                ("error", &format!("{ext}.error")),
                ("malformed", &format!("{ext}.malformed")),
                ("string", &format!("{ext}.not_json_object")),
                ("timeout", &format!("{ext}.sleep")),
                ("crash", &format!("{ext}.crash")),
                ("import", "bad_import.handler"),
                ("syntax", "syntax_error.handler"),
                ("missing", &format!("{ext}.no_such_handler")),
            ],
            "",
        ),
        &[],
    );

    let r = gw.get("/error").await;
    assert_502(&r);
    let (layer, c, log) = cause(&gw, &r);
    assert_eq!((layer.as_str(), c.as_str()), ("backend", "handler-error"));
    assert!(
        log.contains("Lambda execution failed with status 200 due to customer function error: boom. Lambda request id: "),
        "{log}"
    );
    assert!(log.contains("Method completed with status: 502"), "{log}");

    let r = gw.get("/malformed").await;
    assert_502(&r);
    let (_, c, log) = cause(&gw, &r);
    assert_eq!(c, "malformed-proxy-response");
    assert!(
        log.contains(
            "Execution failed due to configuration error: Malformed Lambda proxy response"
        ),
        "{log}"
    );

    let r = gw.get("/string").await;
    assert_502(&r);
    assert_eq!(cause(&gw, &r).1, "malformed-proxy-response");

    let r = gw.get("/timeout?s=5").await;
    assert_502(&r);
    let (_, c, log) = cause(&gw, &r);
    assert_eq!(c, "handler-timeout");
    assert!(log.contains("Task timed out after 2.00 seconds"), "{log}");

    let r = gw.get("/crash").await;
    assert_502(&r);
    let (_, c, log) = cause(&gw, &r);
    assert_eq!(c, "handler-crash");
    assert!(
        log.contains("Runtime exited with error: exit status 3"),
        "{log}"
    );

    for path in ["/import", "/syntax", "/missing"] {
        let r = gw.get(path).await;
        assert_502(&r);
        let (_, c, log) = cause(&gw, &r);
        assert_eq!(c, "handler-init-error", "{path}: {log}");
    }
    let (_, _, log) = cause(&gw, &gw.get("/import").await);
    assert!(log.contains("Runtime.ImportModuleError"), "{log}");
    let (_, _, log) = cause(&gw, &gw.get("/syntax").await);
    assert!(log.contains("Runtime.UserCodeSyntaxError"), "{log}");
    let (_, _, log) = cause(&gw, &gw.get("/missing").await);
    assert!(log.contains("Runtime.HandlerNotFound"), "{log}");
}

#[tokio::test]
async fn python_handler_failures_answer_502_with_their_cause() {
    handler_failures("python3.12", "python", "app").await;
}

#[tokio::test]
async fn node_handler_failures_answer_502_with_their_cause() {
    handler_failures("nodejs20.x", "node", "index").await;
}

#[tokio::test]
async fn a_crash_does_not_stop_the_function_from_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("app.py"),
        "import os\n\ndef handler(event, context):\n    if (event.get('queryStringParameters') or {}).get('crash'):\n        os._exit(3)\n    return {'statusCode': 200, 'body': str(os.getpid())}\n",
    )
    .expect("write handler");
    let gw = Gateway::start(
        &template("python3.12", dir.path(), &[("x", "app.handler")], ""),
        &[],
    );
    let first = gw.get("/x").await;
    assert_eq!(first.status, 200);
    let r = gw.get("/x?crash=1").await;
    assert_502(&r);
    assert_eq!(cause(&gw, &r).1, "handler-crash");
    let after = gw.get("/x").await;
    assert_eq!(after.status, 200, "{}", after.text());
    assert_ne!(
        first.text(),
        after.text(),
        "a fresh process serves after the crash"
    );
}

#[tokio::test]
async fn integration_timeout_answers_504_while_the_function_runs_on() {
    let code = handlers("python");
    let t = template("python3.12", &code, &[("slow", "app.sleep")], "")
        .replace("Timeout: 2", "Timeout: 10")
        .replace(
            "Method: get",
            "Method: get\n            TimeoutInMillis: 1000",
        );
    let gw = Gateway::start(&t, &[]);
    let r = gw.get("/slow?s=3").await;
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.text(), r#"{"message": "Endpoint request timed out"}"#);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InternalServerErrorException")
    );
    let (layer, c, log) = cause(&gw, &r);
    assert_eq!(
        (layer.as_str(), c.as_str()),
        ("integration", "integration-timeout")
    );
    assert!(
        log.contains("Execution failed due to a timeout error"),
        "{log}"
    );
    assert!(log.contains("Method completed with status: 504"), "{log}");
    // The same function still answers once it is free again.
    // The route keeps working. A new process may need a cold start, which on a loaded
    // machine can itself pass the 1 s integration timeout, so allow a few tries.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let s = gw.get("/slow?s=0").await.status;
        statuses.push(s);
        if s == 200 {
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
}

#[tokio::test]
async fn missing_route_and_wrong_method_answer_missing_authentication_token() {
    let code = handlers("python");
    let gw = Gateway::start(
        &template("python3.12", &code, &[("echo", "app.echo")], ""),
        &[],
    );
    for (method, path) in [("GET", "/nope"), ("POST", "/echo"), ("GET", "/")] {
        let r = gw.request(method, path, &[], "").await;
        assert_eq!(r.status, 403, "{method} {path}");
        assert_eq!(r.text(), r#"{"message":"Missing Authentication Token"}"#);
        assert_eq!(
            r.header("x-amzn-errortype"),
            Some("MissingAuthenticationTokenException")
        );
        assert!(r.header("x-amz-apigw-id").is_some());
        let (layer, c, log) = cause(&gw, &r);
        assert_eq!((layer.as_str(), c.as_str()), ("route", "no-route"));
        assert!(
            log.contains(
                "Gateway response type: MISSING_AUTHENTICATION_TOKEN with status code: 403"
            ),
            "{log}"
        );
        assert!(
            log.contains(
                "Diagnosis: 403 Missing Authentication Token is a routing miss, not an auth problem"
            ),
            "{log}"
        );
        assert!(log.contains("nearest routes: GET /echo"), "{log}");
    }
}

#[tokio::test]
async fn proxy_response_contract_is_applied() {
    let code = handlers("python");
    let gw = Gateway::start(
        &template(
            "python3.12",
            &code,
            &[("status", "app.status_string"), ("b64", "app.base64")],
            "",
        ),
        &[],
    );
    let r = gw.get("/status").await;
    assert_eq!(r.status, 201);
    assert_eq!(r.text(), "created");
    assert_eq!(r.header("x-bool"), Some("m, true"));
    assert_eq!(r.header("x-multi"), Some("a, b"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Without binary media types AWS returns base64 text as is.
    let r = gw.get("/b64").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "aGVsbG8=");
}

#[tokio::test]
async fn memory_size_is_enforced() {
    let code = handlers("python");
    let t = template(
        "python3.12",
        &code,
        &[("hog", "app.memory_hog")],
        "      MemorySize: 128\n",
    );
    let gw = Gateway::start(&t, &[]);
    let r = gw.get("/hog").await;
    assert_502(&r);
    let (_, c, log) = cause(&gw, &r);
    assert_eq!(c, "handler-error", "{log}");
    assert!(log.contains("MemoryError"), "{log}");
}

#[tokio::test]
async fn handler_output_is_shown_prefixed_by_function() {
    let code = handlers("python");
    let gw = Gateway::start(
        &template("python3.12", &code, &[("logs", "app.print_logs")], ""),
        &[],
    );
    assert_eq!(gw.get("/logs").await.status, 200);
    // The two streams are drained separately, so their lines may arrive in either order:
    // wait for each.
    for line in ["[Fn0] hello from stdout", "[Fn0] hello from stderr"] {
        let logs = gw.wait_for_log(line, Duration::from_secs(10));
        assert!(logs.contains(line), "{logs}");
    }
}

#[tokio::test]
async fn a_body_over_ten_megabytes_answers_413_before_routing() {
    let code = handlers("python");
    let gw = Gateway::start(
        &template("python3.12", &code, &[("echo", "app.echo")], ""),
        &[],
    );
    let body = "x".repeat(10 * 1024 * 1024 + 1);
    let r = gw.request("POST", "/echo", &[], &body).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.text(), r#"{"message":"Request Too Long"}"#);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("RequestTooLargeException")
    );
    let (layer, c, log) = cause(&gw, &r);
    assert_eq!(
        (layer.as_str(), c.as_str()),
        ("gateway", "request-too-large")
    );
    assert!(
        log.contains("Gateway response type: REQUEST_TOO_LARGE with status code: 413"),
        "{log}"
    );
    // The server keeps serving.
    assert_eq!(gw.get("/echo").await.status, 200);
}
