//! The `glassgate` command line: argument parsing only; the verbs live in `glassgate::app`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use glassgate::app::{self, ServeArgs, TemplateArgs};
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
    /// Serve the template's REST APIs on localhost until Ctrl+C.
    Serve(ServeCmd),
    /// Load the template and report what `serve` would serve, with every warning.
    Validate(TemplateOpts),
}

#[derive(Args)]
struct TemplateOpts {
    /// SAM/CloudFormation template (YAML or JSON). Default: template.yaml, template.yml or
    /// template.json in the current folder.
    template: Option<PathBuf>,
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

impl TemplateOpts {
    fn into_args(self) -> TemplateArgs {
        TemplateArgs {
            template: self.template,
            parameter_overrides: self.parameter_overrides,
            region: self.region,
            account_id: self.account_id,
        }
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
    /// Most processes per function, so most concurrent invocations of it.
    #[arg(long, default_value_t = 16)]
    max_concurrency: usize,
    /// Seconds an idle handler process is kept warm.
    #[arg(long, default_value_t = 300)]
    idle_timeout: u64,
    /// Do not echo handler stdout/stderr.
    #[arg(long)]
    quiet_handlers: bool,
    /// Override every authorizer's result-cache TTL, in seconds (0 disables caching), to
    /// debug without waiting out a 300 s cache.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=3600))]
    authorizer_cache_ttl: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(opts) => app::validate(&opts.into_args()).map(|report| {
            print!("{report}");
        }),
        Command::Serve(cmd) => {
            let args = ServeArgs {
                template: cmd.template.into_args(),
                host: cmd.host,
                port: cmd.port,
                env_vars: cmd.env_vars,
                log_format: cmd.log_format,
                max_concurrency: cmd.max_concurrency,
                idle_timeout: Duration::from_secs(cmd.idle_timeout),
                echo_handler_output: !cmd.quiet_handlers,
                auth: glassgate::pipeline::authorize::AuthSettings {
                    ttl_override: cmd.authorizer_cache_ttl.map(Duration::from_secs),
                },
            };
            match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(app::serve(args)),
                Err(e) => Err(e.into()),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
