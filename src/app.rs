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
use crate::model::{ANY_METHOD, Integration, Model, Route};
use crate::pipeline::Pipeline;
use crate::recent::RecentRequests;
use crate::server::{self, LogFormat, ServerState};
use crate::template::{self, LoadOptions};

/// Options shared by the verbs that load a template.
#[derive(Debug, Clone)]
pub struct TemplateArgs {
    /// Template path; `None` looks for `template.yaml|yml|json` in the current folder.
    pub template: Option<PathBuf>,
    /// Whether a folder's `.aws-sam/build/template.yaml` (`sam build` output) is preferred to
    /// its own template, as SAM CLI does (off with `--no-build-dir`).
    pub build_dir: bool,
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
    /// Processes started per function before the first request (`--prewarm`).
    pub prewarm: usize,
    /// Watch handler code and retire processes when it changes (off with `--no-reload`).
    pub reload: bool,
    /// Echo handler output.
    pub echo_handler_output: bool,
    /// Authorizer stage settings (`--authorizer-cache-ttl`).
    pub auth: crate::pipeline::authorize::AuthSettings,
    /// `--authorizer NAME=MODE` settings.
    pub authorizer_modes: Vec<String>,
    /// Admin API interface.
    pub admin_host: String,
    /// Admin API port; `None` means the serving port + 1 (or a free port with `--port 0`).
    pub admin_port: Option<u16>,
    /// `--faithful`: no diagnosis headers.
    pub faithful: bool,
    /// `--console-dir`: the console's files from a folder instead of the binary.
    pub console_dir: Option<std::path::PathBuf>,
    /// `--header-read-timeout`, `--body-timeout`, `--max-header-bytes`, `--max-connections`.
    pub limits: crate::limits::Limits,
}

/// Parse `--authorizer NAME=MODE` values against the model.
///
/// # Errors
/// An unknown authorizer or mode.
pub fn parse_modes(
    values: &[String],
    model: &Model,
) -> Result<Vec<(String, crate::pipeline::authorize::Mode)>> {
    let mut out = Vec::new();
    for v in values {
        let Some((name, mode)) = v.split_once('=') else {
            bail!("--authorizer {v:?}: expected NAME=MODE (MODE: normal, bypass or allow)");
        };
        if !model.apis.iter().any(|a| a.authorizers.contains_key(name)) {
            let known: Vec<&str> = model
                .apis
                .iter()
                .flat_map(|a| a.authorizers.keys().map(String::as_str))
                .collect();
            bail!(
                "--authorizer {v:?}: the template has no authorizer {name} (it has: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
        let Some(mode) = crate::pipeline::authorize::Mode::parse(mode) else {
            bail!("--authorizer {v:?}: unknown mode {mode:?}; expected normal, bypass or allow");
        };
        out.push((name.to_owned(), mode));
    }
    Ok(out)
}

/// Locate the template as `sam` does: the given path, or `template.yaml`, `template.yml`,
/// `template.json` in the current folder.
///
/// # Errors
/// No template found.
pub fn find_template(given: Option<&Path>, build_dir: bool) -> Result<PathBuf> {
    if let Some(p) = given {
        if p.is_dir() {
            return find_in(p, build_dir);
        }
        return Ok(p.to_path_buf());
    }
    find_in(Path::new("."), build_dir)
}

/// The template of a folder: `sam build`'s output when there is one (and `build_dir`), as
/// SAM CLI picks it, said on stderr with a warning when it is older than the source template.
fn find_in(dir: &Path, build_dir: bool) -> Result<PathBuf> {
    let built = dir.join(".aws-sam").join("build").join("template.yaml");
    if build_dir && built.is_file() {
        let source = ["template.yaml", "template.yml", "template.json"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file());
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let stale = source
            .as_deref()
            .and_then(|s| Some(modified(s)? > modified(&built)?))
            .unwrap_or(false);
        crate::log_sink::line(format!(
            "glassgate: using {} (sam build output), as SAM CLI does; --no-build-dir uses the folder's own template",
            built.display()
        ));
        if stale {
            crate::log_sink::line(format!(
                "glassgate: warning: {} is newer than the sam build output: run `sam build` again, or pass --no-build-dir",
                source.as_deref().unwrap_or(dir).display()
            ));
        }
        return Ok(built);
    }
    find_in_folder(dir)
}

fn find_in_folder(dir: &Path) -> Result<PathBuf> {
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
    let path = find_template(args.template.as_deref(), args.build_dir)?;
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
        cache_dir: template::code::cache_dir(),
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
        .map(|r| r.resource().len())
        .max()
        .unwrap_or(0);
    for api in &model.apis {
        // Where its routes are reached (ARCHITECTURE.md, "Several APIs in one template").
        let mount = match api.stage_prefix() {
            Some(stage) => format!(", served under /{stage}"),
            None => String::new(),
        };
        out.push_str(&format!(
            "  {} API {} (id {}, stage {}{mount})\n",
            api.flavor.name(),
            api.logical_id,
            api.api_id,
            api.stage
        ));
        if api.routes.is_empty() {
            out.push_str("    (no routes)\n");
        }
        for r in &api.routes {
            let method = r.method().unwrap_or("");
            out.push_str(&format!("    {method:<7} {:<width$}  -> ", r.resource()));
            match &r.integration {
                Integration::Lambda {
                    function, payload, ..
                } => {
                    let f = model.functions.get(function);
                    let runtime = f.map(|f| f.runtime.as_str()).unwrap_or("?");
                    // Served, but every request answers 502: say so where the route is listed.
                    let runtime = match f.and_then(|f| f.unsupported.as_ref()) {
                        Some(_) => format!("{runtime}: not run by glassgate, answers 502"),
                        None => runtime.to_owned(),
                    };
                    // REST speaks 1.0 only; on an HTTP API the version is the route's choice,
                    // so it is named where it is not the default 2.0.
                    let payload = match (api.flavor.kind(), payload) {
                        (crate::model::ApiKind::Http, crate::model::PayloadVersion::V1) => {
                            ", payload 1.0"
                        }
                        _ => "",
                    };
                    out.push_str(&format!("{function} ({runtime}{payload})"));
                }
                Integration::HttpProxy(h) => {
                    out.push_str(&format!(
                        "HTTP_PROXY {} {}",
                        h.method.as_deref().unwrap_or("ANY"),
                        h.uri
                    ));
                }
                Integration::Mock(m) => {
                    let statuses: Vec<String> =
                        m.responses.iter().map(|r| r.status.to_string()).collect();
                    out.push_str(&format!("MOCK (answers {})", statuses.join(", ")));
                }
                Integration::LambdaMapped(m) => {
                    let runtime = model
                        .functions
                        .get(&m.function)
                        .map(|f| f.runtime.as_str())
                        .unwrap_or("?");
                    out.push_str(&format!("{} ({runtime}, non-proxy)", m.function));
                }
                Integration::NotEmulated { kind } => {
                    out.push_str(&format!(
                        "integration type {kind} (not emulated: answers 500)"
                    ));
                }
            }
            if let Some(auth) = &r.authorizer {
                out.push_str(&format!(", authorizer {auth}"));
                if !r.scopes.is_empty() {
                    out.push_str(&format!(" (scopes {})", r.scopes.join(" ")));
                }
            }
            out.push('\n');
        }
        // Which issuer a token must come from: what `glassgate token --issuer`, `--jwks` and
        // `--trust-dev-issuer` are given.
        for a in api.authorizers.values() {
            match &a.kind {
                crate::model::AuthorizerKind::Jwt { issuer, .. } => {
                    out.push_str(&format!(
                        "    authorizer {} (JWT): issuer {issuer}\n",
                        a.name
                    ));
                }
                crate::model::AuthorizerKind::CognitoUserPools { issuers, .. } => {
                    out.push_str(&format!(
                        "    authorizer {} (Cognito user pools): issuer {}\n",
                        a.name,
                        issuers.join(", ")
                    ));
                }
                crate::model::AuthorizerKind::Iam => {
                    out.push_str(&format!(
                        "    authorizer {} (AWS_IAM): SigV4 signatures checked against the credentials of --iam-credentials (or the AWS environment and profile); IAM policies are not evaluated\n",
                        a.name
                    ));
                }
                _ => {}
            }
        }
    }
    if model.apis.len() > 1 {
        out.push_str(
            "  (each API also answers alone on a host named by its id: http://ID.localhost:PORT)\n",
        );
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
    let mut model = load_model(args)?;
    let router = crate::pipeline::route::Router::new(&model.apis)
        .with_context(|| format!("{}: invalid routes", model.template_path.display()))?;
    model.warnings.extend(router.shadowed().iter().cloned());
    model.warnings.extend(crate::lint::traps(&model));
    Ok(describe(&model))
}

/// `glassgate validate --probe`: run each cached authorizer for real against two of its
/// routes with the same identity, and report when the policy it returns for the first does
/// not cover the second (the policy would break other routes once cached).
///
/// # Errors
/// Loading, or the functions cannot be started.
pub async fn probe(args: &TemplateArgs, identity: &str) -> Result<String> {
    use crate::iam_policy as policy;
    use crate::pipeline::authorize::{event, result};
    let model = Arc::new(load_model(args)?);
    let lambda = LambdaService::new(
        &model,
        &LambdaSettings {
            region: args.region.clone(),
            account_id: args.account_id.clone(),
            echo_output: false,
            ..LambdaSettings::default()
        },
    )?;
    let mut out = String::new();
    for api in &model.apis {
        for a in api.authorizers.values() {
            let routes: Vec<&Route> = api
                .routes
                .iter()
                .filter(|r| r.authorizer.as_deref() == Some(a.name.as_str()))
                .collect();
            let [first, second, ..] = routes.as_slice() else {
                out.push_str(&format!(
                    "probe: authorizer {}: fewer than two routes, nothing to compare\n",
                    a.name
                ));
                continue;
            };
            // A concrete request for a route: variables filled in, ANY sent as GET.
            let concrete = |r: &Route| {
                let path = r
                    .resource()
                    .replace("{proxy+}", "probe")
                    .replace(['{', '}'], "");
                let method = match r.method() {
                    Some(ANY_METHOD) | None => "GET",
                    Some(m) => m,
                };
                (method.to_owned(), path)
            };
            let arn = |r: &Route| {
                let (method, path) = concrete(r);
                event::method_arn(
                    &args.region,
                    &args.account_id,
                    &api.api_id,
                    &api.stage,
                    &method,
                    &path,
                )
            };
            let (arn1, arn2) = (arn(first), arn(second));
            let payload = match &a.kind {
                // The gateway checks tokens itself: no policy to probe.
                crate::model::AuthorizerKind::Jwt { .. }
                | crate::model::AuthorizerKind::CognitoUserPools { .. }
                | crate::model::AuthorizerKind::Iam => continue,
                crate::model::AuthorizerKind::Token { .. } => event::token_event(&arn1, identity),
                crate::model::AuthorizerKind::Request {
                    identity_sources, ..
                } => {
                    // Every header source carries the probe identity.
                    let headers: Vec<(&str, &str)> = identity_sources
                        .iter()
                        .filter_map(|s| match s {
                            crate::model::IdentitySource::Header(h) => Some((h.as_str(), identity)),
                            _ => None,
                        })
                        .collect();
                    let (method, path) = concrete(first);
                    let req = crate::pipeline::request::GatewayRequest::local(
                        &method, &path, headers, "",
                    );
                    event::request_event(
                        &req,
                        &crate::pipeline::payload::v1::EventContext {
                            resource: first.resource(),
                            path_params: &indexmap::IndexMap::new(),
                            stage: &api.stage,
                            stage_variables: &api.stage_variables,
                            api_id: &api.api_id,
                            account_id: &args.account_id,
                            authorizer: None,
                            http_route_key: None,
                        },
                        &arn1,
                    )
                }
            };
            let root = crate::pipeline::request::trace_root(
                &crate::pipeline::request::new_request_id(),
                time::OffsetDateTime::now_utc(),
            );
            let Some(function) = a.function.as_deref() else {
                continue;
            };
            let rx = lambda.invoke(function, bytes::Bytes::from(payload), &root)?;
            let report = rx.await.context("the probe invocation was abandoned")?;
            let crate::lambda::InvokeOutcome::Success(body) = report.outcome else {
                out.push_str(&format!(
                    "probe: authorizer {}: the function failed for identity {identity:?}; pass a valid one with --probe-identity\n",
                    a.name
                ));
                continue;
            };
            match result::parse(&body) {
                Ok(r) => {
                    let d1 = policy::evaluate(&r.statements, &arn1);
                    let d2 = policy::evaluate(&r.statements, &arn2);
                    if d1 == policy::Decision::Allow
                        && d2 != policy::Decision::Allow
                        && !a.ttl.is_zero()
                    {
                        out.push_str(&format!(
                            "warning: {}: probe: authorizer {} allowed {arn1} with a policy that does not cover {arn2}; cached for {} s, it will deny {} with 403; return a wildcard Resource or set ReauthorizeEvery: 0\n",
                            a.source, a.name, a.ttl.as_secs(), second.key
                        ));
                    } else {
                        out.push_str(&format!(
                            "probe: authorizer {}: the policy for {} {} {}\n",
                            a.name,
                            first.key,
                            if d2 == policy::Decision::Allow {
                                "also covers"
                            } else {
                                "does not cover (caching is off, so this is safe)"
                            },
                            second.key
                        ));
                    }
                }
                Err(e) => out.push_str(&format!(
                    "probe: authorizer {}: invalid result for identity {identity:?}: {e}\n",
                    a.name
                )),
            }
        }
    }
    lambda.shutdown().await;
    Ok(out)
}

/// `glassgate serve`: serve until SIGINT/SIGTERM, then drain and stop every process.
///
/// # Errors
/// Loading, binding, or the bootstraps failing to be written.
pub async fn serve(args: ServeArgs) -> Result<()> {
    let pipeline = build_pipeline(&args)?;
    let model = pipeline.model();
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    let admin_port = args.admin_port.unwrap_or(if args.port == 0 {
        0
    } else {
        args.port.saturating_add(1)
    });
    let admin_listener = tokio::net::TcpListener::bind((args.admin_host.as_str(), admin_port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{admin_port} for the admin API (choose another with --admin-port)",
                args.admin_host
            )
        })?;
    let admin_addr = admin_listener.local_addr()?;
    let banner = describe(model);
    let has_iam = model.apis.iter().any(|a| {
        a.authorizers
            .values()
            .any(|a| a.kind == crate::model::AuthorizerKind::Iam)
    });
    let state = Arc::new(
        ServerState::new(
            pipeline,
            Arc::new(RecentRequests::new(crate::recent::DEFAULT_CAPACITY)),
            args.log_format,
            args.faithful,
        )
        .with_limits(args.limits),
    );
    let reloader = if args.reload {
        let rebuild_args = args.clone();
        let rebuild = move || build_pipeline(&rebuild_args);
        match crate::reload::start(state.clone(), Box::new(rebuild)) {
            Ok(reloader) => Some(reloader),
            Err(e) => {
                crate::log_sink::line(format!(
                    "glassgate: warning: cannot watch the template and handler code for changes ({e}); edits reach handlers only after --idle-timeout or a restart"
                ));
                None
            }
        }
    } else {
        None
    };
    if let Some(dir) = &args.console_dir
        && !dir.join("index.html").is_file()
    {
        anyhow::bail!(
            "--console-dir {}: no index.html there (point it at the console/ folder of the source tree)",
            dir.display()
        );
    }
    let admin = tokio::spawn(crate::admin::serve(
        state.clone(),
        admin_listener,
        crate::admin::AdminOptions {
            gateway_url: format!("http://{addr}"),
            console_dir: args.console_dir.clone(),
        },
    ));
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{banner}");
        for (issuer, source) in &args.auth.jwks {
            if *source == crate::pipeline::authorize::jwt::jwks::KeySource::Dev {
                let _ = writeln!(
                    out,
                    "JWT issuer {issuer} is the local dev issuer (tokens from `glassgate token --issuer {issuer}`); responses it authorizes say x-glassgate-authorizer-mode: dev-issuer"
                );
            }
        }
        if has_iam {
            let creds = &args.auth.iam;
            if creds.is_empty() {
                let _ = writeln!(
                    out,
                    "warning: AWS_IAM routes refuse every request: glassgate knows no credentials to check signatures against (looked in {}); pass --iam-credentials FILE",
                    creds.looked_in
                );
            } else {
                let _ = writeln!(
                    out,
                    "AWS_IAM routes check SigV4 signatures against {} access key(s) of {}; IAM policies are not evaluated",
                    creds.len(),
                    creds.looked_in
                );
            }
        }
        let _ = writeln!(out, "Admin API on http://{admin_addr}");
        let _ = writeln!(
            out,
            "Console on http://{admin_addr}/console/{}",
            match &args.console_dir {
                Some(d) => format!(" (files from {})", d.display()),
                None => String::new(),
            }
        );
        if let Some(r) = &reloader {
            let _ = writeln!(
                out,
                "Watching the template and {} code folder(s): edits reach the next request (--no-reload to turn off)",
                r.folders
            );
        }
        let _ = writeln!(out, "Listening on http://{addr}");
        let _ = writeln!(out, "Press Ctrl+C to stop.");
        let _ = out.flush();
    }
    server::serve(state.clone(), listener, shutdown_signal()).await?;
    admin.abort();
    drop(reloader);
    crate::log_sink::line("glassgate: stopping function processes".into());
    state.pipeline().lambda().shutdown().await;
    Ok(())
}

/// Load the template and prepare everything `serve` runs from it: the functions' pools
/// (prewarmed), the authorizers in their starting modes, the routes. Used at start and on
/// every template reload.
///
/// # Errors
/// The template, the env-vars file or an authorizer mode is invalid, or an interpreter is
/// missing.
pub fn build_pipeline(args: &ServeArgs) -> Result<Arc<Pipeline>> {
    let mut model = load_model(&args.template)?;
    // The same notes and traps `validate` names, printed with the route table `serve` starts
    // with (the pipeline builds its own router; an invalid table fails there).
    if let Ok(router) = crate::pipeline::route::Router::new(&model.apis) {
        model.warnings.extend(router.shadowed().iter().cloned());
    }
    model.warnings.extend(crate::lint::traps(&model));
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
        prewarm: args.prewarm,
        env_overrides,
        echo_output: args.echo_handler_output,
    };
    let model = Arc::new(model);
    let modes = parse_modes(&args.authorizer_modes, &model)?;
    let lambda = Arc::new(LambdaService::new(&model, &settings)?);
    let pipeline = Arc::new(
        Pipeline::new(model.clone(), lambda.clone(), args.auth.clone())
            .with_context(|| format!("{}: cannot serve", model.template_path.display()))?,
    );
    for (name, mode) in modes {
        crate::log_sink::line(format!(
            "glassgate: authorizer {name} starts in {} mode",
            mode.name()
        ));
        pipeline.authorizers().set_mode(&name, mode);
    }
    lambda.prewarm();
    Ok(pipeline)
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

/// Options of `invoke`.
#[derive(Debug, Clone)]
pub struct InvokeArgs {
    /// The template.
    pub template: TemplateArgs,
    /// Method.
    pub method: String,
    /// Path, with an optional query string.
    pub path: String,
    /// `-H 'Name: value'` headers.
    pub headers: Vec<String>,
    /// `-d` body.
    pub body: String,
    /// Skip the authorizer, as TestInvokeMethod does.
    pub skip_auth: bool,
    /// `--env-vars` file.
    pub env_vars: Option<PathBuf>,
    /// Authorizer stage settings.
    pub auth: crate::pipeline::authorize::AuthSettings,
}

/// `glassgate invoke`: run one request through the lifecycle without a server; returns the
/// printed report (response, execution log with its diagnosis).
///
/// # Errors
/// Loading the template, or a malformed header.
pub async fn invoke(args: InvokeArgs) -> Result<String> {
    use crate::pipeline::request;
    let model = Arc::new(load_model(&args.template)?);
    let env_overrides = match &args.env_vars {
        Some(p) => EnvOverrides::from_file(p)?,
        None => EnvOverrides::default(),
    };
    let settings = LambdaSettings {
        region: args.template.region.clone(),
        account_id: args.template.account_id.clone(),
        env_overrides,
        ..LambdaSettings::default()
    };
    let lambda = Arc::new(LambdaService::new(&model, &settings)?);
    let pipeline = Pipeline::new(model.clone(), lambda.clone(), args.auth.clone())
        .with_context(|| format!("{}: cannot serve", model.template_path.display()))?;
    let mut headers = Vec::new();
    for h in &args.headers {
        let Some(pair) = h.split_once(':') else {
            bail!("header {h:?}: expected 'Name: value'");
        };
        headers.push(pair);
    }
    if !args.path.starts_with('/') {
        bail!(
            "path {:?}: expected an absolute path such as /users/42",
            args.path
        );
    }
    let req = request::GatewayRequest::local(&args.method, &args.path, headers, &args.body);
    let handled = pipeline
        .handle_with(
            &req,
            crate::pipeline::HandleOptions {
                skip_auth: args.skip_auth,
                ..Default::default()
            },
        )
        .await;
    lambda.shutdown().await;
    let mut out = String::new();
    let r = &handled.response;
    out.push_str(&format!(
        "HTTP/1.1 {} {}\n",
        r.status,
        http::StatusCode::from_u16(r.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
    ));
    for (k, v) in &r.headers {
        out.push_str(&format!("{k}: {v}\n"));
    }
    // The id header the flavour sends (the one `explain` takes).
    match handled.trace.flavor {
        Some(crate::model::ApiKind::Http) => out.push_str(&format!(
            "apigw-requestid: {}\n",
            handled.trace.extended_request_id
        )),
        _ => out.push_str(&format!("x-amzn-RequestId: {}\n", handled.trace.request_id)),
    }
    for (k, v) in server::diagnosis_headers(&handled.trace) {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(&r.body));
    out.push_str("\n\n--- execution log ---\n");
    out.push_str(&handled.trace.render_text());
    if let Some(d) = &handled.trace.diagnosis {
        if !d.next_steps.is_empty() {
            out.push_str("\nNext steps:\n");
            for s in &d.next_steps {
                out.push_str(&format!("  - {s}\n"));
            }
        }
    }
    Ok(out)
}

/// What `glassgate token` signs.
pub struct TokenArgs {
    /// `iss`.
    pub issuer: String,
    /// `aud` values (one is a string, several a list).
    pub audience: Vec<String>,
    /// `scope` values, space-joined.
    pub scopes: Vec<String>,
    /// `sub`.
    pub subject: String,
    /// More claims, `name=value` (a value that is JSON is taken as JSON).
    pub claims: Vec<String>,
    /// Lifetime.
    pub expires_in: Duration,
}

/// `glassgate token`: a token of the local dev issuer (stdout) and where its key is (for
/// the caller to print on stderr).
///
/// # Errors
/// The key cannot be had, or a `--claim` is not `name=value`.
pub fn token(args: &TokenArgs) -> Result<(String, String)> {
    use crate::pipeline::authorize::jwt::dev_issuer::DevKey;
    let key = DevKey::load_or_create()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = serde_json::json!({
        "iss": args.issuer,
        "sub": args.subject,
        "iat": now,
        "exp": now + args.expires_in.as_secs() as i64,
    });
    match args.audience.as_slice() {
        [] => {}
        [one] => claims["aud"] = serde_json::json!(one),
        many => claims["aud"] = serde_json::json!(many),
    }
    if !args.scopes.is_empty() {
        claims["scope"] = serde_json::json!(args.scopes.join(" "));
    }
    // A Cognito pool's tokens say which kind they are, and REST Cognito authorizers go by it:
    // an access token when scopes are asked for (Cognito puts scopes only there), else an ID
    // token. `--claim token_use=...` still wins.
    if args.issuer.starts_with("https://cognito-idp.") {
        claims["token_use"] = serde_json::json!(if args.scopes.is_empty() {
            "id"
        } else {
            "access"
        });
    }
    for c in &args.claims {
        let Some((name, value)) = c.split_once('=') else {
            bail!("--claim {c:?}: expected NAME=VALUE");
        };
        claims[name] = serde_json::from_str(value).unwrap_or_else(|_| serde_json::json!(value));
    }
    let token = key.sign(&claims).map_err(anyhow::Error::msg)?;
    Ok((token, key.path.display().to_string()))
}

/// `glassgate explain REQUEST_ID`: fetch the trace from a running server's admin API and
/// render it.
///
/// # Errors
/// The admin API cannot be reached, or does not know the request.
pub async fn explain_request(admin: &str, request_id: &str) -> Result<String> {
    let base = admin.trim_end_matches('/');
    let Some(authority) = base.strip_prefix("http://") else {
        bail!(
            "admin URL {admin:?}: expected http://HOST:PORT (the 'Admin API on' line that serve prints)"
        );
    };
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .with_context(|| format!("cannot reach the admin API at {base}; is `glassgate serve` running (see its 'Admin API on' line)?"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .context("admin API handshake failed")?;
    tokio::spawn(conn);
    let req = http::Request::builder()
        .method("GET")
        .uri(format!(
            "/requests/{}",
            percent_encoding::utf8_percent_encode(request_id, percent_encoding::NON_ALPHANUMERIC)
        ))
        .header("host", authority)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .context("building the admin request")?;
    let resp = sender
        .send_request(req)
        .await
        .context("admin API request failed")?;
    let status = resp.status();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .context("reading the admin API answer")?
        .to_bytes();
    let doc: serde_json::Value = serde_json::from_slice(&body)
        .with_context(|| format!("the admin API at {base} did not answer JSON"))?;
    if !status.is_success() {
        bail!(
            "{}",
            doc["error"]
                .as_str()
                .unwrap_or("the admin API refused the request")
        );
    }
    Ok(crate::report::render(&doc))
}
