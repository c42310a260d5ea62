//! Unmasking: the admin API (traces, caches, flush, modes, test-invokes), `explain`,
//! `invoke`, `--faithful`, and the traps `validate` reports. All through real HTTP and real
//! processes.

use std::path::Path;

use serde_json::json;

use crate::support::{Gateway, fail, glassgate, succeed, token_api_template as template};

#[tokio::test]
async fn admin_api_lists_requests_routes_and_cache_entries_and_flushes() {
    let gw = Gateway::start(&template(300), &[]);
    let (s, health) = gw.admin("GET", "/health", "").await;
    assert_eq!((s, health["status"].as_str()), (200, Some("ok")));

    let (_, routes) = gw.admin("GET", "/routes", "").await;
    let routes = routes.as_array().expect("list");
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0]["path"], "/a");
    assert_eq!(routes[0]["authorizer"], "Tok");
    assert_eq!(routes[0]["stage"], "test");

    let token = "Bearer allow-this-secret-9876";
    let first = gw
        .request("GET", "/a", &[("Authorization", token)], "")
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("x-glassgate-authorizer-cache"), Some("miss"));
    let denied = gw
        .request("GET", "/b", &[("Authorization", token)], "")
        .await;
    assert_eq!(denied.status, 403);
    let cache = denied
        .header("x-glassgate-authorizer-cache")
        .expect("cache header");
    assert!(
        cache.starts_with("hit; age=") && cache.ends_with("; ttl=300"),
        "{cache}"
    );
    assert_eq!(
        denied.header("x-glassgate-cause"),
        Some("cached-policy-not-covered")
    );
    assert!(!cache.contains("secret"));

    // Recent requests, newest first, and one trace with its diagnosis.
    let (_, list) = gw.admin("GET", "/requests", "").await;
    let list = list.as_array().expect("list");
    let denied_id = denied.header("x-amzn-requestid").expect("id");
    assert_eq!(list[0]["requestId"], denied_id);
    assert_eq!(list[0]["cause"], "cached-policy-not-covered");
    assert_eq!(list[1]["status"], 200);
    let (s, doc) = gw.admin("GET", &format!("/requests/{denied_id}"), "").await;
    assert_eq!(s, 200);
    assert_eq!(doc["trace"]["authorizer"]["cache"], "hit");
    assert!(
        doc["diagnosis"]["summary"]
            .as_str()
            .is_some_and(|d| d.contains("/test/GET/a") && d.contains("/test/GET/b"))
    );
    assert!(
        !doc.to_string().contains(token),
        "the token leaked into the trace"
    );
    let (s, _) = gw.admin("GET", "/requests/nope", "").await;
    assert_eq!(s, 404);

    // Cache entries: masked key, principal, policy, age, TTL left.
    let (_, auths) = gw.admin("GET", "/authorizers", "").await;
    let tok = &auths[0];
    assert_eq!(tok["name"], "Tok");
    assert_eq!(tok["mode"], "normal");
    assert_eq!(tok["ttlS"], 300);
    let entry = &tok["entries"][0];
    assert_eq!(
        entry["key"][0],
        format!("{}9876", "*".repeat(token.len() - 4))
    );
    assert_eq!(entry["principalId"], "tok-allow-this-secret-9876");
    assert!(
        entry["policy"][0]
            .as_str()
            .is_some_and(|p| p.starts_with("Allow arn:aws:execute-api:"))
    );
    assert!(
        entry["ttlLeftS"]
            .as_f64()
            .is_some_and(|t| t > 290.0 && t <= 300.0)
    );

    // Flush one authorizer, then all: the next request is a miss again.
    let (s, flushed) = gw.admin("DELETE", "/authorizers/Tok/cache", "").await;
    assert_eq!((s, flushed["flushed"].as_u64()), (200, Some(1)));
    let again = gw
        .request("GET", "/b", &[("Authorization", token)], "")
        .await;
    assert_eq!(
        again.status, 200,
        "after the flush the authorizer runs for /b"
    );
    assert_eq!(again.header("x-glassgate-authorizer-cache"), Some("miss"));
    let (_, flushed) = gw.admin("DELETE", "/authorizers/cache", "").await;
    assert_eq!(flushed["flushed"], 1);
    let (s, _) = gw.admin("DELETE", "/authorizers/Nope/cache", "").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn modes_bypass_and_allow_isolate_the_authorizer() {
    let gw = Gateway::start(&template(0), &["--authorizer", "Tok=bypass"]);
    // Started in bypass: no token needed, and the response says so.
    let r = gw.get("/a").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("x-glassgate-authorizer-mode"),
        Some("bypass; authorizer=Tok")
    );
    assert!(r.json()["requestContext"]["authorizer"].is_null());
    let log = gw.trace(r.header("x-amzn-requestid").expect("id"));
    assert!(log.to_string().contains("is in bypass mode"));

    // Allow with a chosen principal and context.
    let (s, v) = gw
        .admin(
            "PUT",
            "/authorizers/Tok/mode",
            r#"{"mode": "allow", "principalId": "tester", "context": {"role": "admin", "n": 3}}"#,
        )
        .await;
    assert_eq!((s, v["mode"].as_str()), (200, Some("allow")));
    let r = gw.get("/a").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-glassgate-authorizer-mode"),
        Some("allow; authorizer=Tok")
    );
    let ev = r.json();
    assert_eq!(ev["requestContext"]["authorizer"]["principalId"], "tester");
    assert_eq!(ev["requestContext"]["authorizer"]["role"], "admin");
    assert_eq!(ev["requestContext"]["authorizer"]["n"], "3");

    // Back to normal: the real authorizer answers again.
    let (s, _) = gw
        .admin("PUT", "/authorizers/Tok/mode", r#"{"mode": "normal"}"#)
        .await;
    assert_eq!(s, 200);
    let r = gw.get("/a").await;
    assert_eq!(r.status, 401);
    assert!(r.header("x-glassgate-authorizer-mode").is_none());
    let (s, e) = gw
        .admin("PUT", "/authorizers/Tok/mode", r#"{"mode": "sideways"}"#)
        .await;
    assert_eq!(s, 400);
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.contains("normal, bypass or allow"))
    );
    let (s, _) = gw
        .admin("PUT", "/authorizers/Nope/mode", r#"{"mode": "bypass"}"#)
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn test_invoke_skips_the_authorizer_and_authorizer_test_invoke_runs_it_alone() {
    let gw = Gateway::start(&template(300), &[]);
    let (s, v) = gw
        .admin(
            "POST",
            "/test-invoke",
            r#"{"method": "GET", "path": "/a?x=1", "headers": {"X-Test": "yes"}}"#,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], 200);
    let body: serde_json::Value =
        serde_json::from_str(v["body"].as_str().expect("body")).expect("event");
    assert_eq!(body["headers"]["X-Test"], "yes");
    assert_eq!(body["queryStringParameters"]["x"], "1");
    assert!(
        v["log"]
            .as_str()
            .is_some_and(|l| l.contains("authorization skipped"))
    );
    assert!(v["latency"].is_u64());

    let (s, v) = gw
        .admin(
            "POST",
            "/authorizers/Tok/test-invoke",
            r#"{"headers": {"Authorization": "Bearer allow-all"}, "path": "/a"}"#,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["clientStatus"], 0);
    assert_eq!(v["principalId"], "tok-allow-all");
    assert!(
        v["policy"][0]
            .as_str()
            .is_some_and(|p| p.starts_with("Allow "))
    );
    assert_eq!(v["context"]["n"], "1");
    assert!(
        v["log"]
            .as_str()
            .is_some_and(|l| l.contains("Authorizer result body before parsing"))
    );

    let (_, v) = gw
        .admin(
            "POST",
            "/authorizers/Tok/test-invoke",
            r#"{"headers": {"Authorization": "Bearer deny"}, "path": "/a"}"#,
        )
        .await;
    assert_eq!(v["clientStatus"], 403);
    assert_eq!(v["decision"], "explicit-deny");
    let (_, v) = gw
        .admin(
            "POST",
            "/authorizers/Tok/test-invoke",
            r#"{"headers": {"Authorization": "Bearer crash"}}"#,
        )
        .await;
    assert_eq!(v["clientStatus"], 500);
    assert_eq!(v["cause"], "authorizer-crash");
    let (_, v) = gw
        .admin("POST", "/authorizers/Tok/test-invoke", r#"{}"#)
        .await;
    assert_eq!(v["clientStatus"], 401);
    // The test-invokes do not fill the cache.
    let (_, auths) = gw.admin("GET", "/authorizers", "").await;
    assert_eq!(auths[0]["entries"], json!([]));
    let (s, _) = gw
        .admin("POST", "/authorizers/Nope/test-invoke", "{}")
        .await;
    assert_eq!(s, 404);
    let (s, e) = gw.admin("POST", "/test-invoke", "{not json").await;
    assert_eq!(s, 400);
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.starts_with("invalid JSON body"))
    );
}

#[tokio::test]
async fn faithful_responses_carry_only_what_aws_sends() {
    let gw = Gateway::start(&template(0), &["--faithful"]);
    for (token, status, body) in [
        (None, 401, r#"{"message":"Unauthorized"}"#),
        (
            Some("Bearer deny"),
            403,
            r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#,
        ),
        (Some("Bearer crash"), 500, r#"{"message":null}"#),
    ] {
        let headers: Vec<(&str, &str)> = token.map(|t| ("Authorization", t)).into_iter().collect();
        let r = gw.request("GET", "/a", &headers, "").await;
        assert_eq!((r.status, r.text().as_str()), (status, body));
        let mut names: Vec<&str> = r.headers.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            vec![
                "content-length",
                "content-type",
                "date",
                "x-amz-apigw-id",
                "x-amzn-errortype",
                "x-amzn-requestid"
            ],
            "{status}"
        );
    }
    let r = gw.request("GET", "/nope", &[], "").await;
    assert!(
        r.headers
            .keys()
            .all(|k| !k.as_str().starts_with("x-glassgate"))
    );
}

#[tokio::test]
async fn explain_prints_the_report_of_a_request_from_a_running_server() {
    let gw = Gateway::start(&template(0), &[]);
    let r = gw
        .request("GET", "/a", &[("Authorization", "Bearer crash")], "")
        .await;
    assert_eq!(r.status, 500);
    let id = r.header("x-amzn-requestid").expect("id").to_owned();
    let text =
        succeed(glassgate().args(["explain", &id, "--admin", &format!("http://{}", gw.admin)]));
    assert!(
        text.contains(&format!(
            "Request {id}: GET /a -> 500 (layer: authorizer, cause: authorizer-crash)"
        )),
        "{text}"
    );
    assert!(
        text.contains("its process crashed (exit status 1)"),
        "{text}"
    );
    assert!(
        text.contains("authorizer process ended: exit status 1"),
        "{text}"
    );
    assert!(text.contains("the backend was not invoked"), "{text}");
    assert!(
        text.contains("Stages:") && text.contains("authorize"),
        "{text}"
    );
    assert!(text.contains("Next steps:"), "{text}");

    let err = fail(glassgate().args([
        "explain",
        "no-such-id",
        "--admin",
        &format!("http://{}", gw.admin),
    ]));
    assert!(err.contains("no request no-such-id"), "{err}");
}

#[test]
fn explain_without_a_server_says_how_to_reach_one() {
    let err = fail(glassgate().args(["explain", "abc", "--admin", "http://127.0.0.1:1"]));
    assert!(err.contains("cannot reach the admin API"), "{err}");
}

#[test]
fn invoke_runs_one_request_without_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("template.yaml");
    std::fs::write(&t, template(0)).expect("write");
    let run = |extra: &[&str]| {
        let out = glassgate()
            .arg("invoke")
            .arg(&t)
            .args(["GET", "/a?x=1"])
            .args(extra)
            .output()
            .expect("run invoke");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let denied = run(&["-H", "Authorization: Bearer deny"]);
    assert!(denied.starts_with("HTTP/1.1 403 Forbidden\n"), "{denied}");
    assert!(
        denied.contains("x-glassgate-cause: policy-explicit-deny"),
        "{denied}"
    );
    assert!(denied.contains("--- execution log ---"), "{denied}");
    assert!(
        denied.contains("Diagnosis: 403 from authorizer Tok"),
        "{denied}"
    );
    let skipped = run(&["--skip-auth"]);
    assert!(skipped.starts_with("HTTP/1.1 200 OK\n"), "{skipped}");
    assert!(
        skipped.contains(r#""queryStringParameters": {"x": "1"}"#),
        "{skipped}"
    );
    let err = fail(
        glassgate()
            .arg("invoke")
            .arg(&t)
            .args(["GET", "/a", "-H", "no-colon"]),
    );
    assert!(err.contains("expected 'Name: value'"), "{err}");
}

#[test]
fn validate_reports_the_known_traps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let code = dir.path().join("code");
    std::fs::create_dir(&code).expect("mkdir");
    std::fs::write(
        code.join("authz.py"),
        "def handler(event, context):\n    return {'principalId': 'u', 'policyDocument': {'Version': '2012-10-17', 'Statement': [{'Action': 'execute-api:Invoke', 'Effect': 'Allow', 'Resource': event['methodArn']}]}}\n",
    )
    .expect("write");
    std::fs::write(
        code.join("app.py"),
        "def handler(e, c):\n    return {'statusCode': 200}\n",
    )
    .expect("write");
    let t = dir.path().join("template.yaml");
    std::fs::write(
        &t,
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: PerMethod
        Authorizers:
          PerMethod:
            FunctionArn: !GetAtt AuthFn.Arn
          Unused:
            FunctionArn: !GetAtt SlowAuth.Arn
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, CodeUri: code, Handler: authz.handler}
  SlowAuth:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, CodeUri: code, Handler: authz.handler, Timeout: 30}
  App:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: code
      Handler: app.handler
      Events:
        Proxy: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/{proxy+}", Method: any}}
        Users: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /users, Method: get}}
"#,
    )
    .expect("write");
    let text = succeed(glassgate().arg("validate").arg(&t));
    assert!(
        text.contains("authorizer PerMethod caches results for 300 s, and its code"),
        "{text}"
    );
    assert!(text.contains("authorizer Unused guards no route"), "{text}");
    assert!(text.contains("Timeout 30 s"), "{text}");
    assert!(
        text.contains("ANY /{proxy+} does not serve paths below /users/"),
        "{text}"
    );

    // The probe runs the authorizer for real and sees the method-specific policy.
    let text = succeed(glassgate().args(["validate", "--probe"]).arg(&t));
    assert!(
        text.contains(
            "probe: authorizer PerMethod allowed arn:aws:execute-api:us-east-1:123456789012:"
        ),
        "{text}"
    );
    assert!(text.contains("it will deny GET /users with 403"), "{text}");
}

#[test]
fn unknown_authorizer_in_a_mode_flag_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("template.yaml");
    std::fs::write(&t, template(0)).expect("write");
    let err = fail(
        glassgate()
            .args(["serve", "--port", "0", "--authorizer", "Nope=bypass"])
            .arg(&t),
    );
    assert!(
        err.contains("the template has no authorizer Nope (it has: Tok)"),
        "{err}"
    );
}

#[test]
fn explain_log_reads_execution_logs_without_a_server() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/execution-logs");
    let text = succeed(
        glassgate()
            .arg("explain")
            .arg("--log")
            .arg(dir.join("multi-request.log")),
    );
    assert!(
        text.contains("(cause: cached-policy-not-covered)"),
        "{text}"
    );
    assert!(text.contains("(cause: integration-timeout)"), "{text}");
    assert!(text.ends_with("4 request(s): 1 ok, 3 failed\n"), "{text}");

    let out = glassgate()
        .arg("explain")
        .arg("--log")
        .arg(dir.join("filter-log-events.json"))
        .output()
        .expect("run explain --log");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Request "));

    let err = fail(
        glassgate()
            .arg("explain")
            .arg("--log")
            .arg(dir.join("garbage.txt")),
    );
    assert!(
        err.contains("no API Gateway execution-log lines found"),
        "{err}"
    );
}

#[tokio::test]
async fn explain_log_reads_glassgates_own_log() {
    let gw = Gateway::start(&template(0), &[]);
    let r = gw
        .request(
            "GET",
            "/a",
            &[("Authorization", "Bearer nested-context")],
            "",
        )
        .await;
    assert_eq!(r.status, 500);
    let id = r.header("x-amzn-requestid").expect("id").to_owned();
    let logs = gw.wait_for_log(&id, std::time::Duration::from_secs(5));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("glassgate.jsonl");
    std::fs::write(&file, logs).expect("write");
    let out = glassgate()
        .arg("explain")
        .arg("--log")
        .arg(&file)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "Request {id}: 500 from the authorizer (cause: authorizer-invalid-context)"
        )),
        "{text}"
    );
}
