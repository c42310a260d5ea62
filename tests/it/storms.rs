//! Failure under load (issue #14 items 2 and 3), bounded and on loopback: a handler that dies (exit or
//! segmentation fault) on every third invocation while eight clients keep asking, and an authorizer that hangs
//! past its timeout for one token in ten. What is asserted is what a client and `/proc` see:
//! statuses, causes, the evidence in the traces, the gateway alive, no zombie or orphan
//! processes, hung processes gone, no failure cached.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::support::{Conn, Gateway, alive, enc, python_function};

/// The processes whose parent is `pid`, each with its state letter.
fn children(pid: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(child) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit(')').next() else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if f.next().and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            out.push((child, state));
        }
    }
    out
}

/// `n` requests on each of `clients` keep-alive connections, all at once; every answer with
/// its request's index, status, headers, body and how long it took.
async fn load(
    addr: SocketAddr,
    clients: usize,
    n: usize,
    request: impl Fn(usize) -> (String, Vec<(String, String)>) + Send + Sync + Clone + 'static,
) -> Vec<(usize, crate::support::Resp, Duration)> {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            let mut out = Vec::new();
            for i in 0..n {
                let idx = c * n + i;
                let (path, headers) = request(idx);
                let h: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let began = Instant::now();
                let r =
                    tokio::time::timeout(Duration::from_secs(30), conn.send("GET", &path, &h, ""))
                        .await
                        .expect("an answer within 30 s");
                out.push((idx, r, began.elapsed()));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    all
}

/// Each process answers twice, then dies on its third invocation: by exiting with status 7,
/// or (a process with an odd pid) by a segmentation fault.
const DIES_EVERY_THIRD: &str = r#"
import os, signal, sys

n = 0


def handler(event, context):
    global n
    n += 1
    if n % 3 == 0:
        print("storm: dying on invocation %d" % n, file=sys.stderr, flush=True)
        if os.getpid() % 2:
            os.kill(os.getpid(), signal.SIGSEGV)
        os._exit(7)
    return {"statusCode": 200, "body": str(os.getpid())}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_storm_answers_every_crash_as_the_backend_and_leaves_no_process_behind() {
    let (dir, template) = python_function("Storm", DIES_EVERY_THIRD, "/storm");
    let mut gw = Gateway::start(&template, &["--max-concurrency", "4"]);
    let gateway = gw.pid();
    let answers = load(gw.addr, 8, 30, |_| ("/storm".to_owned(), Vec::new())).await;
    assert_eq!(answers.len(), 240);

    let mut crashed = Vec::new();
    let mut pids = std::collections::BTreeSet::new();
    for (_, r, _) in &answers {
        match r.status {
            200 => {
                pids.insert(r.text().parse::<u32>().expect("a pid"));
            }
            502 => {
                assert_eq!(
                    r.header("x-glassgate-layer"),
                    Some("backend"),
                    "{}",
                    r.text()
                );
                assert_eq!(r.header("x-glassgate-cause"), Some("handler-crash"));
                crashed.push(r.header("x-amzn-requestid").expect("id").to_owned());
            }
            other => panic!("a {other} in a crash storm: {}", r.text()),
        }
    }
    // Each process answers twice, then dies on its third invocation.
    let share = crashed.len() as f64 / answers.len() as f64;
    assert!(
        (0.2..=0.45).contains(&share),
        "{} crashes of 240",
        crashed.len()
    );
    let mut endings = std::collections::BTreeSet::new();
    for id in &crashed {
        let (_, doc) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
        let inv = &doc["trace"]["invocation"];
        let exit = inv["exit"].as_str().unwrap_or_default();
        let segfault = exit.contains("segmentation fault");
        assert!(exit.contains("exit status 7") || segfault, "{inv}");
        endings.insert(if segfault { "segfault" } else { "exit" });
        assert!(
            inv["outputTail"].as_array().is_some_and(|t| t
                .iter()
                .any(|l| l.as_str().is_some_and(|l| l.contains("storm: dying")))),
            "the crash's last words are in its trace: {inv}"
        );
    }
    assert_eq!(
        endings.len(),
        2,
        "both exits and segfaults were seen: {endings:?}"
    );

    // The gateway never restarted, and nothing it started is left a zombie.
    assert_eq!(gw.pid(), gateway);
    let (s, health) = gw.admin("GET", "/health", "").await;
    assert_eq!((s, health["status"].as_str()), (200, Some("ok")));
    let last = &health["functions"]["Storm"]["lastExit"];
    assert!(
        last["exit"]
            .as_str()
            .is_some_and(|e| e.contains("exit status 7") || e.contains("segmentation fault")),
        "{last}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let zombies: Vec<_> = children(gateway)
            .into_iter()
            .filter(|(_, s)| *s == 'Z')
            .collect();
        if zombies.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "zombie children: {zombies:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        children(gateway).len() <= 4,
        "more processes than --max-concurrency: {:?}",
        children(gateway)
    );

    // After the drain, no process it started is alive (no orphans).
    let status = gw.terminate();
    assert!(status.success(), "{status:?}");
    let left: Vec<u32> = pids.into_iter().filter(|p| alive(*p)).collect();
    assert!(
        left.is_empty(),
        "handler processes outlived the gateway: {left:?}"
    );
    drop(dir);
}

/// A TOKEN authorizer (Timeout 2 s, results cached 300 s) that sleeps 10 s for tokens that
/// contain `hang`, and allows every other token everywhere.
fn hanging_authorizer() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("app.py"),
        r#"
import os, time


def authorizer(event, context):
    token = event["authorizationToken"]
    if "hang" in token:
        time.sleep(10)
    arn = event["methodArn"].split("/")
    return {
        "principalId": token,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn[0] + "/" + arn[1] + "/*/*"}]},
    }


def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
"#,
    )
    .expect("write");
    let template = format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok:
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {{ReauthorizeEvery: 300}}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: app.authorizer, Timeout: 2}}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.handler
      Events:
        A: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /a, Method: get}}}}
"#,
        code = dir.path().display()
    );
    (dir, template)
}

const AUTH_TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_authorizer_that_hangs_for_some_tokens_holds_up_no_other_token() {
    let (dir, template) = hanging_authorizer();
    let gw = Gateway::start(&template, &["--max-concurrency", "16"]);
    // Ten clients, one token in ten hangs; the others reuse a few tokens, so most of their
    // requests are cache hits and some are invocations beside the hung ones.
    let answers = load(gw.addr, 10, 10, |i| {
        let token = if i % 10 == 0 {
            format!("Bearer hang-{i}")
        } else {
            format!("Bearer ok-{}", i % 7)
        };
        ("/a".to_owned(), vec![("Authorization".to_owned(), token)])
    })
    .await;
    // Times are judged where they mean something: the invocation's own duration (the
    // function's timeout cuts it) and its wait for a process, from the trace; what the client
    // waited also holds cold starts, which a loaded machine makes slow.
    let mut hung_pids = Vec::new();
    for (i, r, took) in &answers {
        let id = r.header("x-amzn-requestid").expect("id").to_owned();
        let (_, doc) = gw
            .admin("GET", &format!("/requests/{}", enc(&id)), "")
            .await;
        let inv = &doc["trace"]["authorizer"]["invocation"];
        if i % 10 == 0 {
            assert_eq!(r.status, 500, "request {i}: {}", r.text());
            assert_eq!(r.header("x-glassgate-cause"), Some("authorizer-timeout"));
            let ran = inv["durationMs"]
                .as_f64()
                .expect("the invocation's duration");
            let limit = AUTH_TIMEOUT.as_secs_f64() * 1000.0;
            assert!(
                ran >= limit && ran < limit + 1000.0,
                "request {i}: the hung invocation ran {ran} ms; the authorizer's timeout is {limit} ms"
            );
            assert!(
                *took < Duration::from_secs(10),
                "request {i} waited {took:?}: as long as the hang"
            );
            hung_pids.push(inv["pid"].as_u64().expect("pid") as u32);
        } else {
            assert_eq!(r.status, 200, "request {i}: {}", r.text());
            // Not one of them waited for a hung process: no invocation of theirs queued as
            // long as the timeout, and no request as long as the hang.
            if let Some(wait) = inv["queueWaitMs"].as_f64() {
                assert!(
                    wait < AUTH_TIMEOUT.as_secs_f64() * 1000.0,
                    "request {i} with a working token waited {wait} ms for a process"
                );
            }
            assert!(
                *took < Duration::from_secs(10),
                "request {i} with a working token took {took:?}"
            );
        }
    }
    assert_eq!(hung_pids.len(), 10, "every hung request names its process");
    // The hung processes were killed (and others serve in their place).
    let deadline = Instant::now() + Duration::from_secs(5);
    while hung_pids.iter().any(|p| alive(*p)) {
        assert!(
            Instant::now() < deadline,
            "hung authorizer processes still alive"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ok = gw
        .request("GET", "/a", &[("Authorization", "Bearer ok-fresh")], "")
        .await;
    assert_eq!(ok.status, 200);

    // A timeout is not cached: the same token invokes the authorizer again.
    let again = gw
        .request("GET", "/a", &[("Authorization", "Bearer hang-0")], "")
        .await;
    assert_eq!(again.status, 500);
    assert_eq!(again.header("x-glassgate-authorizer-cache"), Some("miss"));

    // Concurrent requests of one hanging identity share one invocation, and none of them
    // hangs past the timeout.
    let shared = load(gw.addr, 5, 1, |_| {
        (
            "/a".to_owned(),
            vec![("Authorization".to_owned(), "Bearer hang-shared".to_owned())],
        )
    })
    .await;
    let mut invoked = 0;
    for (_, r, took) in &shared {
        assert_eq!(r.status, 500);
        assert!(
            *took < Duration::from_secs(10),
            "{took:?}: as long as the hang"
        );
        let id = r.header("x-amzn-requestid").expect("id");
        let (_, doc) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
        invoked += usize::from(!doc["trace"]["authorizer"]["invocation"].is_null());
    }
    assert_eq!(
        invoked, 1,
        "one invocation for five concurrent requests of one identity"
    );
    drop(dir);
}

const SLOW_PID: &str = r#"
import os, time


def handler(event, context):
    time.sleep(0.2)
    return {"statusCode": 200, "body": str(os.getpid())}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_finishes_what_was_accepted_then_stops_every_process() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let (dir, template) = python_function("Slow", SLOW_PID, "/slow");
    let gw = Gateway::start(&template, &["--max-concurrency", "8"]);
    let addr = gw.addr;
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let began = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..8 {
        let answered = answered.clone();
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            // (sent at, since the test began; the answer or the error)
            let mut seen: Vec<(Duration, Result<crate::support::Resp, String>)> = Vec::new();
            let mut conn = Conn::open(addr).await;
            while !stop.load(Ordering::Relaxed) {
                let sent = began.elapsed();
                let r = tokio::time::timeout(
                    Duration::from_secs(35),
                    conn.try_send("GET", "/slow", &[], ""),
                )
                .await
                .unwrap_or_else(|_| Err("no answer within 35 s".into()));
                let done = match &r {
                    Ok(resp) => resp.header("connection") == Some("close"),
                    Err(_) => true,
                };
                answered.fetch_add(1, Ordering::Relaxed);
                seen.push((sent, r));
                if done {
                    break;
                }
            }
            seen
        }));
    }
    while answered.load(Ordering::Relaxed) < 24 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signalled = began.elapsed();
    let mut gw = gw;
    let exit = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let status = gw.terminate();
        (status, t.elapsed(), gw)
    });
    let mut results = Vec::new();
    for c in clients {
        results.extend(c.await.expect("client"));
    }
    stop.store(true, Ordering::Relaxed);
    let (status, took, gw) = exit.await.expect("terminate");
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(30), "the drain took {took:?}");

    let mut pids = std::collections::BTreeSet::new();
    let mut closed = 0;
    for (sent, r) in &results {
        match r {
            Ok(resp) => {
                assert_eq!(resp.status, 200, "{}", resp.text());
                pids.insert(resp.text().parse::<u32>().expect("pid"));
                closed += usize::from(resp.header("connection") == Some("close"));
            }
            // A request sent well before the signal was accepted: it must be answered.
            Err(e) => assert!(
                *sent + Duration::from_millis(50) > signalled,
                "a request sent {:?} before the signal got no answer: {e}",
                signalled - *sent
            ),
        }
    }
    assert!(
        closed > 0,
        "no keep-alive connection was told Connection: close"
    );
    let left: Vec<u32> = pids.into_iter().filter(|p| alive(*p)).collect();
    assert!(
        left.is_empty(),
        "handler processes outlived the gateway: {left:?}"
    );
    drop(gw);
    drop(dir);
}
