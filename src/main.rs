//! The `glassgate` command line: argument parsing only; the verbs live in `glassgate::app`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use glassgate::app::{self, ServeArgs, TemplateArgs};

// The gateway allocates many small, short-lived buffers per request (events, log lines);
// mimalloc measured 8-17 % more requests/s than glibc's allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use glassgate::server::LogFormat;

/// Run an Amazon API Gateway API locally from its SAM template, with Lambda handlers as
/// real local processes, and see which layer answered every request.
#[derive(Parser)]
#[command(name = "glassgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the template's REST and HTTP APIs on localhost until Ctrl+C.
    Serve(Box<ServeCmd>),
    /// Load the template and report what `serve` would serve, with every warning and the
    /// known traps.
    Validate(ValidateCmd),
    /// Install each function's dependencies (requirements.txt with pip, package.json with npm)
    /// into glassgate's cache, where `serve` finds them; the source folders are not touched,
    /// and an unchanged project installs nothing.
    Build(BuildCmd),
    /// Print a JWT signed by the local dev issuer's key (made on first use and kept in the
    /// config folder), for routes whose JWT or Cognito authorizer `serve --trust-dev-issuer`
    /// points at it.
    Token(TokenCmd),
    /// Run one request through the lifecycle without a server (like TestInvokeMethod) and
    /// print the response, the execution log and the diagnosis.
    #[command(override_usage = "glassgate invoke [OPTIONS] [TEMPLATE] METHOD PATH")]
    Invoke(InvokeCmd),
    /// Say which layer failed for a request and why: from a running server (REQUEST_ID) or
    /// from an execution log file (--log).
    Explain(ExplainCmd),
}

#[derive(Args)]
struct BuildCmd {
    #[command(flatten)]
    template: TemplateOpts,
}

#[derive(Args)]
struct TokenCmd {
    /// The token's `iss`: the issuer the JWT authorizer is configured with, or a Cognito
    /// pool's (`https://cognito-idp.REGION.amazonaws.com/POOL_ID`, printed by `validate`), whose
    /// tokens also get `token_use`: `access` with --scope, else `id`.
    #[arg(long)]
    issuer: String,
    /// An audience (`aud`; repeatable).
    #[arg(long = "aud", value_name = "AUDIENCE")]
    audience: Vec<String>,
    /// A scope (repeatable; they form the space-separated `scope` claim).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// The subject.
    #[arg(long = "sub", default_value = "dev-user")]
    subject: String,
    /// Another claim, NAME=VALUE (a JSON value stays JSON; repeatable).
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    claims: Vec<String>,
    /// How long the token is valid: 90s, 30m, 1h, 2d.
    #[arg(long, default_value = "1h", value_parser = parse_lifetime)]
    expires_in: Duration,
}

/// `90s`, `30m`, `1h`, `2d` (a bare number is seconds).
fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let (n, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and s, m, h or d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{text:?}: expected a number and s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

#[derive(Args)]
struct ValidateCmd {
    #[command(flatten)]
    template: TemplateOpts,
    /// Also run each cached authorizer against two of its routes to see whether the policy
    /// it returns for one covers the other.
    #[arg(long)]
    probe: bool,
    /// The identity (token) the probe sends.
    #[arg(long, default_value = "probe-token", requires = "probe")]
    probe_identity: String,
}

#[derive(Args)]
struct InvokeCmd {
    /// [TEMPLATE] METHOD PATH, e.g. `GET /users/42?x=1` or `template.yaml POST /users`.
    #[arg(num_args = 2..=3, value_name = "ARG", required = true)]
    args: Vec<String>,
    /// A request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The request body.
    #[arg(short = 'd', long = "data", value_name = "BODY", default_value = "")]
    body: String,
    /// Skip the authorizer (as API Gateway's TestInvokeMethod does).
    #[arg(long)]
    skip_auth: bool,
    /// Environment overrides, as for `serve`.
    #[arg(long, short = 'n', value_name = "FILE")]
    env_vars: Option<PathBuf>,
    /// Use the folder's own template even when `sam build` output is there.
    #[arg(long)]
    no_build_dir: bool,
    #[command(flatten)]
    stack: StackOpts,
    /// Override every authorizer's cache TTL (seconds).
    #[arg(long, value_name = "SECONDS")]
    authorizer_cache_ttl: Option<u64>,
}

#[derive(Args)]
struct ExplainCmd {
    /// The request id (`x-amzn-RequestId` of the response).
    request_id: Option<String>,
    /// The admin API of the running server (printed by `serve` as "Admin API on").
    #[arg(long, default_value = "http://127.0.0.1:3001", env = "GLASSGATE_ADMIN")]
    admin: String,
    /// Explain every request of an execution log instead: glassgate's, or API Gateway's
    /// exported from CloudWatch (text lines or `aws logs filter-log-events` JSON).
    #[arg(long, value_name = "FILE", conflicts_with = "request_id")]
    log: Option<PathBuf>,
}

#[derive(Args)]
struct TemplateOpts {
    /// SAM/CloudFormation template (YAML or JSON), or its folder. Default: the current folder's
    /// `.aws-sam/build/template.yaml` (what `sam build` wrote) if there is one, as SAM CLI does,
    /// else its template.yaml, template.yml or template.json.
    template: Option<PathBuf>,
    /// Serve the folder's own template even when `sam build` output is there.
    #[arg(long)]
    no_build_dir: bool,
    #[command(flatten)]
    stack: StackOpts,
}

/// What a template is resolved with, shared by every verb that loads one.
#[derive(Args)]
struct StackOpts {
    /// Template parameter values: `Name=Value` (or `ParameterKey=Name,ParameterValue=Value`).
    #[arg(long, num_args = 1.., value_name = "NAME=VALUE")]
    parameter_overrides: Vec<String>,
    /// Region used for ARNs and AWS_REGION (the AWS::Region pseudo parameter).
    #[arg(long, default_value = "us-east-1", env = "GLASSGATE_REGION")]
    region: String,
    /// Account id used for ARNs (the AWS::AccountId pseudo parameter).
    #[arg(long, default_value = "123456789012")]
    account_id: String,
}

impl StackOpts {
    fn into_args(self, template: Option<PathBuf>, build_dir: bool) -> TemplateArgs {
        TemplateArgs {
            template,
            build_dir,
            parameter_overrides: self.parameter_overrides,
            region: self.region,
            account_id: self.account_id,
        }
    }
}

impl TemplateOpts {
    fn into_args(self) -> TemplateArgs {
        self.stack.into_args(self.template, !self.no_build_dir)
    }
}

#[derive(Args)]
struct ServeCmd {
    #[command(flatten)]
    template: TemplateOpts,
    /// Interface to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free port).
    #[arg(long, short, default_value_t = 3000)]
    port: u16,
    /// JSON file of environment variable overrides, in `sam local`'s format:
    /// {"FunctionLogicalId": {"VAR": "value"}, "Parameters": {"VAR": "value"}}.
    #[arg(long, short = 'n', value_name = "FILE")]
    env_vars: Option<PathBuf>,
    /// How each request's execution log is written to stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Most processes per function, so most concurrent invocations of it. Below it, a
    /// process is started only when requests would queue longer than half a cold start and
    /// the cores and the gateway have room (GET /health shows each pool and why).
    #[arg(long, default_value_t = 16)]
    max_concurrency: usize,
    /// Seconds an idle handler process is kept warm.
    #[arg(long, default_value_t = 300)]
    idle_timeout: u64,
    /// Processes to start per function before the first request, kept warm however long
    /// they sit idle (at most --max-concurrency). More start only when the scaling policy
    /// sees requests queueing longer than a cold start would take (see GET /health).
    #[arg(long, value_name = "N", default_value_t = 0)]
    prewarm: usize,
    /// Do not watch handler code: by default an edit in a function's code folder retires
    /// its processes (in-flight invocations finish first) and the next request loads the
    /// new code.
    #[arg(long)]
    no_reload: bool,
    /// Do not echo handler stdout/stderr.
    #[arg(long)]
    quiet_handlers: bool,
    /// Override every authorizer's result-cache TTL, in seconds (0 disables caching), to
    /// debug without waiting out a 300 s cache.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=3600))]
    authorizer_cache_ttl: Option<u64>,
    /// Start an authorizer in a mode: normal, bypass (skip it as if the route had none) or
    /// allow (a stand-in that allows everything). Repeatable.
    #[arg(long = "authorizer", value_name = "NAME=MODE")]
    authorizer_modes: Vec<String>,
    /// The signing keys of a JWT issuer without reaching it: a local JWKS file, or the URL of
    /// its JWKS (no discovery). Repeatable.
    #[arg(long = "jwks", value_name = "ISSUER=PATH_OR_URL", value_parser = parse_jwks)]
    jwks: Vec<(String, glassgate::pipeline::authorize::jwt::jwks::KeySource)>,
    /// Trust the local dev issuer's key (`glassgate token`) as ISSUER's signing key: routes
    /// guarded by a JWT authorizer of ISSUER accept its tokens. Repeatable.
    #[arg(long = "trust-dev-issuer", value_name = "ISSUER")]
    trust_dev_issuer: Vec<String>,
    /// The credentials AWS_IAM routes check SigV4 signatures against: a file in the AWS
    /// credentials format, every profile a known caller (default: AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY, else the AWS_PROFILE or default profile of ~/.aws/credentials).
    #[arg(long = "iam-credentials", value_name = "FILE")]
    iam_credentials: Option<PathBuf>,
    /// Port of the admin API (default: the serving port + 1).
    #[arg(long)]
    admin_port: Option<u16>,
    /// Interface of the admin API.
    #[arg(long, default_value = "127.0.0.1")]
    admin_host: String,
    /// Answer exactly as AWS does, without the x-glassgate-* diagnosis headers.
    #[arg(long)]
    faithful: bool,
    /// Serve the web console's files from this folder instead of the built-in ones (to edit
    /// the console and reload the page).
    #[arg(long, value_name = "DIR")]
    console_dir: Option<PathBuf>,
    /// Gateway worker threads (default: half the CPUs, at least one; the handler processes
    /// and the client need the rest). One runs tokio's current-thread scheduler.
    #[arg(long, value_name = "N", env = "GLASSGATE_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Seconds a request's headers may take to arrive (and a connection may idle between
    /// requests) before the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    header_read_timeout: f64,
    /// Seconds a request body may go without a byte before the request gets 408.
    #[arg(long = "body-timeout", value_name = "SECONDS", default_value_t = 10.0)]
    body_timeout: f64,
    /// Largest request line and header block, in bytes (API Gateway's 10 KB); larger gets 431.
    #[arg(long, value_name = "BYTES", default_value_t = glassgate::limits::MAX_HEADER_BYTES)]
    max_header_bytes: usize,
    /// Most connections served at once; more wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_connections: usize,
    /// Most requests in the lifecycle at once; more are answered 503 at once.
    #[arg(long, value_name = "N", default_value_t = glassgate::limits::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
    /// Most MiB of request bodies received and held at once, across all requests; a body that would pass it is answered 503 (a slow upload holds its bytes, not a place in --max-in-flight).
    #[arg(long, value_name = "MIB", default_value_t = glassgate::limits::DEFAULT_MAX_BODY_BUFFER >> 20)]
    max_body_buffer: usize,
}

/// A positive number of seconds.
fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        anyhow::bail!("{flag} must be a positive number of seconds, got {value}")
    }
}

/// Half the CPUs, at least one. The gateway shares the machine with its handler processes
/// and the client driving it; measured on 2 cores, one worker served 7 % more requests at
/// 25 % less gateway CPU per request than two, whose tasks kept waking each other across
/// threads (BENCHMARKS.md).
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Run `serve` on `threads` gateway threads. One thread is tokio's current-thread scheduler
/// rather than the multi-thread one with a single worker: nothing to steal from or hand
/// over, no second thread driving the accept loop: 13-19 us less CPU per proxied request on
/// the benchmark machine (BENCHMARKS.md). Either way the gateway's threads carry
/// [`glassgate::lambda::GATEWAY_THREAD_NAME`], by which the scaling policy measures the gateway's own demand; the
/// one thread gets the main thread's 8 MiB stack, as the loading of a template had on it.
fn serve_on(threads: usize, args: ServeArgs) -> anyhow::Result<()> {
    use glassgate::lambda::GATEWAY_THREAD_NAME;
    if threads > 1 {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name(GATEWAY_THREAD_NAME)
            .enable_all()
            .build()?;
        return rt.block_on(app::serve(args));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .thread_name(GATEWAY_THREAD_NAME)
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(GATEWAY_THREAD_NAME.to_owned())
        .stack_size(8 << 20)
        .spawn(move || rt.block_on(app::serve(args)))?
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `--jwks ISSUER=PATH_OR_URL`.
fn parse_jwks(
    text: &str,
) -> Result<(String, glassgate::pipeline::authorize::jwt::jwks::KeySource), String> {
    use glassgate::pipeline::authorize::jwt::jwks::KeySource;
    // The issuer is a URL itself: split at the `=` that follows it.
    let Some((issuer, source)) = text.split_once('=') else {
        return Err(format!("{text:?}: expected ISSUER=PATH_OR_URL"));
    };
    if issuer.is_empty() || source.is_empty() {
        return Err(format!("{text:?}: expected ISSUER=PATH_OR_URL"));
    }
    let source = if source.starts_with("http://") || source.starts_with("https://") {
        KeySource::Url(source.to_owned())
    } else {
        let path = PathBuf::from(source);
        if !path.is_file() {
            return Err(format!("{source}: no such JWKS file"));
        }
        KeySource::File(std::fs::canonicalize(&path).unwrap_or(path))
    };
    Ok((issuer.to_owned(), source))
}

/// The credentials of `--iam-credentials FILE`, or of the AWS environment and profile.
fn iam_credentials(
    file: Option<&std::path::Path>,
) -> anyhow::Result<glassgate::pipeline::authorize::iam::credentials::Credentials> {
    use glassgate::pipeline::authorize::iam::credentials::Credentials;
    Ok(match file {
        Some(f) => Credentials::from_file(f)?,
        None => Credentials::from_environment(&|k| std::env::var(k).ok()),
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run_invoke(cmd: InvokeCmd) -> anyhow::Result<()> {
    let (template, method, path) = match cmd.args.as_slice() {
        [t, m, p] => (Some(PathBuf::from(t)), m.clone(), p.clone()),
        [m, p] => (None, m.clone(), p.clone()),
        _ => anyhow::bail!("expected [TEMPLATE] METHOD PATH"),
    };
    let args = app::InvokeArgs {
        template: cmd.stack.into_args(template, !cmd.no_build_dir),
        method,
        path,
        headers: cmd.headers,
        body: cmd.body,
        skip_auth: cmd.skip_auth,
        env_vars: cmd.env_vars,
        auth: glassgate::pipeline::authorize::AuthSettings {
            ttl_override: cmd.authorizer_cache_ttl.map(Duration::from_secs),
            jwks: Default::default(),
            iam: std::sync::Arc::new(iam_credentials(None)?),
        },
    };
    let report = runtime()?.block_on(app::invoke(args))?;
    print!("{report}");
    Ok(())
}

fn run_explain(cmd: ExplainCmd) -> anyhow::Result<()> {
    if let Some(file) = cmd.log {
        let text = std::fs::read(&file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        let text = String::from_utf8_lossy(&text);
        let reports = glassgate::explain::explain_log(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        print!("{}", glassgate::explain::render(&reports));
        return Ok(());
    }
    let Some(id) = cmd.request_id else {
        anyhow::bail!("give a REQUEST_ID (the x-amzn-RequestId of a response) or --log FILE");
    };
    let report = runtime()?.block_on(app::explain_request(&cmd.admin, &id))?;
    print!("{report}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(cmd) => glassgate::build::build(&cmd.template.into_args()).map(|_| ()),
        Command::Validate(cmd) => {
            let args = cmd.template.into_args();
            app::validate(&args).and_then(|report| {
                print!("{report}");
                if cmd.probe {
                    let probe = runtime()?.block_on(app::probe(&args, &cmd.probe_identity))?;
                    print!("{probe}");
                }
                Ok(())
            })
        }
        Command::Invoke(cmd) => run_invoke(cmd),
        Command::Token(cmd) => app::token(&app::TokenArgs {
            issuer: cmd.issuer,
            audience: cmd.audience,
            scopes: cmd.scopes,
            subject: cmd.subject,
            claims: cmd.claims,
            expires_in: cmd.expires_in,
        })
        .map(|(token, key)| {
            eprintln!("glassgate: signed with the dev issuer key {key}; trust it with `serve --trust-dev-issuer ISSUER`");
            println!("{token}");
        }),
        Command::Explain(cmd) => run_explain(cmd),
        Command::Serve(cmd) => (|| {
            let iam = iam_credentials(cmd.iam_credentials.as_deref())?;
            let args = ServeArgs {
                template: cmd.template.into_args(),
                host: cmd.host,
                port: cmd.port,
                env_vars: cmd.env_vars,
                log_format: cmd.log_format,
                max_concurrency: cmd.max_concurrency,
                idle_timeout: Duration::from_secs(cmd.idle_timeout),
                prewarm: cmd.prewarm,
                reload: !cmd.no_reload,
                echo_handler_output: !cmd.quiet_handlers,
                auth: glassgate::pipeline::authorize::AuthSettings {
                    ttl_override: cmd.authorizer_cache_ttl.map(Duration::from_secs),
                    jwks: cmd
                        .jwks
                        .into_iter()
                        .chain(cmd.trust_dev_issuer.into_iter().map(|i| {
                            (i, glassgate::pipeline::authorize::jwt::jwks::KeySource::Dev)
                        }))
                        .collect(),
                    iam: std::sync::Arc::new(iam),
                },
                authorizer_modes: cmd.authorizer_modes,
                admin_host: cmd.admin_host,
                admin_port: cmd.admin_port,
                faithful: cmd.faithful,
                console_dir: cmd.console_dir,
                limits: glassgate::limits::Limits {
                    header_read_timeout: seconds(cmd.header_read_timeout, "--header-read-timeout")?,
                    body_idle_timeout: seconds(cmd.body_timeout, "--body-timeout")?,
                    max_header_bytes: cmd.max_header_bytes,
                    max_connections: cmd.max_connections.max(1),
                    max_in_flight: cmd.max_in_flight.max(1),
                    max_body_buffer: cmd.max_body_buffer.saturating_mul(1 << 20),
                },
            };
            let threads = cmd.threads.map_or_else(default_threads, usize::from);
            serve_on(threads, args)
        })(),
    };
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            glassgate::log_sink::line(format!("error: {e:#}"));
            ExitCode::from(2)
        }
    };
    // Execution logs, handler output and the error above are written by a background
    // thread; let it finish, but never wait forever on a stderr nobody reads.
    glassgate::log_sink::flush(Duration::from_secs(5));
    code
}
