//! The admin API as the console uses it, through real HTTP against a real `serve` with real
//! handler processes: the console's files and their headers, the admin port's guards (Host,
//! changes without the header, non-JSON bodies, GET on a change), the event stream
//! (delivery, resume with Last-Event-ID, reset, end on shutdown), a request whole with its
//! secrets masked, replay, flushing one cache entry, and `Server-Timing`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Gateway, enc, token_api_template};

#[tokio::test]
async fn the_console_is_served_from_the_binary_with_a_strict_policy() {
    let gw = Gateway::start(&token_api_template(300), &[]);
    assert!(
        gw.stdout_banner
            .contains(&format!("Console on http://{}/console/", gw.admin)),
        "{}",
        gw.stdout_banner
    );
    let index = gw.admin_raw("GET", "/console/", &[], "").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = index.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    // The page loads the app through boot.js, one frame after its first paint.
    assert!(
        index
            .text()
            .contains(r#"<script src="boot.js" defer></script>"#)
    );
    let boot = gw.admin_raw("GET", "/console/boot.js", &[], "").await;
    assert_eq!(boot.status, 200);
    assert!(
        boot.text().contains("import('./app.js')"),
        "{}",
        boot.text()
    );

    let js = gw.admin_raw("GET", "/console/app.js", &[], "").await;
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let css = gw.admin_raw("GET", "/console/style.css", &[], "").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));

    // Revalidation: the same bytes answer 304.
    let etag = js.header("etag").expect("etag").to_owned();
    let again = gw
        .admin_raw("GET", "/console/app.js", &[("if-none-match", &etag)], "")
        .await;
    assert_eq!(again.status, 304);

    // The admin root and /console lead to the console; nothing outside it is served.
    for from in ["/", "/console"] {
        let r = gw.admin_raw("GET", from, &[], "").await;
        assert_eq!(
            (r.status, r.header("location")),
            (302, Some("/console/")),
            "{from}"
        );
    }
    for bad in [
        "/console/../Cargo.toml",
        "/console/.hidden",
        "/console/nope.js",
    ] {
        let r = gw.admin_raw("GET", bad, &[], "").await;
        assert_eq!(r.status, 404, "{bad}");
    }
}

#[tokio::test]
async fn the_admin_port_refuses_other_hosts_and_changes_a_web_page_could_make() {
    let gw = Gateway::start(&token_api_template(300), &[]);
    // DNS rebinding: another site's name pointed at 127.0.0.1.
    let r = gw
        .admin_raw("GET", "/health", &[("host", "evil.example:3001")], "")
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("DNS rebinding"), "{}", r.text());
    for host in ["localhost:3001", "127.0.0.1", "[::1]:9"] {
        let r = gw.admin_raw("GET", "/health", &[("host", host)], "").await;
        assert_eq!(r.status, 200, "{host}");
    }

    // A change without the header: refused, and nothing changed.
    let r = gw.admin_raw("DELETE", "/authorizers/cache", &[], "").await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains("X-Glassgate-Admin"), "{}", r.text());
    let r = gw
        .admin_raw(
            "PUT",
            "/authorizers/Tok/mode",
            &[("content-type", "text/plain")],
            r#"{"mode":"bypass"}"#,
        )
        .await;
    assert_eq!(r.status, 403);
    // A form's body type, with the header: still refused.
    let r = gw
        .admin_raw(
            "PUT",
            "/authorizers/Tok/mode",
            &[("content-type", "text/plain"), ("x-glassgate-admin", "1")],
            r#"{"mode":"bypass"}"#,
        )
        .await;
    assert_eq!(r.status, 415);
    let (_, auths) = gw.admin("GET", "/authorizers", "").await;
    assert_eq!(auths[0]["mode"], "normal");

    // GET never changes anything.
    let r = gw.admin_raw("GET", "/authorizers/cache", &[], "").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("DELETE")));
    let r = gw.admin_raw("GET", "/test-invoke", &[], "").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
}

/// An open `GET /events` stream, read as it arrives.
struct Events {
    stream: tokio::net::TcpStream,
    seen: String,
}

impl Events {
    async fn open(gw: &Gateway, last_event_id: Option<u64>) -> Events {
        let mut stream = tokio::net::TcpStream::connect(gw.admin)
            .await
            .expect("connect");
        let resume = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "GET /events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n{resume}\r\n",
            gw.admin
        );
        stream.write_all(req.as_bytes()).await.expect("write");
        let mut e = Events {
            stream,
            seen: String::new(),
        };
        e.until("retry: 1000").await;
        assert!(e.seen.starts_with("HTTP/1.1 200"), "{}", e.seen);
        assert!(
            e.seen.contains("content-type: text/event-stream"),
            "{}",
            e.seen
        );
        e
    }

    /// Read until `needle` has arrived (bounded), and return everything seen so far.
    async fn until(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.seen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut buf = [0u8; 8192];
            match tokio::time::timeout(left, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) => panic!("the stream ended before {needle:?}:\n{}", self.seen),
                Ok(Ok(n)) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Ok(Err(e)) => panic!("read: {e}"),
                Err(_) => panic!("no {needle:?} within 10 s:\n{}", self.seen),
            }
        }
        self.seen.clone()
    }

    /// Wait for the stream to end (bounded); whether it did.
    async fn ends(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // The chunked body's last chunk: the response is over (it may have come with
            // the last event).
            if self.seen.ends_with("0\r\n\r\n") {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let mut buf = [0u8; 8192];
            match tokio::time::timeout(left, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(n)) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => return false,
            }
        }
    }
}

/// The `data:` of every event named `name`, parsed.
fn events(seen: &str, name: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for block in seen.split("\n\n") {
        if block.lines().any(|l| l == format!("event: {name}")) {
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .expect("data line");
            out.push(serde_json::from_str(data).expect("JSON data"));
        }
    }
    out
}

#[tokio::test]
async fn the_event_stream_delivers_resumes_and_ends_on_shutdown() {
    let mut gw = Gateway::start(&token_api_template(300), &[]);
    let mut live = Events::open(&gw, None).await;

    let r = gw
        .request(
            "GET",
            "/a",
            &[("Authorization", "Bearer allow-this-9999")],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    let id = r.header("x-amzn-requestid").expect("id").to_owned();
    let seen = live.until(&id).await;
    let rows = events(&seen, "request");
    let row = rows
        .iter()
        .find(|r| r["requestId"] == id.as_str())
        .expect("the request's event");
    assert_eq!(row["route"], "GET /a");
    assert_eq!(row["layer"], "backend");
    assert_eq!(row["authorizer"]["cache"], "miss");
    assert!(
        !seen.contains("allow-this-9999"),
        "the token reached the stream"
    );
    let first_seq = row["seq"].as_u64().expect("seq");

    // Changes are events too.
    let (s, _) = gw.admin("DELETE", "/authorizers/Tok/cache", "").await;
    assert_eq!(s, 200);
    let seen = live.until("event: cache").await;
    assert_eq!(events(&seen, "cache")[0]["authorizer"], "Tok");

    // Requests made while a client was away come first when it resumes.
    let missed = gw
        .request("GET", "/b", &[("Authorization", "Bearer deny")], "")
        .await;
    let missed_id = missed.header("x-amzn-requestid").expect("id").to_owned();
    let mut resumed = Events::open(&gw, Some(first_seq)).await;
    let seen = resumed.until(&missed_id).await;
    let kinds: Vec<&str> = seen
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(kinds, vec!["cache", "request"], "{seen}");
    assert!(!seen.contains(&format!("\"requestId\":\"{id}\"")), "{seen}");

    // A resume point from another run of the server: start over.
    let mut stale = Events::open(&gw, Some(1_000_000)).await;
    stale.until("event: reset").await;
    assert!(stale.ends().await, "a reset stream ends");

    // The stream ends on SIGTERM, and the server does not wait for it.
    let began = Instant::now();
    let status = gw.terminate();
    assert!(status.success(), "{status:?}");
    assert!(live.ends().await, "the stream ended on shutdown");
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "shutdown waited {:?} for the event stream",
        began.elapsed()
    );
}

#[tokio::test]
async fn a_request_whole_masks_its_secrets_and_replays_with_and_without_the_cache() {
    let gw = Gateway::start(&token_api_template(300), &[]);
    let token = "Bearer allow-this-secret-4321";
    let a = gw
        .request("GET", "/a?x=1", &[("Authorization", token)], "")
        .await;
    assert_eq!(a.status, 200);
    let timing = a.header("server-timing").expect("Server-Timing");
    assert!(
        timing.starts_with("route;desc=")
            && timing.contains("authorize;")
            && timing.contains("total;dur="),
        "{timing}"
    );
    // The events sent to the authorizer and the handler, their secrets masked.
    let a_id = a.header("x-amzn-requestid").expect("id").to_owned();
    let (_, a_doc) = gw
        .admin("GET", &format!("/requests/{}", enc(&a_id)), "")
        .await;
    assert!(
        !a_doc.to_string().contains(token),
        "the token leaked: {a_doc}"
    );
    let masked = format!("{}4321", "*".repeat(token.len() - 4));
    let event = |key: &str| -> serde_json::Value {
        let text = a_doc[key]["json"]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {a_doc}"));
        serde_json::from_str(text).expect("the event is JSON")
    };
    let auth_event = event("authorizerEvent");
    assert_eq!(auth_event["type"], "TOKEN");
    assert_eq!(auth_event["authorizationToken"], masked.as_str());
    let handler_event = event("integrationEvent");
    assert_eq!(handler_event["path"], "/a");
    assert_eq!(handler_event["queryStringParameters"]["x"], "1");
    assert_eq!(handler_event["headers"]["Authorization"], masked.as_str());
    assert_eq!(
        handler_event["multiValueHeaders"]["Authorization"][0],
        masked.as_str()
    );

    let b = gw
        .request("GET", "/b", &[("Authorization", token)], "")
        .await;
    assert_eq!(b.status, 403, "the cached policy covers only /a");
    let b_id = b.header("x-amzn-requestid").expect("id").to_owned();

    let (s, doc) = gw
        .admin("GET", &format!("/requests/{}", enc(&b_id)), "")
        .await;
    assert_eq!(s, 200);
    assert!(!doc.to_string().contains(token), "the token leaked: {doc}");
    let auth_header = doc["request"]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h["name"] == "Authorization")
        .expect("Authorization");
    assert_eq!(auth_header["masked"], true);
    assert_eq!(
        auth_header["value"],
        format!("{}4321", "*".repeat(token.len() - 4))
    );
    assert_eq!(doc["response"]["status"], 403);
    assert!(doc["integrationEvent"].is_null(), "the backend never ran");
    assert!(
        doc["response"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("not authorized"))
    );
    assert!(
        doc["response"]["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .any(|h| h["name"] == "x-amzn-errortype" && h["value"] == "AccessDeniedException"),
        "{}",
        doc["response"]
    );
    assert_eq!(doc["summary"]["errorType"], "AccessDeniedException");
    assert_eq!(doc["summary"]["layer"], "authorizer");
    let check = &doc["policyCheck"][0];
    assert_eq!(check["effect"], "Allow");
    assert_eq!(
        check["actions"],
        serde_json::json!(["execute-api:Invoke"]),
        "{check}"
    );
    assert_eq!(check["matches"], false, "{check}");
    assert!(
        check["resources"][0]
            .as_str()
            .is_some_and(|r| r.ends_with("/test/GET/a"))
    );

    // Replay: the same request, the same cached policy, a new id.
    let (s, again) = gw
        .admin("POST", &format!("/requests/{}/replay", enc(&b_id)), "{}")
        .await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["status"], 403);
    assert_eq!(again["replayOf"], b_id.as_str());
    assert_eq!(again["authorizer"]["cache"], "hit");
    assert_ne!(again["requestId"], b_id.as_str());

    // Bypassing the cache, the authorizer runs for /b and allows it.
    let (_, fresh) = gw
        .admin(
            "POST",
            &format!("/requests/{}/replay", enc(&b_id)),
            r#"{"bypassCache": true}"#,
        )
        .await;
    assert_eq!(fresh["status"], 200, "{fresh}");
    assert_eq!(fresh["authorizer"]["cache"], "disabled");

    // Edit and replay: another token, another path.
    let (_, edited) = gw
        .admin(
            "POST",
            &format!("/requests/{}/replay", enc(&b_id)),
            r#"{"headers": {"Authorization": "Bearer deny"}, "path": "/a"}"#,
        )
        .await;
    assert_eq!(edited["status"], 403, "{edited}");
    assert_eq!(edited["path"], "/a");
    assert_eq!(edited["cause"], "policy-explicit-deny");

    let (_, doc) = gw
        .admin("GET", &format!("/requests/{}", enc(&b_id)), "")
        .await;
    assert_eq!(doc["replays"].as_array().map(Vec::len), Some(3));
    let (s, _) = gw.admin("POST", "/requests/nope/replay", "{}").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn one_cache_entry_is_flushed_by_the_id_its_request_names() {
    let gw = Gateway::start(&token_api_template(300), &[]);
    let one = gw
        .request(
            "GET",
            "/a",
            &[("Authorization", "Bearer allow-this-one")],
            "",
        )
        .await;
    let _two = gw
        .request(
            "GET",
            "/a",
            &[("Authorization", "Bearer allow-this-two")],
            "",
        )
        .await;
    let id = one.header("x-amzn-requestid").expect("id").to_owned();
    let (_, doc) = gw
        .admin("GET", &format!("/requests/{}", enc(&id)), "")
        .await;
    let entry = doc["cacheEntryId"].as_str().expect("entry id").to_owned();
    let (_, auths) = gw.admin("GET", "/authorizers", "").await;
    let entries = auths[0]["entries"].as_array().expect("entries").clone();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().any(|e| e["id"] == entry.as_str()));
    assert!(
        entries.iter().all(|e| e["exactMethodArn"] == true),
        "{entries:?}"
    );
    assert_eq!(auths[0]["counts"]["misses"], 2);
    assert_eq!(auths[0]["counts"]["invocations"], 2);
    assert_eq!(
        auths[0]["identitySources"][0],
        "method.request.header.Authorization"
    );

    let (s, out) = gw
        .admin("DELETE", &format!("/authorizers/Tok/cache/{entry}"), "")
        .await;
    assert_eq!((s, &out["flushed"]), (200, &serde_json::json!(1)));
    let (_, auths) = gw.admin("GET", "/authorizers", "").await;
    let left = auths[0]["entries"].as_array().expect("entries");
    assert_eq!(left.len(), 1);
    assert_ne!(left[0]["id"], entry.as_str());
    let (s, _) = gw
        .admin("DELETE", &format!("/authorizers/Tok/cache/{entry}"), "")
        .await;
    assert_eq!(s, 404, "already gone");
    let (s, _) = gw
        .admin("DELETE", "/authorizers/Tok/cache/not-an-id", "")
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn faithful_responses_carry_no_server_timing() {
    let gw = Gateway::start(&token_api_template(300), &["--faithful"]);
    let r = gw
        .request("GET", "/a", &[("Authorization", "Bearer allow-this-x")], "")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("server-timing"), None);
    assert_eq!(r.header("x-glassgate-layer"), None);
}
