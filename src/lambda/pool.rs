//! Warm process pool for one function: acquire, invoke, enforce timeouts, reap.
//!
//! One invocation per process at a time; more processes under concurrent load, up to
//! `max_concurrency` (a semaphore of that size bounds busy processes, and a process is only
//! started when no idle one exists, so live processes never exceed it either). Idle
//! processes are reused most-recently-used first, so that a burst's extra processes go idle
//! and get reaped after `idle_timeout`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Semaphore, oneshot};

use super::runtime_api::{Pending, RuntimeReply};
use super::worker::{Launch, Worker};
use super::{FailureKind, FunctionFailure, InvokeOutcome, InvokeReport};
use crate::model::Function;

/// Lambda's limit for the init phase of an on-demand environment.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct FunctionPool {
    pub function: Function,
    pub arn: String,
    launch: Launch,
    busy: Arc<Semaphore>,
    idle: Mutex<Vec<Arc<Worker>>>,
    live: Mutex<HashMap<u64, Arc<Worker>>>,
    next_id: AtomicU64,
    idle_timeout: Duration,
}

/// What an invocation attempt knows when it has to report a failure.
#[derive(Clone, Copy)]
struct Run<'a> {
    request_id: &'a str,
    started: Instant,
    cold: bool,
    worker: &'a Worker,
}

enum Attempt {
    Done(InvokeReport),
    /// A warm process died between invocations: try again on a fresh one.
    Retry,
}

impl FunctionPool {
    pub(crate) fn new(
        function: Function,
        arn: String,
        launch: Launch,
        max_concurrency: usize,
        idle_timeout: Duration,
    ) -> Self {
        FunctionPool {
            function,
            arn,
            launch,
            busy: Arc::new(Semaphore::new(max_concurrency.max(1))),
            idle: Mutex::new(Vec::new()),
            live: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            idle_timeout,
        }
    }

    /// Number of live processes (idle or busy).
    pub(crate) fn live_count(&self) -> usize {
        self.live.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// Run one invocation to completion (success, error, timeout, crash).
    pub(crate) async fn invoke(self: &Arc<Self>, payload: Bytes, trace_id: String) -> InvokeReport {
        let request_id = crate::pipeline::request::new_uuid();
        let Ok(_permit) = self.busy.clone().acquire_owned().await else {
            return self.spawn_failure(&request_id, "function pool is shut down".to_owned());
        };
        // Retrying covers a warm process that died while idle; a fresh process that dies is
        // reported, never retried, so a crash loop cannot spin.
        for _ in 0..3 {
            let (worker, cold) = match self.take_idle() {
                Some(w) => (w, false),
                None => match self.start_worker().await {
                    Ok(w) => (w, true),
                    Err(e) => {
                        return self.spawn_failure(
                            &request_id,
                            format!("cannot start {}: {e}", self.launch.program.display()),
                        );
                    }
                },
            };
            match self
                .attempt(&worker, cold, &request_id, payload.clone(), &trace_id)
                .await
            {
                Attempt::Done(report) => return report,
                Attempt::Retry => self.forget(&worker),
            }
        }
        self.spawn_failure(
            &request_id,
            "function processes keep exiting while idle".into(),
        )
    }

    async fn attempt(
        &self,
        worker: &Arc<Worker>,
        cold: bool,
        request_id: &str,
        payload: Bytes,
        trace_id: &str,
    ) -> Attempt {
        let started = Instant::now();
        let (reply_tx, reply_rx) = oneshot::channel();
        let (delivered_tx, delivered_rx) = oneshot::channel();
        let pending = Pending {
            request_id: request_id.to_owned(),
            payload,
            timeout: self.function.timeout,
            trace_id: trace_id.to_owned(),
            delivered: delivered_tx,
            reply: reply_tx,
        };
        if worker.inbox.send(pending).await.is_err() {
            return if cold {
                Attempt::Done(self.crash_report(&Run {
                    request_id,
                    started,
                    cold,
                    worker,
                }))
            } else {
                Attempt::Retry
            };
        }

        // Phase 1: until the process takes the invocation (init on a cold process).
        let delivered = tokio::select! {
            biased;
            d = delivered_rx => d.is_ok(),
            _ = worker.exited() => false,
            _ = tokio::time::sleep(INIT_TIMEOUT) => {
                worker.kill();
                let _ = worker.exited().await;
                self.forget(worker);
                return Attempt::Done(self.failure(
                    &Run { request_id, started, cold, worker }, FailureKind::InitTimeout,
                    "Runtime.InitTimeout".into(),
                    format!("RequestId: {request_id} Error: Init phase did not complete within {} seconds", INIT_TIMEOUT.as_secs()),
                    None,
                ));
            }
        };
        if !delivered {
            if worker.is_initialized() && !cold {
                return Attempt::Retry;
            }
            self.forget(worker);
            return Attempt::Done(
                self.init_failure(&Run {
                    request_id,
                    started,
                    cold,
                    worker,
                })
                .await,
            );
        }
        worker.mark_initialized();
        let invoke_started = Instant::now();

        // Phase 2: the handler runs under the function's timeout.
        let result = tokio::select! {
            biased;
            r = reply_rx => r.ok(),
            _ = worker.exited() => None,
            _ = tokio::time::sleep(self.function.timeout) => {
                worker.kill();
                let _ = worker.exited().await;
                self.forget(worker);
                let secs = self.function.timeout.as_secs_f64();
                return Attempt::Done(self.failure(
                    &Run { request_id, started: invoke_started, cold, worker }, FailureKind::Timeout,
                    "Sandbox.Timedout".into(),
                    format!("RequestId: {request_id} Error: Task timed out after {secs:.2} seconds"),
                    None,
                ));
            }
        };
        let duration = invoke_started.elapsed();
        match result {
            Some(RuntimeReply::Response(body)) => {
                self.release(worker);
                Attempt::Done(InvokeReport {
                    request_id: request_id.to_owned(),
                    outcome: InvokeOutcome::Success(body),
                    duration,
                    cold_start: cold,
                    pid: worker.pid,
                })
            }
            Some(RuntimeReply::Error { error_type, body }) => {
                self.release(worker);
                let (etype, emsg) = error_fields(&body);
                Attempt::Done(InvokeReport {
                    request_id: request_id.to_owned(),
                    outcome: InvokeOutcome::Failure(FunctionFailure {
                        kind: FailureKind::Handled,
                        error_type: etype.or(error_type).unwrap_or_default(),
                        error_message: emsg.unwrap_or_default(),
                        payload: body,
                        exit: None,
                        output_tail: Vec::new(),
                    }),
                    duration,
                    cold_start: cold,
                    pid: worker.pid,
                })
            }
            None => {
                self.forget(worker);
                Attempt::Done(self.crash_report(&Run {
                    request_id,
                    started: invoke_started,
                    cold,
                    worker,
                }))
            }
        }
    }

    fn crash_report(&self, run: &Run<'_>) -> InvokeReport {
        let request_id = run.request_id;
        let exit = run.worker.exit.borrow().clone();
        let desc = exit
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |e| e.description.clone());
        self.failure(
            run,
            FailureKind::Crash,
            "Runtime.ExitError".into(),
            format!("RequestId: {request_id} Error: Runtime exited with error: {desc}"),
            Some(desc),
        )
    }

    async fn init_failure(&self, run: &Run<'_>) -> InvokeReport {
        let Run {
            request_id,
            started,
            cold,
            worker,
        } = *run;
        let exit = worker.exited().await;
        let desc = exit.map(|e| e.description);
        match worker.api.init_error() {
            Some(init) => {
                let (etype, emsg) = error_fields(&init.body);
                InvokeReport {
                    request_id: request_id.to_owned(),
                    outcome: InvokeOutcome::Failure(FunctionFailure {
                        kind: FailureKind::Init,
                        error_type: etype
                            .or(init.error_type)
                            .unwrap_or_else(|| "Runtime.Unknown".into()),
                        error_message: emsg.unwrap_or_default(),
                        payload: init.body,
                        exit: desc,
                        output_tail: worker.output_tail(),
                    }),
                    duration: started.elapsed(),
                    cold_start: cold,
                    pid: worker.pid,
                }
            }
            None => {
                let d = desc.clone().unwrap_or_else(|| "unknown".into());
                self.failure(
                    run,
                    FailureKind::Init,
                    "Runtime.ExitError".into(),
                    format!("RequestId: {request_id} Error: Runtime exited with error: {d}"),
                    desc,
                )
            }
        }
    }

    fn failure(
        &self,
        run: &Run<'_>,
        kind: FailureKind,
        error_type: String,
        error_message: String,
        exit: Option<String>,
    ) -> InvokeReport {
        let Run {
            request_id,
            started,
            cold,
            worker,
        } = *run;
        let payload = serde_json::json!({
            "errorType": error_type,
            "errorMessage": error_message,
        });
        InvokeReport {
            request_id: request_id.to_owned(),
            outcome: InvokeOutcome::Failure(FunctionFailure {
                kind,
                error_type,
                error_message,
                payload: Bytes::from(payload.to_string()),
                exit,
                output_tail: worker.output_tail(),
            }),
            duration: started.elapsed(),
            cold_start: cold,
            pid: worker.pid,
        }
    }

    fn spawn_failure(&self, request_id: &str, message: String) -> InvokeReport {
        let error_type = "Runtime.InvalidEntrypoint".to_owned();
        let payload = serde_json::json!({ "errorType": error_type, "errorMessage": message });
        InvokeReport {
            request_id: request_id.to_owned(),
            outcome: InvokeOutcome::Failure(FunctionFailure {
                kind: FailureKind::Spawn,
                error_type,
                error_message: message,
                payload: Bytes::from(payload.to_string()),
                exit: None,
                output_tail: Vec::new(),
            }),
            duration: Duration::ZERO,
            cold_start: true,
            pid: None,
        }
    }

    async fn start_worker(&self) -> std::io::Result<Arc<Worker>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let worker = Arc::new(Worker::spawn(id, &self.launch, self.arn.clone()).await?);
        if let Ok(mut live) = self.live.lock() {
            live.insert(id, worker.clone());
        }
        Ok(worker)
    }

    fn take_idle(&self) -> Option<Arc<Worker>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(w) = idle.pop() {
            if !w.has_exited() {
                return Some(w);
            }
            self.forget(&w);
        }
        None
    }

    fn release(&self, worker: &Arc<Worker>) {
        worker.touch();
        if worker.has_exited() {
            self.forget(worker);
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(worker.clone());
        }
    }

    fn forget(&self, worker: &Worker) {
        worker.kill();
        if let Ok(mut live) = self.live.lock() {
            live.remove(&worker.id);
        }
    }

    /// Kill processes idle for longer than the idle timeout.
    pub(crate) fn reap_idle(&self) {
        let expired: Vec<Arc<Worker>> = match self.idle.lock() {
            Ok(mut idle) => {
                let (old, keep): (Vec<_>, Vec<_>) = idle
                    .drain(..)
                    .partition(|w| w.idle_for() >= self.idle_timeout || w.has_exited());
                *idle = keep;
                old
            }
            Err(_) => Vec::new(),
        };
        for w in expired {
            self.forget(&w);
        }
    }

    /// Kill every process of this function and wait for them to end.
    pub(crate) async fn shutdown(&self) {
        self.busy.close();
        let all: Vec<Arc<Worker>> = match self.live.lock() {
            Ok(mut live) => live.drain().map(|(_, w)| w).collect(),
            Err(_) => Vec::new(),
        };
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
        for w in &all {
            w.kill();
        }
        for w in &all {
            let _ = tokio::time::timeout(Duration::from_secs(5), w.exited()).await;
        }
    }
}

/// `errorType` and `errorMessage` of a Lambda error document, when it is one.
fn error_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, None);
    };
    let s = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    (s("errorType"), s("errorMessage"))
}
