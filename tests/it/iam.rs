//! `AWS_IAM` authorization (issue #11): requests signed here by botocore's own SigV4 signer
//! (`tests/fixtures/iam/sign.py`, the signer every AWS SDK for Python uses), valid and
//! tampered, against the fixture project `iam-api` (a SAM Api with `DefaultAuthorizer:
//! AWS_IAM`, an OpenAPI `awsSigv4` scheme, an `HttpApi` event) served with the credentials of
//! `tests/fixtures/iam/credentials`.

use std::path::{Path, PathBuf};

use crate::support::{Gateway, Resp};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn serve(args: &[&str]) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = fixture("projects/iam-api");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    for f in ["template.yaml", "src/app.py"] {
        std::fs::copy(project.join(f), dir.path().join(f)).expect("copy");
    }
    let template = dir.path().join("template.yaml");
    Gateway::start_in(dir, &template, args)
}

pub(crate) fn with_credentials() -> Gateway {
    let creds = fixture("iam/credentials").display().to_string();
    serve(&["--iam-credentials", &creds])
}

/// A signer's identity.
pub(crate) struct Signer<'a> {
    key: &'a str,
    pub(crate) secret: &'a str,
    token: Option<&'a str>,
    region: &'a str,
}

pub(crate) const ALICE: Signer<'static> = Signer {
    key: "AKIDALICE",
    secret: "alice-secret",
    token: None,
    region: "us-east-1",
};

/// The headers botocore adds to sign `method url body` (with `headers` signed too).
fn sign(
    s: &Signer<'_>,
    method: &str,
    url: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Vec<(String, String)> {
    let spec = serde_json::json!({
        "method": method, "url": url, "body": body,
        "headers": headers.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
        "key": s.key, "secret": s.secret, "token": s.token, "region": s.region,
    });
    let out = std::process::Command::new("python3")
        .arg(fixture("iam/sign.py"))
        .arg(spec.to_string())
        .output()
        .expect("run the signer");
    assert!(
        out.status.success(),
        "sign.py failed (botocore is needed: pip install botocore): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("signer output");
    signed
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Send `method path` with `headers` and `body`, signed by `s` for `signed_body` (the body
/// the signer saw, which a tampering test changes).
pub(crate) async fn signed(
    gw: &Gateway,
    s: &Signer<'_>,
    method: &str,
    path: &str,
    body: &str,
    signed_body: &str,
) -> Resp {
    let url = format!("http://{}{path}", gw.addr);
    let extra = [("Content-Type", "application/json")];
    let headers = sign(s, method, &url, signed_body, &extra);
    let mut all: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
        .collect();
    all.extend(extra);
    gw.request(method, path, &all, body).await
}

/// A presigned URL for `GET path` (path and query), valid for `expires` seconds.
pub(crate) fn presign(gw: &Gateway, s: &Signer<'_>, path: &str, expires: u64) -> String {
    let spec = serde_json::json!({
        "method": "GET", "url": format!("http://{}{path}", gw.addr), "body": "",
        "key": s.key, "secret": s.secret, "token": s.token, "region": s.region,
        "presign": expires,
    });
    let out = std::process::Command::new("python3")
        .arg(fixture("iam/sign.py"))
        .arg(spec.to_string())
        .output()
        .expect("run the signer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("signer output");
    let url = v["url"].as_str().expect("url");
    let at = url.find(&gw.addr.to_string()).expect("host in url") + gw.addr.to_string().len();
    url[at..].to_owned()
}

fn message(r: &Resp) -> String {
    r.json()["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn signed_requests_pass_and_carry_the_callers_identity() {
    let gw = with_credentials();
    assert!(
        gw.stdout_banner
            .contains("AWS_IAM routes check SigV4 signatures against 2 access key(s)"),
        "{}",
        gw.stdout_banner
    );
    // REST: the identity block is the caller's, and there is no authorizer block.
    let r = signed(&gw, &ALICE, "GET", "/private?b=2&a=x%20y", "", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["identity"]["accessKey"], "AKIDALICE");
    assert_eq!(
        v["identity"]["userArn"],
        "arn:aws:iam::111122223333:user/alice"
    );
    assert_eq!(v["identity"]["accountId"], "111122223333");
    assert_eq!(v["identity"]["caller"], "AIDAALICE");
    assert_eq!(v["identity"]["user"], "AIDAALICE");
    assert!(v["authorizer"].is_null(), "{v}");
    // A body and a path that is encoded on the wire (signed twice-encoded, as signers do).
    let r = signed(&gw, &ALICE, "POST", "/private", r#"{"a":1}"#, r#"{"a":1}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["body"], r#"{"a":1}"#);
    let r = signed(&gw, &ALICE, "GET", "/items/a%20b", "", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The OpenAPI scheme and the HTTP API route (its caller at authorizer.iam).
    let r = signed(&gw, &ALICE, "GET", "/spec/private", "", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = signed(&gw, &ALICE, "GET", "/v2/private", "", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["version"], "2.0");
    assert_eq!(v["authorizer"]["iam"]["accessKey"], "AKIDALICE");
    assert_eq!(
        v["authorizer"]["iam"]["userArn"],
        "arn:aws:iam::111122223333:user/alice"
    );
    assert_eq!(v["authorizer"]["iam"]["accountId"], "111122223333");
    // Temporary credentials: the session token is part of the signature and must be sent.
    let temp = Signer {
        key: "ASIATEMP",
        secret: "temp-secret",
        token: Some("temp-token"),
        region: "us-east-1",
    };
    let r = signed(&gw, &temp, "GET", "/private", "", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let no_token = Signer {
        token: None,
        ..temp
    };
    let r = signed(&gw, &no_token, "GET", "/private", "", "").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        message(&r),
        "The security token included in the request is invalid."
    );
    // The open route needs nothing.
    assert_eq!(gw.get("/public").await.status, 200);
    // A presigned URL (the signature in the query string), and the same URL tampered.
    let url = presign(&gw, &ALICE, "/private?page=2", 300);
    let r = gw.get(&url).await;
    assert_eq!(r.status, 200, "{url}: {}", r.text());
    assert_eq!(r.json()["identity"]["accessKey"], "AKIDALICE");
    let tampered = url.replace("page=2", "page=3");
    let r = gw.get(&tampered).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("iam-signature-mismatch")
    );
}

#[tokio::test]
async fn refusals_answer_aws_bodies_and_say_why() {
    let gw = with_credentials();
    // Unsigned: REST's routing-miss answer, but the cause says what really happened.
    let r = gw.get("/private").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.text(), r#"{"message":"Missing Authentication Token"}"#);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("MissingAuthenticationTokenException")
    );
    assert_eq!(r.header("x-glassgate-layer"), Some("authorizer"));
    assert_eq!(r.header("x-glassgate-cause"), Some("iam-signature-missing"));
    // A bearer token sent to an IAM route.
    let r = gw
        .request(
            "GET",
            "/private",
            &[("Authorization", "Bearer eyJhbGciOi.x.y")],
            "",
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("IncompleteSignatureException")
    );
    assert!(
        message(&r)
            .starts_with("Invalid key=value pair (missing equal-sign) in Authorization header"),
        "{}",
        r.text()
    );
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("iam-signature-incomplete")
    );
    // Signed with a secret glassgate does not have for this key.
    let wrong = Signer {
        secret: "not-alices-secret",
        ..ALICE
    };
    let r = signed(&gw, &wrong, "GET", "/private", "", "").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("InvalidSignatureException")
    );
    let m = message(&r);
    assert!(
        m.starts_with(
            "The request signature we calculated does not match the signature you provided."
        ),
        "{m}"
    );
    assert!(
        m.contains("The Canonical String for this request should have been\n'GET\n/private\n"),
        "{m}"
    );
    assert!(
        m.contains("The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"),
        "{m}"
    );
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("iam-signature-mismatch")
    );
    // The body changed after signing.
    let r = signed(
        &gw,
        &ALICE,
        "POST",
        "/private",
        r#"{"amount":1000}"#,
        r#"{"amount":1}"#,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("iam-signature-mismatch")
    );
    // An access key nobody gave glassgate.
    let stranger = Signer {
        key: "AKIDSTRANGER",
        ..ALICE
    };
    let r = signed(&gw, &stranger, "GET", "/private", "", "").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.text(),
        r#"{"message":"The security token included in the request is invalid."}"#
    );
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("iam-unknown-access-key")
    );
    // Signed for another region.
    let elsewhere = Signer {
        region: "eu-west-1",
        ..ALICE
    };
    let r = signed(&gw, &elsewhere, "GET", "/private", "", "").await;
    assert_eq!(r.status, 403);
    assert!(message(&r).contains("not 'eu-west-1'"), "{}", r.text());
    // The HTTP API answers its plain 403; the diagnosis headers still say why.
    let r = gw.get("/v2/private").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.text(), r#"{"message":"Forbidden"}"#);
    assert_eq!(r.header("x-glassgate-cause"), Some("iam-signature-missing"));
    let r = signed(&gw, &wrong, "GET", "/v2/private", "", "").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("iam-signature-mismatch")
    );
    // The trace names the key and the reason.
    let id = r.header("apigw-requestid").expect("request id").to_owned();
    let trace = gw.trace(&id);
    let detail = trace["failure"]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("access key AKIDALICE"), "{detail}");
}

#[tokio::test]
async fn bypass_and_missing_credentials_never_open_a_route_silently() {
    // No credentials anywhere: the banner says every request is refused, and it is.
    let home = tempfile::tempdir().expect("home");
    let dir = tempfile::tempdir().expect("tempdir");
    let project = fixture("projects/iam-api");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    for f in ["template.yaml", "src/app.py"] {
        std::fs::copy(project.join(f), dir.path().join(f)).expect("copy");
    }
    let template = dir.path().join("template.yaml");
    let home_path = home.path().display().to_string();
    let gw = Gateway::start_in_with_env(
        dir,
        &template,
        &[],
        &[
            ("HOME", home_path.as_str()),
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_SHARED_CREDENTIALS_FILE", ""),
        ],
    );
    assert!(
        gw.stdout_banner
            .contains("warning: AWS_IAM routes refuse every request"),
        "{}",
        gw.stdout_banner
    );
    let r = signed(&gw, &ALICE, "GET", "/private", "", "").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("iam-unknown-access-key")
    );
    // Bypassed on purpose, through the admin API: the backend runs, and says so.
    let (status, _) = gw
        .admin("PUT", "/authorizers/AWS_IAM/mode", r#"{"mode":"bypass"}"#)
        .await;
    assert_eq!(status, 200);
    let r = gw.get("/private").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("x-glassgate-authorizer-mode"),
        Some("bypass; authorizer=AWS_IAM")
    );
}
