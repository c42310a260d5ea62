//! The request lifecycle: route -> (authorize) -> integrate -> respond.
//!
//! [`Pipeline::handle`] is the only code that sequences stages. Each stage is a module with
//! one entry point and a typed result; failures become a [`crate::outcome::Failure`] at the stage
//! boundary and a client response in [`respond`] only. Nothing here knows about sockets:
//! the server hands in a [`request::GatewayRequest`] and gets a response and a trace back.

pub mod access_log;
pub mod authorize;
pub mod context;
pub mod cors;
pub mod header_name;
pub mod integrate;
pub mod invoke;
pub mod payload;
pub mod request;
pub mod respond;
pub mod route;

use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;

use crate::lambda::LambdaService;
use crate::model::{ApiKind, Integration, Model, PayloadVersion};
use crate::outcome::{self, Cause, Failure};
use crate::trace::{Stage, Trace};
use request::GatewayRequest;
use respond::GatewayResponse;
use route::{RouteError, Router};

/// API Gateway's payload limit (10 MB).
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// The lifecycle for one model.
pub struct Pipeline {
    model: Arc<Model>,
    router: Router,
    lambda: Arc<LambdaService>,
    authorizers: authorize::Authorizers,
    /// The pooled client of `HTTP_PROXY` integrations, shared by every route.
    upstream: integrate::upstream_client::UpstreamClient,
}

/// A model the pipeline cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Routes API Gateway would not deploy.
    #[error(transparent)]
    Routes(#[from] route::RouteTableError),
    /// An authorizer that cannot run.
    #[error(transparent)]
    Authorizer(#[from] authorize::AuthSetupError),
    /// The HTTP client of `HTTP_PROXY` integrations cannot be built (its TLS backend).
    #[error("the HTTP client of HTTP_PROXY integrations cannot start: {0}")]
    Upstream(#[from] integrate::upstream_client::ClientError),
}

/// Per-request switches.
#[derive(Debug, Clone, Copy, Default)]
pub struct HandleOptions {
    /// Skip the authorizer (as TestInvokeMethod and `invoke --skip-auth` do).
    pub skip_auth: bool,
    /// Run the authorizer without its cache, neither reading nor filling it (a replay that
    /// bypasses the cache).
    pub skip_cache: bool,
}

/// The response and the trace of one request.
pub struct Handled {
    /// What the client gets (without the gateway's id headers, which the server adds).
    pub response: GatewayResponse,
    /// What happened.
    pub trace: Trace,
}

/// `PREFIX{k1=v1, k2=v2}` as API Gateway writes maps in its log (one buffer, no `format!`:
/// three of these run on every request).
fn fmt_map<'a, V: AsRef<str>>(prefix: &str, pairs: impl Iterator<Item = (&'a str, V)>) -> String {
    let mut out = String::with_capacity(prefix.len() + 64);
    out.push_str(prefix);
    out.push('{');
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v.as_ref());
    }
    out.push('}');
    out
}

/// Hides the request's secrets (the `Authorization` header, identity sources) wherever they
/// would appear in log text, e.g. inside the logged integration request body.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Each secret's searcher (SIMD substring search: every log line of a request that
    /// carries an `Authorization` header is scanned) and its masked form.
    secrets: Vec<(memchr::memmem::Finder<'static>, String)>,
}

impl Redactor {
    /// Secrets of a request: the values of its `Authorization` headers, and a presigned
    /// URL's signature and session token (`X-Amz-Signature`, `X-Amz-Security-Token`).
    pub fn for_request(req: &GatewayRequest) -> Self {
        let mut r = Redactor::default();
        for (k, v) in &req.headers {
            if k.eq_ignore_ascii_case("authorization") {
                r.add(v);
            }
        }
        // A scan of the raw query, not a parse: most requests have no `X-Amz-` parameter.
        if let Some(q) = req.query.as_deref().filter(|q| q.contains("X-Amz-")) {
            for (k, v) in q.split('&').filter_map(|kv| kv.split_once('=')) {
                if k == "X-Amz-Signature" || k == "X-Amz-Security-Token" {
                    let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                    r.add(&decoded);
                    if decoded != v {
                        r.add(v);
                    }
                }
            }
        }
        r
    }

    /// Also hide `secret`.
    pub fn add(&mut self, secret: &str) {
        // The token of a TOKEN authorizer is usually the Authorization header already here.
        if secret.len() < 2
            || self
                .secrets
                .iter()
                .any(|(s, _)| s.needle() == secret.as_bytes())
        {
            return;
        }
        let masked = mask(secret);
        // As it appears inside JSON text, too.
        if let Ok(escaped) = serde_json::to_string(secret) {
            let inner = escaped.trim_matches('"');
            if inner != secret {
                self.secrets.push((
                    memchr::memmem::Finder::new(inner.as_bytes()).into_owned(),
                    masked.clone(),
                ));
            }
        }
        self.secrets.push((
            memchr::memmem::Finder::new(secret.as_bytes()).into_owned(),
            masked,
        ));
    }

    /// `text` with every secret masked.
    pub fn apply<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for (finder, masked) in &self.secrets {
            let mut found = finder.find_iter(out.as_bytes()).peekable();
            if found.peek().is_none() {
                continue;
            }
            let mut replaced = String::with_capacity(out.len());
            let mut last = 0;
            for at in found {
                // A match of a UTF-8 needle starts and ends on character boundaries.
                replaced.push_str(&out[last..at]);
                replaced.push_str(masked);
                last = at + finder.needle().len();
            }
            replaced.push_str(&out[last..]);
            out = std::borrow::Cow::Owned(replaced);
        }
        out
    }
}

/// Every finished request passes here: its secrets are masked in the whole trace, and a
/// failed request's trace ends with its `Diagnosis:` line.
fn seal(mut handled: Handled, redactor: &Redactor) -> Handled {
    if !redactor.secrets.is_empty() {
        handled.trace.redact(|s| redactor.apply(s));
    }
    if let Some(d) = crate::diagnosis::diagnose(&handled.trace) {
        let next = if d.next_steps.is_empty() {
            String::new()
        } else {
            format!(" Next: {}.", d.next_steps.join("; "))
        };
        handled.trace.log(format!("Diagnosis: {}{next}", d.summary));
        handled.trace.diagnosis = Some(d);
    }
    handled
}

fn trace_for(req: &GatewayRequest) -> Trace {
    Trace::start(
        &req.request_id,
        &req.extended_request_id,
        &req.method,
        &req.path,
        req.received_at,
    )
}

/// Mask a secret as AWS does in logs: only the last 4 characters stay visible.
pub fn mask(value: &str) -> String {
    // Tokens are nearly always ASCII, where characters are bytes.
    let ascii = value.is_ascii();
    let n = if ascii {
        value.len()
    } else {
        value.chars().count()
    };
    if n <= 4 {
        return "*".repeat(n);
    }
    // The byte offset of the visible tail, `n - 4` characters in.
    let tail_at = if ascii {
        value.len() - 4
    } else {
        value
            .char_indices()
            .nth(n - 4)
            .map_or(value.len(), |(i, _)| i)
    };
    let mut out = String::with_capacity(n - 4 + value.len() - tail_at);
    out.extend(std::iter::repeat_n('*', n - 4));
    out.push_str(&value[tail_at..]);
    out
}

impl Pipeline {
    /// Build the pipeline.
    ///
    /// # Errors
    /// A route table API Gateway would not deploy, or an authorizer that cannot run.
    pub fn new(
        model: Arc<Model>,
        lambda: Arc<LambdaService>,
        auth_settings: authorize::AuthSettings,
    ) -> Result<Self, SetupError> {
        let router = Router::new(&model.apis)?;
        let authorizers = authorize::Authorizers::new(
            &model.apis,
            &model.region,
            &model.account_id,
            auth_settings,
            Arc::new(authorize::cache::AuthCache::new(
                authorize::cache::DEFAULT_CAPACITY,
            )),
        )?;
        Ok(Pipeline {
            model,
            router,
            lambda,
            authorizers,
            upstream: integrate::upstream_client::client()?,
        })
    }

    /// The authorizer stage (cache, modes).
    pub fn authorizers(&self) -> &authorize::Authorizers {
        &self.authorizers
    }

    /// The model being served.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The Lambda service.
    pub fn lambda(&self) -> &Arc<LambdaService> {
        &self.lambda
    }

    /// A response for a request that never reached routing (e.g. a body over the limit).
    pub fn reject(&self, req: &GatewayRequest, cause: Cause, detail: &str) -> Handled {
        let ctx = respond::ResponseContext {
            request: Some(req),
            ..Default::default()
        };
        let handled = self.fail(trace_for(req), Failure::new(cause, detail), &ctx);
        seal(handled, &Redactor::for_request(req))
    }

    /// Run one request through the lifecycle.
    pub async fn handle(&self, req: &GatewayRequest) -> Handled {
        self.handle_with(req, HandleOptions::default()).await
    }

    /// Run one request through the lifecycle with options. Secrets of the request are masked
    /// in the trace before it leaves here, whatever stage logged them; a failed request's
    /// trace ends with a `Diagnosis:` line.
    pub async fn handle_with(&self, req: &GatewayRequest, opts: HandleOptions) -> Handled {
        let mut redactor = Redactor::for_request(req);
        let mut handled = self.run(req, &mut redactor, opts).await;
        self.add_cors_headers(req, &mut handled);
        let mut handled = seal(handled, &redactor);
        self.write_access_log(req, &mut handled);
        handled
    }

    /// The stage's access log line, from the finished (and redacted) trace.
    fn write_access_log(&self, req: &GatewayRequest, handled: &mut Handled) {
        let Some(name) = handled.trace.api.as_deref() else {
            return;
        };
        let Some(api) = self.model.apis.iter().find(|a| a.logical_id == name) else {
            return;
        };
        let Some(log) = &api.access_log else {
            return;
        };
        let line = access_log::render(
            &log.format,
            &access_log::Facts {
                trace: &handled.trace,
                req,
                api,
                account_id: &self.model.account_id,
                response_body: &handled.response.body,
            },
        );
        handled.trace.access_log = Some(line);
    }

    /// An HTTP API's CORS headers on whatever answered (backend or gateway), unless the
    /// response is already the `CorsConfiguration`'s own preflight answer.
    fn add_cors_headers(&self, req: &GatewayRequest, handled: &mut Handled) {
        if handled.trace.preflight == Some(crate::trace::Preflight::Answered) {
            return;
        }
        let Some(name) = handled.trace.api.as_deref() else {
            return;
        };
        let cors = self
            .model
            .apis
            .iter()
            .find(|a| a.logical_id == name)
            .and_then(|a| a.flavor.cors());
        if let Some(c) = cors {
            cors::decorate(c, req, &mut handled.response);
        }
    }

    /// Run only the authorizer `name` for a request, as TestInvokeAuthorizer does (no
    /// cache, no integration). Returns the outcome and its trace.
    pub async fn test_authorizer(
        &self,
        name: &str,
        req: &GatewayRequest,
    ) -> Option<(Result<authorize::AuthContext, Failure>, Trace)> {
        let api = self
            .model
            .apis
            .iter()
            .find(|a| a.authorizers.contains_key(name))?;
        let auth = api.authorizers.get(name)?;
        let mut trace = trace_for(req);
        // The route the request would take gives the REQUEST event its resource path; with
        // none, the request path stands in, as TestInvokeAuthorizer takes any path.
        let matched = self.router.route(&req.method, &req.path).ok();
        let (resource, params) = match &matched {
            Some(m) if m.id.api < self.model.apis.len() => (
                self.model.apis[m.id.api].routes[m.id.route].resource(),
                m.path_params.clone(),
            ),
            _ => (req.path.as_str(), IndexMap::new()),
        };
        let route_key = match &matched {
            Some(m) if m.id.api < self.model.apis.len() => {
                self.model.apis[m.id.api].routes[m.id.route].key.to_string()
            }
            _ => format!("{} {resource}", req.method),
        };
        let mut redactor = Redactor::for_request(req);
        let target = authorize::AuthTarget {
            api,
            resource,
            route_key: &route_key,
            path: api.route_path(&req.path),
            scopes: matched
                .as_ref()
                .filter(|m| m.id.api < self.model.apis.len())
                .map_or(&[][..], |m| {
                    &self.model.apis[m.id.api].routes[m.id.route].scopes[..]
                }),
            auth,
            req,
            path_params: &params,
        };
        let result = self
            .authorizers
            .authorize(
                &self.lambda,
                &target,
                &mut redactor,
                authorize::AuthorizeOptions { skip_cache: true },
                &mut trace,
            )
            .await;
        let status = match &result {
            Ok(_) => 200,
            Err(f) => respond::for_failure(f, &respond::ResponseContext::default()).status,
        };
        trace.finish(status, result.as_ref().err().cloned());
        trace.redact(|s| redactor.apply(s));
        Some((result, trace))
    }

    async fn run(
        &self,
        req: &GatewayRequest,
        redactor: &mut Redactor,
        opts: HandleOptions,
    ) -> Handled {
        let mut trace = trace_for(req);
        trace.log(format!("Extended Request Id: {}", req.extended_request_id));

        // 1. route
        let began = Instant::now();
        // A host that names an API by its id gets that API alone, as on AWS.
        let host_api = req.header("host").and_then(|h| self.router.api_for_host(h));
        let routed = match host_api {
            Some(api) => self.router.route_in(api, &req.method, &req.path),
            None => self.router.route(&req.method, &req.path),
        };
        let matched = match routed {
            Ok(m) => m,
            Err(RouteError::NoRoute { api, .. })
                if cors::is_preflight(req)
                    && self
                        .model
                        .apis
                        .get(api)
                        .is_some_and(|a| a.flavor.cors().is_some()) =>
            {
                return self.answer_preflight(trace, req, &self.model.apis[api], began);
            }
            Err(e) => {
                trace.stage(Stage::Route, began, "no route");
                let near = self.router.nearest(&req.path, 3);
                let detail = if near.is_empty() {
                    format!("{e}; the API has no routes")
                } else {
                    format!("{e}; nearest routes: {}", near.join(", "))
                };
                // On AWS the host names the API, so its customised MISSING_AUTHENTICATION_TOKEN
                // or DEFAULT_4XX applies; served at the root, that is only unambiguous when
                // the template has a single API.
                let api = match (&e, self.model.apis.as_slice()) {
                    // An HTTP API's miss is that API's: its fixed 404.
                    (RouteError::NoRoute { api, .. }, apis) => apis.get(*api),
                    // The host named the API: its customised gateway responses apply.
                    (_, apis) if host_api.is_some() => host_api.and_then(|a| apis.get(a)),
                    (_, [only]) => Some(only),
                    _ => None,
                };
                trace.flavor = api.map(|a| a.flavor.kind());
                if let (RouteError::NoRoute { .. }, Some(a)) = (&e, api) {
                    // The HTTP API that owns the path answered: its CORS headers apply.
                    trace.api = Some(a.logical_id.clone());
                }
                let ctx = respond::ResponseContext {
                    request: Some(req),
                    api,
                    ..Default::default()
                };
                return self.fail(trace, Failure::new(Cause::NoRoute, detail), &ctx);
            }
        };
        let api = &self.model.apis[matched.id.api];
        let route = &api.routes[matched.id.route];
        trace.api = Some(api.logical_id.clone());
        trace.stage = Some(api.stage.clone());
        trace.flavor = Some(api.flavor.kind());
        let route_key = route.key.to_string();
        trace.stage(Stage::Route, began, route_key.clone());
        trace.route = Some(route_key.clone());
        if api.flavor.cors().is_some() && cors::is_preflight(req) {
            trace.preflight = Some(crate::trace::Preflight::Routed);
            trace.log(format!(
                "glassgate: this CORS preflight matched route {route_key}, which takes it before the API's CorsConfiguration can answer (as on AWS){}",
                match &route.authorizer {
                    Some(a) => format!("; its authorizer {a} runs on a request browsers send without credentials"),
                    None => String::new(),
                }
            ));
        }
        let rctx = respond::ResponseContext {
            request: Some(req),
            api: Some(api),
            resource: Some(route.resource()),
            path_params: Some(&matched.path_params),
        };

        // 2. authorize
        let mut auth_ctx = None;
        let auth = route
            .authorizer
            .as_ref()
            .and_then(|n| api.authorizers.get(n))
            .filter(|_| !opts.skip_auth);
        if let Some(auth) = auth {
            let began = Instant::now();
            let mode = self.authorizers.mode(&auth.name);
            match mode {
                authorize::Mode::Normal => {
                    let target = authorize::AuthTarget {
                        api,
                        resource: route.resource(),
                        route_key: &route_key,
                        path: api.route_path(&req.path),
                        scopes: &route.scopes,
                        auth,
                        req,
                        path_params: &matched.path_params,
                    };
                    let result = self
                        .authorizers
                        .authorize(
                            &self.lambda,
                            &target,
                            redactor,
                            authorize::AuthorizeOptions {
                                skip_cache: opts.skip_cache,
                            },
                            &mut trace,
                        )
                        .await;
                    match result {
                        Ok(ctx) => {
                            let result = match trace.authorizer.as_ref().map(|a| a.cache) {
                                Some("hit") => "allow (cache hit)",
                                Some("miss") => "allow (cache miss)",
                                _ => "allow (cache disabled)",
                            };
                            trace.stage(Stage::Authorize, began, result);
                            auth_ctx = Some(ctx);
                        }
                        Err(f) => {
                            trace.stage(Stage::Authorize, began, f.cause.token());
                            return self.fail(trace, f, &rctx);
                        }
                    }
                }
                authorize::Mode::Bypass => {
                    trace.log(format!(
                        "glassgate: authorizer {} is in bypass mode; authorization skipped",
                        auth.name
                    ));
                    trace.authorizer = Some(crate::trace::AuthorizerFacts {
                        mode: "bypass",
                        ..authorize::stand_in_facts(auth)
                    });
                    trace.stage(Stage::Authorize, began, "bypass");
                }
                authorize::Mode::Allow {
                    principal_id,
                    context,
                } => {
                    trace.log(format!(
                        "glassgate: authorizer {} is in allow mode; request allowed as {principal_id} without invoking it",
                        auth.name
                    ));
                    trace.authorizer = Some(crate::trace::AuthorizerFacts {
                        mode: "allow",
                        principal_id: Some(principal_id.clone()),
                        decision: Some("allow"),
                        ..authorize::stand_in_facts(auth)
                    });
                    trace.stage(Stage::Authorize, began, "allow (stand-in)");
                    auth_ctx = Some(authorize::AuthContext {
                        principal_id: Some(principal_id),
                        context: Arc::new(context),
                        integration_latency_ms: 0,
                        json_context: None,
                        jwt: None,
                        iam: None,
                    });
                }
            }
        } else if opts.skip_auth && route.authorizer.is_some() {
            trace.log("glassgate: authorization skipped (test invoke)");
        }

        // 3. integrate
        let began = Instant::now();
        trace.log(format!(
            "Starting execution for request: {}",
            req.request_id
        ));
        trace.log(format!(
            "HTTP Method: {}, Resource Path: {}",
            req.method, req.path
        ));
        trace.log(fmt_map(
            "Method request path: ",
            matched
                .path_params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ));
        let query = &req.query_params().single;
        trace.log(fmt_map(
            "Method request query string: ",
            query
                .iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ));
        trace.log(fmt_map(
            "Method request headers: ",
            req.headers.iter().map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("authorization") {
                    std::borrow::Cow::Owned(mask(v))
                } else {
                    std::borrow::Cow::Borrowed(v.as_str())
                };
                (k.as_str(), v)
            }),
        ));
        trace.log(integrate::quote_for_log(
            "Method request body before transformations: ",
            &req.body,
            None,
        ));
        let (function, version, timeout) = match &route.integration {
            Integration::Lambda {
                function,
                payload,
                timeout,
            } => (function, payload, timeout),
            Integration::HttpProxy(spec) => {
                let root = request::trace_root(&req.request_id, req.received_at);
                let up = integrate::http_proxy::Upstream {
                    spec,
                    flavor: api.flavor.kind(),
                    api_id: &api.api_id,
                    stage: &api.stage,
                    stage_variables: &api.stage_variables,
                    path_params: &matched.path_params,
                    default_route: route.key == crate::model::RouteKey::Default,
                    authorizer: auth_ctx.as_ref(),
                    trace_root: &root,
                };
                let result =
                    integrate::http_proxy::forward(&self.upstream, &up, req, redactor, &mut trace)
                        .await;
                return self.answered(trace, began, result, &rctx);
            }
            Integration::Mock(mock) => {
                let scope = integrate::mapping::Scope::new(
                    req,
                    self.mapping_context(api, route, &matched.path_params, auth_ctx.as_ref()),
                );
                let result = integrate::mock::answer(mock, &scope, req, &mut trace);
                return self.answered(trace, began, result, &rctx);
            }
            Integration::LambdaMapped(spec) => {
                let scope = integrate::mapping::Scope::new(
                    req,
                    self.mapping_context(api, route, &matched.path_params, auth_ctx.as_ref()),
                );
                let function_arn = self
                    .lambda
                    .function_arn(&spec.function)
                    .unwrap_or_default()
                    .to_owned();
                let target = integrate::Target {
                    function: &spec.function,
                    function_arn: &function_arn,
                    region: &self.model.region,
                    timeout: spec.timeout,
                };
                let result = integrate::lambda_mapped::answer(
                    &self.lambda,
                    spec,
                    &target,
                    &scope,
                    req,
                    redactor,
                    &mut trace,
                )
                .await;
                return match result {
                    Err(f) => {
                        trace.stage(Stage::Integrate, began, f.cause.token());
                        self.fail(trace, f, &rctx)
                    }
                    Ok(mapped) => {
                        let result = match &mapped.failure {
                            Some(f) => {
                                format!("status {} ({})", mapped.response.status, f.cause.token())
                            }
                            None => format!("status {}", mapped.response.status),
                        };
                        trace.stage(Stage::Integrate, began, result);
                        self.completed(trace, mapped.response, Instant::now(), mapped.failure)
                    }
                };
            }
            Integration::NotEmulated { kind } => {
                trace.log("Execution failed due to configuration error: integration not emulated");
                let f = Failure::new(
                    Cause::IntegrationNotEmulated,
                    format!(
                        "the integration of {} is of type {kind}, which glassgate does not emulate yet (it runs Lambda proxy and non-proxy, HTTP_PROXY and MOCK integrations); on AWS it would run",
                        route.key
                    ),
                );
                trace.stage(Stage::Integrate, began, f.cause.token());
                return self.fail(trace, f, &rctx);
            }
        };
        let event = match version {
            PayloadVersion::V2 => payload::v2::build(
                req,
                &payload::v2::EventContext {
                    route_key: &route_key,
                    path_params: &matched.path_params,
                    stage: &api.stage,
                    stage_variables: &api.stage_variables,
                    api_id: &api.api_id,
                    account_id: &self.model.account_id,
                    authorizer: auth_ctx.as_ref(),
                },
            ),
            PayloadVersion::V1 => payload::v1::build(
                req,
                &payload::v1::EventContext {
                    resource: route.resource(),
                    path_params: &matched.path_params,
                    stage: &api.stage,
                    stage_variables: &api.stage_variables,
                    api_id: &api.api_id,
                    account_id: &self.model.account_id,
                    authorizer: auth_ctx.as_ref(),
                    http_route_key: (api.flavor.kind() == ApiKind::Http).then_some(&*route_key),
                },
            ),
        };
        let function_arn = self
            .lambda
            .function_arn(function)
            .unwrap_or_default()
            .to_owned();
        let target = integrate::Target {
            function,
            function_arn: &function_arn,
            region: &self.model.region,
            timeout: *timeout,
        };
        let result =
            integrate::invoke(&self.lambda, &target, *version, event, redactor, &mut trace).await;
        match result {
            Err(f) => {
                trace.stage(Stage::Integrate, began, f.cause.token());
                self.fail(trace, f, &rctx)
            }
            Ok(proxy) => {
                trace.stage(Stage::Integrate, began, format!("status {}", proxy.status));
                let began = Instant::now();
                let response = respond::for_proxy(proxy, *version);
                self.completed(trace, response, began, None)
            }
        }
    }

    /// What a REST mapping template's `$context` is made from.
    fn mapping_context<'a>(
        &'a self,
        api: &'a crate::model::Api,
        route: &'a crate::model::Route,
        path_params: &'a indexmap::IndexMap<String, String>,
        authorizer: Option<&'a authorize::AuthContext>,
    ) -> payload::v1::EventContext<'a> {
        payload::v1::EventContext {
            resource: route.resource(),
            path_params,
            stage: &api.stage,
            stage_variables: &api.stage_variables,
            api_id: &api.api_id,
            account_id: &self.model.account_id,
            authorizer,
            http_route_key: None,
        }
    }

    /// The end of a request whose integration answered with a response of its own (HTTP_PROXY,
    /// MOCK), or failed.
    fn answered(
        &self,
        mut trace: Trace,
        began: Instant,
        result: Result<GatewayResponse, Failure>,
        rctx: &respond::ResponseContext<'_>,
    ) -> Handled {
        match result {
            Err(f) => {
                trace.stage(Stage::Integrate, began, f.cause.token());
                self.fail(trace, f, rctx)
            }
            Ok(response) => {
                trace.stage(
                    Stage::Integrate,
                    began,
                    format!("status {}", response.status),
                );
                self.completed(trace, response, Instant::now(), None)
            }
        }
    }

    /// The end of a request its integration answered: the method response's log lines.
    /// `failure` is the backend's failure a non-proxy integration mapped into this response
    /// (the client sees the response, the diagnosis the failure).
    fn completed(
        &self,
        mut trace: Trace,
        response: GatewayResponse,
        began: Instant,
        failure: Option<Failure>,
    ) -> Handled {
        trace.log(integrate::quote_for_log(
            "Method response body after transformations: ",
            &response.body,
            None,
        ));
        trace.log(fmt_map(
            "Method response headers: ",
            response
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ));
        trace.log("Successfully completed execution");
        trace.log(format!("Method completed with status: {}", response.status));
        trace.stage(Stage::Respond, began, format!("status {}", response.status));
        trace.finish(response.status, failure);
        Handled { response, trace }
    }

    /// The 204 an HTTP API's `CorsConfiguration` answers a preflight no route takes.
    fn answer_preflight(
        &self,
        mut trace: Trace,
        req: &GatewayRequest,
        api: &crate::model::Api,
        began: Instant,
    ) -> Handled {
        trace.api = Some(api.logical_id.clone());
        trace.stage = Some(api.stage.clone());
        trace.flavor = Some(api.flavor.kind());
        trace.preflight = Some(crate::trace::Preflight::Answered);
        trace.stage(Stage::Route, began, "cors preflight");
        trace.log(format!(
            "glassgate: CORS preflight for {} answered by the CorsConfiguration of API {} (no route matches OPTIONS {})",
            req.header("access-control-request-method").unwrap_or_default(),
            api.logical_id,
            api.route_path(&req.path)
        ));
        let response = match api.flavor.cors() {
            Some(c) => cors::preflight(c, req),
            None => respond::for_failure(
                &Failure::new(Cause::NoRoute, "no route matches OPTIONS"),
                &respond::ResponseContext::default(),
            ),
        };
        trace.finish(response.status, None);
        Handled { response, trace }
    }

    fn fail(
        &self,
        mut trace: Trace,
        failure: Failure,
        ctx: &respond::ResponseContext<'_>,
    ) -> Handled {
        let began = Instant::now();
        let response = respond::for_failure(&failure, ctx);
        let rest = ctx.api.is_none_or(|a| a.flavor.kind() == ApiKind::Rest);
        match respond::response_type(failure.cause).filter(|_| rest) {
            // Integration failures end the method phase; the others never started it.
            Some(t) if failure.layer != outcome::Layer::Integration => trace.log(format!(
                "Gateway response type: {} with status code: {}",
                t.name(),
                response.status
            )),
            _ => trace.log(format!("Method completed with status: {}", response.status)),
        }
        trace.stage(Stage::Respond, began, format!("status {}", response.status));
        trace.finish(response.status, Some(failure));
        Handled { response, trace }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_last_four_characters() {
        assert_eq!(mask("Bearer abcdefgh"), "***********efgh");
        assert_eq!(mask("abc"), "***");
        assert_eq!(mask("abcd"), "****");
        assert_eq!(mask("abcde"), "*bcde");
        assert_eq!(mask(""), "");
        // Characters, not bytes: a multi-byte tail stays whole.
        assert_eq!(mask("jéton-ñañá"), "******ñañá");
    }

    #[test]
    fn redactor_hides_plain_and_json_escaped_secrets() {
        let mut r = Redactor::default();
        r.add("tok\"en-1234");
        let text = format!("a {} b {}", "tok\"en-1234", "tok\\\"en-1234");
        let out = r.apply(&text);
        assert!(!out.contains("tok"), "{out}");
        assert!(out.contains("1234"));
    }

    #[test]
    fn redactor_masks_every_occurrence_and_leaves_clean_text_borrowed() {
        let mut r = Redactor::default();
        r.add("Bearer s3cr3t-token");
        assert_eq!(
            r.apply("x=Bearer s3cr3t-token; y=Bearer s3cr3t-token!"),
            "x=***************oken; y=***************oken!"
        );
        assert!(matches!(
            r.apply("nothing to hide"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
