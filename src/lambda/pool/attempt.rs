//! One invocation on one process: handing it over through the process's Runtime API, its
//! two phases (until the process takes it, which covers a cold process's init, then the
//! function's `Timeout`), and the failure reports Lambda would give for each way it ends.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::oneshot;

use super::super::runtime_api::{Pending, RuntimeReply};
use super::super::worker::{Phase, Worker};
use super::super::{FailureKind, FunctionFailure, InvokeOutcome, InvokeReport};
use super::{CPU_SAMPLE_EVERY, FunctionPool, Gone, INIT_TIMEOUT, Lease, Sample};

/// What an invocation attempt knows when it has to report a failure.
#[derive(Clone, Copy)]
struct Run<'a> {
    request_id: &'a str,
    started: Instant,
    cold: bool,
    worker: &'a Worker,
}

impl Run<'_> {
    /// The report of this run, ending in `outcome` after `duration`.
    fn report(&self, outcome: InvokeOutcome, duration: Duration) -> InvokeReport {
        InvokeReport {
            request_id: self.request_id.to_owned(),
            outcome,
            duration,
            cold_start: self.cold,
            pid: self.worker.pid,
            // Set by the pool once the invocation is done: the run does not know them.
            queue_wait: Duration::ZERO,
            pool: None,
        }
    }
}

pub(super) enum Attempt {
    Done(Box<InvokeReport>),
    /// A warm process died between invocations: try again on a fresh one.
    Retry,
}

impl FunctionPool {
    pub(super) async fn attempt(
        self: &Arc<Self>,
        lease: &Lease,
        request_id: &str,
        payload: Bytes,
        trace_id: &str,
    ) -> Attempt {
        let worker = &lease.worker;
        let cold = lease.cold;
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
                self.forget(worker, Gone::Ended);
                Attempt::Done(Box::new(self.crash_report(&Run {
                    request_id,
                    started,
                    cold,
                    worker,
                })))
            } else {
                Attempt::Retry
            };
        }

        // Phase 1: until the process takes the invocation (init on a cold process).
        let delivered = tokio::select! {
            biased;
            d = delivered_rx => d.is_ok(),
            _ = worker.exited() => false,
            () = tokio::time::sleep(INIT_TIMEOUT) => {
                worker.kill();
                let _ = worker.exited().await;
                self.forget(worker, Gone::Ended);
                return Attempt::Done(Box::new(self.failure(
                    &Run { request_id, started, cold, worker }, FailureKind::InitTimeout,
                    "Runtime.InitTimeout".into(),
                    format!("RequestId: {request_id} Error: Init phase did not complete within {} seconds", INIT_TIMEOUT.as_secs()),
                    None,
                )));
            }
        };
        if !delivered {
            if worker.is_initialized() && !cold {
                return Attempt::Retry;
            }
            self.forget(worker, Gone::Ended);
            return Attempt::Done(Box::new(
                self.init_failure(&Run {
                    request_id,
                    started,
                    cold,
                    worker,
                })
                .await,
            ));
        }
        worker.set_phase(Phase::Busy);
        if cold && let Some(init) = worker.init_time() {
            let mut st = self.lock();
            st.cold_start.add(init.as_secs_f64());
            st.cold_start_best = Some(st.cold_start_best.map_or(init, |b| b.min(init)));
        }
        let n = self.invocations.fetch_add(1, Ordering::Relaxed);
        // A process's first invocation is always sampled, so the policy knows the handler's
        // appetite for CPU before it starts a second process; then one in eight (a sample is
        // a `pread` of procfs on each side: about 3 % of the gateway's CPU if done on every
        // invocation of a fast handler).
        let cpu_before = if cold || n % CPU_SAMPLE_EVERY == 0 {
            worker.cpu_demand_ns()
        } else {
            None
        };
        worker
            .cpu_at_delivery
            .store(cpu_before.unwrap_or(0), Ordering::Relaxed);
        let invoke_started = Instant::now();
        let run = Run {
            request_id,
            started: invoke_started,
            cold,
            worker,
        };

        // Phase 2: the handler runs under the function's timeout.
        let result = tokio::select! {
            biased;
            r = reply_rx => r.ok(),
            _ = worker.exited() => None,
            () = tokio::time::sleep(self.function.timeout) => {
                worker.kill();
                let _ = worker.exited().await;
                self.forget(worker, Gone::Ended);
                let secs = self.function.timeout.as_secs_f64();
                return Attempt::Done(Box::new(self.failure(
                    &run, FailureKind::Timeout,
                    "Sandbox.Timedout".into(),
                    format!("RequestId: {request_id} Error: Task timed out after {secs:.2} seconds"),
                    None,
                )));
            }
        };
        let duration = invoke_started.elapsed();
        let sample = Sample {
            duration,
            cpu_share: cpu_before.and_then(|before| {
                let after = worker.cpu_demand_ns()?;
                let wall = duration.as_nanos() as f64;
                (wall > 0.0).then(|| (after.saturating_sub(before) as f64 / wall).min(1.0))
            }),
            waited: lease.waited,
        };
        match result {
            Some(RuntimeReply::Response(body)) => {
                self.release(worker, &sample);
                Attempt::Done(Box::new(run.report(InvokeOutcome::Success(body), duration)))
            }
            Some(RuntimeReply::Error { error_type, body }) => {
                self.release(worker, &sample);
                let (etype, emsg) = error_fields(&body);
                let failure = FunctionFailure {
                    kind: FailureKind::Handled,
                    error_type: etype.or(error_type).unwrap_or_default(),
                    error_message: emsg.unwrap_or_default(),
                    payload: body,
                    exit: None,
                    output_tail: Vec::new(),
                };
                Attempt::Done(Box::new(
                    run.report(InvokeOutcome::Failure(failure), duration),
                ))
            }
            None => {
                // The reply can be dropped before the exit is seen: wait for the exit, and
                // with it the last lines the process printed (bounded: a process that closed
                // its Runtime API connection may still be alive, and is killed).
                if tokio::time::timeout(std::time::Duration::from_secs(1), worker.exited())
                    .await
                    .is_err()
                {
                    worker.kill();
                }
                self.forget(worker, Gone::Ended);
                Attempt::Done(Box::new(self.crash_report(&run)))
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
            worker,
            ..
        } = *run;
        let exit = worker.exited().await;
        let desc = exit.map(|e| e.description);
        match worker.api.init_error() {
            Some(init) => {
                let (etype, emsg) = error_fields(&init.body);
                let failure = FunctionFailure {
                    kind: FailureKind::Init,
                    error_type: etype
                        .or(init.error_type)
                        .unwrap_or_else(|| "Runtime.Unknown".into()),
                    error_message: emsg.unwrap_or_default(),
                    payload: init.body,
                    exit: desc,
                    output_tail: worker.output_tail(),
                };
                run.report(InvokeOutcome::Failure(failure), started.elapsed())
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
            started, worker, ..
        } = *run;
        let payload = serde_json::json!({
            "errorType": error_type,
            "errorMessage": error_message,
        });
        let failure = FunctionFailure {
            kind,
            error_type,
            error_message,
            payload: Bytes::from(payload.to_string()),
            exit,
            output_tail: worker.output_tail(),
        };
        run.report(InvokeOutcome::Failure(failure), started.elapsed())
    }

    pub(super) fn spawn_failure(&self, request_id: &str, message: String) -> InvokeReport {
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
            queue_wait: Duration::ZERO,
            pool: None,
        }
    }
}

/// `errorType` and `errorMessage` of a Lambda error document, when it is one.
pub(crate) fn error_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, None);
    };
    let s = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    (s("errorType"), s("errorMessage"))
}
