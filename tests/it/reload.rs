//! Edits reach the next request: a change in a function's code folder retires its processes
//! (an in-flight invocation finishes on the old code first), and `--no-reload` turns it off.

use std::time::Duration;

use crate::support::{Conn, Gateway};

fn versioned_handler(version: &str) -> String {
    format!(
        "import os, time\n\ndef handler(event, context):\n    s = float((event.get('queryStringParameters') or {{}}).get('s', '0'))\n    time.sleep(s)\n    return {{'statusCode': 200, 'body': '{version} ' + str(os.getpid())}}\n"
    )
}

fn project() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.py"), versioned_handler("v1")).expect("write");
    let template = format!(
        r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {}
      Handler: app.handler
      Events:
        E: {{Type: Api, Properties: {{Path: /v, Method: get}}}}
"#,
        dir.path().display()
    );
    (dir, template)
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
    // Importing the new code wrote __pycache__: that is no edit, and starts no reload loop.
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
