//! HTTP APIs (API Gateway v2) from SAM: `AWS::Serverless::HttpApi`, `HttpApi` events and the
//! implicit `ServerlessHttpApi`, served with real Python handler processes: routing with
//! stages and `$default`, the payload 2.0 event the function receives, the 2.0 response
//! contract, and the fixed answers an HTTP API gives when it fails a request itself.

use crate::support::{Gateway, enc, fail, glassgate};

const HANDLERS: &str = r#"
import json

def echo(event, context):
    # The whole event back, with a cookie and a header to pass through.
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json", "x-echo": "1"},
        "cookies": ["session=abc; Path=/", "theme=dark"],
        "body": json.dumps(event),
    }

def v1echo(event, context):
    # Payload 1.0 holds the response to the REST contract: no cookies key.
    return {"statusCode": 201, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}

def inferred(event, context):
    return {"message": "no statusCode here"}

def text(event, context):
    return "Hello from Lambda!"

def binary(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
            "body": "AAEC/w==", "isBase64Encoded": True}

def boom(event, context):
    raise ValueError("broken on purpose")

def malformed(event, context):
    return {"statusCode": "not a status"}
"#;

/// A template with a named-stage HTTP API (`DevApi`, stage `dev`) and the implicit one
/// (`$default` stage) holding the other routes, all served by functions of `HANDLERS`.
fn template(code: &std::path::Path, with_default_route: bool) -> String {
    let mut t = format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: {code}
    Timeout: 30
Resources:
  DevApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: dev
      StageVariables: {{color: blue}}
  EchoFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Events:
        Item: {{Type: HttpApi, Properties: {{Path: "/items/{{id}}", Method: get}}}}
        Files: {{Type: HttpApi, Properties: {{Path: "/files/{{proxy+}}", Method: ANY}}}}
        Dev: {{Type: HttpApi, Properties: {{ApiId: !Ref DevApi, Path: "/things/{{id}}", Method: post}}}}
  InferredFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.inferred
      Events:
        E: {{Type: HttpApi, Properties: {{Path: /inferred, Method: get}}}}
  TextFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.text
      Events:
        E: {{Type: HttpApi, Properties: {{Path: /text, Method: get}}}}
  BinaryFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.binary
      Events:
        E: {{Type: HttpApi, Properties: {{Path: /binary, Method: get}}}}
  BoomFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.boom
      Events:
        E: {{Type: HttpApi, Properties: {{Path: /boom, Method: get}}}}
  MalformedFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.malformed
      Events:
        E: {{Type: HttpApi, Properties: {{Path: /malformed, Method: get}}}}
  V1Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.v1echo
      Events:
        E: {{Type: HttpApi, Properties: {{ApiId: !Ref DevApi, Path: "/v1/{{id}}", Method: get, PayloadFormatVersion: "1.0"}}}}
"#,
        code = code.display()
    );
    if with_default_route {
        t.push_str(
            r#"  CatchAllFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.text
      Events:
        Default: {Type: HttpApi}
"#,
        );
    }
    t
}

fn code_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.py"), HANDLERS).expect("write handlers");
    dir
}

#[tokio::test]
async fn the_function_gets_a_payload_2_event_and_its_response_passes_through() {
    let code = code_dir();
    let gw = Gateway::start(&template(code.path(), false), &[]);
    let r = gw
        .request(
            "GET",
            "/items/42?tag=a&tag=b&q=x+y",
            &[
                ("Cookie", "c1=one; c2=two"),
                ("X-Custom", "first"),
                ("x-custom", "second"),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // The function's headers and cookies, and HTTP API's one id header: no REST ids.
    assert_eq!(r.header("x-echo"), Some("1"));
    let cookies: Vec<_> = r.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["session=abc; Path=/", "theme=dark"]);
    assert!(r.header("x-amzn-requestid").is_none());
    assert!(r.header("x-amz-apigw-id").is_none());
    let id = r
        .header("apigw-requestid")
        .expect("apigw-requestid")
        .to_owned();
    assert_eq!((id.len(), id.ends_with('=')), (16, true), "{id}");

    let e = r.json();
    assert_eq!(e["version"], "2.0");
    assert_eq!(e["routeKey"], "GET /items/{id}");
    assert_eq!(e["rawPath"], "/items/42");
    assert_eq!(e["rawQueryString"], "tag=a&tag=b&q=x+y");
    assert_eq!(e["cookies"], serde_json::json!(["c1=one", "c2=two"]));
    assert_eq!(e["headers"]["x-custom"], "first,second");
    assert!(e["headers"].get("cookie").is_none(), "{e}");
    assert_eq!(e["queryStringParameters"]["tag"], "a,b");
    assert_eq!(e["queryStringParameters"]["q"], "x y");
    assert_eq!(e["pathParameters"], serde_json::json!({"id": "42"}));
    assert!(e.get("stageVariables").is_none(), "{e}");
    assert_eq!(e["isBase64Encoded"], false);
    let rc = &e["requestContext"];
    assert_eq!(rc["requestId"], id.as_str());
    assert_eq!(rc["routeKey"], "GET /items/{id}");
    assert_eq!(rc["stage"], "$default");
    assert_eq!(rc["http"]["method"], "GET");
    assert_eq!(rc["http"]["path"], "/items/42");
    assert_eq!(rc["http"]["protocol"], "HTTP/1.1");
    assert_eq!(rc["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(rc["http"]["userAgent"], e["headers"]["user-agent"]);
    assert_eq!(rc["accountId"], "123456789012");
    assert!(
        rc["timeEpoch"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000_000)
    );

    // A greedy route: the variable without its `+`, ANY for any verb.
    let r = gw.request("DELETE", "/files/a/b.txt", &[], "").await;
    assert_eq!(r.status, 201, "{}", r.text());
    let e = r.json();
    assert_eq!(e["routeKey"], "ANY /files/{proxy+}");
    assert_eq!(e["pathParameters"]["proxy"], "a/b.txt");
}

#[tokio::test]
async fn a_named_stage_is_the_first_path_segment_and_stays_in_raw_path() {
    let code = code_dir();
    let gw = Gateway::start(&template(code.path(), false), &[]);
    let r = gw.request("POST", "/dev/things/7", &[], "{\"a\":1}").await;
    assert_eq!(r.status, 201, "{}", r.text());
    let e = r.json();
    assert_eq!(e["rawPath"], "/dev/things/7");
    assert_eq!(e["routeKey"], "POST /things/{id}");
    assert_eq!(e["requestContext"]["stage"], "dev");
    assert_eq!(e["requestContext"]["http"]["path"], "/dev/things/7");
    assert_eq!(e["stageVariables"], serde_json::json!({"color": "blue"}));
    assert_eq!(e["body"], "{\"a\":1}");

    // Without the stage the route is not there: the $default stage API answers 404.
    let r = gw.request("POST", "/things/7", &[], "").await;
    assert_eq!(r.status, 404);
    // The stage's own miss is that API's 404.
    let r = gw.get("/dev/nothing").await;
    assert_eq!(
        (r.status, r.text()),
        (404, r#"{"message":"Not Found"}"#.into())
    );
}

#[tokio::test]
async fn misses_are_404_not_found_until_a_default_route_takes_them() {
    let code = code_dir();
    let gw = Gateway::start(&template(code.path(), false), &[]);
    for path in ["/nowhere", "/inferred/", "/files"] {
        let r = gw.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.text(), r#"{"message":"Not Found"}"#, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("content-length"), Some("23"));
        assert!(r.header("apigw-requestid").is_some());
        assert!(r.header("x-amzn-errortype").is_none());
        assert_eq!(r.header("x-glassgate-layer"), Some("route"));
        assert_eq!(r.header("x-glassgate-cause"), Some("no-route"));
    }
    // A greedy variable may match the empty remainder after a trailing slash.
    assert_eq!(gw.get("/files/").await.status, 201);
    let logs = gw.wait_for_log(
        "Not Found is a routing miss of the HTTP API",
        std::time::Duration::from_secs(5),
    );
    assert!(logs.contains("fold no trailing slash"), "{logs}");

    let code = code_dir();
    let gw = Gateway::start(&template(code.path(), true), &[]);
    let r = gw.get("/nowhere").await;
    assert_eq!((r.status, r.text()), (200, "Hello from Lambda!".into()));
    // The route that matches still wins over $default.
    assert_eq!(gw.get("/inferred").await.status, 200);
    assert_eq!(gw.get("/items/1").await.status, 201);
}

#[tokio::test]
async fn the_2_0_response_contract_infers_decodes_and_refuses() {
    let code = code_dir();
    let gw = Gateway::start(&template(code.path(), false), &[]);
    let r = gw.get("/inferred").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "no statusCode here"})
    );

    let r = gw.get("/text").await;
    assert_eq!((r.status, r.text()), (200, "Hello from Lambda!".into()));

    let r = gw.get("/binary").await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], &[0u8, 1, 2, 255][..]);

    for (path, cause) in [
        ("/boom", "handler-error"),
        ("/malformed", "malformed-proxy-response"),
    ] {
        let r = gw.get(path).await;
        assert_eq!(r.status, 500, "{path}");
        assert_eq!(r.text(), r#"{"message":"Internal Server Error"}"#, "{path}");
        assert_eq!(r.header("x-glassgate-layer"), Some("backend"), "{path}");
        assert_eq!(r.header("x-glassgate-cause"), Some(cause), "{path}");
    }
}

#[test]
fn validate_prints_each_api_with_its_flavour_and_stage() {
    let code = code_dir();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, template(code.path(), true)).expect("write");
    let out = glassgate()
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("HTTP API DevApi (id "), "{stdout}");
    assert!(
        stdout.contains(", stage dev, served under /dev)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("HTTP API ServerlessHttpApi (id "),
        "{stdout}"
    );
    assert!(stdout.contains(", stage $default)"), "{stdout}");
    assert!(
        stdout.contains("$default") && stdout.contains("-> CatchAllFn"),
        "{stdout}"
    );
}

#[test]
fn bad_issuers_and_unknown_authorizers_are_refused_and_aws_iam_is_taken() {
    let code = code_dir();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.yaml");
    let t = format!(
        r#"
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            JwtConfiguration: {{issuer: "http://issuer.example", audience: [app]}}
            IdentitySource: $request.header.Authorization
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {}
      Handler: app.text
      Events:
        E: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /x, Method: get}}}}
        Iam: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /y, Method: get, Auth: {{Authorizer: AWS_IAM}}}}}}
        Typo: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /z, Method: get, Auth: {{Authorizer: Other}}}}}}
"#,
        code.path().display()
    );
    std::fs::write(&path, t).expect("write");
    let err = fail(glassgate().arg("validate").arg(&path));
    assert!(
        err.contains("Resources.Api.Properties.Auth.Authorizers.Jwt.JwtConfiguration.issuer: issuer \"http://issuer.example\" must be a full https:// URL"),
        "{err}"
    );
    // AWS_IAM is SAM's keyword for SigV4 authorization, not an authorizer to declare.
    assert!(!err.contains("Events.Iam"), "{err}");
    assert!(
        err.contains("Resources.Fn.Properties.Events.Typo.Properties.Auth.Authorizer: authorizer Other is not an authorizer of API Api"),
        "{err}"
    );
}

const CORS_CODE: &str = r#"
def auth(event, context):
    return {"isAuthorized": event["headers"].get("authorization") == "good"}

def handler(event, context):
    # A backend that sets its own CORS header, which the API's CorsConfiguration replaces.
    return {"statusCode": 200, "headers": {"access-control-allow-origin": "*"}, "body": "ok"}
"#;

fn cors_template(code: &std::path::Path) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {{CodeUri: {code}, Runtime: python3.12}}
  HttpApi:
    CorsConfiguration:
      AllowOrigins: [http://localhost:5173]
      AllowMethods: [GET, POST]
      AllowHeaders: [authorization]
      ExposeHeaders: [x-total]
      AllowCredentials: true
      MaxAge: 600
    Auth:
      DefaultAuthorizer: Simple
      Authorizers:
        Simple:
          FunctionArn: !GetAtt AuthFn.Arn
          AuthorizerPayloadFormatVersion: "2.0"
          EnableSimpleResponses: true
          Identity: {{Headers: [Authorization]}}
Resources:
  Trap:
    Type: AWS::Serverless::HttpApi
    Properties: {{StageName: trap}}
  AuthFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: app.auth}}}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        Items: {{Type: HttpApi, Properties: {{Path: /items, Method: get}}}}
        Proxy: {{Type: HttpApi, Properties: {{ApiId: !Ref Trap, Path: "/{{proxy+}}", Method: ANY}}}}
"#,
        code = code.display()
    )
}

#[tokio::test]
async fn cors_configuration_answers_preflights_and_marks_every_response() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("app.py"), CORS_CODE).expect("write");
    let gw = Gateway::start(&cors_template(code.path()), &[]);
    let origin = ("Origin", "http://localhost:5173");
    let preflight = [origin, ("Access-Control-Request-Method", "GET")];

    // No route matches OPTIONS /items: the CorsConfiguration answers, no authorizer runs.
    let r = gw.request("OPTIONS", "/items", &preflight, "").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(r.header("access-control-allow-methods"), Some("GET,POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("vary"), Some("origin"));
    assert_eq!(r.header("x-glassgate-layer"), Some("gateway"));
    assert!(r.header("x-glassgate-authorizer-cache").is_none());

    // Another origin: the same 204, without CORS headers.
    let r = gw
        .request(
            "OPTIONS",
            "/items",
            &[
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "GET"),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(r.header("access-control-allow-origin").is_none());

    // Real requests: the backend's header is replaced; gateway errors are marked too.
    let r = gw
        .request("GET", "/items", &[origin, ("Authorization", "good")], "")
        .await;
    assert_eq!((r.status, r.text()), (200, "ok".into()));
    let allow: Vec<_> = r
        .headers
        .get_all("access-control-allow-origin")
        .iter()
        .collect();
    assert_eq!(allow, ["http://localhost:5173"]);
    assert_eq!(r.header("access-control-expose-headers"), Some("x-total"));
    let r = gw.request("GET", "/items", &[origin], "").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    // Without an Origin there are no CORS headers.
    let r = gw
        .request("GET", "/items", &[("Authorization", "good")], "")
        .await;
    assert!(r.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_preflight_caught_by_an_authorized_proxy_route_is_the_cors_trap_and_is_named() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("app.py"), CORS_CODE).expect("write");
    let gw = Gateway::start(&cors_template(code.path()), &[]);
    let preflight = [
        ("Origin", "http://localhost:5173"),
        ("Access-Control-Request-Method", "POST"),
    ];
    // ANY /{proxy+} matches OPTIONS, so it takes the preflight and its authorizer refuses a
    // request that carries no Authorization, as on AWS.
    let r = gw.request("OPTIONS", "/trap/orders", &preflight, "").await;
    assert_eq!(
        (r.status, r.text()),
        (401, r#"{"message":"Unauthorized"}"#.into())
    );
    assert_eq!(r.header("x-glassgate-cause"), Some("identity-missing"));
    let id = r.header("apigw-requestid").expect("id").to_owned();
    let (_, body) = gw
        .admin("GET", &format!("/requests/{}", enc(&id)), "")
        .await;
    let trace = &body["trace"];
    assert_eq!(trace["preflight"], "routed", "{trace}");
    let summary = body["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("This was a CORS preflight"),
        "{summary}"
    );
    assert!(summary.contains("route ANY /{proxy+}"), "{summary}");
    let first_step = body["diagnosis"]["nextSteps"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        first_step.contains("Method OPTIONS and Auth: {Authorizer: NONE}"),
        "{first_step}"
    );
}

#[tokio::test]
async fn payload_1_0_on_an_http_api_has_its_own_differences_from_rest() {
    let code = code_dir();
    let gw = Gateway::start(&template(code.path(), false), &[]);
    let r = gw.request("GET", "/dev/v1/5?a=1&a=2", &[], "").await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.header("apigw-requestid").expect("id").to_owned();
    let e = r.json();
    assert_eq!(e["version"], "1.0");
    assert_eq!(e["resource"], "/v1/{id}");
    assert_eq!(e["path"], "/dev/v1/5");
    assert_eq!(e["httpMethod"], "GET");
    assert_eq!(e["pathParameters"]["id"], "5");
    assert_eq!(
        e["multiValueQueryStringParameters"]["a"],
        serde_json::json!(["1", "2"])
    );
    let rc = &e["requestContext"];
    assert_eq!(rc["resourceId"], "GET /v1/{id}");
    assert_eq!(rc["resourcePath"], "/v1/{id}");
    assert_eq!(rc["path"], "/dev/v1/5");
    assert_eq!(rc["stage"], "dev");
    assert_eq!(rc["requestId"], id.as_str());
    assert_eq!(rc["extendedRequestId"], id.as_str());
}

#[tokio::test]
async fn stages_write_access_log_lines_with_their_context_variables() {
    let code = code_dir();
    let t = format!(
        r#"
Resources:
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      AccessLogSettings:
        DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:http
        Format: '{{"requestId":"$context.requestId","routeKey":"$context.routeKey","status":"$context.status","len":"$context.responseLength","error":"$context.error.message","integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error"}}'
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      AccessLogSetting:
        Format: '$context.identity.sourceIp [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId'
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.boom
      Events:
        H: {{Type: HttpApi, Properties: {{ApiId: !Ref Http, Path: /boom, Method: get}}}}
        R: {{Type: Api, Properties: {{RestApiId: !Ref Rest, Path: /rest, Method: get}}}}
"#,
        code = code.path().display()
    );
    let gw = Gateway::start(&t, &[]);
    let r = gw.get("/boom").await;
    assert_eq!(r.status, 500);
    let id = r.header("apigw-requestid").expect("id").to_owned();
    let (_, body) = gw
        .admin("GET", &format!("/requests/{}", enc(&id)), "")
        .await;
    let line = body["trace"]["accessLog"]
        .as_str()
        .expect("an access log line")
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&line).expect("the line is the Format's JSON");
    assert_eq!(v["requestId"], id.as_str());
    assert_eq!(v["routeKey"], "GET /boom");
    assert_eq!(v["status"], "500");
    assert_eq!(v["len"], "35");
    assert_eq!(v["error"], "Internal Server Error");
    assert!(
        v["integrationError"]
            .as_str()
            .is_some_and(|s| s.contains("ValueError")),
        "{v}"
    );
    assert_eq!(v["authorizerError"], "-");

    // REST's access log, in text mode as its own stderr line.
    let gw = Gateway::start(&t, &["--log-format", "text"]);
    let r = gw.get("/rest").await;
    assert_eq!(r.status, 502);
    let rid = r.header("x-amzn-requestid").expect("id").to_owned();
    let logs = gw.wait_for_log(&format!("502 36 {rid}"), std::time::Duration::from_secs(5));
    let line = logs
        .lines()
        .find(|l| l.starts_with("access-log Rest: "))
        .unwrap_or_else(|| panic!("no access log line in:\n{logs}"));
    assert!(line.contains("\"GET /rest HTTP/1.1\" 502 36 "), "{line}");
    assert!(line.starts_with("access-log Rest: 127.0.0.1 ["), "{line}");
}

#[test]
fn invoke_and_the_authorizer_test_invoke_work_on_http_apis() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("app.py"), CORS_CODE).expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, cors_template(code.path())).expect("write");
    let out = crate::support::succeed(glassgate().arg("invoke").arg(&path).args([
        "GET",
        "/items",
        "-H",
        "Authorization: good",
    ]));
    assert!(out.starts_with("HTTP/1.1 200 OK\n"), "{out}");
    let head = out.split("\n\n").next().unwrap_or_default();
    assert!(head.contains("\napigw-requestid: "), "{out}");
    assert!(!head.contains("x-amzn-RequestId"), "{out}");
    let out = crate::support::succeed(glassgate().arg("invoke").arg(&path).args(["GET", "/items"]));
    assert!(out.starts_with("HTTP/1.1 401 Unauthorized\n"), "{out}");
    assert!(out.contains("{\"message\":\"Unauthorized\"}"), "{out}");
}

#[tokio::test]
async fn the_admin_test_invoke_runs_an_http_api_authorizer() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("app.py"), CORS_CODE).expect("write");
    let gw = Gateway::start(&cors_template(code.path()), &[]);
    let (status, body) = gw
        .admin(
            "POST",
            "/authorizers/Simple/test-invoke",
            r#"{"method":"GET","path":"/items","headers":{"Authorization":"good"}}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // As TestInvokeAuthorizer: 0 for a result that allows.
    assert_eq!(body["clientStatus"], 0, "{body}");
    let (_, body) = gw
        .admin(
            "POST",
            "/authorizers/Simple/test-invoke",
            r#"{"method":"GET","path":"/items","headers":{"Authorization":"bad"}}"#,
        )
        .await;
    assert_eq!(body["clientStatus"], 403, "{body}");
}

#[tokio::test]
async fn a_host_named_by_an_api_id_reaches_that_api_alone() {
    let code = code_dir();
    let t = format!(
        r#"
Resources:
  First:
    Type: AWS::Serverless::HttpApi
  Second:
    Type: AWS::Serverless::HttpApi
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      GatewayResponses:
        MISSING_AUTHENTICATION_TOKEN:
          StatusCode: 404
          ResponseTemplates: {{"application/json": '{{"error":"no such route"}}'}}
  TextFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.text
      Events:
        A: {{Type: HttpApi, Properties: {{ApiId: !Ref First, Path: /same, Method: get}}}}
  InferredFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.inferred
      Events:
        B: {{Type: HttpApi, Properties: {{ApiId: !Ref Second, Path: /same, Method: get}}}}
        C: {{Type: Api, Properties: {{RestApiId: !Ref Rest, Path: /rest, Method: get}}}}
"#,
        code = code.path().display()
    );
    let gw = Gateway::start(&t, &[]);
    assert!(
        gw.stdout_banner
            .contains("each API also answers alone on a host named by its id")
    );
    let id = |name: &str| {
        let line = gw
            .stdout_banner
            .lines()
            .find(|l| l.contains(&format!(" API {name} (id ")))
            .expect("the API's line");
        line.split("(id ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .expect("id")
            .to_owned()
    };
    // At the root the first HTTP API takes /same; the second's is shadowed...
    assert_eq!(gw.get("/same").await.text(), "Hello from Lambda!");
    // ...and reachable on its own host.
    let host = format!("{}.localhost", id("Second"));
    let r = gw.request("GET", "/same", &[("Host", &host)], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "no statusCode here"})
    );
    // On its host an API answers its own misses: the HTTP API's 404, not REST's 403.
    let r = gw.request("GET", "/rest", &[("Host", &host)], "").await;
    assert_eq!(
        (r.status, r.text()),
        (404, r#"{"message":"Not Found"}"#.into())
    );
    // The REST API's host gets its customised MISSING_AUTHENTICATION_TOKEN, which at the
    // root (three APIs) would be ambiguous.
    let rest = format!("{}.execute-api.us-east-1.amazonaws.com", id("Rest"));
    let r = gw.request("GET", "/nope", &[("Host", &rest)], "").await;
    assert_eq!(
        (r.status, r.text()),
        (404, r#"{"error":"no such route"}"#.into())
    );
    let r = gw.get("/nope").await;
    assert_eq!(r.status, 403);
}
