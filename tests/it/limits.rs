//! The gateway's limits (issue #14), with real sockets: a client that sends half its headers
//! is dropped after the header timeout, one whose body stops gets 408 (a malformed chunked
//! one 400), a header block over
//! API Gateway's 10 KB gets 431 while one under it is served, and past `--max-connections` a
//! connection waits until another closes.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Gateway, python_function};

const HANDLER: &str =
    "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"ok\"}\n";

/// Read until the peer closes or `limit` passes; what arrived, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let deadline = Instant::now() + limit;
    loop {
        let mut buf = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn slow_clients_and_large_headers_are_refused() {
    let (_code, t) = python_function("Fn", HANDLER, "/ok");
    let gw = Gateway::start(&t, &["--header-read-timeout", "1", "--body-timeout", "1"]);

    // Half a header block, then silence: closed after about a second.
    let mut slow = TcpStream::connect(gw.addr).await.expect("connect");
    slow.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
        .await
        .expect("write");
    let began = Instant::now();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(8)).await;
    assert!(closed, "a slowloris connection is still open after 8 s");
    assert!(
        began.elapsed() >= Duration::from_millis(900),
        "{:?}",
        began.elapsed()
    );

    // A body that stops: 408, with the cause.
    let mut stalled = TcpStream::connect(gw.addr).await.expect("connect");
    stalled
        .write_all(b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .expect("write");
    let (text, _) = read_until_closed(&mut stalled, Duration::from_secs(8)).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("x-glassgate-cause: body-timeout"), "{text}");
    assert!(text.contains(r#"{"message":"Request Timeout"}"#), "{text}");

    // A chunked body whose chunk size is not hexadecimal: 400, named as a broken body (not
    // as one too large).
    let mut broken = TcpStream::connect(gw.addr).await.expect("connect");
    broken
        .write_all(
            b"POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        )
        .await
        .expect("write");
    let (text, _) = read_until_closed(&mut broken, Duration::from_secs(8)).await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("x-glassgate-cause: body-broken"), "{text}");

    // 9 KB of headers are served; 11 KB get 431 with the cause; 100 KB are refused by the
    // HTTP layer before any request is made of them.
    let big = |n: usize| "a".repeat(n);
    let r = gw
        .request("GET", "/ok", &[("X-Big", &big(9 * 1024))], "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = gw
        .request("GET", "/ok", &[("X-Big", &big(11 * 1024))], "")
        .await;
    assert_eq!(r.status, 431, "{}", r.text());
    assert_eq!(r.header("x-glassgate-layer"), Some("gateway"));
    assert_eq!(r.header("x-glassgate-cause"), Some("headers-too-large"));
    let mut huge = TcpStream::connect(gw.addr).await.expect("connect");
    let request = format!(
        "GET /ok HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n",
        big(100 * 1024)
    );
    let _ = huge.write_all(request.as_bytes()).await;
    let (text, _) = read_until_closed(&mut huge, Duration::from_secs(8)).await;
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
}

#[tokio::test]
async fn past_the_connection_cap_a_connection_waits_for_a_slot() {
    let (_code, t) = python_function("Fn", HANDLER, "/ok");
    let gw = Gateway::start(&t, &["--max-connections", "1"]);
    let request = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    // The first connection holds the one slot (kept alive after its request).
    let mut first = TcpStream::connect(gw.addr).await.expect("connect");
    first.write_all(request).await.expect("write");
    let mut buf = [0u8; 4096];
    let n = first.read(&mut buf).await.expect("first answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // The second is accepted by the kernel but not served while the first is open.
    let mut second = TcpStream::connect(gw.addr).await.expect("connect");
    second.write_all(request).await.expect("write");
    let waited = tokio::time::timeout(Duration::from_millis(700), second.read(&mut buf)).await;
    assert!(
        waited.is_err(),
        "the second connection was served past the cap"
    );
    // Closing the first frees the slot.
    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(5), second.read(&mut buf))
        .await
        .expect("served once the slot is free")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

/// A body under API Gateway's 10 MB whose Lambda event would pass Lambda's 6 MB gets REST's
/// 413 `Request Too Long` without invoking the function; one over 10 MB is the gateway's 413.
#[tokio::test]
async fn bodies_over_lambdas_6_mb_and_api_gateways_10_mb_are_refused() {
    let (_code, t) = python_function("Fn", HANDLER, "/ok");
    let t = t.replace("Method: get", "Method: post");
    let gw = Gateway::start(&t, &[]);
    let seven = "a".repeat(7 * 1024 * 1024);
    let r = gw.request("POST", "/ok", &[], &seven).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.text(), r#"{"message": "Request Too Long"}"#);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("BadRequestException"));
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("lambda-payload-too-large")
    );
    let eleven = "a".repeat(11 * 1024 * 1024);
    let r = gw.request("POST", "/ok", &[], &eleven).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.header("x-glassgate-cause"), Some("request-too-large"));
    // A small body still reaches the function.
    let r = gw.request("POST", "/ok", &[], "small").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_in_flight_cap_a_request_is_answered_503_at_once() {
    let (dir, template) = python_function(
        "Slow",
        "import time\n\ndef handler(event, context):\n    time.sleep(1)\n    return {'statusCode': 200, 'body': 'done'}\n",
        "/slow",
    );
    let gw = Gateway::start(&template, &["--max-in-flight", "2"]);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let addr = gw.addr;
        tasks.push(tokio::spawn(async move {
            let mut conn = crate::support::Conn::open(addr).await;
            let began = Instant::now();
            let r = conn.send("GET", "/slow", &[], "").await;
            (r, began.elapsed())
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let (r, took) = t.await.expect("client");
        match r.status {
            200 => ok += 1,
            503 => {
                refused += 1;
                assert_eq!(r.text(), r#"{"message":"Service Unavailable"}"#);
                assert_eq!(
                    r.header("x-amzn-errortype"),
                    Some("ServiceUnavailableException")
                );
                assert_eq!(r.header("x-glassgate-layer"), Some("gateway"));
                assert_eq!(r.header("x-glassgate-cause"), Some("gateway-overloaded"));
                // Refused at once, not after waiting for a slot.
                assert!(took < Duration::from_secs(1), "{took:?}");
            }
            other => panic!("{other}: {}", r.text()),
        }
    }
    assert_eq!((ok, refused), (2, 4));
    // Once the two are done, there is room again.
    assert_eq!(gw.get("/slow").await.status, 200);
    drop(dir);
}

/// The gateway's `load` from `/health` once `ready` holds for it (bounded).
async fn load_when(gw: &Gateway, ready: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, h) = gw.admin("GET", "/health", "").await;
        if ready(&h["load"]) || Instant::now() > deadline {
            return h["load"].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn slow_uploads_hold_their_bytes_not_places_in_the_lifecycle() {
    let (_code, t) = python_function("Fn", HANDLER, "/ok");
    let gw = Gateway::start(&t, &["--max-in-flight", "2", "--body-timeout", "20"]);
    // Four clients that send the start of a body and pause: more than --max-in-flight.
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(gw.addr).await.expect("connect");
        s.write_all(
            b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 10\r\n\r\nabcde",
        )
        .await
        .expect("write");
        slow.push(s);
    }
    let load = load_when(&gw, |l| l["bodyBytesHeld"] == 20).await;
    assert_eq!(load["bodyBytesHeld"], 20, "{load}");
    assert_eq!(
        load["inFlight"], 0,
        "a body still arriving holds no place: {load}"
    );
    // A well-behaved request is served, not refused as overloaded.
    let r = gw.get("/ok").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The slow ones finish, one after another, and are served too (four finishing at once
    // would be four in the lifecycle: two of them refused).
    for mut s in slow {
        s.write_all(b"fghij").await.expect("write");
        let (text, _) = read_until_closed(&mut s, Duration::from_secs(10)).await;
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }
    let load = load_when(&gw, |l| l["bodyBytesHeld"] == 0).await;
    assert_eq!(
        load["bodyBytesHeld"], 0,
        "every body's bytes given back: {load}"
    );
}

#[tokio::test]
async fn past_the_body_buffer_a_body_is_answered_503() {
    let (_code, t) = python_function("Fn", HANDLER, "/ok");
    let gw = Gateway::start(&t, &["--max-body-buffer", "1", "--body-timeout", "20"]);
    // One upload holds 800 KB of the 1 MiB and pauses.
    let mut first = TcpStream::connect(gw.addr).await.expect("connect");
    first
        .write_all(
            b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 900000\r\n\r\n",
        )
        .await
        .expect("write");
    first.write_all(&vec![b'a'; 800_000]).await.expect("write");
    let load = load_when(&gw, |l| l["bodyBytesHeld"] == 800_000).await;
    assert_eq!(load["bodyBytesHeld"], 800_000, "{load}");
    assert_eq!(load["maxBodyBuffer"], 1 << 20, "{load}");
    // Another 400 KB would pass the budget: refused at once, as overloaded.
    let body = "b".repeat(400_000);
    let r = gw.request("GET", "/ok", &[], &body).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.text(), r#"{"message":"Service Unavailable"}"#);
    assert_eq!(r.header("x-glassgate-cause"), Some("gateway-overloaded"));
    let id = r.header("x-amzn-requestid").expect("request id").to_owned();
    let trace = gw.trace(&id);
    let detail = trace["failure"]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("--max-body-buffer"), "{trace:#}");
    // The first upload ends and is served; its bytes are given back, so the second fits now.
    first.write_all(&vec![b'a'; 100_000]).await.expect("write");
    let (text, _) = read_until_closed(&mut first, Duration::from_secs(10)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let load = load_when(&gw, |l| l["bodyBytesHeld"] == 0).await;
    assert_eq!(load["bodyBytesHeld"], 0, "{load}");
    assert_eq!(gw.request("GET", "/ok", &[], &body).await.status, 200);
}
