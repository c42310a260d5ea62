//! When a function's pool starts another process: the scaling policy, as pure functions of
//! what the pool has measured.
//!
//! Owns: the decision (start N processes, or wait for a busy one) and the running estimates
//! it is made from. Does not own: processes, queues or locks ([`super::pool`] does).
//!
//! The policy. A request that finds an idle process takes it. Otherwise it queues, and the
//! pool starts another process only when the evidence says that helps:
//!
//! 1. never past `--max-concurrency` processes (live plus starting);
//! 2. always when nothing is serving the queue (no busy and no starting process);
//! 3. otherwise only when the queue would take longer to drain on the processes already
//!    serving it than half the time a new process takes to start (a process started now
//!    serves the request that waits and the ones after it: with a queue that lasts, the
//!    next request's saved wait pays for the other half), or when requests have been
//!    queueing for longer than a cold start and a second, each waiting as long as an
//!    invocation takes (a lasting queue pays for a process over the requests to come): the
//!    expected wait is
//!    `ceil(queued / serving) x invoke time`, with `invoke time` the recent invocation
//!    times (an exponential average) or, before one has finished, the age of the oldest
//!    invocation still running (a first invocation that runs long is evidence too),
//!    compared with the cost of a
//!    cold start (spawn to first `/next`, the fastest seen: starts slowed by a burst of
//!    starts say nothing about the function);
//! 4. and never more processes than the cores can keep busy: a function whose processes
//!    want a CPU for a share `u` of each invocation (running, or runnable and waiting for a
//!    core) is capped at `ceil(cores / u)` processes, so a CPU-bound handler on one core
//!    stays on one or two processes (more would only share the core and each get slower),
//!    while a handler that sleeps or waits on I/O scales to the cap; and while the server's
//!    cores are over 75 % busy (from `/proc/stat`, over the cores of the server's affinity
//!    mask; a burst waits until a fresh window is measured), only for a handler that wants a
//!    CPU less than a tenth of an invocation while the gateway's threads want one less than
//!    half the time: a process waiting on a saturated core or on a busy gateway is not
//!    waiting on a missing process (a Rust handler starting in 0.1 ms would otherwise get
//!    the cap for nothing);
//! 5. and never while the gateway's own worker threads want a CPU over 90 % of the time
//!    (running or runnable, from their `schedstat`): then the gateway is the bottleneck and a
//!    new process would get its work no sooner. This also keeps a handler whose invocations
//!    look long only because the gateway is starved from passing for an I/O-bound one.
//!
//! A fast handler under many connections so keeps few processes (its queue drains in less than
//! a cold start), and a 200 ms handler under 16 clients gets 16. With no evidence yet (the
//! first process still starting, no invocation finished) the queue waits for the first
//! process; waiters re-ask the policy every [`patience`], so a first invocation that runs long
//! (its age and its CPU share so far are evidence too) still starts more processes while it
//! runs.

use std::fmt;
use std::time::Duration;

pub(crate) use super::cpu_meter::CoreLoad;

/// Cold-start time assumed before one has been measured.
pub(crate) const DEFAULT_COLD_START: Duration = Duration::from_millis(100);

/// A handler whose processes want a CPU at least this share of an invocation counts as
/// CPU-bound: another process of it only helps where a core has room.
const CPU_BOUND_SHARE: f64 = 0.1;

/// Cores busier than this have no room for another process that needs a CPU.
const SATURATED: f64 = 0.75;

/// On saturated cores, a gateway whose threads want a CPU this share of the time is the
/// competition a new process would meet (every invocation goes through it).
const GATEWAY_SHARE: f64 = 0.5;

/// Gateway threads wanting a CPU this share of the time are the bottleneck, whatever the
/// cores' load.
const GATEWAY_SATURATED: f64 = 0.9;

/// Shortest queueing episode counted as lasting.
const LASTING: Duration = Duration::from_secs(1);

/// Weight of a new sample in the running averages.
const ALPHA: f64 = 0.2;

/// An exponentially weighted moving average of durations (or ratios), absent until sampled.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Average(Option<f64>);

impl Average {
    pub(crate) fn add(&mut self, sample: f64) {
        self.0 = Some(match self.0 {
            Some(v) => v + ALPHA * (sample - v),
            None => sample,
        });
    }

    pub(crate) fn get(self) -> Option<f64> {
        self.0
    }

    pub(crate) fn duration(self) -> Option<Duration> {
        self.0.map(Duration::from_secs_f64)
    }
}

/// What the pool knows when it decides.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evidence {
    /// Requests waiting for a process (including the one asking).
    pub queued: usize,
    /// Processes running an invocation.
    pub busy: usize,
    /// Processes spawned or still in init.
    pub starting: usize,
    /// Processes alive or being spawned (idle, busy, starting).
    pub processes: usize,
    /// `--max-concurrency`.
    pub max: usize,
    /// Age of the oldest invocation still running.
    pub oldest_busy: Duration,
    /// Recent invocation time (delivery to answer).
    pub invoke: Option<Duration>,
    /// What a cold start costs (spawn to the first `/next`): the fastest seen, since a
    /// slower one was slowed by the burst of starts itself or by other load.
    pub cold_start: Option<Duration>,
    /// Recent share of an invocation's wall time its process wanted a CPU (running or
    /// runnable).
    pub cpu_share: Option<f64>,
    /// CPUs this server may run on.
    pub cores: usize,
    /// How busy those CPUs were recently (by anything).
    pub load: CoreLoad,
    /// How long requests have been queueing for this function (the current episode, pauses
    /// under a second included).
    pub queueing_for: Duration,
    /// Recent share of the time the gateway's worker threads wanted a CPU.
    pub gateway_busy: Option<f64>,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Start this many processes.
    Start(usize, StartReason),
    /// Wait for a busy or starting process.
    Wait(WaitReason),
}

/// Why processes were started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartReason {
    /// No process was serving the queue.
    NoProcess,
    /// The queue would wait longer than half a cold start.
    QueueSlowerThanColdStart {
        /// Requests waiting.
        queued: usize,
        /// Processes busy or starting.
        serving: usize,
        /// The queue's expected wait on those.
        expected_wait: Duration,
        /// The recent cold-start time.
        cold_start: Duration,
    },
    /// The queue's wait is short, but requests have been queueing for longer than a cold
    /// start and a second.
    QueueLasting {
        /// How long requests have been queueing.
        queueing_for: Duration,
        /// The recent cold-start time.
        cold_start: Duration,
    },
    /// `--prewarm`.
    Prewarm,
    /// A process exited or was retired while requests were waiting.
    Replacement,
}

/// Why a queued request waits instead of starting a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WaitReason {
    /// `--max-concurrency` processes are alive or starting.
    AtCap {
        /// `--max-concurrency`.
        max: usize,
    },
    /// Nothing is known yet: the first invocation has not finished.
    NoEvidence,
    /// The queue drains on the serving processes in less than half a cold start.
    QueueShorterThanColdStart {
        /// Requests waiting.
        queued: usize,
        /// Processes busy or starting.
        serving: usize,
        /// The queue's expected wait on those.
        expected_wait: Duration,
        /// The recent cold-start time.
        cold_start: Duration,
    },
    /// The gateway itself was the bottleneck: its threads were running or waiting to run.
    GatewayBusy {
        /// Share of the time they wanted a CPU.
        busy: f64,
    },
    /// The handler needs the CPU, and how busy the cores are is being measured.
    MeasuringCores,
    /// The handler needs the CPU and the server's cores are already busy.
    CoresSaturated {
        /// Busy share of the cores.
        busy: f64,
        /// Share of an invocation's time the handler's process wanted a CPU.
        share: f64,
        /// Share of the time the gateway's threads wanted a CPU (1 when unmeasured).
        gateway: f64,
    },
    /// The handler is CPU-bound and its processes already fill the cores.
    CpuBound {
        /// Share of an invocation's time on a CPU.
        share: f64,
        /// CPUs the server may use.
        cores: usize,
        /// Processes that keep them busy.
        useful: usize,
    },
}

/// Decide for a queue that could not take an idle process.
pub(crate) fn decide(e: &Evidence) -> Decision {
    let processes = e.processes;
    if processes >= e.max {
        return Decision::Wait(WaitReason::AtCap { max: e.max });
    }
    let serving = e.busy + e.starting;
    if serving == 0 {
        return Decision::Start(1, StartReason::NoProcess);
    }
    // The running average once there is one (a single invocation that the scheduler held
    // up says little); before, the age of the one running.
    let invoke = e.invoke.unwrap_or(e.oldest_busy);
    if invoke.is_zero() {
        return Decision::Wait(WaitReason::NoEvidence);
    }
    let cold_start = e.cold_start.unwrap_or(DEFAULT_COLD_START);
    let rounds = e.queued.div_ceil(serving);
    let expected_wait = invoke.saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX));
    // A queue that has lasted longer than a cold start (and a second) pays for a process
    // over the requests still to come, as long as each waits as long as an invocation.
    let lasting = e.queueing_for >= cold_start.max(LASTING) && expected_wait >= invoke;
    if expected_wait <= cold_start / 2 && !lasting {
        return Decision::Wait(WaitReason::QueueShorterThanColdStart {
            queued: e.queued,
            serving,
            expected_wait,
            cold_start,
        });
    }
    if let Some(busy) = e.gateway_busy
        && busy >= GATEWAY_SATURATED
    {
        return Decision::Wait(WaitReason::GatewayBusy { busy });
    }
    let Some(share) = e.cpu_share else {
        // Not one invocation measured yet: how much CPU the handler wants decides whether
        // another process helps, so wait for the first one (waiters ask again).
        return Decision::Wait(WaitReason::NoEvidence);
    };
    match e.load {
        // A burst after a quiet spell: decide once the cores' load is known.
        CoreLoad::Measuring
            if share >= CPU_BOUND_SHARE || e.gateway_busy.is_none_or(|g| g >= GATEWAY_SHARE) =>
        {
            return Decision::Wait(WaitReason::MeasuringCores);
        }
        CoreLoad::Busy(busy) if busy >= SATURATED => {
            // On busy cores only a handler that waits on something else than the CPU and
            // the gateway gains from another process (a sleep, a database, a remote call).
            let gateway = e.gateway_busy.unwrap_or(1.0);
            if share >= CPU_BOUND_SHARE || gateway >= GATEWAY_SHARE {
                return Decision::Wait(WaitReason::CoresSaturated {
                    busy,
                    share,
                    gateway,
                });
            }
        }
        CoreLoad::Measuring | CoreLoad::Busy(_) | CoreLoad::Unknown => {}
    }
    let useful = useful_processes(Some(share), e.cores);
    if processes >= useful {
        return Decision::Wait(WaitReason::CpuBound {
            share: e.cpu_share.unwrap_or(1.0),
            cores: e.cores,
            useful,
        });
    }
    // Enough new processes that the queue clears within about one cold start: each serving
    // process clears `cold_start / invoke` requests in that time (none when an invocation
    // outlasts a cold start, though each starting one takes at least the request it was
    // started for), and so does each new one (at least one).
    let per_cold_start = (cold_start.as_secs_f64() / invoke.as_secs_f64()).floor() as usize;
    let cleared = serving * per_cold_start + e.starting;
    let count = e
        .queued
        .saturating_sub(cleared)
        .div_ceil(per_cold_start.max(1))
        .min(e.max - processes)
        .min(useful - processes)
        .max(1);
    // Say which rule started it: the queue's expected wait, or the queue's age.
    let reason = if expected_wait > cold_start / 2 {
        StartReason::QueueSlowerThanColdStart {
            queued: e.queued,
            serving,
            expected_wait,
            cold_start,
        }
    } else {
        StartReason::QueueLasting {
            queueing_for: e.queueing_for,
            cold_start,
        }
    };
    Decision::Start(count, reason)
}

/// Most processes worth running for a handler that spends `share` of its time on a CPU.
fn useful_processes(share: Option<f64>, cores: usize) -> usize {
    match share {
        Some(u) if u > 0.0 => ((cores.max(1) as f64) / u.min(1.0)).ceil() as usize,
        _ => usize::MAX,
    }
}

/// How long a queued request waits before asking the policy again: a cold start, but at
/// most 100 ms, so that the core meter's windows (200 to 400 ms) stay fresh while a queue
/// lasts.
pub(crate) fn patience(cold_start: Option<Duration>) -> Duration {
    cold_start
        .unwrap_or(DEFAULT_COLD_START / 2)
        .clamp(Duration::from_millis(5), Duration::from_millis(100))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl fmt::Display for StartReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StartReason::NoProcess => f.write_str("no process was running"),
            StartReason::QueueSlowerThanColdStart {
                queued,
                serving,
                expected_wait,
                cold_start,
            } => write!(
                f,
                "{queued} queued on {serving} serving process(es) would wait ~{:.1} ms, more than half a cold start (~{:.1} ms)",
                ms(expected_wait),
                ms(cold_start)
            ),
            StartReason::QueueLasting {
                queueing_for,
                cold_start,
            } => write!(
                f,
                "requests have been queueing for {:.1} s, longer than a cold start (~{:.1} ms) and a second: a lasting queue pays for a process",
                queueing_for.as_secs_f64(),
                ms(cold_start)
            ),
            StartReason::Prewarm => f.write_str("--prewarm"),
            StartReason::Replacement => f.write_str("a process ended while requests were waiting"),
        }
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WaitReason::AtCap { max } => {
                write!(
                    f,
                    "all {max} processes allowed by --max-concurrency were busy"
                )
            }
            WaitReason::NoEvidence => f.write_str(
                "nothing was measured yet: the function's first invocation had not finished",
            ),
            WaitReason::QueueShorterThanColdStart {
                queued,
                serving,
                expected_wait,
                cold_start,
            } => write!(
                f,
                "{queued} queued on {serving} busy process(es) drain in ~{:.1} ms, less than half a cold start (~{:.1} ms)",
                ms(expected_wait),
                ms(cold_start)
            ),
            WaitReason::GatewayBusy { busy } => write!(
                f,
                "the gateway's threads wanted a CPU {:.0} % of the time, so another process could not be fed faster",
                busy * 100.0
            ),
            WaitReason::MeasuringCores => f.write_str(
                "the handler needs a CPU and the load of the server's cores was being measured",
            ),
            WaitReason::CoresSaturated {
                busy,
                share,
                gateway,
            } => write!(
                f,
                "the server's cores were {:.0} % busy, the handler wanted a CPU {:.0} % of an invocation and the gateway {:.0} % of the time, so another process would only share the cores",
                busy * 100.0,
                share * 100.0,
                gateway * 100.0
            ),
            WaitReason::CpuBound {
                share,
                cores,
                useful,
            } => write!(
                f,
                "the handler is on a CPU {:.0} % of its time, so {useful} process(es) keep the {cores} core(s) busy",
                share * 100.0
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> Evidence {
        Evidence {
            queued: 1,
            busy: 1,
            starting: 0,
            processes: 1,
            max: 16,
            oldest_busy: Duration::ZERO,
            invoke: Some(Duration::from_micros(300)),
            cold_start: Some(Duration::from_millis(40)),
            cpu_share: Some(0.5),
            cores: 1,
            load: CoreLoad::Unknown,
            gateway_busy: None,
            queueing_for: Duration::ZERO,
        }
    }

    #[test]
    fn a_fast_handler_under_many_connections_waits() {
        let e = Evidence {
            queued: 63,
            ..evidence()
        };
        assert!(matches!(
            decide(&e),
            Decision::Wait(WaitReason::QueueShorterThanColdStart { .. })
        ));
    }

    #[test]
    fn a_slow_io_bound_handler_gets_a_process_per_waiting_request() {
        let e = Evidence {
            queued: 15,
            invoke: Some(Duration::from_millis(200)),
            cpu_share: Some(0.002),
            ..evidence()
        };
        // 15 waiting behind one 200 ms invocation: a process each (a cold start is 40 ms).
        assert_eq!(
            decide(&e),
            Decision::Start(
                15,
                StartReason::QueueSlowerThanColdStart {
                    queued: 15,
                    serving: 1,
                    expected_wait: Duration::from_secs(3),
                    cold_start: Duration::from_millis(40),
                }
            )
        );
    }

    #[test]
    fn a_lasting_queue_gets_a_process_even_when_each_wait_is_short() {
        // 8 waiting behind 8 busy processes of a 200 ms handler whose cold start is 400 ms:
        // each waits one invocation, less than half a cold start.
        let e = Evidence {
            queued: 8,
            busy: 8,
            processes: 8,
            invoke: Some(Duration::from_millis(200)),
            cold_start: Some(Duration::from_millis(400)),
            cpu_share: Some(0.01),
            ..evidence()
        };
        assert!(matches!(
            decide(&e),
            Decision::Wait(WaitReason::QueueShorterThanColdStart { .. })
        ));
        let lasting = Evidence {
            queueing_for: Duration::from_secs(2),
            ..e
        };
        assert!(matches!(
            decide(&lasting),
            Decision::Start(1, StartReason::QueueLasting { .. })
        ));
    }

    #[test]
    fn the_cap_holds() {
        let e = Evidence {
            queued: 50,
            busy: 16,
            processes: 16,
            invoke: Some(Duration::from_millis(200)),
            ..evidence()
        };
        assert_eq!(decide(&e), Decision::Wait(WaitReason::AtCap { max: 16 }));
        let e = Evidence {
            queued: 50,
            busy: 14,
            processes: 14,
            invoke: Some(Duration::from_millis(200)),
            cpu_share: Some(0.01),
            ..evidence()
        };
        assert!(matches!(decide(&e), Decision::Start(2, _)));
    }

    #[test]
    fn a_cpu_bound_handler_stays_within_the_cores() {
        // Two processes of a handler on a CPU 95 % of the time fill one core.
        let e = Evidence {
            queued: 10,
            busy: 2,
            processes: 2,
            invoke: Some(Duration::from_millis(50)),
            cpu_share: Some(0.95),
            ..evidence()
        };
        assert!(matches!(
            decide(&e),
            Decision::Wait(WaitReason::CpuBound { useful: 2, .. })
        ));
        // Two cores have room for a third.
        let two_cores = Evidence { cores: 2, ..e };
        assert!(matches!(decide(&two_cores), Decision::Start(1, _)));
    }

    #[test]
    fn saturated_cores_stop_a_cpu_hungry_handler_but_not_a_sleeping_one() {
        let e = Evidence {
            queued: 60,
            invoke: Some(Duration::from_millis(5)),
            cpu_share: Some(0.4),
            cores: 4,
            load: CoreLoad::Busy(0.97),
            ..evidence()
        };
        assert!(matches!(
            decide(&e),
            Decision::Wait(WaitReason::CoresSaturated { .. })
        ));
        let sleeper = Evidence {
            cpu_share: Some(0.01),
            invoke: Some(Duration::from_millis(200)),
            gateway_busy: Some(0.05),
            ..e
        };
        assert!(matches!(decide(&sleeper), Decision::Start(..)));
        // A fast handler that only looks idle because it waits on a busy gateway.
        let starved = Evidence {
            cpu_share: Some(0.05),
            gateway_busy: Some(0.8),
            ..e
        };
        assert!(matches!(
            decide(&starved),
            Decision::Wait(WaitReason::CoresSaturated { .. })
        ));
    }

    #[test]
    fn nothing_serving_starts_one_and_no_evidence_waits() {
        let e = Evidence {
            busy: 0,
            processes: 0,
            invoke: None,
            ..evidence()
        };
        assert_eq!(decide(&e), Decision::Start(1, StartReason::NoProcess));
        let first_starting = Evidence {
            busy: 0,
            starting: 1,
            processes: 1,
            invoke: None,
            ..evidence()
        };
        assert_eq!(
            decide(&first_starting),
            Decision::Wait(WaitReason::NoEvidence)
        );
    }

    #[test]
    fn a_long_running_first_invocation_is_evidence() {
        // No invocation finished: the running one's age and CPU share so far are the evidence.
        let e = Evidence {
            queued: 8,
            invoke: None,
            oldest_busy: Duration::from_millis(60),
            cold_start: Some(Duration::from_millis(30)),
            cpu_share: Some(0.02),
            ..evidence()
        };
        let unmeasured = Evidence {
            cpu_share: None,
            ..e
        };
        assert_eq!(decide(&unmeasured), Decision::Wait(WaitReason::NoEvidence));
        assert!(matches!(
            decide(&e),
            Decision::Start(8, StartReason::QueueSlowerThanColdStart { .. })
        ));
    }

    #[test]
    fn averages_follow_their_samples() {
        let mut a = Average::default();
        assert_eq!(a.get(), None);
        a.add(1.0);
        assert_eq!(a.get(), Some(1.0));
        a.add(2.0);
        assert!((a.get().unwrap_or_default() - 1.2).abs() < 1e-9);
    }
}
