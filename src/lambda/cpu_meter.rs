//! How busy the CPUs this server may run on are, and how much the gateway's own threads want
//! a CPU, for the scaling policy.
//!
//! Owns: sampling (every [`SAMPLE_EVERY`] while some function's requests queue, by a
//! background task that does nothing otherwise) the per-CPU counters of
//! `/proc/stat` over the cores in the server's affinity mask (so `taskset -c 0 glassgate
//! serve` counts core 0 only) and the `schedstat` of the gateway's runtime threads (named
//! [`super::GATEWAY_THREAD_NAME`]), and
//! turning the samples into shares over a recent window. A window is only offered when it
//! lies within the period the caller asks about (the current queueing episode), so a burst is
//! never judged by the quiet spell before it. Where procfs is missing the meter says nothing
//! and the policy decides without it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the counters are sampled (a read costs tens of microseconds).
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Shortest window a figure is computed over: procfs counts in ticks of 10 ms, so this
/// resolves the busy share to about 5 %.
const MIN_WINDOW: Duration = Duration::from_millis(200);
/// Samples kept (a little over a second).
const KEPT: usize = 12;

/// What the meter can say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CoreLoad {
    /// procfs is not there: the policy decides without it.
    Unknown,
    /// No window within the period asked about yet.
    Measuring,
    /// Busy share over the window.
    Busy(f64),
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Instant,
    /// Busy and total ticks over the meter's CPUs.
    busy: u64,
    total: u64,
    /// CPU demand (run + run-queue wait, ns) of the gateway's worker threads, and how many.
    demand: u64,
    workers: usize,
}

pub(crate) struct CpuMeter {
    /// The CPUs of the affinity mask, or `None` for all of them.
    cpus: Option<Vec<usize>>,
    samples: Mutex<VecDeque<Sample>>,
    unavailable: std::sync::atomic::AtomicBool,
    /// When a request last queued (ms since `epoch`, 0 for never): the policy only asks about
    /// the load while requests queue, so the sampler only reads procfs then.
    last_queued_ms: std::sync::atomic::AtomicU64,
    epoch: Instant,
}

/// Sampling goes on this long after the last request queued.
const SAMPLE_WHILE: Duration = Duration::from_secs(2);

impl CpuMeter {
    pub(crate) fn new() -> Self {
        CpuMeter {
            cpus: affinity(),
            samples: Mutex::new(VecDeque::with_capacity(KEPT)),
            unavailable: std::sync::atomic::AtomicBool::new(false),
            last_queued_ms: std::sync::atomic::AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// CPUs this server may run on (its affinity mask).
    pub(crate) fn cores(&self) -> usize {
        self.cpus.as_ref().map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            Vec::len,
        )
    }

    /// A request queued: sample the load for a while.
    pub(crate) fn note_queueing(&self) {
        let ms = self.epoch.elapsed().as_millis() as u64 + 1;
        self.last_queued_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Take a sample if requests queued recently (called every [`SAMPLE_EVERY`]).
    pub(crate) fn tick(&self) {
        let last = self
            .last_queued_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        let now = self.epoch.elapsed().as_millis() as u64;
        if last != 0 && now.saturating_sub(last) <= SAMPLE_WHILE.as_millis() as u64 {
            self.sample();
        }
    }

    /// Take one sample.
    fn sample(&self) {
        let Some((busy, total)) = self.read() else {
            self.unavailable
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        };
        let (demand, workers) = gateway_demand().unwrap_or((0, 0));
        let s = Sample {
            at: Instant::now(),
            busy,
            total,
            demand,
            workers,
        };
        if let Ok(mut samples) = self.samples.lock() {
            if samples.len() == KEPT {
                samples.pop_front();
            }
            samples.push_back(s);
        }
    }

    /// How busy the server's CPUs were (with anything, ours or not), and the share of the
    /// time the gateway's worker threads wanted a CPU, over the latest window of at least
    /// [`MIN_WINDOW`] that began at or after `since`.
    pub(crate) fn load(&self, since: Instant) -> (CoreLoad, Option<f64>) {
        if self.unavailable.load(std::sync::atomic::Ordering::Relaxed) {
            return (CoreLoad::Unknown, None);
        }
        let Ok(samples) = self.samples.lock() else {
            return (CoreLoad::Unknown, None);
        };
        let Some(last) = samples.back().copied() else {
            return (CoreLoad::Measuring, None);
        };
        let first = samples
            .iter()
            .rev()
            .find(|s| s.at >= since && last.at.duration_since(s.at) >= MIN_WINDOW)
            .copied();
        let Some(first) = first else {
            return (CoreLoad::Measuring, None);
        };
        let busy = if last.total > first.total {
            CoreLoad::Busy(
                last.busy.saturating_sub(first.busy) as f64 / (last.total - first.total) as f64,
            )
        } else {
            CoreLoad::Measuring
        };
        let window = last.at.duration_since(first.at).as_nanos() as f64 * last.workers as f64;
        let gateway = (last.workers > 0 && last.workers == first.workers && window > 0.0)
            .then(|| (last.demand.saturating_sub(first.demand) as f64 / window).min(1.0));
        (busy, gateway)
    }

    /// (busy, total) ticks over the meter's CPUs.
    fn read(&self) -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let (mut busy, mut total) = (0u64, 0u64);
        let mut seen = false;
        for line in stat.lines() {
            let Some(rest) = line.strip_prefix("cpu") else {
                break;
            };
            let Some((id, fields)) = rest.split_once(' ') else {
                continue;
            };
            let Ok(id) = id.parse::<usize>() else {
                continue; // the "cpu" total line
            };
            if self.cpus.as_ref().is_some_and(|c| !c.contains(&id)) {
                continue;
            }
            let v: Vec<u64> = fields
                .split_ascii_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            if v.len() < 5 {
                continue;
            }
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            let all: u64 = v.iter().take(8).sum();
            busy += all - v[3] - v[4];
            total += all;
            seen = true;
        }
        seen.then_some((busy, total))
    }
}

/// CPU demand (run plus run-queue wait, ns) of this process's runtime threads, and how
/// many there are.
fn gateway_demand() -> Option<(u64, usize)> {
    let mut demand = 0u64;
    let mut workers = 0usize;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let is_worker = std::fs::read_to_string(path.join("comm"))
            .is_ok_and(|c| c.trim_end() == super::GATEWAY_THREAD_NAME);
        if !is_worker {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) else {
            continue;
        };
        let mut f = stat
            .split_ascii_whitespace()
            .map(|v| v.parse::<u64>().unwrap_or(0));
        demand += f.next().unwrap_or(0) + f.next().unwrap_or(0);
        workers += 1;
    }
    Some((demand, workers))
}

fn affinity() -> Option<Vec<usize>> {
    let set = rustix::thread::sched_getaffinity(None).ok()?;
    let cpus: Vec<usize> = (0..rustix::thread::CpuSet::MAX_CPU)
        .filter(|&i| set.is_set(i))
        .collect();
    (!cpus.is_empty()).then_some(cpus)
}
