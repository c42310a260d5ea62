//! Lambda authorizers on HTTP APIs (aws-httpapi-semantics.md §2) with real Python and Node
//! authorizer processes: the 2.0 and 1.0 events they receive, simple responses and IAM
//! policies against the route ARN, identity sources that 401 before the Lambda runs, the
//! cache keyed on the identity alone (a cached `true` authorizes every route), every failure
//! with HTTP API's bodies, and the context at `requestContext.authorizer.lambda`.

use crate::support::{Gateway, enc, glassgate};

const PY: &str = r#"
import json

def simple(event, context):
    token = event["headers"].get("authorization", "")
    if token == "raise":
        raise RuntimeError("the authorizer broke")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "string":
        return {"isAuthorized": "false"}
    # "admin-only" may call GET /admin and nothing else; "good" may call anything.
    ok = token == "good" or (token == "admin-only" and event["routeKey"] == "GET /admin")
    return {"isAuthorized": ok,
            "context": {"user": "ana", "n": 7, "roles": ["reader"], "event": json.dumps(event)}}

def iam(event, context):
    return {"principalId": "p-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["routeArn"]}]},
            "context": {"tier": "gold"}}

def slow(event, context):
    import time
    time.sleep(3)
    return {"isAuthorized": True}

def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps(event["requestContext"].get("authorizer"))}
"#;

const NODE: &str = r#"
exports.v1 = async (event) => ({
  principalId: 'node-user',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
  },
  context: { event: JSON.stringify(event) },
});
"#;

fn template(code: &std::path::Path) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {{CodeUri: {code}, Runtime: python3.12, Timeout: 30}}
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: dev
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt SimpleFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {{Headers: [Authorization], ReauthorizeEvery: 300}}
          Uncached:
            FunctionArn: !GetAtt SimpleFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {{Headers: [Authorization]}}
          Iam:
            FunctionArn: !GetAtt IamFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            Identity: {{Headers: [Authorization], ReauthorizeEvery: 300}}
          Slow:
            FunctionArn: !GetAtt SlowFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {{Headers: [Authorization]}}
          NodeV1:
            FunctionArn: !GetAtt NodeFn.Arn
            AuthorizerPayloadFormatVersion: "1.0"
            Identity: {{Headers: [Authorization], QueryStrings: [tenant]}}
  SimpleFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: app.simple}}}}
  IamFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: app.iam}}}}
  SlowFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: app.slow, Timeout: 1}}}}
  NodeFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: auth.v1, Runtime: nodejs20.x}}}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        Admin: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /admin, Method: get}}}}
        Other: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /other, Method: get}}}}
        Fresh: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: "/fresh/{{id}}", Method: get, Auth: {{Authorizer: Uncached}}}}}}
        Iam: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: "/iam/{{id}}", Method: get, Auth: {{Authorizer: Iam}}}}}}
        Node: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /node, Method: post, Auth: {{Authorizer: NodeV1}}}}}}
        Open: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /open, Method: get, Auth: {{Authorizer: NONE}}}}}}
        SlowAuth: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /slow-auth, Method: get, Auth: {{Authorizer: Slow}}}}}}
"#,
        code = code.display()
    )
}

fn start() -> (tempfile::TempDir, Gateway) {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("app.py"), PY).expect("write");
    std::fs::write(code.path().join("auth.js"), NODE).expect("write");
    let gw = Gateway::start(&template(code.path()), &[]);
    (code, gw)
}

async fn get(gw: &Gateway, path: &str, token: &str) -> crate::support::Resp {
    gw.request("GET", path, &[("Authorization", token)], "")
        .await
}

#[tokio::test]
async fn a_simple_response_allows_and_hands_its_context_on_with_json_types() {
    let (_code, gw) = start();
    let r = get(&gw, "/dev/fresh/7?x=1", "good").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let authorizer = r.json();
    let lambda = &authorizer["lambda"];
    assert_eq!(lambda["user"], "ana");
    assert_eq!(lambda["n"], 7);
    assert_eq!(lambda["roles"], serde_json::json!(["reader"]));
    // No principalId or integrationLatency beside `lambda` in 2.0 (§2.7).
    assert_eq!(
        authorizer.as_object().map(|o| o.len()),
        Some(1),
        "{authorizer}"
    );

    // The 2.0 authorizer event, as the authorizer saw it.
    let event: serde_json::Value =
        serde_json::from_str(lambda["event"].as_str().expect("event text")).expect("json");
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["routeKey"], "GET /fresh/{id}");
    assert_eq!(event["rawPath"], "/dev/fresh/7");
    assert_eq!(event["rawQueryString"], "x=1");
    assert_eq!(event["identitySource"], serde_json::json!(["good"]));
    assert_eq!(event["pathParameters"]["id"], "7");
    assert_eq!(event["requestContext"]["stage"], "dev");
    let arn = event["routeArn"].as_str().expect("routeArn");
    assert!(
        arn.starts_with("arn:aws:execute-api:us-east-1:123456789012:"),
        "{arn}"
    );
    assert!(arn.ends_with("/dev/GET/fresh/7"), "{arn}");
    assert!(
        event.get("body").is_none() && event.get("isBase64Encoded").is_none(),
        "{event}"
    );
}

#[tokio::test]
async fn denials_missing_identities_and_failures_answer_http_api_bodies() {
    let (_code, gw) = start();
    let cases = [
        // (token, status, body, cause)
        (
            "bad",
            403,
            r#"{"message":"Forbidden"}"#,
            "authorizer-denied",
        ),
        (
            "raise",
            500,
            r#"{"message":"Internal Server Error"}"#,
            "authorizer-error",
        ),
        (
            "unauthorized",
            401,
            r#"{"message":"Unauthorized"}"#,
            "authorizer-unauthorized",
        ),
        (
            "string",
            500,
            r#"{"message":"Internal Server Error"}"#,
            "authorizer-malformed-response",
        ),
    ];
    for (token, status, body, cause) in cases {
        let r = get(&gw, "/dev/fresh/1", token).await;
        assert_eq!((r.status, r.text()), (status, body.to_owned()), "{token}");
        assert_eq!(r.header("x-glassgate-layer"), Some("authorizer"), "{token}");
        assert_eq!(r.header("x-glassgate-cause"), Some(cause), "{token}");
    }

    // No identity: 401 before the authorizer runs, even though this one does not cache.
    let r = gw.get("/dev/fresh/1").await;
    assert_eq!(
        (r.status, r.text()),
        (401, r#"{"message":"Unauthorized"}"#.into())
    );
    assert_eq!(r.header("x-glassgate-cause"), Some("identity-missing"));
    let id = r.header("apigw-requestid").expect("id").to_owned();
    let (status, body) = gw
        .admin("GET", &format!("/requests/{}", enc(&id)), "")
        .await;
    let trace = &body["trace"];
    assert_eq!(status, 200, "{trace}");
    assert!(trace["authorizer"].is_object(), "{trace}");
    assert!(trace["authorizer"]["invocation"].is_null(), "{trace}");
    assert!(
        body["diagnosis"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("$request.header.Authorization")),
        "{trace}"
    );

    // An open route runs no authorizer.
    assert_eq!(gw.get("/dev/open").await.status, 200);
}

#[tokio::test]
async fn a_cached_simple_true_authorizes_every_route_until_its_ttl() {
    let (_code, gw) = start();
    // Uncached, "admin-only" may not call /other.
    let r = get(&gw, "/dev/other", "admin-only").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-glassgate-authorizer-cache"), Some("miss"));

    let (_code, gw) = start();
    let r = get(&gw, "/dev/admin", "admin-only").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-glassgate-authorizer-cache"), Some("miss"));
    // The cache key is the Authorization value alone: the true cached for /admin lets the
    // same caller into /other, and the authorizer does not run.
    let r = get(&gw, "/dev/other", "admin-only").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let cache = r.header("x-glassgate-authorizer-cache").unwrap_or_default();
    assert!(cache.starts_with("hit;"), "{cache}");
    let id = r.header("apigw-requestid").expect("id").to_owned();
    let (_, body) = gw
        .admin("GET", &format!("/requests/{}", enc(&id)), "")
        .await;
    let trace = &body["trace"];
    assert!(trace["authorizer"].is_object(), "{trace}");
    assert!(trace["authorizer"]["invocation"].is_null(), "{trace}");

    // And validate says so before anyone meets it.
    let out = glassgate()
        .arg("validate")
        .arg(gw.template_path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("authorizer Simple returns simple responses cached for 300 s keyed on its identity sources only"),
        "{text}"
    );
    assert!(
        text.contains("add $context.routeKey to Identity.Context"),
        "{text}"
    );
}

#[tokio::test]
async fn an_iam_policy_is_evaluated_against_the_route_arn_even_from_the_cache() {
    let (_code, gw) = start();
    let r = get(&gw, "/dev/iam/1", "t").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["lambda"], serde_json::json!({"tier": "gold"}));
    // The cached policy allows only /iam/1's ARN.
    let r = get(&gw, "/dev/iam/2", "t").await;
    assert_eq!(
        (r.status, r.text()),
        (403, r#"{"message":"Forbidden"}"#.into())
    );
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("cached-policy-not-covered")
    );
}

#[tokio::test]
async fn a_node_authorizer_on_payload_1_gets_the_rest_style_event_with_a_version() {
    let (_code, gw) = start();
    let r = gw
        .request(
            "POST",
            "/dev/node?tenant=t1",
            &[("Authorization", "tok")],
            "body",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let lambda = &r.json()["lambda"];
    let event: serde_json::Value =
        serde_json::from_str(lambda["event"].as_str().expect("event")).expect("json");
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["identitySource"], "tok,t1");
    assert_eq!(event["authorizationToken"], "tok,t1");
    assert_eq!(event["httpMethod"], "POST");
    let arn = event["methodArn"].as_str().expect("methodArn");
    assert!(arn.ends_with("/dev/POST/node"), "{arn}");
    // Both sources are required on an HTTP API: without the query string, 401.
    let r = gw
        .request("POST", "/dev/node", &[("Authorization", "tok")], "")
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("identity-missing"));
}

#[tokio::test]
async fn the_allow_stand_in_serves_an_http_route_without_running_its_authorizer() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("app.py"), PY).expect("write");
    std::fs::write(code.path().join("auth.js"), NODE).expect("write");
    let gw = Gateway::start(&template(code.path()), &["--authorizer", "Simple=allow"]);
    // No token at all: the stand-in allows, and the authorizer function never runs.
    let r = gw.get("/dev/admin").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), serde_json::json!({"lambda": {}}));
    assert_eq!(
        r.header("x-glassgate-authorizer-mode"),
        Some("allow; authorizer=Simple")
    );
    // Other authorizers keep running.
    assert_eq!(gw.get("/dev/iam/1").await.status, 401);
}

#[tokio::test]
async fn an_authorizer_past_its_timeout_is_a_500_and_the_route_test_invoke_skips_it() {
    let (_code, gw) = start();
    let r = get(&gw, "/dev/slow-auth", "t").await;
    assert_eq!(
        (r.status, r.text()),
        (500, r#"{"message":"Internal Server Error"}"#.into())
    );
    assert_eq!(r.header("x-glassgate-cause"), Some("authorizer-timeout"));

    // TestInvokeMethod: the route runs without its authorizer, HTTP API bodies and all.
    let (status, body) = gw
        .admin(
            "POST",
            "/test-invoke",
            r#"{"method":"GET","path":"/dev/admin"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 200, "{body}");
    assert!(
        body["log"]
            .as_str()
            .is_some_and(|l| l.contains("authorization skipped")),
        "{body}"
    );
    let (_, body) = gw
        .admin(
            "POST",
            "/test-invoke",
            r#"{"method":"GET","path":"/dev/nowhere"}"#,
        )
        .await;
    assert_eq!(body["status"], 404, "{body}");
    assert_eq!(body["body"], r#"{"message":"Not Found"}"#, "{body}");
}
