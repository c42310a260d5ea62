//! One function process: spawning it, draining its output, watching it exit, killing it.
//!
//! This is the only module that starts child processes. Each child runs in its own process
//! group so that killing it also ends whatever it started; its stdout and stderr are drained
//! concurrently (a full pipe must never stall a handler) and the last lines are kept for
//! diagnosis. Memory is limited with `RLIMIT_DATA`, set on the child right after spawn:
//! `RLIMIT_AS` breaks Node (V8 reserves address space up front) and cgroup v2 memory control
//! is not available on every host, while `RLIMIT_DATA` makes Python raise `MemoryError` and
//! Node fail its allocation, which is how an over-limit handler fails on Lambda too.

use std::collections::VecDeque;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};

use super::runtime_api::{ApiState, Pending, RuntimeApi};

/// How many output lines of a process are kept for crash reports.
const TAIL_LINES: usize = 40;

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExitInfo {
    /// Lambda's wording: `exit status 3`, `signal: killed`.
    pub description: String,
    /// The exit code, when it exited normally.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
}

/// What to run for a function: the program, its arguments, and its environment.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub program: PathBuf,
    pub args: Vec<PathBuf>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub memory_mb: u32,
    /// Printed before each output line.
    pub label: String,
    /// Whether handler output is echoed to our stderr.
    pub echo_output: bool,
    /// For the embedded runtime clients: a folder for each process's Runtime API Unix
    /// socket, passed to the process in `_GLASSGATE_RUNTIME_SOCKET` (the client removes the
    /// variable before loading the handler).
    pub socket_dir: Option<PathBuf>,
}

/// Names each Runtime API socket uniquely within the server.
static SOCKETS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Where a process is in its life, as the pool's scaling policy counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    /// Spawned; its first invocation not yet delivered (init may still run).
    Starting = 0,
    /// Waiting in the pool's idle list.
    Idle = 1,
    /// Running an invocation (since [`Worker::busy_since`]).
    Busy = 2,
}

/// A running function process and its Runtime API.
pub(crate) struct Worker {
    pub id: u64,
    pub pid: Option<u32>,
    /// The pool generation it was started in: a code change retires older generations.
    pub generation: u64,
    pub inbox: mpsc::Sender<Pending>,
    pub exit: watch::Receiver<Option<ExitInfo>>,
    pub api: Arc<ApiState>,
    pub spawned_at: Instant,
    phase: AtomicU8,
    /// When the current invocation was delivered (meaningful in [`Phase::Busy`]).
    busy_since: Mutex<Instant>,
    last_used: Mutex<Instant>,
    /// CPU demand (see [`Worker::cpu_demand_ns`]) when the current invocation was delivered,
    /// if it was sampled (0 when not).
    pub cpu_at_delivery: std::sync::atomic::AtomicU64,
    /// `/proc/PID/schedstat`, kept open: one `pread` gives the CPU time the process used.
    schedstat: Option<File>,
    tail: Arc<Mutex<VecDeque<String>>>,
    _runtime_api: RuntimeApi,
}

impl Worker {
    /// Start a process for `launch`, with its own Runtime API.
    ///
    /// # Errors
    /// The program cannot be started (missing interpreter or `bootstrap`, not executable).
    pub(crate) async fn spawn(
        id: u64,
        generation: u64,
        launch: &Launch,
        function_arn: String,
    ) -> std::io::Result<Worker> {
        let (tx, rx) = mpsc::channel(1);
        let socket = launch.socket_dir.as_ref().map(|d| {
            d.join(format!(
                "api-{}.sock",
                SOCKETS.fetch_add(1, Ordering::Relaxed)
            ))
        });
        let api = RuntimeApi::start(function_arn, rx, socket).await?;
        let mut cmd = Command::new(&launch.program);
        cmd.args(&launch.args)
            .current_dir(&launch.cwd)
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .envs(
                api.socket
                    .iter()
                    .map(|p| ("_GLASSGATE_RUNTIME_SOCKET", p.as_os_str())),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let spawned_at = Instant::now();
        let pid = child.id();
        let schedstat = pid.and_then(|p| File::open(format!("/proc/{p}/schedstat")).ok());
        if let Some(pid) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
            let bytes = u64::from(launch.memory_mb) * 1024 * 1024;
            // Best effort: a failure leaves the process unlimited, which only loses fidelity.
            let _ = rustix::process::prlimit(
                Some(pid),
                rustix::process::Resource::Data,
                rustix::process::Rlimit {
                    current: Some(bytes),
                    maximum: Some(bytes),
                },
            );
        }
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let mut drains = Vec::with_capacity(2);
        if let Some(out) = child.stdout.take() {
            drains.push(drain(
                out,
                launch.label.clone(),
                tail.clone(),
                launch.echo_output,
            ));
        }
        if let Some(err) = child.stderr.take() {
            drains.push(drain(
                err,
                launch.label.clone(),
                tail.clone(),
                launch.echo_output,
            ));
        }
        let (exit_tx, exit_rx) = watch::channel(None);
        tokio::spawn(async move {
            let info = match child.wait().await {
                Ok(status) => describe(status),
                Err(e) => ExitInfo {
                    description: format!("wait failed: {e}"),
                    code: None,
                    signal: None,
                },
            };
            // The last lines a process printed before it died are the evidence of why:
            // read its pipes to the end before saying it ended (bounded, as a child it left
            // behind may hold them open).
            let _ = tokio::time::timeout(DRAIN_AFTER_EXIT, async {
                for d in drains {
                    let _ = d.await;
                }
            })
            .await;
            let _ = exit_tx.send(Some(info));
        });
        Ok(Worker {
            id,
            pid,
            generation,
            inbox: tx,
            exit: exit_rx,
            api: api.state.clone(),
            spawned_at,
            phase: AtomicU8::new(Phase::Starting as u8),
            busy_since: Mutex::new(spawned_at),
            last_used: Mutex::new(spawned_at),
            cpu_at_delivery: std::sync::atomic::AtomicU64::new(0),
            schedstat,
            tail,
            _runtime_api: api,
        })
    }

    /// Whether the process has ended.
    pub(crate) fn has_exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// Kill the process group (no-op if it already ended).
    pub(crate) fn kill(&self) {
        if self.has_exited() {
            return;
        }
        if let Some(pid) = self
            .pid
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }

    /// Wait until the process has ended.
    pub(crate) async fn exited(&self) -> Option<ExitInfo> {
        let mut rx = self.exit.clone();
        let r = rx.wait_for(Option::is_some).await;
        r.ok().and_then(|g| g.clone())
    }

    /// The last lines the process printed.
    pub(crate) fn output_tail(&self) -> Vec<String> {
        self.tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether the process has finished its init (it has asked for an invocation).
    pub(crate) fn is_initialized(&self) -> bool {
        self.api.first_poll().is_some()
    }

    /// How long its init took (spawn to the first `/next`), once it is done.
    pub(crate) fn init_time(&self) -> Option<std::time::Duration> {
        self.api
            .first_poll()
            .map(|t| t.saturating_duration_since(self.spawned_at))
    }

    pub(crate) fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Starting,
            1 => Phase::Idle,
            _ => Phase::Busy,
        }
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        if phase == Phase::Busy
            && let Ok(mut t) = self.busy_since.lock()
        {
            *t = Instant::now();
        }
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// How long the current invocation has run (zero unless busy).
    pub(crate) fn busy_for(&self) -> std::time::Duration {
        if self.phase() != Phase::Busy {
            return std::time::Duration::ZERO;
        }
        self.busy_since
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }

    /// Time the process has wanted a CPU so far: running on one plus waiting in a run queue
    /// (the first two fields of `/proc/PID/schedstat`), in nanoseconds; `None` where procfs
    /// does not have it. Counting the run-queue wait is what tells a CPU-bound handler on a
    /// crowded core (it waits to run) from one that waits on I/O (it is not runnable).
    pub(crate) fn cpu_demand_ns(&self) -> Option<u64> {
        let file = self.schedstat.as_ref()?;
        let mut buf = [0u8; 96];
        let n = file.read_at(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(&buf[..n]).ok()?;
        let mut fields = text.split_ascii_whitespace();
        let run: u64 = fields.next()?.parse().ok()?;
        let wait: u64 = fields.next()?.parse().ok()?;
        Some(run + wait)
    }

    /// Resident memory of the process, in KiB (`VmRSS`).
    pub(crate) fn rss_kb(&self) -> Option<u64> {
        let pid = self.pid?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_ascii_whitespace().next())
            .and_then(|v| v.parse().ok())
    }

    pub(crate) fn touch(&self) {
        if let Ok(mut t) = self.last_used.lock() {
            *t = Instant::now();
        }
    }

    pub(crate) fn idle_for(&self) -> std::time::Duration {
        self.last_used
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn describe(status: std::process::ExitStatus) -> ExitInfo {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return ExitInfo {
            description: format!("exit status {code}"),
            code: Some(code),
            signal: None,
        };
    }
    let sig = status.signal();
    let name = match sig {
        Some(9) => "killed".to_owned(),
        Some(6) => "aborted".to_owned(),
        Some(11) => "segmentation fault".to_owned(),
        Some(15) => "terminated".to_owned(),
        Some(n) => format!("signal {n}"),
        None => "unknown".to_owned(),
    };
    ExitInfo {
        description: format!("signal: {name}"),
        code: None,
        signal: sig,
    }
}

/// How long the end of a process's output may take to arrive after it exited.
const DRAIN_AFTER_EXIT: std::time::Duration = std::time::Duration::from_millis(200);

/// Read a process's output line by line into its tail (and echo it); ends at EOF.
fn drain<R: AsyncRead + Unpin + Send + 'static>(
    stream: R,
    label: String,
    tail: Arc<Mutex<VecDeque<String>>>,
    echo: bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if echo {
                crate::log_sink::line(format!("[{label}] {line}"));
            }
            if let Ok(mut t) = tail.lock() {
                if t.len() == TAIL_LINES {
                    t.pop_front();
                }
                t.push_back(line);
            }
        }
    })
}

/// Find `name` on `PATH`, as a shell would; an absolute path is taken as given.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    if Path::new(name).is_absolute() {
        return Some(PathBuf::from(name)).filter(|p| is_executable(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
