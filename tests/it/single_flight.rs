//! Single flight (issue #14, item 3): a burst of requests with one identity, to an authorizer
//! whose result is cached, costs one invocation; its failure reaches every waiter and is not
//! cached, so the next request invokes again. Counted from the authorizer's own log of calls.

use crate::support::Gateway;

const AUTHORIZER: &str = r#"
import os, time

def handler(event, context):
    with open(os.path.join(os.path.dirname(__file__), "calls.txt"), "a") as f:
        f.write(event["authorizationToken"] + "\n")
    time.sleep(0.4)
    if event["authorizationToken"] == "Bearer fail":
        raise Exception("boom")
    return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}

def backend(event, context):
    return {"statusCode": 200, "body": "ok"}
"#;

#[tokio::test]
async fn one_identity_costs_one_invocation_at_a_time() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("auth.py"), AUTHORIZER).expect("write");
    let template = format!(
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
        DefaultAuthorizer: Tok
        Authorizers:
          Tok: {{FunctionArn: !GetAtt AuthFn.Arn, Identity: {{ReauthorizeEvery: 300}}}}
  AuthFn: {{Type: AWS::Serverless::Function, Properties: {{Handler: auth.handler, Timeout: 5}}}}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      Handler: auth.backend
      Events:
        E: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /x, Method: get}}}}
"#,
        code = code.path().display()
    );
    let gw = Gateway::start(&template, &["--max-concurrency", "16"]);
    let calls = || {
        std::fs::read_to_string(code.path().join("calls.txt"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let burst = |token: &'static str| {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let addr = gw.addr;
            set.spawn(async move {
                let mut conn = crate::support::Conn::open(addr).await;
                let r = conn
                    .send("GET", "/x", &[("Authorization", token)], "")
                    .await;
                (r.status, r.header("x-glassgate-cause").map(str::to_owned))
            });
        }
        set
    };
    let answers = burst("Bearer ok").join_all().await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(
        calls(),
        ["Bearer ok"],
        "ten requests of one identity, one invocation"
    );

    let answers = burst("Bearer fail").join_all().await;
    assert!(
        answers
            .iter()
            .all(|(s, c)| *s == 500 && c.as_deref() == Some("authorizer-error")),
        "{answers:?}"
    );
    assert_eq!(calls().iter().filter(|c| *c == "Bearer fail").count(), 1);
    // The failure was not cached: the next request invokes again.
    let r = gw
        .request("GET", "/x", &[("Authorization", "Bearer fail")], "")
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(calls().iter().filter(|c| *c == "Bearer fail").count(), 2);
}
