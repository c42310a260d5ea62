//! What the CLI verbs do: find and load the template, print what will be served, run the
//! server until a signal, and stop every process on the way out.
//!
//! The binary (`main.rs`) only parses arguments and calls in here, so integration tests and
//! benchmarks drive the same code paths a user does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indexmap::IndexMap;

use crate::lambda::{EnvOverrides, LambdaService, LambdaSettings};
use crate::model::Model;
use crate::pipeline::Pipeline;
use crate::server::{self, LogFormat};
use crate::template::{self, LoadOptions};

/// Options shared by the verbs that load a template.
#[derive(Debug, Clone)]
pub struct TemplateArgs {
    /// Template path; `None` looks for `template.yaml|yml|json` in the current folder.
    pub template: Option<PathBuf>,
    /// `Key=Value` (or SAM's `ParameterKey=K,ParameterValue=V`) overrides.
    pub parameter_overrides: Vec<String>,
    /// Region for ARNs and `AWS_REGION`.
    pub region: String,
    /// Account id for ARNs.
    pub account_id: String,
}

/// Options of `serve`.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// The template.
    pub template: TemplateArgs,
    /// Interface to bind.
    pub host: String,
    /// Port (0 picks a free one).
    pub port: u16,
    /// `--env-vars` file.
    pub env_vars: Option<PathBuf>,
    /// Trace output.
    pub log_format: LogFormat,
    /// Most processes per function.
    pub max_concurrency: usize,
    /// Idle processes older than this are stopped.
    pub idle_timeout: Duration,
    /// Echo handler output.
    pub echo_handler_output: bool,
    /// Authorizer stage settings (`--authorizer-cache-ttl`).
    pub auth: crate::pipeline::authorize::AuthSettings,
}

/// Locate the template as `sam` does: the given path, or `template.yaml`, `template.yml`,
/// `template.json` in the current folder.
///
/// # Errors
/// No template found.
pub fn find_template(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        if p.is_dir() {
            return find_in(p);
        }
        return Ok(p.to_path_buf());
    }
    find_in(Path::new("."))
}

fn find_in(dir: &Path) -> Result<PathBuf> {
    for name in ["template.yaml", "template.yml", "template.json"] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "no template.yaml, template.yml or template.json in {}; pass the template's path",
        dir.display()
    )
}

/// Parse `--parameter-overrides` values.
///
/// # Errors
/// A value that is neither `Key=Value` nor `ParameterKey=K,ParameterValue=V`.
pub fn parse_overrides(values: &[String]) -> Result<IndexMap<String, String>> {
    let mut out = IndexMap::new();
    for v in values {
        if let Some(rest) = v.strip_prefix("ParameterKey=") {
            let Some((k, val)) = rest.split_once(",ParameterValue=") else {
                bail!("parameter override {v:?}: expected ParameterKey=Name,ParameterValue=Value");
            };
            out.insert(k.to_owned(), val.to_owned());
        } else if let Some((k, val)) = v.split_once('=') {
            if k.is_empty() {
                bail!("parameter override {v:?}: the name is empty");
            }
            out.insert(k.to_owned(), val.to_owned());
        } else {
            bail!("parameter override {v:?}: expected Name=Value");
        }
    }
    Ok(out)
}

/// Load the template named by the arguments.
///
/// # Errors
/// The template cannot be found, read or understood.
pub fn load_model(args: &TemplateArgs) -> Result<Model> {
    let path = find_template(args.template.as_deref())?;
    let stack_name = path
        .canonicalize()
        .ok()
        .and_then(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "local".to_owned());
    let opts = LoadOptions {
        parameter_overrides: parse_overrides(&args.parameter_overrides)?,
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        stack_name,
    };
    Ok(template::load(&path, &opts)?)
}

/// The route table and warnings, as `serve` and `validate` print them.
pub fn describe(model: &Model) -> String {
    let mut out = String::new();
    let nroutes: usize = model.apis.iter().map(|a| a.routes.len()).sum();
    out.push_str(&format!(
        "{}: {} function(s), {} API(s), {} route(s)\n",
        model.template_path.display(),
        model.functions.len(),
        model.apis.len(),
        nroutes
    ));
    let width = model
        .apis
        .iter()
        .flat_map(|a| &a.routes)
        .map(|r| r.path.len())
        .max()
        .unwrap_or(0);
    for api in &model.apis {
        out.push_str(&format!(
            "  API {} (id {}, stage {})\n",
            api.logical_id, api.api_id, api.stage
        ));
        if api.routes.is_empty() {
            out.push_str("    (no routes)\n");
        }
        for r in &api.routes {
            let runtime = model
                .functions
                .get(&r.function)
                .map(|f| f.runtime.as_str())
                .unwrap_or("?");
            out.push_str(&format!(
                "    {:<7} {:<width$}  -> {} ({runtime})\n",
                r.method, r.path, r.function
            ));
        }
    }
    for w in &model.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// `glassgate validate`: load and report. Returns the report.
///
/// # Errors
/// The template is broken.
pub fn validate(args: &TemplateArgs) -> Result<String> {
    let model = load_model(args)?;
    crate::pipeline::route::Router::new(&model.apis)
        .with_context(|| format!("{}: invalid routes", model.template_path.display()))?;
    Ok(describe(&model))
}

/// `glassgate serve`: serve until SIGINT/SIGTERM, then drain and stop every process.
///
/// # Errors
/// Loading, binding, or the bootstraps failing to be written.
pub async fn serve(args: ServeArgs) -> Result<()> {
    let mut model = load_model(&args.template)?;
    let env_overrides = match &args.env_vars {
        Some(p) => EnvOverrides::from_file(p)?,
        None => EnvOverrides::default(),
    };
    let unknown: Vec<String> = env_overrides
        .unknown_functions(&model.functions)
        .map(str::to_owned)
        .collect();
    for name in unknown {
        model.warnings.push(crate::model::Warning {
            location: args
                .env_vars
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            message: format!("section {name} names no function of the template; ignored"),
        });
    }
    let settings = LambdaSettings {
        region: args.template.region.clone(),
        account_id: args.template.account_id.clone(),
        max_concurrency: args.max_concurrency,
        idle_timeout: args.idle_timeout,
        env_overrides,
        echo_output: args.echo_handler_output,
    };
    let model = Arc::new(model);
    let lambda = Arc::new(LambdaService::new(&model, &settings)?);
    let pipeline = Arc::new(
        Pipeline::new(model.clone(), lambda.clone(), args.auth.clone())
            .with_context(|| format!("{}: invalid routes", model.template_path.display()))?,
    );
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", describe(&model));
        let _ = writeln!(out, "Listening on http://{addr}");
        let _ = writeln!(out, "Press Ctrl+C to stop.");
        let _ = out.flush();
    }
    server::serve(pipeline, listener, args.log_format, shutdown_signal()).await?;
    eprintln!("glassgate: stopping function processes");
    lambda.shutdown().await;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handlers we can still serve; Ctrl+C then kills us outright.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {},
        _ = term.recv() => {},
    }
}
