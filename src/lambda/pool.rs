//! Warm process pool for one function: acquire, invoke, enforce timeouts, scale, reap, retire.
//!
//! One invocation per process at a time, as on Lambda. A request takes an idle process
//! (most recently used first, so that a burst's extra processes go idle and get reaped after
//! `idle_timeout`); when none is idle it queues, first come first served, and
//! [`super::scaling`] decides on the evidence whether starting another process helps. Every
//! process the pool starts counts against `max_concurrency`, the hard cap. A code change
//! bumps the pool's generation ([`FunctionPool::retire`]): idle processes of older
//! generations are stopped at once, busy ones when their invocation ends.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::oneshot;

use super::cpu_meter::CpuMeter;
use super::runtime_api::{Pending, RuntimeReply};
use super::scaling::{self, Average, Decision, Evidence, StartReason, WaitReason};
use super::worker::{Launch, Phase, Worker};
use super::{FailureKind, FunctionFailure, InvokeOutcome, InvokeReport, PoolNote};
use crate::model::Function;

/// Lambda's limit for the init phase of an on-demand environment.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many recent queue waits the pool keeps for its percentiles.
const WAIT_SAMPLES: usize = 1024;

/// One invocation in this many has its process's CPU demand sampled (besides each process's
/// first).
const CPU_SAMPLE_EVERY: u64 = 8;

pub(crate) struct FunctionPool {
    pub function: Function,
    pub arn: String,
    launch: Launch,
    max: usize,
    idle_timeout: Duration,
    /// Processes `--prewarm` keeps started (never reaped below this many idle).
    keep_warm: usize,
    cores: usize,
    meter: Arc<CpuMeter>,
    next_id: AtomicU64,
    invocations: AtomicU64,
    state: Mutex<State>,
}

/// Everything the pool's decisions read and write, behind one lock.
#[derive(Default)]
struct State {
    /// Idle processes, most recently used last.
    idle: Vec<Arc<Worker>>,
    /// Requests waiting for a process, oldest first.
    waiters: VecDeque<oneshot::Sender<Handoff>>,
    /// Every process alive (idle, busy, starting).
    live: HashMap<u64, Arc<Worker>>,
    /// Spawns in progress (not yet in `live`).
    spawning: usize,
    generation: u64,
    closed: bool,
    invoke: Average,
    cold_start: Average,
    /// The fastest init seen: what a cold start costs when nothing else slows it.
    cold_start_best: Option<Duration>,
    cpu_share: Average,
    counters: Counters,
    waits: VecDeque<f32>,
    last_start: Option<(SystemTime, StartReason)>,
    /// The current queueing episode: (when it began, when a request last queued). Pauses
    /// shorter than [`EPISODE_GAP`] do not end it.
    episode: Option<(Instant, Instant)>,
}

/// A queue that stayed empty this long ends its episode: the load measured before the
/// next one says nothing about it.
const EPISODE_GAP: Duration = Duration::from_secs(1);

/// Lifetime counts, for `/health`.
#[derive(Default, Clone, Copy)]
struct Counters {
    started: u64,
    reaped: u64,
    retired: u64,
    /// Processes that exited, crashed, timed out or failed init.
    ended: u64,
    invocations: u64,
    queued: u64,
}

/// What a queued request is handed.
enum Handoff {
    Worker(Arc<Worker>),
    /// The process started for the queue could not be spawned.
    SpawnFailed(String),
}

/// A process taken for one invocation, and how it was had.
struct Lease {
    worker: Arc<Worker>,
    cold: bool,
    waited: Duration,
    note: Option<PoolNote>,
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
    Done(Box<InvokeReport>),
    /// A warm process died between invocations: try again on a fresh one.
    Retry,
}

/// A function's pool as `/health` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolSnapshot {
    /// Processes alive (idle + busy + starting).
    pub live: usize,
    /// Running an invocation.
    pub busy: usize,
    /// Waiting for one.
    pub idle: usize,
    /// Spawned or in init.
    pub starting: usize,
    /// Requests waiting for a process now.
    pub queued: usize,
    /// `--max-concurrency`.
    pub max_concurrency: usize,
    /// Processes started since the server started.
    pub started: u64,
    /// Stopped after `--idle-timeout` idle.
    pub reaped: u64,
    /// Stopped because the function's code changed.
    pub retired: u64,
    /// Ended otherwise: exited, crashed, timed out, failed init.
    pub ended: u64,
    /// Invocations served.
    pub invocations: u64,
    /// Invocations that had to wait for a process.
    pub queued_invocations: u64,
    /// Queue wait of recent invocations (ms).
    pub queue_wait_ms: Percentiles,
    /// Recent invocation time (ms), the policy's running average.
    pub invoke_ms: Option<f64>,
    /// Recent cold start, spawn to first `/next` (ms), a running average.
    pub cold_start_ms: Option<f64>,
    /// The fastest cold start seen (ms): the cost the policy weighs a queue against.
    pub cold_start_best_ms: Option<f64>,
    /// Recent share of an invocation's time its process wanted a CPU (running or runnable).
    pub cpu_share: Option<f64>,
    /// CPUs the policy counts.
    pub cores: usize,
    /// Their recent busy share (by anything), when measured.
    pub cores_busy: Option<f64>,
    /// Recent share of the time the gateway's worker threads wanted a CPU.
    pub gateway_busy: Option<f64>,
    /// Why the last process was started, and when.
    pub last_start: Option<LastStart>,
    /// Resident memory of the idle processes.
    pub idle_memory: IdleMemory,
}

/// p50 and p99 of recent samples.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    /// Samples behind the figures (the most recent ones, up to 1024).
    pub samples: usize,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// The last start decision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastStart {
    /// The policy's reason, in words.
    pub reason: String,
    /// How long ago (s).
    pub seconds_ago: f64,
}

/// Memory of the idle processes (RSS from procfs).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleMemory {
    /// Idle processes measured.
    pub processes: usize,
    /// Their RSS together (KiB).
    pub total_kb: u64,
    /// Per idle process (KiB), when there is one.
    pub per_process_kb: Option<u64>,
}

impl FunctionPool {
    pub(crate) fn new(
        function: Function,
        arn: String,
        launch: Launch,
        max_concurrency: usize,
        idle_timeout: Duration,
        keep_warm: usize,
        meter: Arc<CpuMeter>,
    ) -> Self {
        let max = max_concurrency.max(1);
        FunctionPool {
            function,
            arn,
            launch,
            max,
            idle_timeout,
            keep_warm: keep_warm.min(max),
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            meter,
            next_id: AtomicU64::new(1),
            invocations: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the counts worse than approximate.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Number of live processes (idle, busy or starting).
    pub(crate) fn live_count(&self) -> usize {
        self.lock().live.len()
    }

    /// Run one invocation to completion (success, error, timeout, crash).
    pub(crate) async fn invoke(self: &Arc<Self>, payload: Bytes, trace_id: String) -> InvokeReport {
        let request_id = crate::ids::new_uuid();
        // Retrying covers a warm process that died while idle; a fresh process that dies is
        // reported, never retried, so a crash loop cannot spin.
        for _ in 0..3 {
            let lease = match self.acquire().await {
                Ok(lease) => lease,
                Err(message) => return self.spawn_failure(&request_id, message),
            };
            match self
                .attempt(&lease, &request_id, payload.clone(), &trace_id)
                .await
            {
                Attempt::Done(mut report) => {
                    report.queue_wait = lease.waited;
                    report.pool = lease.note;
                    return *report;
                }
                Attempt::Retry => self.forget(&lease.worker, Gone::Ended),
            }
        }
        self.spawn_failure(
            &request_id,
            "function processes keep exiting while idle".into(),
        )
    }

    /// A process for one invocation: an idle one, or one handed over after queueing.
    async fn acquire(self: &Arc<Self>) -> Result<Lease, String> {
        let (mut rx, since, first) = {
            let mut st = self.lock();
            if st.closed {
                return Err("function pool is shut down".into());
            }
            while let Some(w) = st.idle.pop() {
                if w.has_exited() {
                    self.forget_locked(&mut st, &w, Gone::Ended);
                    continue;
                }
                let cold = !w.is_initialized();
                w.set_phase(if cold { Phase::Starting } else { Phase::Busy });
                return Ok(Lease {
                    worker: w,
                    cold,
                    waited: Duration::ZERO,
                    note: None,
                });
            }
            let (tx, rx) = oneshot::channel();
            st.waiters.push_back(tx);
            st.counters.queued += 1;
            let now = Instant::now();
            st.episode = Some(match st.episode {
                Some((start, last)) if now.duration_since(last) < EPISODE_GAP => (start, now),
                _ => (now, now),
            });
            let decision = self.decide_locked(&mut st);
            (rx, Instant::now(), decision)
        };
        let mut note = Some(match first {
            Decision::Start(_, r) => PoolNote::Started(r),
            Decision::Wait(r) => PoolNote::Waited(r),
        });
        loop {
            let patience = scaling::patience(self.lock().cold_start_best);
            tokio::select! {
                biased;
                got = &mut rx => {
                    let waited = since.elapsed();
                    return match got {
                        Ok(Handoff::Worker(worker)) => {
                            let cold = !worker.is_initialized();
                            Ok(Lease { worker, cold, waited, note })
                        }
                        Ok(Handoff::SpawnFailed(message)) => Err(message),
                        Err(_) => Err("function pool is shut down".into()),
                    };
                }
                () = tokio::time::sleep(patience) => {
                    // Still waiting: ask the policy again with what has been seen since.
                    let mut st = self.lock();
                    if let Decision::Start(_, r) = self.decide_locked(&mut st) {
                        note = Some(PoolNote::Started(r));
                    }
                }
            }
        }
    }

    /// What the policy sees now.
    fn evidence(&self, st: &State) -> Evidence {
        let since = st.episode.map_or_else(Instant::now, |(start, _)| start);
        let (load, gateway_busy) = self.meter.load(since);
        let mut busy = 0;
        let mut starting = st.spawning;
        let mut oldest_busy = Duration::ZERO;
        // Before any invocation has finished, the CPU share of those running is the evidence.
        let mut running_share: Option<f64> = None;
        for w in st.live.values() {
            match w.phase() {
                Phase::Busy => {
                    busy += 1;
                    let age = w.busy_for();
                    oldest_busy = oldest_busy.max(age);
                    let at = w.cpu_at_delivery.load(Ordering::Relaxed);
                    if st.cpu_share.get().is_none()
                        && at > 0
                        && !age.is_zero()
                        && let Some(now) = w.cpu_demand_ns()
                    {
                        let share =
                            (now.saturating_sub(at) as f64 / age.as_nanos() as f64).min(1.0);
                        running_share = Some(running_share.map_or(share, |s: f64| s.max(share)));
                    }
                }
                Phase::Starting => starting += 1,
                Phase::Idle => {}
            }
        }
        Evidence {
            queued: st.waiters.len(),
            busy,
            starting,
            processes: st.live.len() + st.spawning,
            max: self.max,
            oldest_busy,
            invoke: st.invoke.duration(),
            cold_start: st.cold_start_best,
            cpu_share: st.cpu_share.get().or(running_share),
            cores: self.cores,
            load,
            gateway_busy,
            queueing_for: st
                .episode
                .map_or(Duration::ZERO, |(start, _)| start.elapsed()),
        }
    }

    /// Ask the policy about the current queue and start what it says.
    fn decide_locked(self: &Arc<Self>, st: &mut State) -> Decision {
        if st.waiters.is_empty() {
            return Decision::Wait(WaitReason::NoEvidence);
        }
        let decision = scaling::decide(&self.evidence(st));
        if let Decision::Start(n, reason) = decision {
            for _ in 0..n {
                self.start_locked(st, reason);
            }
        }
        decision
    }

    /// Start one process in the background; it goes to the oldest waiter, or to the idle
    /// list when nobody waits (prewarm).
    fn start_locked(self: &Arc<Self>, st: &mut State, reason: StartReason) {
        st.spawning += 1;
        st.counters.started += 1;
        st.last_start = Some((SystemTime::now(), reason));
        let generation = st.generation;
        let pool = self.clone();
        tokio::spawn(async move {
            let id = pool.next_id.fetch_add(1, Ordering::Relaxed);
            let spawned = Worker::spawn(id, generation, &pool.launch, pool.arn.clone()).await;
            pool.on_spawned(spawned);
        });
    }

    fn on_spawned(self: &Arc<Self>, spawned: std::io::Result<Worker>) {
        let mut st = self.lock();
        st.spawning -= 1;
        match spawned {
            Ok(worker) => {
                let worker = Arc::new(worker);
                if st.closed {
                    worker.kill();
                    return;
                }
                st.live.insert(worker.id, worker.clone());
                if let Some(worker) = hand_off(&mut st, worker) {
                    worker.set_phase(Phase::Idle);
                    worker.touch();
                    st.idle.push(worker);
                }
            }
            Err(e) => {
                st.counters.started -= 1;
                let message = format!("cannot start {}: {e}", self.launch.program.display());
                while let Some(tx) = st.waiters.pop_front() {
                    if tx.send(Handoff::SpawnFailed(message.clone())).is_ok() {
                        break;
                    }
                }
                if st.waiters.is_empty() {
                    crate::log_sink::line(format!(
                        "glassgate: {}: {message}",
                        self.function.logical_id
                    ));
                }
            }
        }
    }

    /// Start `n` processes now, before any request (`--prewarm`).
    pub(crate) fn prewarm(self: &Arc<Self>) {
        let mut st = self.lock();
        for _ in 0..self.keep_warm {
            self.start_locked(&mut st, StartReason::Prewarm);
        }
    }

    /// Stop this function's processes because its code changed: idle ones now, busy ones
    /// when their invocation ends. Returns how many processes were alive.
    pub(crate) fn retire(self: &Arc<Self>) -> usize {
        let mut st = self.lock();
        st.generation += 1;
        let alive = st.live.len() + st.spawning;
        let idle: Vec<Arc<Worker>> = st.idle.drain(..).collect();
        for w in &idle {
            self.forget_locked(&mut st, w, Gone::Retired);
        }
        if !st.closed {
            for _ in 0..self.keep_warm.saturating_sub(st.live.len() + st.spawning) {
                self.start_locked(&mut st, StartReason::Prewarm);
            }
        }
        alive
    }

    async fn attempt(
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
                    &Run { request_id, started: invoke_started, cold, worker }, FailureKind::Timeout,
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
                Attempt::Done(Box::new(InvokeReport {
                    request_id: request_id.to_owned(),
                    outcome: InvokeOutcome::Success(body),
                    duration,
                    cold_start: cold,
                    pid: worker.pid,
                    queue_wait: Duration::ZERO,
                    pool: None,
                }))
            }
            Some(RuntimeReply::Error { error_type, body }) => {
                self.release(worker, &sample);
                let (etype, emsg) = error_fields(&body);
                Attempt::Done(Box::new(InvokeReport {
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
                    queue_wait: Duration::ZERO,
                    pool: None,
                }))
            }
            None => {
                self.forget(worker, Gone::Ended);
                Attempt::Done(Box::new(self.crash_report(&Run {
                    request_id,
                    started: invoke_started,
                    cold,
                    worker,
                })))
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
                    queue_wait: Duration::ZERO,
                    pool: None,
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
            queue_wait: Duration::ZERO,
            pool: None,
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
            queue_wait: Duration::ZERO,
            pool: None,
        }
    }

    /// An invocation ended well: the process goes to the oldest waiter, or idle.
    fn release(self: &Arc<Self>, worker: &Arc<Worker>, sample: &Sample) {
        worker.touch();
        let mut st = self.lock();
        st.invoke.add(sample.duration.as_secs_f64());
        if let Some(share) = sample.cpu_share {
            st.cpu_share.add(share);
        }
        st.counters.invocations += 1;
        record_wait(&mut st, sample.waited);
        if worker.has_exited() {
            self.forget_locked(&mut st, worker, Gone::Ended);
            return;
        }
        if worker.generation != st.generation {
            self.forget_locked(&mut st, worker, Gone::Retired);
            return;
        }
        if st.closed {
            self.forget_locked(&mut st, worker, Gone::Ended);
            return;
        }
        if let Some(worker) = hand_off(&mut st, worker.clone()) {
            worker.set_phase(Phase::Idle);
            st.idle.push(worker);
        }
    }

    fn forget(self: &Arc<Self>, worker: &Worker, gone: Gone) {
        let mut st = self.lock();
        self.forget_locked(&mut st, worker, gone);
    }

    /// Stop a process and drop it from the pool; a queue left with nothing serving it gets
    /// a replacement.
    fn forget_locked(self: &Arc<Self>, st: &mut State, worker: &Worker, gone: Gone) {
        worker.kill();
        if st.live.remove(&worker.id).is_none() {
            return;
        }
        match gone {
            Gone::Reaped => st.counters.reaped += 1,
            Gone::Retired => st.counters.retired += 1,
            Gone::Ended => st.counters.ended += 1,
        }
        if !st.closed
            && !st.waiters.is_empty()
            && let Decision::Start(1, StartReason::NoProcess) = scaling::decide(&self.evidence(st))
        {
            self.start_locked(st, StartReason::Replacement);
        }
    }

    /// Kill processes idle for longer than the idle timeout (keeping `--prewarm` of them).
    pub(crate) fn reap_idle(self: &Arc<Self>) {
        let mut st = self.lock();
        let mut reapable = st.idle.len().saturating_sub(self.keep_warm);
        // Least recently used first (the list ends with the most recent), so the warmest stay.
        let mut i = 0;
        while i < st.idle.len() {
            let w = &st.idle[i];
            if w.has_exited() {
                let w = st.idle.remove(i);
                self.forget_locked(&mut st, &w, Gone::Ended);
                reapable = reapable.saturating_sub(1);
            } else if reapable > 0 && w.idle_for() >= self.idle_timeout {
                let w = st.idle.remove(i);
                self.forget_locked(&mut st, &w, Gone::Reaped);
                reapable -= 1;
            } else {
                i += 1;
            }
        }
    }

    /// The pool as `/health` shows it.
    pub(crate) fn snapshot(&self) -> PoolSnapshot {
        let st = self.lock();
        let e = self.evidence(&st);
        // The latest window, whether requests queue or not.
        let recent = self.meter.load(
            Instant::now()
                .checked_sub(Duration::from_secs(2))
                .unwrap_or_else(Instant::now),
        );
        let idle: Vec<u64> = st.idle.iter().filter_map(|w| w.rss_kb()).collect();
        let total_kb: u64 = idle.iter().sum();
        let mut waits: Vec<f32> = st.waits.iter().copied().collect();
        waits.sort_by(f32::total_cmp);
        let pct = |p: usize| {
            waits
                .get((waits.len() * p / 100).min(waits.len().saturating_sub(1)))
                .map_or(0.0, |v| f64::from(*v))
        };
        let ms = |a: Average| a.get().map(|s| s * 1000.0);
        PoolSnapshot {
            live: st.live.len(),
            busy: e.busy,
            idle: st.idle.len(),
            starting: e.starting,
            queued: st.waiters.len(),
            max_concurrency: self.max,
            started: st.counters.started,
            reaped: st.counters.reaped,
            retired: st.counters.retired,
            ended: st.counters.ended,
            invocations: st.counters.invocations,
            queued_invocations: st.counters.queued,
            queue_wait_ms: Percentiles {
                samples: waits.len(),
                p50: pct(50),
                p99: pct(99),
            },
            invoke_ms: ms(st.invoke),
            cold_start_ms: ms(st.cold_start),
            cold_start_best_ms: st.cold_start_best.map(|d| d.as_secs_f64() * 1000.0),
            cpu_share: st.cpu_share.get(),
            cores: self.cores,
            cores_busy: match recent.0 {
                scaling::CoreLoad::Busy(b) => Some(b),
                _ => None,
            },
            gateway_busy: recent.1,
            last_start: st.last_start.map(|(at, reason)| LastStart {
                reason: reason.to_string(),
                seconds_ago: at.elapsed().unwrap_or_default().as_secs_f64(),
            }),
            idle_memory: IdleMemory {
                processes: idle.len(),
                total_kb,
                per_process_kb: (!idle.is_empty()).then(|| total_kb / idle.len() as u64),
            },
        }
    }

    /// Kill every process of this function and wait for them to end.
    pub(crate) async fn shutdown(&self) {
        let all: Vec<Arc<Worker>> = {
            let mut st = self.lock();
            st.closed = true;
            // Dropping the senders answers every waiter "shut down".
            st.waiters.clear();
            st.idle.clear();
            st.live.drain().map(|(_, w)| w).collect()
        };
        for w in &all {
            w.kill();
        }
        for w in &all {
            let _ = tokio::time::timeout(Duration::from_secs(5), w.exited()).await;
        }
    }
}

/// Why a process left the pool.
#[derive(Clone, Copy)]
enum Gone {
    Reaped,
    Retired,
    Ended,
}

/// What one invocation taught the policy.
struct Sample {
    duration: Duration,
    cpu_share: Option<f64>,
    waited: Duration,
}

fn record_wait(st: &mut State, waited: Duration) {
    if st.waits.len() == WAIT_SAMPLES {
        st.waits.pop_front();
    }
    st.waits.push_back((waited.as_secs_f64() * 1000.0) as f32);
}

/// Give a process to the oldest waiter still waiting; the process back when none is.
fn hand_off(st: &mut State, worker: Arc<Worker>) -> Option<Arc<Worker>> {
    let mut worker = worker;
    while let Some(tx) = st.waiters.pop_front() {
        if worker.is_initialized() {
            worker.set_phase(Phase::Busy);
        }
        match tx.send(Handoff::Worker(worker)) {
            Ok(()) => return None,
            Err(Handoff::Worker(w)) => worker = w,
            Err(Handoff::SpawnFailed(_)) => return None,
        }
    }
    Some(worker)
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
