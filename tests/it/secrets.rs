//! Secrets (issue #14, item 6): distinctive tokens sent through each Lambda authorizer kind
//! (REST TOKEN, REST REQUEST with a header and a query-string source, HTTP API REQUEST) and
//! each of its outcomes (allow, deny, `Unauthorized`, a crash, a malformed result) never show
//! up in the execution log, the traces and lists of the admin API, `explain`, or the response
//! headers.

use crate::support::{Gateway, enc, glassgate, succeed};

const AUTHORIZER: &str = r#"
import sys

def decide(secret, arn):
    outcome = secret.rsplit("-", 1)[-1]
    if outcome == "unauth":
        raise Exception("Unauthorized")
    if outcome == "crash":
        sys.exit(3)
    if outcome == "bad":
        return "not a policy"
    effect = "Allow" if outcome == "allow" else "Deny"
    return {"principalId": "user-1", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": "*"}]}}

def token(event, context):
    return decide(event["authorizationToken"].split(" ")[-1], event["methodArn"])

def request(event, context):
    return decide(event["headers"].get("X-Key") or event["headers"].get("x-key"), event.get("methodArn"))

def simple(event, context):
    secret = event["headers"]["x-key"]
    if secret.endswith("-crash"):
        sys.exit(3)
    return {"isAuthorized": secret.endswith("-allow")}

def backend(event, context):
    return {"statusCode": 200, "body": "ok"}
"#;

fn template(code: &std::path::Path) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {{Runtime: python3.12, CodeUri: {code}}}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        Authorizers:
          Tok: {{FunctionArn: !GetAtt TokenFn.Arn, Identity: {{ReauthorizeEvery: 0}}}}
          Req:
            FunctionArn: !GetAtt RequestFn.Arn
            FunctionPayloadType: REQUEST
            Identity: {{Headers: [X-Key], QueryStrings: [key], ReauthorizeEvery: 300}}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Simple:
            FunctionArn: !GetAtt SimpleFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {{Headers: [x-key]}}
  TokenFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: auth.token, Timeout: 3}}}}
  RequestFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: auth.request, Timeout: 3}}}}
  SimpleFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: auth.simple, Timeout: 3}}}}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      Handler: auth.backend
      Events:
        T: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /t, Method: get, Auth: {{Authorizer: Tok}}}}}}
        R: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /r, Method: get, Auth: {{Authorizer: Req}}}}}}
        H: {{Type: HttpApi, Properties: {{ApiId: !Ref Http, Path: /h, Method: get, Auth: {{Authorizer: Simple}}}}}}
"#,
        code = code.display()
    )
}

#[tokio::test]
async fn tokens_never_reach_logs_traces_explain_or_headers() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("auth.py"), AUTHORIZER).expect("write authorizer");
    let gw = Gateway::start(&template(code.path()), &[]);
    let mut ids = Vec::new();
    let mut headers_seen = String::new();
    let mut n = 0;
    let mut secret = |outcome: &str| {
        n += 1;
        format!("SECRETtok{n}x-{outcome}")
    };
    for outcome in ["allow", "deny", "unauth", "crash", "bad"] {
        let s = secret(outcome);
        let r = gw
            .request(
                "GET",
                "/t",
                &[("Authorization", &format!("Bearer {s}"))],
                "",
            )
            .await;
        ids.push(r.header("x-amzn-RequestId").expect("id").to_owned());
        headers_seen.push_str(&format!("{:?}", r.headers));
        let s = secret(outcome);
        let r = gw
            .request("GET", &format!("/r?key={s}q"), &[("X-Key", &s)], "")
            .await;
        ids.push(r.header("x-amzn-RequestId").expect("id").to_owned());
        headers_seen.push_str(&format!("{:?}", r.headers));
    }
    for outcome in ["allow", "deny", "crash"] {
        let s = secret(outcome);
        let r = gw.request("GET", "/h", &[("x-key", &s)], "").await;
        ids.push(r.header("apigw-requestid").expect("id").to_owned());
        headers_seen.push_str(&format!("{:?}", r.headers));
    }
    // Everything the tool shows about those requests.
    let mut shown = gw.logs();
    shown.push_str(&headers_seen);
    let (_, list) = gw.admin("GET", "/requests", "").await;
    shown.push_str(&list.to_string());
    let (_, cache) = gw.admin("GET", "/authorizers/cache", "").await;
    shown.push_str(&cache.to_string());
    let admin = format!("http://{}", gw.admin);
    for id in &ids {
        let (_, detail) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
        shown.push_str(&detail.to_string());
        shown.push_str(&succeed(
            glassgate().args(["explain", id, "--admin", &admin]),
        ));
    }
    assert!(ids.len() == 13, "{ids:?}");
    if let Some(at) = shown.find("SECRETtok") {
        let from = shown[..at]
            .char_indices()
            .rev()
            .nth(300)
            .map_or(0, |(i, _)| i);
        let to = (at + 200).min(shown.len());
        panic!("a token was shown:\n...{}...", &shown[from..to]);
    }
}
