//! A function's pool as `GET /health` shows it: counts, queue waits, the scaling policy's
//! estimates and last decision, and the idle processes' memory.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::super::scaling::{self, Average};
use super::FunctionPool;

/// A function's pool as `/health` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolSnapshot {
    /// Processes alive (idle + busy + starting).
    pub live: usize,
    /// Running an invocation.
    pub busy: usize,
    /// Done with init and waiting for an invocation.
    pub idle: usize,
    /// Spawned or in init (a `--prewarm` process counts here until it has asked for its
    /// first invocation: a request it took before then would still pay part of a cold start).
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
    /// Their recent busy share (by anything); measured only while requests queue.
    pub cores_busy: Option<f64>,
    /// Recent share of the time the gateway's worker threads wanted a CPU (same).
    pub gateway_busy: Option<f64>,
    /// Why the last process was started, and when.
    pub last_start: Option<LastStart>,
    /// The last process that ended on its own (not reaped or retired): its pid, how, when.
    pub last_exit: Option<LastExit>,
    /// Resident memory of the idle processes.
    pub idle_memory: IdleMemory,
    /// Set while inits keep failing: the function is unhealthy, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unhealthy: Option<Unhealthy>,
}

/// A function whose processes keep failing init.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unhealthy {
    /// Inits that failed in a row.
    pub init_failures: u32,
    /// The last one's error, as Lambda reports it.
    pub error: String,
    /// How long ago it failed (s).
    pub seconds_ago: f64,
    /// Until the pool starts a process again (s); 0 when it would now.
    pub retry_in_seconds: f64,
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

/// The last process that ended on its own.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastExit {
    /// Its process id.
    pub pid: Option<u32>,
    /// How it ended (`exit status 3`, `signal 9 (SIGKILL)`).
    pub exit: String,
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
        let (ready, warming): (Vec<_>, Vec<_>) = st.idle.iter().partition(|w| w.is_initialized());
        let idle: Vec<u64> = ready.iter().filter_map(|w| w.rss_kb()).collect();
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
            idle: ready.len(),
            starting: e.starting + warming.len(),
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
            cores: e.cores,
            cores_busy: match recent.0 {
                scaling::CoreLoad::Busy(b) => Some(b),
                _ => None,
            },
            gateway_busy: recent.1,
            last_start: st.last_start.map(|(at, reason)| LastStart {
                reason: reason.to_string(),
                seconds_ago: at.elapsed().unwrap_or_default().as_secs_f64(),
            }),
            last_exit: st.last_exit.as_ref().map(|(at, pid, exit)| LastExit {
                pid: *pid,
                exit: exit.clone(),
                seconds_ago: at.elapsed().unwrap_or_default().as_secs_f64(),
            }),
            idle_memory: IdleMemory {
                processes: idle.len(),
                total_kb,
                per_process_kb: (!idle.is_empty()).then(|| total_kb / idle.len() as u64),
            },
            unhealthy: match &st.last_init_failure {
                Some((at, report)) if st.init_failures > 0 => Some(Unhealthy {
                    init_failures: st.init_failures,
                    error: match &report.outcome {
                        crate::lambda::InvokeOutcome::Failure(f) => {
                            format!("{}: {}", f.error_type, f.error_message)
                        }
                        crate::lambda::InvokeOutcome::Success(_) => String::new(),
                    },
                    seconds_ago: at.elapsed().unwrap_or_default().as_secs_f64(),
                    retry_in_seconds: st.backoff_until.map_or(0.0, |u| {
                        u.saturating_duration_since(Instant::now()).as_secs_f64()
                    }),
                }),
                _ => None,
            },
        }
    }
}
