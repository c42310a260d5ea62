//! Process lifecycle: warm reuse, concurrency up to the cap, idle reaping, keep-alive, and
//! graceful shutdown that drains requests and ends every handler process.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::support::{Conn, Gateway, alive, python_function};

/// A handler that reports its pid, sleeping `?s=` seconds first.
fn pid_handler() -> (tempfile::TempDir, String) {
    python_function(
        "Pid",
        "import os, time\n\ndef handler(event, context):\n    s = float((event.get('queryStringParameters') or {}).get('s', '0'))\n    time.sleep(s)\n    return {'statusCode': 200, 'body': str(os.getpid())}\n",
        "/pid",
    )
}

#[tokio::test]
async fn warm_process_is_reused_over_a_keep_alive_connection() {
    let (_code, t) = pid_handler();
    let gw = Gateway::start(&t, &[]);
    let mut conn = Conn::open(gw.addr).await;
    let a = conn.send("GET", "/pid", &[], "").await;
    let b = conn.send("GET", "/pid", &[], "").await;
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(
        a.text(),
        b.text(),
        "the second request reuses the warm process"
    );
}

#[tokio::test]
async fn concurrent_requests_get_more_processes_up_to_the_cap() {
    let (_code, t) = pid_handler();
    let gw = Gateway::start(&t, &["--max-concurrency", "2"]);
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let addr = gw.addr;
        set.spawn(async move {
            Conn::open(addr)
                .await
                .send("GET", "/pid?s=0.6", &[], "")
                .await
        });
    }
    let responses: Vec<_> = set.join_all().await;
    let pids: HashSet<String> = responses.iter().map(|r| r.text()).collect();
    assert!(responses.iter().all(|r| r.status == 200));
    assert_eq!(pids.len(), 2, "two processes at most: {pids:?}");
    // Four 0.6 s invocations on two processes need at least two rounds.
    assert!(started.elapsed() >= Duration::from_millis(1200));
}

/// `--threads` sets the gateway's worker threads (the default is half the CPUs).
#[tokio::test]
async fn serve_runs_the_worker_threads_it_is_given() {
    let (_code, t) = pid_handler();
    let gw = Gateway::start(&t, &["--threads", "3"]);
    assert_eq!(gw.get("/pid").await.status, 200);
    let workers = std::fs::read_dir(format!("/proc/{}/task", gw.pid()))
        .expect("task list")
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.trim_end() == glassgate::lambda::GATEWAY_THREAD_NAME)
        })
        .count();
    // Blocking-pool threads share the name, so this is a lower bound.
    assert!(workers >= 3, "{workers} runtime threads");
}

/// A stderr nobody reads (a paused terminal, a stuck log shipper) must not stall serving:
/// execution logs queue behind the responses, not in front of them.
#[tokio::test]
async fn an_unread_stderr_does_not_stall_requests() {
    let (_code, t) = pid_handler();
    let mut gw = Gateway::start_stalled(&t, &[]);
    let mut conn = Conn::open(gw.addr).await;
    // Each JSON trace is over 2 KB: 400 of them are many times a pipe's 64 KB buffer, which
    // a write on the request path would block on.
    for i in 0..400 {
        let r = tokio::time::timeout(Duration::from_secs(20), conn.send("GET", "/pid", &[], ""))
            .await
            .unwrap_or_else(|_| panic!("request {i} stalled behind the unread stderr"));
        assert_eq!(r.status, 200, "request {i}");
    }
    // Nor does it keep the server from exiting: the final log flush gives up in bounded time.
    let status = gw.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn idle_processes_are_reaped() {
    let (_code, t) = pid_handler();
    let gw = Gateway::start(&t, &["--idle-timeout", "1"]);
    let pid: u32 = gw.get("/pid").await.text().parse().expect("pid");
    assert!(alive(pid));
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(pid), "idle process {pid} was not reaped");
    // A new request starts a fresh process.
    let again: u32 = gw.get("/pid").await.text().parse().expect("pid");
    assert_ne!(again, pid);
}

#[tokio::test]
async fn sigterm_drains_in_flight_requests_and_ends_handler_processes() {
    let (_code, t) = pid_handler();
    let mut gw = Gateway::start(&t, &[]);
    let idle_pid: u32 = gw.get("/pid").await.text().parse().expect("pid");
    let addr = gw.addr;
    let in_flight = tokio::spawn(async move {
        let mut conn = Conn::open(addr).await;
        conn.send("GET", "/pid?s=1", &[], "").await
    });
    // Let the slow request reach its handler before signalling.
    gw.wait_for_log("Sending request to", Duration::from_secs(5));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = gw.terminate();
    assert!(status.success(), "exit status {status:?}");
    let r = in_flight.await.expect("join");
    assert_eq!(r.status, 200, "the in-flight request completed");
    // Its keep-alive connection is told it ends with this response.
    assert_eq!(r.header("connection"), Some("close"), "{:?}", r.headers);
    let busy_pid: u32 = r.text().parse().expect("pid");
    for pid in [idle_pid, busy_pid] {
        assert!(!alive(pid), "handler process {pid} survived shutdown");
    }
}

/// A handler that dies in init on every start: after three failed inits in a row the pool
/// stops starting processes for a while (each request answers the last init failure at once,
/// said to be a repeat), `/health` marks the function unhealthy with the error, and a code
/// edit would start afresh.
#[tokio::test]
async fn a_handler_that_dies_in_init_does_not_fork_storm() {
    let (_code, t) =
        crate::support::python_function("Broken", "raise RuntimeError('broken config')\n", "/b");
    let gw = Gateway::start(&t, &["--no-reload"]);
    for _ in 0..3 {
        let r = gw.get("/b").await;
        assert_eq!(r.status, 502, "{}", r.text());
        assert_eq!(r.header("x-glassgate-cause"), Some("handler-init-error"));
    }
    // Backing off: answered at once, no process started.
    let mut repeated = 0;
    for _ in 0..10 {
        let r = gw.get("/b").await;
        assert_eq!(r.status, 502);
        assert_eq!(r.header("x-glassgate-cause"), Some("handler-init-error"));
        let id = r.header("x-amzn-RequestId").expect("id").to_owned();
        if gw.trace(&id)["failure"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not started again: init failed"))
        {
            repeated += 1;
        }
    }
    let (_, health) = gw.admin("GET", "/health", "").await;
    let pool = &health["functions"]["Broken"];
    assert!(
        repeated >= 5,
        "{repeated} of 10 answered from the back-off: {pool:#}"
    );
    assert!(
        pool["started"].as_u64().expect("started") <= 8,
        "13 requests must not start 13 processes: {pool:#}"
    );
    let unhealthy = &pool["unhealthy"];
    assert!(
        unhealthy["initFailures"].as_u64().expect("failures") >= 3,
        "{pool:#}"
    );
    assert!(
        unhealthy["error"]
            .as_str()
            .is_some_and(|e| e.contains("broken config")),
        "{pool:#}"
    );
}
