//! Edits reach the next request: a change in a function's code folder retires its processes
//! (an in-flight invocation finishes on the old code first), and `--no-reload` turns it off.

use std::time::Duration;

use crate::support::{Conn, Gateway, python_function};

fn versioned_handler(version: &str) -> String {
    format!(
        "import os, time\n\ndef handler(event, context):\n    s = float((event.get('queryStringParameters') or {{}}).get('s', '0'))\n    time.sleep(s)\n    return {{'statusCode': 200, 'body': '{version} ' + str(os.getpid())}}\n"
    )
}

fn project() -> (tempfile::TempDir, String) {
    python_function("Fn", &versioned_handler("v1"), "/v")
}

#[tokio::test]
async fn an_edit_reaches_the_next_request_after_in_flight_ones_finish() {
    let (code, t) = project();
    let gw = Gateway::start(&t, &[]);
    let first = gw.get("/v").await.text();
    assert!(first.starts_with("v1 "), "{first}");
    // An invocation in flight while the file changes finishes on the code it started with.
    let addr = gw.addr;
    let slow =
        tokio::spawn(async move { Conn::open(addr).await.send("GET", "/v?s=1", &[], "").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(code.path().join("app.py"), versioned_handler("v2")).expect("edit");
    let logs = gw.wait_for_log(
        "glassgate: reload: Fn's code changed",
        Duration::from_secs(10),
    );
    assert!(logs.contains("app.py"), "{logs}");
    let slow = slow.await.expect("slow request");
    assert_eq!(slow.status, 200);
    assert!(slow.text().starts_with("v1 "), "in-flight: {}", slow.text());
    let next = gw.get("/v").await.text();
    assert!(next.starts_with("v2 "), "after the edit: {next}");
    let (_, health) = gw.admin("GET", "/health", "").await;
    assert!(
        health["functions"]["Fn"]["retired"]
            .as_u64()
            .expect("retired")
            >= 1,
        "{health:#}"
    );
    // Starting the fresh process changes nothing that counts as an edit: no reload loop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        gw.logs().matches("glassgate: reload:").count(),
        1,
        "{}",
        gw.logs()
    );
}

#[tokio::test]
async fn no_reload_keeps_the_warm_process() {
    let (code, t) = project();
    let gw = Gateway::start(&t, &["--no-reload"]);
    let first = gw.get("/v").await.text();
    std::fs::write(code.path().join("app.py"), versioned_handler("v2")).expect("edit");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let again = gw.get("/v").await.text();
    assert_eq!(
        again, first,
        "the warm process keeps its code with --no-reload"
    );
    assert!(!gw.logs().contains("glassgate: reload:"));
}

#[tokio::test]
async fn a_template_edit_reloads_routes_without_dropping_the_listener() {
    let (code, t) = project();
    let gw = Gateway::start(&t, &[]);
    let template = gw.template_path();
    let mut conn = Conn::open(gw.addr).await;
    assert_eq!(conn.send("GET", "/v", &[], "").await.status, 200);
    assert_eq!(conn.send("GET", "/w", &[], "").await.status, 403);

    // A broken template is refused with its error; the running version keeps serving.
    std::fs::write(
        &template,
        t.replace("Handler: app.handler", "Handler: [oops"),
    )
    .expect("edit");
    let logs = gw.wait_for_log(
        "refused, the previous version keeps serving",
        Duration::from_secs(10),
    );
    assert!(logs.contains("glassgate: reload:"), "{logs}");
    assert_eq!(conn.send("GET", "/v", &[], "").await.status, 200);

    // A good one is served from the next request on, over the same connection.
    let with_w = t.replace(
        "        E: {Type: Api, Properties: {Path: /v, Method: get}}",
        "        E: {Type: Api, Properties: {Path: /v, Method: get}}\n        W: {Type: Api, Properties: {Path: /w, Method: get}}",
    );
    assert_ne!(with_w, t);
    std::fs::write(&template, with_w).expect("edit");
    gw.wait_for_log(
        "changed; now serving 1 function(s), 1 API(s), 2 route(s)",
        Duration::from_secs(10),
    );
    let w = conn.send("GET", "/w", &[], "").await;
    assert_eq!(w.status, 200, "{}", w.text());
    assert!(w.text().starts_with("v1 "), "{}", w.text());
    let (_, routes) = gw.admin("GET", "/routes", "").await;
    assert_eq!(routes.as_array().map(Vec::len), Some(2), "{routes:#}");
    drop(code);
}

/// Editors (and `sed -i`) save by writing a temporary file and renaming it over the real one:
/// the reload runs, and its log line names the real file.
#[tokio::test]
async fn an_atomic_save_reloads_and_names_the_real_file() {
    let (code, t) = project();
    let gw = Gateway::start(&t, &[]);
    assert!(gw.get("/v").await.text().starts_with("v1 "));
    let tmp = code.path().join(".app.py.tmp-save");
    std::fs::write(&tmp, versioned_handler("v2")).expect("write temp");
    std::fs::rename(&tmp, code.path().join("app.py")).expect("rename over");
    let logs = gw.wait_for_log(
        "glassgate: reload: Fn's code changed",
        Duration::from_secs(10),
    );
    let line = logs
        .lines()
        .find(|l| l.contains("glassgate: reload: Fn's code changed"))
        .expect("reload line");
    assert!(line.contains("app.py)"), "{line}");
    assert!(!line.contains("tmp-save"), "{line}");
    assert!(gw.get("/v").await.text().starts_with("v2 "));
}
