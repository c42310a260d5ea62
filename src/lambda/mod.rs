//! The local Lambda service: every function of the model as warm local processes behind an
//! embedded Runtime API.
//!
//! Owns: the function registry, launching (interpreter and bootstrap per runtime), Lambda's
//! environment, invocation outcomes. Does not own: events or responses of API Gateway
//! (see [`crate::pipeline`]); it moves opaque JSON payloads.
//!
//! Layout: `runtime_api` serves the Runtime API of one process, `worker` owns one process,
//! `pool` runs invocations over a function's processes, this module ties them together.

mod bootstrap;
mod cpu_meter;
pub mod deps;
mod env;
mod pool;
mod runtime_api;
mod scaling;
mod worker;

/// `errorType` and `errorMessage` of a Runtime API error body (for the fuzz targets).
pub(crate) use pool::error_fields as runtime_error_fields;
/// The Runtime API endpoint a method and path name (for the fuzz targets).
pub(crate) use runtime_api::endpoint as runtime_api_endpoint;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use env::{EnvOverrides, EnvVarsError};

/// The name `serve` gives the gateway's runtime threads: the scaling policy's meter finds the
/// gateway's own CPU demand by it (`comm` holds at most 15 bytes; this fits).
pub const GATEWAY_THREAD_NAME: &str = "glassgate-rt";
pub use pool::PoolSnapshot;
pub use scaling::{StartReason, WaitReason};

use crate::model::{Function, Model};
use pool::FunctionPool;
use worker::Launch;

/// How the service runs processes.
#[derive(Debug, Clone)]
pub struct LambdaSettings {
    /// Region for ARNs and `AWS_REGION`.
    pub region: String,
    /// Account id for ARNs.
    pub account_id: String,
    /// Most processes per function (and so most concurrent invocations of it).
    pub max_concurrency: usize,
    /// Idle processes older than this are stopped.
    pub idle_timeout: Duration,
    /// Processes started per function before the first request, and kept warm.
    pub prewarm: usize,
    /// `--env-vars` overrides.
    pub env_overrides: EnvOverrides,
    /// Whether handler stdout/stderr are echoed (prefixed with the function name).
    pub echo_output: bool,
}

impl Default for LambdaSettings {
    fn default() -> Self {
        LambdaSettings {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            max_concurrency: 16,
            idle_timeout: Duration::from_secs(300),
            prewarm: 0,
            env_overrides: EnvOverrides::default(),
            echo_output: true,
        }
    }
}

/// Failures of the service itself (not of a function).
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// The embedded bootstrap programs could not be written out.
    #[error("cannot write the runtime bootstraps to {path}: {source}")]
    Bootstrap {
        /// Folder that was being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An interpreter the template needs is not installed.
    #[error("function {function} uses runtime {runtime}, but `{program}` was not found on PATH")]
    MissingInterpreter {
        /// Function logical id.
        function: String,
        /// Its runtime.
        runtime: String,
        /// The program that was looked for.
        program: String,
    },
    /// A function name that is not in the model.
    #[error("no function named {0}")]
    UnknownFunction(String),
    /// A function glassgate cannot run (its runtime, a container image).
    #[error("function {function} cannot run under glassgate: {reason}")]
    NotRunnable {
        /// Function logical id.
        function: String,
        /// Why.
        reason: String,
    },
}

/// The result of one invocation.
#[derive(Debug, Clone)]
pub struct InvokeReport {
    /// The Lambda request id of the invocation.
    pub request_id: String,
    /// What the function produced.
    pub outcome: InvokeOutcome,
    /// Time the handler ran (from delivery to answer).
    pub duration: Duration,
    /// Whether a new process was started for it.
    pub cold_start: bool,
    /// The process that ran it.
    pub pid: Option<u32>,
    /// How long the invocation waited for a process.
    pub queue_wait: Duration,
    /// What the pool decided for it, when it had to wait or start a process.
    pub pool: Option<PoolNote>,
}

/// The pool's decision for an invocation that found no idle process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PoolNote {
    /// It waited for a busy or starting process, for this reason.
    Waited(WaitReason),
    /// A process was started for the queue it joined, for this reason.
    Started(StartReason),
}

impl std::fmt::Display for PoolNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoolNote::Waited(r) => write!(f, "waited for a busy process: {r}"),
            PoolNote::Started(r) => write!(f, "a process was started: {r}"),
        }
    }
}

/// A function's answer.
#[derive(Debug, Clone)]
pub enum InvokeOutcome {
    /// The payload posted to `/response`.
    Success(Bytes),
    /// Anything else; Lambda turns all of these into an error payload.
    Failure(FunctionFailure),
}

/// A failed invocation, with what Lambda would report and what we saw.
#[derive(Debug, Clone)]
pub struct FunctionFailure {
    /// Why it failed.
    pub kind: FailureKind,
    /// `errorType` of the error document (`ValueError`, `Runtime.ExitError`, ...).
    pub error_type: String,
    /// `errorMessage` of the error document.
    pub error_message: String,
    /// The error document as Lambda returns it.
    pub payload: Bytes,
    /// How the process ended, when it did (`exit status 3`, `signal: killed`).
    pub exit: Option<String>,
    /// Last lines the process printed, for diagnosis.
    pub output_tail: Vec<String>,
}

/// The ways an invocation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The handler raised and the runtime posted an error.
    Handled,
    /// The function's `Timeout` passed; the process was killed.
    Timeout,
    /// The process exited during the invocation.
    Crash,
    /// The process failed during init (import error, bad handler, exit before `/next`).
    Init,
    /// Init did not finish within Lambda's 10 s.
    InitTimeout,
    /// The process could not be started at all.
    Spawn,
}

/// All functions of a model, ready to invoke.
pub struct LambdaService {
    pools: HashMap<String, Arc<FunctionPool>>,
    /// Functions that cannot run here, with why: invoking one is [`LambdaError::NotRunnable`].
    not_runnable: HashMap<String, String>,
    bootstrap_dir: PathBuf,
    reaper: tokio::task::JoinHandle<()>,
    sampler: tokio::task::JoinHandle<()>,
}

impl LambdaService {
    /// Prepare every function of the model. Processes start on first use.
    ///
    /// # Errors
    /// See [`LambdaError`].
    pub fn new(model: &Model, settings: &LambdaSettings) -> Result<Self, LambdaError> {
        let bootstrap_dir = bootstrap::write_all()?;
        let mut pools = HashMap::new();
        let mut interpreters = Interpreters::default();
        let meter = Arc::new(cpu_meter::CpuMeter::new());
        let mut not_runnable = HashMap::new();
        for f in model.functions.values() {
            if let Some(reason) = &f.unsupported {
                not_runnable.insert(f.logical_id.clone(), reason.clone());
                continue;
            }
            let launch = launch_for(f, settings, &bootstrap_dir, &mut interpreters)?;
            let arn = f.arn(&settings.region, &settings.account_id);
            pools.insert(
                f.logical_id.clone(),
                Arc::new(FunctionPool::new(
                    f.clone(),
                    arn,
                    launch,
                    settings.max_concurrency,
                    settings.idle_timeout,
                    settings.prewarm,
                    meter.clone(),
                )),
            );
        }
        let weak: Vec<std::sync::Weak<FunctionPool>> = pools.values().map(Arc::downgrade).collect();
        let tick =
            (settings.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(10));
        let reaper = tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            loop {
                interval.tick().await;
                for p in weak.iter().filter_map(std::sync::Weak::upgrade) {
                    p.reap_idle();
                }
            }
        });
        let sampled = meter.clone();
        let sampler = tokio::spawn(async move {
            let mut interval = tokio::time::interval(cpu_meter::SAMPLE_EVERY);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                sampled.tick();
            }
        });
        Ok(LambdaService {
            pools,
            not_runnable,
            bootstrap_dir,
            reaper,
            sampler,
        })
    }

    /// Invoke a function by logical id. The invocation runs in its own task, so it completes
    /// (and its process returns to the pool) even if the caller stops waiting, as on Lambda
    /// when API Gateway's integration timeout fires first.
    ///
    /// # Errors
    /// [`LambdaError::UnknownFunction`], [`LambdaError::NotRunnable`].
    ///
    /// `trace_root` is the X-Ray root of the request the invocation serves; the process sees
    /// it in `Lambda-Runtime-Trace-Id` (and `_X_AMZN_TRACE_ID`).
    pub fn invoke(
        &self,
        function: &str,
        payload: Bytes,
        trace_root: &str,
    ) -> Result<tokio::sync::oneshot::Receiver<InvokeReport>, LambdaError> {
        let trace_id = format!(
            "{trace_root};Parent={:016x};Sampled=0",
            rand::random::<u64>()
        );
        let Some(pool) = self.pools.get(function).cloned() else {
            return Err(match self.not_runnable.get(function) {
                Some(reason) => LambdaError::NotRunnable {
                    function: function.to_owned(),
                    reason: reason.clone(),
                },
                None => LambdaError::UnknownFunction(function.to_owned()),
            });
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let report = pool.invoke(payload, trace_id).await;
            let _ = tx.send(report);
        });
        Ok(rx)
    }

    /// The function ARN of a logical id.
    pub fn function_arn(&self, function: &str) -> Option<&str> {
        self.pools.get(function).map(|p| p.arn.as_str())
    }

    /// The function of a logical id.
    pub fn function(&self, function: &str) -> Option<&Function> {
        self.pools.get(function).map(|p| &p.function)
    }

    /// Live processes per function logical id.
    pub fn process_counts(&self) -> HashMap<String, usize> {
        self.pools
            .iter()
            .map(|(k, p)| (k.clone(), p.live_count()))
            .collect()
    }

    /// Each function's pool: processes, counts, queue waits, the policy's estimates.
    pub fn pool_snapshots(&self) -> HashMap<String, PoolSnapshot> {
        self.pools
            .iter()
            .map(|(k, p)| (k.clone(), p.snapshot()))
            .collect()
    }

    /// Start `--prewarm` processes of every function (in the background).
    pub fn prewarm(&self) {
        for p in self.pools.values() {
            p.prewarm();
        }
    }

    /// Retire the processes of a function whose code changed: idle ones stop now, busy ones
    /// when their invocation ends, and the next invocation starts a fresh process. Returns
    /// how many processes it had.
    pub fn retire(&self, function: &str) -> usize {
        self.pools.get(function).map_or(0, |p| p.retire())
    }

    /// Stop every process and wait for them to end.
    pub async fn shutdown(&self) {
        self.reaper.abort();
        self.sampler.abort();
        for p in self.pools.values() {
            p.shutdown().await;
        }
        let _ = std::fs::remove_dir_all(&self.bootstrap_dir);
    }
}

impl Drop for LambdaService {
    /// A service dropped without [`LambdaService::shutdown`] (an error path of a CLI verb)
    /// still stops its background tasks and removes its bootstrap folder; its processes end
    /// with their workers.
    fn drop(&mut self) {
        self.reaper.abort();
        self.sampler.abort();
        let _ = std::fs::remove_dir_all(&self.bootstrap_dir);
    }
}

/// Interpreters found on `PATH`, looked up once per name however many functions use them.
#[derive(Default)]
struct Interpreters(HashMap<String, Option<PathBuf>>);

impl Interpreters {
    fn find(&mut self, f: &Function, name: &str) -> Result<PathBuf, LambdaError> {
        self.0
            .entry(name.to_owned())
            .or_insert_with(|| worker::find_on_path(name))
            .clone()
            .ok_or_else(|| LambdaError::MissingInterpreter {
                function: f.logical_id.clone(),
                runtime: f.runtime.clone(),
                program: name.to_owned(),
            })
    }
}

fn launch_for(
    f: &Function,
    settings: &LambdaSettings,
    bootstrap_dir: &std::path::Path,
    interpreters: &mut Interpreters,
) -> Result<Launch, LambdaError> {
    let runtime = f.runtime.as_str();
    let embedded = runtime.starts_with("python") || runtime.starts_with("nodejs");
    let (program, args) = if runtime.starts_with("python") {
        // `python3` rather than `python3.12`: version-named commands are often shims (pyenv)
        // that fail at run time; GLASSGATE_PYTHON picks another interpreter (a name on PATH
        // or an absolute path).
        let wanted = std::env::var("GLASSGATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let program = interpreters.find(f, &wanted)?;
        (program, vec![bootstrap_dir.join(bootstrap::PYTHON)])
    } else if runtime.starts_with("nodejs") {
        let program = interpreters.find(f, "node")?;
        (program, vec![bootstrap_dir.join(bootstrap::NODE)])
    } else {
        // `provided*`: the code folder's own `bootstrap`, as Lambda runs it. Its absence is
        // reported per invocation (Runtime.InvalidEntrypoint) rather than refusing to serve
        // the other functions.
        (f.code_dir.join("bootstrap"), Vec::new())
    };
    Ok(Launch {
        program,
        args,
        cwd: f.code_dir.clone(),
        env: env::lambda_environment(f, settings, bootstrap_dir),
        memory_mb: f.memory_mb,
        label: f.function_name.clone(),
        echo_output: settings.echo_output,
        socket_dir: embedded.then(|| bootstrap_dir.to_owned()),
    })
}
