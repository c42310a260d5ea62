//! The pool's scaling policy with real processes: a fast handler under many clients stays on
//! few processes, a slow I/O-bound one gets a process per concurrent client, `--prewarm`
//! starts processes before the first request, and the pool's decisions are visible in
//! `/health` and in each trace.

use std::time::{Duration, Instant};

use crate::support::{Conn, Gateway, glassgate, python_function, succeed};

/// A Python handler that sleeps `?s=` seconds and answers its pid and the wall-clock times
/// it started and ended (its own timestamps, so overlap is measured where it happens).
fn timed_handler() -> (tempfile::TempDir, String) {
    python_function(
        "Timed",
        "import json, os, time\n\ndef handler(event, context):\n    s = float((event.get('queryStringParameters') or {}).get('s', '0'))\n    t0 = time.time()\n    if s:\n        time.sleep(s)\n    return {'statusCode': 200, 'body': json.dumps({'pid': os.getpid(), 'start': t0, 'end': time.time()})}\n",
        "/t",
    )
}

/// `clients` connections, each sending `rounds` requests one after another.
async fn load(
    gw: &Gateway,
    path: &'static str,
    clients: usize,
    rounds: usize,
) -> Vec<serde_json::Value> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let addr = gw.addr;
        set.spawn(async move {
            let mut conn = Conn::open(addr).await;
            let mut out = Vec::new();
            for _ in 0..rounds {
                let r = conn.send("GET", path, &[], "").await;
                assert_eq!(r.status, 200, "{}", r.text());
                out.push(r.json());
            }
            out
        });
    }
    set.join_all().await.into_iter().flatten().collect()
}

/// Like [`load`], but the clients send each round together (a barrier between rounds), so
/// every round has all `clients` requests in flight at once.
async fn load_in_step(
    gw: &Gateway,
    path: &'static str,
    clients: usize,
    rounds: usize,
) -> Vec<serde_json::Value> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(clients));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let addr = gw.addr;
        let barrier = barrier.clone();
        set.spawn(async move {
            let mut conn = Conn::open(addr).await;
            let mut out = Vec::new();
            for _ in 0..rounds {
                barrier.wait().await;
                let r = conn.send("GET", path, &[], "").await;
                assert_eq!(r.status, 200, "{}", r.text());
                out.push(r.json());
            }
            out
        });
    }
    set.join_all().await.into_iter().flatten().collect()
}

/// These tests run one at a time: each is about one server's decisions, and the 16 Python
/// starts of one would otherwise be the other's weather (the rest of the suite still runs
/// beside them).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn pool(gw: &Gateway) -> serde_json::Value {
    let (status, health) = gw.admin("GET", "/health", "").await;
    assert_eq!(status, 200);
    health["functions"]["Timed"].clone()
}

#[tokio::test]
async fn a_fast_handler_under_32_clients_runs_on_few_processes() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (_code, t) = timed_handler();
    let gw = Gateway::start(&t, &[]);
    let answers = load(&gw, "/t", 32, 25).await;
    assert_eq!(answers.len(), 800);
    let p = pool(&gw).await;
    let live = p["live"].as_u64().expect("live");
    let started = p["started"].as_u64().expect("started");
    // The old pool started a process whenever every one was busy: 16 here (the default cap).
    assert!(
        (1..=4).contains(&live) && started <= 4,
        "a sub-millisecond handler needs few processes: {p:#}"
    );
    assert_eq!(p["invocations"], 800, "{p:#}");
    assert!(
        p["queuedInvocations"].as_u64().expect("queued") > 0,
        "32 clients on few processes queue: {p:#}"
    );
    assert!(
        p["queueWaitMs"]["p99"].as_f64().expect("p99") > 0.0,
        "{p:#}"
    );
    // A request that queued says so in its trace, with the policy's reason.
    let logs = gw.wait_for_log("waited for a busy process", Duration::from_secs(10));
    let waited = logs
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["invocation"]["pool"]
                .as_str()
                .is_some_and(|s| s.starts_with("waited for a busy process"))
        })
        .unwrap_or_else(|| panic!("no trace of a queued invocation in:\n{logs}"));
    assert!(
        waited["invocation"]["queueWaitMs"]
            .as_f64()
            .expect("queueWaitMs")
            > 0.0
    );
    // And `explain` says it in words.
    let id = waited["requestId"].as_str().expect("requestId");
    let admin = format!("http://{}", gw.admin);
    let explained = succeed(glassgate().args(["explain", id, "--admin", &admin]));
    assert!(
        explained.contains("ms in the queue; waited for a busy process"),
        "{explained}"
    );
}

#[tokio::test]
async fn a_slow_io_bound_handler_gets_a_process_per_concurrent_client() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (_code, t) = timed_handler();
    let gw = Gateway::start(&t, &[]);
    // Ramp the pool up: rounds of 16 until its 16 processes are live and started (how many
    // rounds that takes is the machine's cold-start time, not the policy's promise).
    for _ in 0..60 {
        load_in_step(&gw, "/t?s=0.2", 16, 1).await;
        let p = pool(&gw).await;
        if p["live"] == 16 && p["starting"] == 0 {
            break;
        }
    }
    // Then every client's request runs at once, as the handlers' own clocks show.
    let answers = load_in_step(&gw, "/t?s=0.2", 16, 4).await;
    assert_eq!(answers.len(), 64);
    // The most invocations running at one instant, from the handlers' own clocks.
    let mut edges: Vec<(f64, i32)> = answers
        .iter()
        .flat_map(|a| {
            let start = a["start"].as_f64().expect("start");
            let end = a["end"].as_f64().expect("end");
            [(start, 1), (end, -1)]
        })
        .collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut running, mut most) = (0, 0);
    for (_, d) in edges {
        running += d;
        most = most.max(running);
    }
    let p = pool(&gw).await;
    assert_eq!(
        most, 16,
        "16 clients of a 200 ms handler run at once: {p:#}"
    );
    assert_eq!(p["live"], 16, "{p:#}");
    let reason = p["lastStart"]["reason"].as_str().expect("reason");
    assert!(
        reason.contains("more than half a cold start")
            || reason.contains("a lasting queue pays for a process")
            || reason == "no process was running",
        "{reason}"
    );
}

#[tokio::test]
async fn prewarm_starts_processes_before_the_first_request() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (_code, t) = timed_handler();
    let gw = Gateway::start(&t, &["--prewarm", "2", "--idle-timeout", "1"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut p = pool(&gw).await;
    while p["idle"] != 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        p = pool(&gw).await;
    }
    assert_eq!(p["idle"], 2, "{p:#}");
    assert_eq!(p["lastStart"]["reason"], "--prewarm", "{p:#}");
    assert!(
        p["idleMemory"]["perProcessKb"].as_u64().expect("rss") > 0,
        "{p:#}"
    );
    // Past the idle timeout, prewarmed processes stay.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(pool(&gw).await["idle"], 2);
    let r = gw.get("/t").await;
    assert_eq!(r.status, 200);
    let trace = gw.trace(r.header("x-amzn-requestid").expect("request id"));
    assert_eq!(trace["invocation"]["coldStart"], false, "{trace:#}");
}
