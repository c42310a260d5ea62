//! Secrets (issue #14, item 6): distinctive tokens sent through each authorizer kind (REST
//! TOKEN, REST REQUEST with a header and a query-string source, HTTP API REQUEST, HTTP API
//! JWT, REST Cognito user pools, AWS_IAM signatures in a header and in a presigned URL) and each of their outcomes
//! (allow, deny, `Unauthorized`, a crash, a malformed result; a good, expired, forged or
//! misaddressed JWT, and the same for a REST Cognito user pool's ID tokens; a good and a
//! tampered signature) never show up in the execution log, the
//! traces, lists and request views of the admin API, its event stream, `explain`, or the
//! response headers.

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

/// An open `GET /events` stream, to read what it sent once the requests are done.
async fn subscribe(gw: &Gateway) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(gw.admin)
        .await
        .expect("connect");
    s.write_all(format!("GET /events HTTP/1.1\r\nHost: {}\r\n\r\n", gw.admin).as_bytes())
        .await
        .expect("write");
    s
}

/// What the stream sent until it has been quiet for half a second.
async fn sent(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok(Ok(n)) =
        tokio::time::timeout(std::time::Duration::from_millis(500), stream.read(&mut buf)).await
    {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything glassgate shows about the requests `ids`: its logs, the admin API's list,
/// authorizers and request views, `explain` of each.
async fn everything_shown(gw: &Gateway, ids: &[String]) -> String {
    let mut shown = gw.logs();
    let (_, list) = gw.admin("GET", "/requests", "").await;
    shown.push_str(&list.to_string());
    let (_, auths) = gw.admin("GET", "/authorizers", "").await;
    shown.push_str(&auths.to_string());
    let admin = format!("http://{}", gw.admin);
    for id in ids {
        let (_, detail) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
        shown.push_str(&detail.to_string());
        shown.push_str(&succeed(
            glassgate().args(["explain", id, "--admin", &admin]),
        ));
    }
    shown
}

/// JWTs sent (each with the status it must get, and its response): neither a token nor its
/// signature (what makes it a credential; the claims are handed on) shows anywhere.
async fn assert_tokens_hidden(
    gw: &Gateway,
    events: &mut tokio::net::TcpStream,
    id_header: &str,
    sent_tokens: Vec<(String, u16, crate::support::Resp)>,
) {
    let mut ids = Vec::new();
    let mut shown = String::new();
    let mut needles = Vec::new();
    for (t, status, r) in sent_tokens {
        assert_eq!(r.status, status, "{}", r.text());
        ids.push(r.header(id_header).expect("id").to_owned());
        shown.push_str(&format!("{:?}", r.headers));
        needles.push(t.rsplit('.').next().expect("signature").to_owned());
        needles.push(t);
    }
    shown.push_str(&everything_shown(gw, &ids).await);
    shown.push_str(&sent(events).await);
    assert_hidden(&shown, &needles);
}

/// Fail with the context of the first needle found in `shown`.
fn assert_hidden(shown: &str, needles: &[String]) {
    for needle in needles {
        if let Some(at) = shown.find(needle.as_str()) {
            let from = shown[..at]
                .char_indices()
                .rev()
                .nth(300)
                .map_or(0, |(i, _)| i);
            let to = (at + needle.len() + 200).min(shown.len());
            panic!("a secret ({needle}) was shown:\n...{}...", &shown[from..to]);
        }
    }
}

#[tokio::test]
async fn tokens_never_reach_logs_traces_explain_or_headers() {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("auth.py"), AUTHORIZER).expect("write authorizer");
    let gw = Gateway::start(&template(code.path()), &[]);
    let mut events = subscribe(&gw).await;
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
    let (_, cache) = gw.admin("GET", "/authorizers", "").await;
    shown.push_str(&cache.to_string());
    let admin = format!("http://{}", gw.admin);
    for id in &ids {
        let (_, detail) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
        shown.push_str(&detail.to_string());
        shown.push_str(&succeed(
            glassgate().args(["explain", id, "--admin", &admin]),
        ));
    }
    let stream = sent(&mut events).await;
    assert!(stream.contains("event: request"), "{stream}");
    shown.push_str(&stream);
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

#[tokio::test]
async fn jwts_never_reach_logs_traces_explain_events_or_headers() {
    use crate::jwt::{Issuer, call, claims, code, now, template, token};
    let issuer = Issuer::start();
    let code = code();
    let gw = Gateway::start(&template(code.path(), &issuer.url), &[]);
    let mut events = subscribe(&gw).await;
    let good = claims(&issuer.url);
    let mut expired = good.clone();
    expired["exp"] = serde_json::json!(now() - 60);
    let mut elsewhere = good.clone();
    elsewhere["aud"] = serde_json::json!("another-app");
    let tokens = [
        (token("k1.pem", "k1", good.clone()), 200),
        (token("k1.pem", "k1", expired), 401),
        // Signed by a key the issuer never published, under its key id: a forgery.
        (token("other.pem", "k1", good), 401),
        (token("k1.pem", "k1", elsewhere), 401),
    ];
    let mut sent_tokens = Vec::new();
    for (t, status) in &tokens {
        let r = call(&gw, "/me", t).await;
        sent_tokens.push((t.clone(), *status, r));
    }
    assert_tokens_hidden(&gw, &mut events, "apigw-requestid", sent_tokens).await;
}

#[tokio::test]
async fn sigv4_signatures_and_keys_never_reach_logs_traces_explain_events_or_headers() {
    use crate::iam::{ALICE, presign, signed, with_credentials};
    let gw = with_credentials();
    let mut events = subscribe(&gw).await;
    let mut ids = Vec::new();
    let mut shown = String::new();
    let mut needles = vec![ALICE.secret.to_owned()];
    let good = signed(&gw, &ALICE, "POST", "/private", "{}", "{}").await;
    let tampered = signed(&gw, &ALICE, "POST", "/private", "{\"x\":1}", "{}").await;
    assert_eq!(good.status, 200, "{}", good.text());
    assert_eq!(tampered.status, 403, "{}", tampered.text());
    for r in [&good, &tampered] {
        ids.push(r.header("x-amzn-requestid").expect("id").to_owned());
        shown.push_str(&format!("{:?}", r.headers));
    }
    let url = presign(&gw, &ALICE, "/private", 300);
    let presigned = gw.get(&url).await;
    ids.push(presigned.header("x-amzn-requestid").expect("id").to_owned());
    shown.push_str(&format!("{:?}", presigned.headers));
    let signature = url
        .split("X-Amz-Signature=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("a presigned signature");
    needles.push(signature.to_owned());
    // The header-form signatures, read back from what the client sent.
    for id in &ids[..2] {
        let (_, detail) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
        let auth = detail["request"]["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .find(|h| h["name"] == "Authorization")
            .expect("Authorization")
            .clone();
        assert_eq!(auth["masked"], true, "{auth}");
    }
    shown.push_str(&everything_shown(&gw, &ids).await);
    shown.push_str(&sent(&mut events).await);
    assert_hidden(&shown, &needles);
}

#[tokio::test]
async fn cognito_tokens_never_reach_logs_traces_explain_events_or_headers() {
    use crate::cognito::{POOL, id_token, sam};
    use crate::jwt::{Issuer, code, now, token};
    let issuer = Issuer::start();
    let code = code();
    let keys = format!("{POOL}={}/jwks.json", issuer.url);
    let gw = Gateway::start(&sam(code.path()), &["--jwks", &keys]);
    let mut events = subscribe(&gw).await;
    let mut expired = id_token(POOL);
    expired["exp"] = serde_json::json!(now() - 60);
    let tokens = [
        (token("k1.pem", "k1", id_token(POOL)), 200),
        (token("k1.pem", "k1", expired), 401),
        (token("other.pem", "k1", id_token(POOL)), 401),
    ];
    let mut sent_tokens = Vec::new();
    for (t, status) in &tokens {
        let r = gw
            .request("GET", "/me", &[("Authorization", t.as_str())], "")
            .await;
        sent_tokens.push((t.clone(), *status, r));
    }
    assert_tokens_hidden(&gw, &mut events, "x-amzn-requestid", sent_tokens).await;
}
