//! How busy the CPUs this server may run on are, from `/proc/stat`, for the scaling policy.
//!
//! Owns: reading and differencing the per-CPU counters of the cores in the server's
//! affinity mask (so `taskset -c 0 glassgate serve` counts core 0 only), and the CPU demand
//! of the gateway's own worker threads (from their `schedstat`: a gateway that is always
//! running or waiting to run is the bottleneck, whatever the handler does). Readings are taken
//! lazily, at most every [`MIN_WINDOW`], when the policy asks; a window longer than
//! [`MAX_WINDOW`] is not trusted (it would average a burst with the quiet spell before it),
//! and the next window starts at that reading. Where procfs is missing the meter says nothing and
//! the policy decides without it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shortest window a figure is computed over: procfs counts in ticks of 10 ms, so this
/// resolves the busy share to about 5 %.
const MIN_WINDOW: Duration = Duration::from_millis(200);
/// Longest window a figure is computed over: a longer one would average a burst with the
/// quiet spell before it.
const MAX_WINDOW: Duration = Duration::from_millis(400);

/// What the meter can say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CoreLoad {
    /// procfs is not there: the policy decides without it.
    Unknown,
    /// No recent window yet (the first reading after a quiet spell was just taken).
    Measuring,
    /// Busy share over the last window.
    Busy(f64),
}

pub(crate) struct CpuMeter {
    /// The CPUs of the affinity mask, or `None` for all of them.
    cpus: Option<Vec<usize>>,
    state: Mutex<Reading>,
}

#[derive(Default)]
struct Reading {
    /// (when, busy ticks, total ticks, gateway worker demand ns, worker threads) of the last
    /// read.
    last: Option<(Instant, u64, u64, u64, usize)>,
    /// Busy share over the window that ended at `last`.
    busy: Option<f64>,
    /// Share of that window the gateway's worker threads wanted a CPU (running or runnable).
    gateway: Option<f64>,
}

impl CpuMeter {
    pub(crate) fn new() -> Self {
        CpuMeter {
            cpus: affinity(),
            state: Mutex::new(Reading::default()),
        }
    }

    /// How busy the server's CPUs were recently (with anything, ours or not), and how much of
    /// the time the gateway's own worker threads wanted a CPU.
    pub(crate) fn load(&self) -> (CoreLoad, Option<f64>) {
        let Ok(mut st) = self.state.lock() else {
            return (CoreLoad::Unknown, None);
        };
        let now = Instant::now();
        let due = st
            .last
            .is_none_or(|(at, ..)| now.duration_since(at) >= MIN_WINDOW);
        if due {
            let Some((busy, total)) = self.read() else {
                return (CoreLoad::Unknown, None);
            };
            let (demand, workers) = gateway_demand().unwrap_or((0, 0));
            let previous = st
                .last
                .filter(|(at, ..)| now.duration_since(*at) <= MAX_WINDOW);
            st.busy = None;
            st.gateway = None;
            if let Some((at, b0, t0, d0, _)) = previous {
                if total > t0 {
                    st.busy = Some(busy.saturating_sub(b0) as f64 / (total - t0) as f64);
                }
                let window = now.duration_since(at).as_nanos() as f64 * workers as f64;
                if workers > 0 && window > 0.0 {
                    st.gateway = Some((demand.saturating_sub(d0) as f64 / window).min(1.0));
                }
            }
            st.last = Some((now, busy, total, demand, workers));
        }
        (
            st.busy.map_or(CoreLoad::Measuring, CoreLoad::Busy),
            st.gateway,
        )
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

/// CPU demand (run plus run-queue wait, ns) of this process's tokio worker threads, and how
/// many there are.
fn gateway_demand() -> Option<(u64, usize)> {
    let mut demand = 0u64;
    let mut workers = 0usize;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let is_worker = std::fs::read_to_string(path.join("comm"))
            .is_ok_and(|c| c.starts_with("tokio-rt-worker"));
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
