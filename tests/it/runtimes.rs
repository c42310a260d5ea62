//! Each runtime serves requests through the Lambda proxy integration, with Lambda's
//! environment and context, and the v1 event API Gateway builds.

use crate::support::{Gateway, handlers, provided_example_dir};

fn echo_template(runtime: &str, code: &std::path::Path, handler: &str) -> String {
    format!(
        r#"
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Globals:
  Function:
    Timeout: 5
    Environment:
      Variables:
        GREETING: !Ref Greeting
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Variables:
        color: blue
  EchoFn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: echo-fn
      Runtime: {runtime}
      CodeUri: {code}
      Handler: {handler}
      MemorySize: 256
      Events:
        Item:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /items/{{id}}
            Method: get
        Post:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /items
            Method: post
"#,
        code = code.display()
    )
}

async fn check_echo(gw: &Gateway, handler_kind: &str) {
    let r = gw
        .request(
            "GET",
            "/items/42?a=1&a=2&b=x+y",
            &[
                ("X-Custom", "v1"),
                ("authorization", "Bearer secret-token-1234"),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-handler"), Some(handler_kind));
    let rid = r.header("x-amzn-requestid").expect("x-amzn-RequestId");
    assert_eq!(rid.len(), 36);
    let ext = r.header("x-amz-apigw-id").expect("x-amz-apigw-id");
    assert_eq!(ext.len(), 16);
    assert!(
        r.header("x-amzn-trace-id")
            .is_some_and(|v| v.starts_with("Root=1-"))
    );

    let body = r.json();
    let ev = &body["event"];
    assert_eq!(ev["resource"], "/items/{id}");
    assert_eq!(ev["path"], "/items/42");
    assert_eq!(ev["httpMethod"], "GET");
    assert_eq!(ev["pathParameters"]["id"], "42");
    assert_eq!(ev["queryStringParameters"]["a"], "2");
    assert_eq!(
        ev["multiValueQueryStringParameters"]["a"],
        serde_json::json!(["1", "2"])
    );
    assert_eq!(ev["queryStringParameters"]["b"], "x y");
    assert_eq!(ev["stageVariables"]["color"], "blue");
    assert_eq!(ev["headers"]["X-Custom"], "v1");
    assert_eq!(
        ev["multiValueHeaders"]["X-Custom"],
        serde_json::json!(["v1"])
    );
    assert_eq!(ev["headers"]["X-Forwarded-Proto"], "http");
    assert_eq!(ev["body"], serde_json::Value::Null);
    assert_eq!(ev["isBase64Encoded"], false);
    let rc = &ev["requestContext"];
    assert_eq!(rc["stage"], "dev");
    assert_eq!(rc["path"], "/dev/items/42");
    assert_eq!(rc["resourcePath"], "/items/{id}");
    assert_eq!(rc["requestId"], rid);
    assert_eq!(rc["extendedRequestId"], ext);
    assert_eq!(rc["accountId"], "123456789012");
    assert_eq!(rc["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(rc["identity"]["userAgent"], "glassgate-tests");
    assert_eq!(rc["protocol"], "HTTP/1.1");
    assert!(
        rc["requestTimeEpoch"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000_000)
    );
    assert!(
        rc["requestTime"]
            .as_str()
            .is_some_and(|t| t.ends_with(" +0000"))
    );

    let ctx = &body["context"];
    let env = &ctx["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "echo-fn");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["GREETING"], "hello");
    // The invocation carries the request's X-Ray root, the one the response names.
    let root = r.header("x-amzn-trace-id").expect("x-amzn-trace-id");
    let lambda_trace = env["_X_AMZN_TRACE_ID"].as_str().expect("_X_AMZN_TRACE_ID");
    assert!(
        lambda_trace.starts_with(&format!("{root};Parent=")),
        "{lambda_trace} vs {root}"
    );
    assert!(
        env["AWS_LAMBDA_RUNTIME_API"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    );
    // The runtime client's private socket variable is gone before the handler loads.
    assert_eq!(env["_GLASSGATE_RUNTIME_SOCKET"], serde_json::Value::Null);

    // The execution log has the AWS lines and never the whole token.
    let trace = gw.trace(rid);
    let log: Vec<String> = trace["log"]
        .as_array()
        .expect("log")
        .iter()
        .map(|l| l["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    let all = log.join("\n");
    assert!(all.contains("Starting execution for request: "), "{all}");
    assert!(
        all.contains("HTTP Method: GET, Resource Path: /items/42"),
        "{all}"
    );
    assert!(all.contains("Method request path: {id=42}"), "{all}");
    assert!(all.contains("Method completed with status: 200"), "{all}");
    assert!(all.contains("Authorization=*"), "{all}");
    assert!(!all.contains("secret-token-1234"), "token leaked: {all}");
    assert_eq!(trace["status"], 200);
    assert_eq!(trace["route"], "GET /items/{id}");
    assert!(trace["failure"].is_null());

    // POST with a body.
    let r = gw
        .request(
            "POST",
            "/items",
            &[("content-type", "application/json")],
            r#"{"name":"x"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ev = &r.json()["event"];
    assert_eq!(ev["body"], r#"{"name":"x"}"#);
    assert_eq!(ev["queryStringParameters"], serde_json::Value::Null);
    assert_eq!(
        ev["multiValueQueryStringParameters"],
        serde_json::Value::Null
    );
    assert_eq!(ev["pathParameters"], serde_json::Value::Null);
}

#[tokio::test]
async fn python_handler_gets_the_v1_event_and_lambda_environment() {
    let gw = Gateway::start(
        &echo_template("python3.12", &handlers("python"), "app.echo"),
        &[],
    );
    // `serve` prints the route table before the URL.
    let banner = &gw.stdout_banner;
    assert!(banner.contains("API Api (id "), "{banner}");
    assert!(banner.contains("stage dev"), "{banner}");
    assert!(
        banner.contains("GET     /items/{id}  -> EchoFn (python3.12)"),
        "{banner}"
    );
    assert!(banner.contains("POST    /items"), "{banner}");
    check_echo(&gw, "python").await;
}

#[tokio::test]
async fn node_handler_gets_the_v1_event_and_lambda_environment() {
    let gw = Gateway::start(
        &echo_template("nodejs20.x", &handlers("node"), "index.echo"),
        &[],
    );
    check_echo(&gw, "node").await;
}

#[tokio::test]
async fn node_esm_and_callback_handlers_work() {
    let node = handlers("node");
    let template = format!(
        r#"
Resources:
  Esm:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: {code}
      Handler: esm.handler
      Events:
        E: {{Type: Api, Properties: {{Path: /esm, Method: get}}}}
  Cb:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: {code}
      Handler: index.callback_handler
      Events:
        E: {{Type: Api, Properties: {{Path: /cb, Method: get}}}}
"#,
        code = node.display()
    );
    let gw = Gateway::start(&template, &[]);
    let r = gw.get("/esm").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["esm"], true);
    let r = gw.get("/cb").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// `callbackWaitsForEmptyEventLoop`, as Lambda's Node runtime honours it.
#[tokio::test]
async fn node_callback_waits_for_an_empty_event_loop_unless_told_not_to() {
    let node = handlers("node");
    let template = format!(
        r#"
Resources:
  Waits:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: {code}
      Handler: index.callback_waits
      Events:
        E: {{Type: Api, Properties: {{Path: /waits, Method: get}}}}
  Interval:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: {code}
      Handler: index.callback_with_interval
      Timeout: 1
      Events:
        E: {{Type: Api, Properties: {{Path: /interval, Method: get}}}}
"#,
        code = node.display()
    );
    let gw = Gateway::start(&template, &[]);
    let r = gw.get("/waits").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "answered after the timer");
    let r = gw.get("/waits?nowait=1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "answered before the timer");
    // A pending setInterval never lets the loop empty: the function's Timeout ends it.
    let r = gw.get("/interval").await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("handler-timeout"));
}

#[tokio::test]
async fn provided_runtime_runs_the_real_lambda_runtime_client() {
    let code = provided_example_dir();
    let template = format!(
        r#"
Resources:
  Rust:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      CodeUri: {code}
      Events:
        Hello: {{Type: Api, Properties: {{Path: "/hello/{{name}}", Method: get}}}}
"#,
        code = code.path().display()
    );
    let gw = Gateway::start(&template, &[]);
    let r = gw.get("/hello/world").await;
    assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.logs());
    assert_eq!(r.header("x-handler"), Some("provided"));
    let body = r.json();
    assert_eq!(body["path"], "/hello/world");
    assert_eq!(body["pathParameters"]["name"], "world");
    // The handler's error goes through /error and becomes API Gateway's 502.
    let r = gw.get("/hello/world?fail=1").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.text(), r#"{"message": "Internal server error"}"#);
    // And the process keeps serving.
    assert_eq!(gw.get("/hello/again").await.status, 200);
}

#[tokio::test]
async fn env_vars_file_overrides_declared_variables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = dir.path().join("env.json");
    std::fs::write(
        &env,
        r#"{"EchoFn": {"GREETING": "from-file", "UNDECLARED": "x"}}"#,
    )
    .expect("write");
    let gw = Gateway::start(
        &echo_template("python3.12", &handlers("python"), "app.echo"),
        &["--env-vars", env.to_str().expect("utf8")],
    );
    let r = gw.get("/items/1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["context"]["env"]["GREETING"], "from-file");
}

#[tokio::test]
async fn parameter_overrides_reach_the_function() {
    let gw = Gateway::start(
        &echo_template("python3.12", &handlers("python"), "app.echo"),
        &["--parameter-overrides", "Greeting=bonjour"],
    );
    let r = gw.get("/items/1").await;
    assert_eq!(r.json()["context"]["env"]["GREETING"], "bonjour");
}

/// The embedded clients reach their Runtime API over a Unix socket in the server's temporary
/// folder; where that path is too long for a socket address (a long TMPDIR), they use TCP
/// and the handlers run all the same.
#[test]
fn handlers_run_when_the_runtime_socket_path_is_too_long() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long_tmp = dir.path().join("t".repeat(110));
    std::fs::create_dir_all(&long_tmp).expect("long TMPDIR");
    let t = dir.path().join("template.yaml");
    for (runtime, kind, handler) in [
        ("python3.12", "python", "app.echo"),
        ("nodejs20.x", "node", "index.echo"),
    ] {
        std::fs::write(&t, echo_template(runtime, &handlers(kind), handler)).expect("write");
        let out = crate::support::glassgate()
            .env("TMPDIR", &long_tmp)
            .arg("invoke")
            .arg(&t)
            .args(["GET", "/items/1"])
            .output()
            .expect("run invoke");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.starts_with("HTTP/1.1 200 OK\n"),
            "{runtime}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
