//! The shipped examples, run as their walkthroughs describe: if a README step stops being
//! true, a test here fails.

use std::path::{Path, PathBuf};

use crate::support::{Gateway, glassgate, succeed};

const ALICE: (&str, &str) = ("Authorization", "Bearer alice-token");

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// A private copy of an example (so a step can edit its code) and its template path.
fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = example(name);
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir src");
    std::fs::copy(from.join("template.yaml"), dir.path().join("template.yaml"))
        .expect("copy template");
    for entry in std::fs::read_dir(from.join("src")).expect("read src") {
        let entry = entry.expect("entry");
        if entry.path().extension().is_some_and(|e| e == "py") {
            std::fs::copy(entry.path(), dir.path().join("src").join(entry.file_name()))
                .expect("copy source");
        }
    }
    let template = dir.path().join("template.yaml");
    (dir, template)
}

/// Switch the example's authorizer mode through the admin API, as the walkthrough does.
async fn set_mode(gw: &Gateway, mode: &str) {
    let (status, body) = gw
        .admin(
            "PUT",
            "/authorizers/TokenAuth/mode",
            &format!(r#"{{"mode":"{mode}"}}"#),
        )
        .await;
    assert_eq!((status, body["mode"].as_str()), (200, Some(mode)), "{body}");
}

#[tokio::test]
async fn authorizer_walkthrough_reproduces_and_explains_the_cached_policy_trap() {
    let (dir, template) = copy_of("authorizer-api");
    let gw = Gateway::start_in(dir, &template, &[]);
    assert!(
        gw.stdout_banner
            .contains("GET     /orders/{id}  -> OrdersFunction (python3.12), authorizer TokenAuth"),
        "{}",
        gw.stdout_banner
    );

    // 1. The open route, and a missing token (the authorizer is not invoked).
    let health = gw.get("/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.header("x-glassgate-layer"), Some("backend"));
    let missing = gw.get("/orders").await;
    assert_eq!(
        (missing.status, missing.text().as_str()),
        (401, r#"{"message":"Unauthorized"}"#)
    );
    assert_eq!(
        missing.header("x-glassgate-cause"),
        Some("identity-missing")
    );
    assert_eq!(
        missing.header("x-glassgate-authorizer-cache"),
        None,
        "no cache lookup"
    );

    // 2. The trap: allowed for GET /orders, then denied from the cache for GET /orders/7.
    let list = gw.request("GET", "/orders", &[ALICE], "").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()["principalId"], "alice");
    assert_eq!(list.json()["tier"], "gold");
    assert_eq!(list.header("x-glassgate-authorizer-cache"), Some("miss"));
    let order = gw.request("GET", "/orders/7", &[ALICE], "").await;
    assert_eq!(order.status, 403);
    assert_eq!(
        order.text(),
        r#"{"Message":"User is not authorized to access this resource"}"#
    );
    assert_eq!(
        order.header("x-amzn-ErrorType"),
        Some("AccessDeniedException")
    );
    assert_eq!(
        order.header("x-glassgate-cause"),
        Some("cached-policy-not-covered")
    );
    assert!(
        order
            .header("x-glassgate-authorizer-cache")
            .is_some_and(|v| v.starts_with("hit; age=") && v.ends_with("; ttl=300")),
        "{:?}",
        order.header("x-glassgate-authorizer-cache")
    );
    let id = order
        .header("x-amzn-RequestId")
        .expect("request id")
        .to_owned();
    let report =
        succeed(glassgate().args(["explain", &id, "--admin", &format!("http://{}", gw.admin)]));
    assert!(
        report.contains("cause: cached-policy-not-covered"),
        "{report}"
    );
    assert!(report.contains("403 from the authorizer cache"), "{report}");
    assert!(
        report.contains("Prod/GET/orders and does not cover"),
        "{report}"
    );
    assert!(report.contains("flush the cache"), "{report}");

    // 3. The cache entry is listed (key masked), and a flush lets GET /orders/7 through.
    let (status, auths) = gw.admin("GET", "/authorizers", "").await;
    assert_eq!(status, 200);
    let entry = &auths[0]["entries"][0];
    assert_eq!(entry["key"][0], "**************oken");
    assert_eq!(entry["principalId"], "alice");
    assert!(
        entry["builtForMethodArn"]
            .as_str()
            .is_some_and(|a| a.ends_with("/Prod/GET/orders"))
    );
    let (status, flushed) = gw.admin("DELETE", "/authorizers/cache", "").await;
    assert_eq!((status, flushed["flushed"].as_u64()), (200, Some(1)));
    let order = gw.request("GET", "/orders/7", &[ALICE], "").await;
    assert_eq!(order.status, 200, "{}", order.text());
    assert_eq!(order.json()["orderId"], "7");
    assert_eq!(
        gw.request("GET", "/orders", &[ALICE], "").await.status,
        403,
        "now the other way round"
    );
    set_mode(&gw, "bypass").await;
    assert_eq!(
        gw.request("GET", "/orders", &[ALICE], "").await.status,
        200,
        "bypassed"
    );
    set_mode(&gw, "normal").await;

    // 5. Failures that look like something else.
    let nobody = gw
        .request("GET", "/orders", &[("Authorization", "Bearer nobody")], "")
        .await;
    assert_eq!(nobody.status, 401);
    assert_eq!(
        nobody.header("x-glassgate-cause"),
        Some("authorizer-unauthorized")
    );
    let crash = gw
        .request(
            "GET",
            "/orders",
            &[("Authorization", "Bearer crash-token")],
            "",
        )
        .await;
    assert_eq!(
        (crash.status, crash.text().as_str()),
        (500, r#"{"message":null}"#)
    );
    assert_eq!(
        crash.header("x-amzn-ErrorType"),
        Some("AuthorizerConfigurationException")
    );
    assert_eq!(crash.header("x-glassgate-cause"), Some("authorizer-error"));
    let logs = gw.wait_for_log(
        "token service unavailable",
        std::time::Duration::from_secs(10),
    );
    assert!(
        logs.contains("[AuthFunction]"),
        "the authorizer's traceback is echoed:\n{logs}"
    );
    let basic = gw
        .request("GET", "/orders", &[("Authorization", "Basic abc")], "")
        .await;
    assert_eq!(basic.status, 401);
    assert_eq!(basic.header("x-glassgate-cause"), Some("identity-invalid"));
}

#[tokio::test]
async fn authorizer_walkthrough_fix_covers_every_route_within_the_ttl() {
    let (dir, template) = copy_of("authorizer-api");
    // Step 4 of the walkthrough, the two lines as written there.
    let code = dir.path().join("src/authorizer.py");
    let text = std::fs::read_to_string(&code).expect("read authorizer");
    let fixed = text.replace(
        "    user, tier = USERS[token]\n",
        "    user, tier = USERS[token]\n    arn = event[\"methodArn\"].split(\"/\")\n    resource = f\"{arn[0]}/{arn[1]}/*/*\"\n",
    )
    .replace(r#""Resource": event["methodArn"],"#, r#""Resource": resource,"#);
    assert_ne!(
        fixed, text,
        "the walkthrough's fix applies to the shipped code"
    );
    std::fs::write(&code, fixed).expect("write fix");

    let probe = succeed(glassgate().arg("validate").arg(&template).args([
        "--probe",
        "--probe-identity",
        "Bearer alice-token",
    ]));
    assert!(
        probe.contains(
            "probe: authorizer TokenAuth: the policy for GET /orders also covers GET /orders/{id}"
        ),
        "{probe}"
    );
    assert!(
        !probe.contains("reads event.methodArn"),
        "no static warning once fixed:\n{probe}"
    );

    let gw = Gateway::start_in(dir, &template, &[]);
    assert_eq!(gw.request("GET", "/orders", &[ALICE], "").await.status, 200);
    let order = gw.request("GET", "/orders/7", &[ALICE], "").await;
    assert_eq!(order.status, 200, "{}", order.text());
    assert!(
        order
            .header("x-glassgate-authorizer-cache")
            .is_some_and(|v| v.starts_with("hit")),
        "served from the cache, and allowed"
    );
}

#[test]
fn authorizer_walkthrough_probe_finds_the_trap_before_any_request() {
    let report = succeed(
        glassgate()
            .arg("validate")
            .arg(example("authorizer-api").join("template.yaml"))
            .args(["--probe", "--probe-identity", "Bearer alice-token"]),
    );
    assert!(report.contains("reads event.methodArn"), "{report}");
    assert!(
        report.contains("probe: authorizer TokenAuth allowed")
            && report.contains("it will deny GET /orders/{id} with 403"),
        "{report}"
    );
}

/// The HTTP API example's walkthrough: an HTTP API's answers, the cached simple response
/// that opens another route, the flush, CORS headers, the preflight trap, and its fix.
#[tokio::test]
async fn http_api_walkthrough_reproduces_and_explains_both_traps() {
    let (dir, template) = copy_of("http-api");
    let gw = Gateway::start_in(dir, &template, &[]);
    let banner = &gw.stdout_banner;
    assert!(
        banner.contains("HTTP API Api (id drutdmn3ve, stage $default)"),
        "{banner}"
    );
    assert!(
        banner
            .contains("ANY     /{proxy+}       -> AppFunction (python3.12), authorizer TokenCheck"),
        "{banner}"
    );
    // The route table's warnings name both traps.
    assert!(
        banner.contains("authorizer TokenCheck returns simple responses cached for 300 s"),
        "{banner}"
    );
    assert!(
        banner.contains("route ANY /{proxy+} has authorizer TokenCheck and matches OPTIONS"),
        "{banner}"
    );

    // 1. HTTP API's answers.
    let r = gw.get("/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["route"], "GET /health");
    assert!(r.header("apigw-requestid").is_some() && r.header("x-amzn-requestid").is_none());
    let r = gw.get("/profile").await;
    assert_eq!(
        (r.status, r.text()),
        (401, r#"{"message":"Unauthorized"}"#.into())
    );
    assert_eq!(r.header("x-glassgate-cause"), Some("identity-missing"));

    // 2. The cached true for /profile opens /admin/reports.
    let alice = ("Authorization", "Bearer alice-token");
    let r = gw.request("GET", "/profile", &[alice], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        serde_json::json!({"route": "GET /profile", "user": "alice", "quota": 100})
    );
    assert_eq!(r.header("x-glassgate-authorizer-cache"), Some("miss"));
    let r = gw.request("GET", "/admin/reports", &[alice], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["user"], "alice");
    assert!(
        r.header("x-glassgate-authorizer-cache")
            .unwrap_or_default()
            .starts_with("hit;")
    );
    let id = r.header("apigw-requestid").expect("id").to_owned();
    let text =
        succeed(glassgate().args(["explain", &id, "--admin", &format!("http://{}", gw.admin)]));
    assert!(
        text.contains("The authorizer did not run: the decision was cached for arn:aws:execute-api:us-east-1:123456789012:drutdmn3ve/$default/GET/profile"),
        "{text}"
    );
    let (status, _) = gw.admin("DELETE", "/authorizers/cache", "").await;
    assert_eq!(status, 200);
    let r = gw.request("GET", "/admin/reports", &[alice], "").await;
    assert_eq!(
        (r.status, r.text()),
        (403, r#"{"message":"Forbidden"}"#.into())
    );
    assert_eq!(r.header("x-glassgate-cause"), Some("authorizer-denied"));

    // 3. CORS headers on a real request.
    let origin = ("Origin", "http://localhost:5173");
    let r = gw
        .request(
            "GET",
            "/profile",
            &[origin, ("Authorization", "Bearer admin-token")],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );

    // 4. The preflight the catch-all takes, explained.
    let preflight = [
        origin,
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization"),
    ];
    let r = gw.request("OPTIONS", "/profile", &preflight, "").await;
    assert_eq!(
        (r.status, r.text()),
        (401, r#"{"message":"Unauthorized"}"#.into())
    );
    let id = r.header("apigw-requestid").expect("id").to_owned();
    let text =
        succeed(glassgate().args(["explain", &id, "--admin", &format!("http://{}", gw.admin)]));
    assert!(text.contains("This was a CORS preflight"), "{text}");
    assert!(
        text.contains("Method OPTIONS and Auth: {Authorizer: NONE}"),
        "{text}"
    );

    // The fix: delete the CatchAll event; the reloaded template lets the CorsConfiguration
    // answer.
    let path = gw.template_path();
    let t = std::fs::read_to_string(&path).expect("read template");
    let start = t
        .find("        # The catch-all")
        .expect("catch-all comment");
    std::fs::write(&path, &t[..start]).expect("write template");
    let logs = gw.wait_for_log(
        "now serving 2 function(s), 1 API(s), 3 route(s)",
        std::time::Duration::from_secs(20),
    );
    assert!(
        logs.contains("now serving 2 function(s), 1 API(s), 3 route(s)"),
        "{logs}"
    );
    let r = gw.request("OPTIONS", "/profile", &preflight, "").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.header("access-control-allow-methods"), Some("GET,POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization,content-type")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.header("x-glassgate-layer"), Some("gateway"));
}

/// The JWT example's walkthrough, with the local dev issuer standing in for the tenant.
#[tokio::test]
async fn jwt_walkthrough_shows_the_trailing_slash_and_the_missing_scope() {
    let (dir, template) = copy_of("jwt-api");
    let config = tempfile::tempdir().expect("tempdir");
    let env = [(
        "GLASSGATE_CONFIG_DIR",
        config.path().to_str().expect("utf-8"),
    )];
    let tenant = "https://example-tenant.eu.auth0.com";
    let gw = Gateway::start_in_with_env(dir, &template, &["--trust-dev-issuer", tenant], &env);
    assert!(
        gw.stdout_banner
            .contains(&format!("JWT issuer {tenant} is the local dev issuer")),
        "{}",
        gw.stdout_banner
    );
    let token = |args: &[&str]| {
        let out = glassgate()
            .envs(env)
            .arg("token")
            .args(args)
            .output()
            .expect("token");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("Bearer {}", String::from_utf8_lossy(&out.stdout).trim())
    };
    let aud = "https://api.example.com";

    // 1. No token.
    let r = gw.get("/me").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));

    // 2. Auth0's trailing slash.
    let slash = token(&["--issuer", &format!("{tenant}/"), "--aud", aud]);
    let r = gw
        .request("GET", "/me", &[("Authorization", &slash)], "")
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-wrong-issuer"));
    assert_eq!(
        r.header("www-authenticate"),
        Some(
            r#"Bearer scope="" error="invalid_token" error_description="the token was not issued by a valid issuer""#
        )
    );
    let logs = gw.wait_for_log(
        "only a trailing slash differs",
        std::time::Duration::from_secs(5),
    );
    assert!(logs.contains("only a trailing slash differs"), "{logs}");
    let plain = token(&["--issuer", tenant, "--aud", aud]);
    let r = gw
        .request("GET", "/me", &[("Authorization", &plain)], "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"route": "GET /me", "sub": "dev-user", "scopes": null})
    );

    // 3. No scope claim on a route with scopes, then an access token with the scope.
    let r = gw
        .request("GET", "/orders", &[("Authorization", &plain)], "")
        .await;
    assert_eq!(
        (r.status, r.text()),
        (403, r#"{"message":"Forbidden"}"#.into())
    );
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-scope-missing"));
    assert_eq!(
        r.header("www-authenticate"),
        Some(
            r#"Bearer scope="read:orders" error="insufficient_scope" error_description="the token does not have the required scopes""#
        )
    );
    let access = token(&["--issuer", tenant, "--aud", aud, "--scope", "read:orders"]);
    let r = gw
        .request("GET", "/orders", &[("Authorization", &access)], "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["scopes"], serde_json::json!(["read:orders"]));
}

/// `examples/http-proxy`: the service started as the walkthrough says, on a free port given
/// through the template's `ServiceUrl` parameter; then the walkthrough's four steps.
#[tokio::test]
async fn http_proxy_walkthrough_names_the_layer_of_each_failure() {
    let (dir, template) = copy_of("http-proxy");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut service = std::process::Command::new("python3")
        .arg(dir.path().join("src/service.py"))
        .arg(port.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the service");
    {
        use std::io::BufRead;
        let mut line = String::new();
        let out = service.stdout.take().expect("stdout");
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("service banner");
        assert!(line.contains("service listening"), "{line}");
    }
    let url = format!("ServiceUrl=http://127.0.0.1:{port}");
    let gw = Gateway::start_in(dir, &template, &["--parameter-overrides", &url]);
    assert!(
        gw.stdout_banner.contains(&format!(
            "ANY     /{{proxy+}}  -> HTTP_PROXY ANY http://127.0.0.1:{port}/{{proxy}}, authorizer TokenAuth"
        )),
        "{}",
        gw.stdout_banner
    );
    // 1. No token.
    let r = gw.get("/orders/7").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("identity-missing"));
    // 2. A token: the service sees the caller.
    let r = gw
        .request(
            "GET",
            "/orders/7?x=1",
            &[("Authorization", "Bearer alice-token")],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["user"], "alice");
    assert_eq!(r.json()["plan"], "pro");
    assert_eq!(r.json()["path"], "/orders/7?x=1");
    assert!(r.header("x-amzn-remapped-server").is_some());
    // 3. Slower than the integration timeout.
    let bob = [("Authorization", "Bearer bob-token")];
    let r = gw.request("GET", "/slow", &bob, "").await;
    assert_eq!(r.status, 504);
    assert_eq!(r.text(), r#"{"message": "Endpoint request timed out"}"#);
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-timeout"));
    // 4. The service down, and `explain`.
    let _ = service.kill();
    let _ = service.wait();
    let r = gw.request("GET", "/orders", &bob, "").await;
    assert_eq!(r.status, 504);
    assert_eq!(r.header("x-glassgate-layer"), Some("integration"));
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-unreachable"));
    let id = r.header("x-amzn-RequestId").expect("request id");
    let admin = format!("http://{}", gw.admin);
    let explained = succeed(glassgate().args(["explain", id, "--admin", &admin]));
    assert!(
        explained.contains("504 came from the HTTP_PROXY integration, not from your service")
            && explained.contains("start the service"),
        "{explained}"
    );
}
