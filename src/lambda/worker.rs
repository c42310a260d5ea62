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
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
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
}

/// A running function process and its Runtime API.
pub(crate) struct Worker {
    pub id: u64,
    pub pid: Option<u32>,
    pub inbox: mpsc::Sender<Pending>,
    pub exit: watch::Receiver<Option<ExitInfo>>,
    pub api: Arc<ApiState>,
    /// Set once the process has asked for its first invocation (init done).
    pub initialized: AtomicBool,
    pub last_used: Mutex<Instant>,
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
        launch: &Launch,
        function_arn: String,
    ) -> std::io::Result<Worker> {
        let (tx, rx) = mpsc::channel(1);
        let api = RuntimeApi::start(function_arn, rx).await?;
        let mut cmd = Command::new(&launch.program);
        cmd.args(&launch.args)
            .current_dir(&launch.cwd)
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let pid = child.id();
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
        if let Some(out) = child.stdout.take() {
            drain(out, launch.label.clone(), tail.clone(), launch.echo_output);
        }
        if let Some(err) = child.stderr.take() {
            drain(err, launch.label.clone(), tail.clone(), launch.echo_output);
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
            let _ = exit_tx.send(Some(info));
        });
        Ok(Worker {
            id,
            pid,
            inbox: tx,
            exit: exit_rx,
            api: api.state.clone(),
            initialized: AtomicBool::new(false),
            last_used: Mutex::new(Instant::now()),
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

    pub(crate) fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Relaxed)
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

fn drain<R: AsyncRead + Unpin + Send + 'static>(
    stream: R,
    label: String,
    tail: Arc<Mutex<VecDeque<String>>>,
    echo: bool,
) {
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
    });
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
