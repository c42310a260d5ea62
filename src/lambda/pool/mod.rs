//! Warm process pool for one function: acquire, hand off, scale, reap, retire.
//!
//! Layout: this module owns the queue and the processes; `attempt` runs one invocation on one
//! process (its phases, timeouts and failure reports); `snapshot` is the pool as `/health`
//! shows it.
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
use tokio::sync::oneshot;

mod attempt;
pub(crate) use attempt::error_fields;
mod snapshot;

use attempt::Attempt;

pub use snapshot::PoolSnapshot;

use super::cpu_meter::CpuMeter;
use super::scaling::{self, Average, Decision, Evidence, StartReason, WaitReason};
use super::worker::{Launch, Phase, Worker};
use super::{InvokeOutcome, InvokeReport, PoolNote};
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
    /// The last process that ended on its own (a crash, an exit): when, its pid, how.
    last_exit: Option<(SystemTime, Option<u32>, String)>,
    /// The current queueing episode: (when it began, when a request last queued). Pauses
    /// shorter than [`EPISODE_GAP`] do not end it.
    episode: Option<(Instant, Instant)>,
    /// Inits that failed in a row, and the last one's report.
    init_failures: u32,
    last_init_failure: Option<(SystemTime, InvokeReport)>,
    /// Until when no process is started after repeated init failures (a function that dies
    /// in init answers its failure without a fork storm).
    backoff_until: Option<Instant>,
}

/// Inits that may fail in a row before the pool backs off.
const INIT_FAILURES_BEFORE_BACKOFF: u32 = 3;
/// The first back-off; each further failure doubles it, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

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
        if let Some(report) = self.backing_off(&request_id) {
            return report;
        }
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
                    self.note_init_outcome(&report);
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

    /// While backing off after repeated init failures, with no process alive: the last init
    /// failure again, said to be a repeat, instead of starting another process.
    fn backing_off(&self, request_id: &str) -> Option<InvokeReport> {
        let st = self.lock();
        let until = st.backoff_until?;
        if Instant::now() >= until || !st.live.is_empty() || st.spawning > 0 {
            return None;
        }
        let (_, last) = st.last_init_failure.as_ref()?;
        let mut report = last.clone();
        report.request_id = request_id.to_owned();
        report.cold_start = false;
        report.pid = None;
        report.duration = Duration::ZERO;
        if let InvokeOutcome::Failure(f) = &mut report.outcome {
            f.error_message = format!(
                "{} (not started again: init failed {} times in a row; the next start is tried in {:.1} s)",
                f.error_message,
                st.init_failures,
                until
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64()
            );
        }
        Some(report)
    }

    /// Count an invocation's init outcome: a failed init in a row backs the pool off, any
    /// invocation that got past init resets it.
    fn note_init_outcome(&self, report: &InvokeReport) {
        let mut st = self.lock();
        let init_failed = matches!(
            &report.outcome,
            InvokeOutcome::Failure(f)
                if matches!(f.kind, super::FailureKind::Init | super::FailureKind::InitTimeout)
        );
        if !init_failed {
            st.init_failures = 0;
            st.backoff_until = None;
            return;
        }
        st.init_failures += 1;
        st.last_init_failure = Some((SystemTime::now(), report.clone()));
        if st.init_failures >= INIT_FAILURES_BEFORE_BACKOFF {
            let doublings = (st.init_failures - INIT_FAILURES_BEFORE_BACKOFF).min(6);
            let delay = (FIRST_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF);
            st.backoff_until = Some(Instant::now() + delay);
        }
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
            self.meter.note_queueing();
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
            cores: self.meter.cores(),
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
        // New code deserves a fresh start, whatever the old code's inits did.
        st.init_failures = 0;
        st.backoff_until = None;
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
            Gone::Ended => {
                st.counters.ended += 1;
                if let Some(exit) = worker.exit.borrow().as_ref() {
                    st.last_exit = Some((SystemTime::now(), worker.pid, exit.description.clone()));
                }
            }
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
