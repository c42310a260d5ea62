//! JWT authorizers of HTTP APIs against a real OpenID provider on loopback
//! (`tests/fixtures/jwt/jwks_server.py`: discovery document and JWKS over HTTP), with tokens
//! signed here by real RSA keys (`tests/fixtures/jwt/*.pem`): every check of §3.3, the
//! `www-authenticate` values of §3.4, the claims of §3.5, key rotation, an unreachable issuer
//! and `--jwks` offline keys.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use crate::support::{Gateway, enc};

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jwt")
}

/// The OpenID provider: `http://127.0.0.1:PORT` serving `dir/jwks.json`.
pub(crate) struct Issuer {
    child: Child,
    pub(crate) url: String,
    dir: tempfile::TempDir,
}

impl Issuer {
    pub(crate) fn start() -> Issuer {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(
            fixtures().join("jwks-k1.json"),
            dir.path().join("jwks.json"),
        )
        .expect("jwks");
        let mut child = Command::new("python3")
            .arg(fixtures().join("jwks_server.py"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the JWKS server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server's port");
        let url = format!("http://127.0.0.1:{}", line.trim());
        Issuer { child, url, dir }
    }

    /// Publish a second key (`k2`), as an issuer rotating its keys does.
    fn rotate(&self) {
        std::fs::copy(
            fixtures().join("jwks-k1-k2.json"),
            self.dir.path().join("jwks.json"),
        )
        .expect("rotate");
    }

    /// Withdraw `k1`, keeping `k2` only: the end of a rotation.
    fn retire_k1(&self) {
        let both: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join("jwks-k1-k2.json")).expect("jwks"),
        )
        .expect("json");
        let k2: Vec<&serde_json::Value> = both["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .filter(|k| k["kid"] == "k2")
            .collect();
        std::fs::write(
            self.dir.path().join("jwks.json"),
            json!({ "keys": k2 }).to_string(),
        )
        .expect("retire");
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A token signed with `key` (a fixture PEM file) under `kid`.
pub(crate) fn token(key: &str, kid: &str, claims: serde_json::Value) -> String {
    let pem = std::fs::read(fixtures().join(key)).expect("key");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(&pem).expect("pem"),
    )
    .expect("sign")
}

/// The claims of a good token of `iss` for audience `app`.
pub(crate) fn claims(iss: &str) -> serde_json::Value {
    json!({
        "iss": iss, "sub": "user-1", "aud": "app", "iat": now() - 10, "exp": now() + 600,
        "scope": "read admin", "email_verified": true, "groups": ["admin", "users"]
    })
}

const HANDLER: &str = r#"
import json

def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps(event["requestContext"].get("authorizer"))}
"#;

pub(crate) fn template(code: &Path, issuer: &str) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: {issuer}
              audience: [app]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.handler
      Events:
        Me: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /me, Method: get}}}}
        Admin: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /admin, Method: get, Auth: {{AuthorizationScopes: [admin]}}}}}}
        V1: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /v1, Method: get, PayloadFormatVersion: "1.0"}}}}
"#,
        code = code.display()
    )
}

pub(crate) fn code() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.py"), HANDLER).expect("write");
    dir
}

pub(crate) async fn call(gw: &Gateway, path: &str, token: &str) -> crate::support::Resp {
    gw.request(
        "GET",
        path,
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    )
    .await
}

/// The detail of a refused request's trace.
pub(crate) async fn detail(gw: &Gateway, r: &crate::support::Resp) -> String {
    let id = r.header("apigw-requestid").expect("id");
    let (_, body) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
    body["trace"]["failure"]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_valid_token_hands_its_claims_on_stringified() {
    let issuer = Issuer::start();
    let code = code();
    let gw = Gateway::start(&template(code.path(), &issuer.url), &[]);
    let r = call(&gw, "/me", &token("k1.pem", "k1", claims(&issuer.url))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let jwt = &r.json()["jwt"];
    assert_eq!(jwt["claims"]["sub"], "user-1");
    assert_eq!(jwt["claims"]["email_verified"], "true");
    assert_eq!(jwt["claims"]["groups"], "[admin users]");
    assert!(
        jwt["claims"]["exp"]
            .as_str()
            .is_some_and(|e| e.parse::<i64>().is_ok())
    );
    assert_eq!(jwt["claims"]["scope"], "read admin");
    // No route scopes: `scopes` is null, whatever the token carries.
    assert!(jwt["scopes"].is_null(), "{jwt}");

    // A route with scopes: the token's scopes come along.
    let r = call(&gw, "/admin", &token("k1.pem", "k1", claims(&issuer.url))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["jwt"]["scopes"], json!(["read", "admin"]));

    // Payload 1.0: claims and scopes straight under requestContext.authorizer.
    let r = call(&gw, "/v1", &token("k1.pem", "k1", claims(&issuer.url))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["claims"]["sub"], "user-1");
    assert!(a.get("jwt").is_none() && a["scopes"].is_null(), "{a}");
    assert!(a.get("principalId").is_none(), "{a}");

    // An access token has client_id and no aud: client_id is compared.
    let mut access = claims(&issuer.url);
    access.as_object_mut().unwrap().remove("aud");
    access["client_id"] = json!("app");
    assert_eq!(
        call(&gw, "/me", &token("k1.pem", "k1", access))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn every_refusal_says_which_check_failed() {
    let issuer = Issuer::start();
    let code = code();
    let gw = Gateway::start(&template(code.path(), &issuer.url), &[]);
    let good = claims(&issuer.url);
    let with = |k: &str, v: serde_json::Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let invalid =
        |d: &str| format!(r#"Bearer scope="" error="invalid_token" error_description="{d}""#);
    let cases: Vec<(&str, String, u16, &str, String)> = vec![
        (
            "expired",
            token("k1.pem", "k1", with("exp", json!(now() - 30))),
            401,
            "jwt-expired",
            invalid("the token has expired"),
        ),
        (
            "not yet valid",
            token("k1.pem", "k1", with("nbf", json!(now() + 300))),
            401,
            "jwt-not-yet-valid",
            invalid("the token is not valid yet"),
        ),
        (
            "issuer with a trailing slash",
            token(
                "k1.pem",
                "k1",
                with("iss", json!(format!("{}/", issuer.url))),
            ),
            401,
            "jwt-wrong-issuer",
            invalid("the token was not issued by a valid issuer"),
        ),
        (
            "wrong audience",
            token("k1.pem", "k1", with("aud", json!("other-app"))),
            401,
            "jwt-wrong-audience",
            invalid("the token does not have a valid audience"),
        ),
        (
            "signed by another key",
            token("other.pem", "k1", good.clone()),
            401,
            "jwt-bad-signature",
            invalid("the token signature is invalid"),
        ),
        (
            "an HS256 token",
            encode(
                &Header::new(Algorithm::HS256),
                &good,
                &EncodingKey::from_secret(b"shared secret"),
            )
            .expect("sign"),
            401,
            "jwt-malformed",
            invalid("the token's signing method is not supported"),
        ),
        (
            "not a JWT",
            "not-a-token".to_owned(),
            401,
            "jwt-malformed",
            invalid("token contains an invalid number of segments"),
        ),
    ];
    for (what, tok, status, cause, www) in cases {
        let r = call(&gw, "/me", &tok).await;
        assert_eq!(r.status, status, "{what}: {}", r.text());
        assert_eq!(r.text(), r#"{"message":"Unauthorized"}"#, "{what}");
        assert_eq!(r.header("x-glassgate-cause"), Some(cause), "{what}");
        assert_eq!(r.header("www-authenticate"), Some(www.as_str()), "{what}");
    }
    // The evidence names the trap.
    let r = call(
        &gw,
        "/me",
        &token(
            "k1.pem",
            "k1",
            with("iss", json!(format!("{}/", issuer.url))),
        ),
    )
    .await;
    assert!(
        detail(&gw, &r)
            .await
            .contains("only a trailing slash differs")
    );
    let r = call(
        &gw,
        "/me",
        &token("k1.pem", "k1", with("exp", json!(now() - 30))),
    )
    .await;
    // 30 s when signed; a second or two more by the time a loaded machine checks it.
    let d = detail(&gw, &r).await;
    let ago: u64 = d
        .split("expired ")
        .nth(1)
        .and_then(|rest| rest.split(" s ago").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no \"expired N s ago\" in {d:?}"));
    assert!((30..=40).contains(&ago), "{d}");

    // No token: 401 with a bare challenge.
    let r = gw.get("/me").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(r.header("x-glassgate-cause"), Some("identity-missing"));

    // Scopes: a token without the route's scope is a 403.
    let r = call(
        &gw,
        "/admin",
        &token("k1.pem", "k1", with("scope", json!("read"))),
    )
    .await;
    assert_eq!(
        (r.status, r.text()),
        (403, r#"{"message":"Forbidden"}"#.into())
    );
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-scope-missing"));
    assert_eq!(
        r.header("www-authenticate"),
        Some(
            r#"Bearer scope="admin" error="insufficient_scope" error_description="the token does not have the required scopes""#
        )
    );
    // An expired token on a route with scopes lists them in the challenge.
    let r = call(
        &gw,
        "/admin",
        &token("k1.pem", "k1", with("exp", json!(now() - 5))),
    )
    .await;
    assert_eq!(
        r.header("www-authenticate"),
        Some(
            r#"Bearer scope="admin" error="invalid_token" error_description="the token has expired""#
        )
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_and_an_unreachable_issuer_is_named() {
    let issuer = Issuer::start();
    let code = code();
    let gw = Gateway::start(&template(code.path(), &issuer.url), &[]);
    let good = claims(&issuer.url);
    assert_eq!(
        call(&gw, "/me", &token("k1.pem", "k1", good.clone()))
            .await
            .status,
        200
    );
    // A token of the next key before the issuer publishes it.
    let r = call(&gw, "/me", &token("k2.pem", "k2", good.clone())).await;
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-unknown-kid"));
    issuer.rotate();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = call(&gw, "/me", &token("k2.pem", "k2", good.clone())).await;
    assert_eq!(r.status, 200, "after the rotation: {}", r.text());
    let log = std::fs::read_to_string(issuer.dir.path().join("requests.log")).expect("log");
    assert!(log.matches("/jwks.json").count() >= 2, "{log}");

    // The issuer withdraws k1. A k1 token verified before is not taken on trust: once the
    // keys are fetched again (here for a kid they lack), it is checked against them and fails.
    let old = token("k1.pem", "k1", good.clone());
    assert_eq!(call(&gw, "/me", &old).await.status, 200);
    issuer.retire_k1();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = call(&gw, "/me", &token("k1.pem", "k3", good.clone())).await;
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-unknown-kid"));
    let r = call(&gw, "/me", &old).await;
    assert_eq!(r.status, 401, "a withdrawn key: {}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-unknown-kid"));

    // The issuer goes away: a server with no cached keys cannot check tokens.
    let url = issuer.url.clone();
    drop(issuer);
    let gw = Gateway::start(&template(code.path(), &url), &[]);
    let r = call(&gw, "/me", &token("k1.pem", "k1", claims(&url))).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("jwks-unreachable"));
    let d = detail(&gw, &r).await;
    assert!(d.contains("--jwks ISSUER=PATH_OR_URL"), "{d}");
}

#[tokio::test]
async fn offline_keys_stand_in_for_an_issuer_that_cannot_be_reached() {
    let code = code();
    let issuer = "https://issuer.invalid";
    let jwks = fixtures().join("jwks-k1.json");
    let gw = Gateway::start(
        &template(code.path(), issuer),
        &["--jwks", &format!("{issuer}={}", jwks.display())],
    );
    let r = call(&gw, "/me", &token("k1.pem", "k1", claims(issuer))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["jwt"]["claims"]["iss"], issuer);
}

#[tokio::test]
async fn the_dev_issuer_signs_tokens_that_serve_trusts_only_when_asked() {
    let config = tempfile::tempdir().expect("tempdir");
    let env = [(
        "GLASSGATE_CONFIG_DIR",
        config.path().to_str().expect("utf-8"),
    )];
    // A Cognito pool's issuer, which this machine cannot reach.
    let issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example";
    let out = crate::support::glassgate()
        .envs(env)
        .args([
            "token",
            "--issuer",
            issuer,
            "--aud",
            "app",
            "--scope",
            "admin",
            "--claim",
            "tier=gold",
            "--expires-in",
            "10m",
        ])
        .output()
        .expect("run token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dev = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(dev.split('.').count(), 3, "{dev}");
    assert!(config.path().join("dev-issuer-key.pk8").is_file());

    let code = code();
    let gw = Gateway::start_with_env(
        &template(code.path(), issuer),
        &["--trust-dev-issuer", issuer],
        &env,
    );
    // The route table warns about Cognito's ID tokens on scoped routes.
    assert!(
        gw.stdout_banner
            .contains("Cognito ID tokens carry no scope claim"),
        "{}",
        gw.stdout_banner
    );
    assert!(
        gw.stdout_banner
            .contains(&format!("JWT issuer {issuer} is the local dev issuer")),
        "{}",
        gw.stdout_banner
    );
    let r = call(&gw, "/admin", &dev).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("x-glassgate-authorizer-mode"),
        Some("dev-issuer; authorizer=Jwt")
    );
    let jwt = &r.json()["jwt"];
    assert_eq!(jwt["claims"]["tier"], "gold");
    assert_eq!(jwt["scopes"], json!(["admin"]));
    // A token of another key is still refused.
    let r = call(&gw, "/me", &token("k1.pem", "k1", claims(issuer))).await;
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-unknown-kid"));

    // Without --trust-dev-issuer the same token is checked against the real issuer, which is
    // out of reach: never a silent allow.
    let gw = Gateway::start_with_env(&template(code.path(), issuer), &[], &env);
    let r = call(&gw, "/me", &token_of_dev(&env, issuer, &[])).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("jwks-unreachable"));
}

/// `glassgate token --issuer ISSUER --aud app EXTRA...`.
pub(crate) fn token_of_dev(env: &[(&str, &str)], issuer: &str, extra: &[&str]) -> String {
    let out = crate::support::glassgate()
        .envs(env.iter().copied())
        .args(["token", "--issuer", issuer, "--aud", "app"])
        .args(extra)
        .output()
        .expect("run token");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
