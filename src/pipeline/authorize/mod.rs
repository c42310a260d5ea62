//! Stage 2, `authorize`: Lambda authorizers: REST TOKEN and REQUEST, and HTTP APIs' REQUEST
//! authorizers (payload 1.0 or 2.0, IAM policies or simple responses).
//!
//! Input: the request, its route and the route's [`Authorizer`]. Output: an [`AuthContext`]
//! (principal and context for the integration). Error: a [`Failure`] of layer `authorizer`.
//!
//! Order, as API Gateway does it: identity sources (401 without invoking) -> cache lookup ->
//! invoke the authorizer function -> strict result parsing -> the decision: a policy is
//! evaluated against the request's method ARN (REST) or route ARN (HTTP APIs), a simple
//! response's `isAuthorized` is the decision itself. A cached result's policy is evaluated
//! against the *current* ARN; a cached simple response decides for every route of its
//! authorizer (the cache key is the identity alone). Any failure other than an error of
//! exactly `Unauthorized` is a 500; the backend never runs.

pub mod cache;
pub mod event;
pub mod flight;
pub mod iam;
pub mod identity;
pub mod jwt;
pub mod result;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use indexmap::IndexMap;
use regex::Regex;

use super::invoke::{invocation_facts, truncate_for_log};
use super::payload::v1::EventContext;
use super::request::GatewayRequest;
use super::{Redactor, mask};
use crate::iam_policy::{self as policy, Decision};
use crate::lambda::{FailureKind, FunctionFailure, InvokeOutcome, LambdaService};
use crate::model::{Api, ApiKind, Authorizer, AuthorizerKind, PayloadVersion};
use crate::outcome::{Cause, Failure};
use crate::trace::{AuthorizerFacts, Trace};
use cache::{AuthCache, CacheEntry, CacheKey};
use result::{AuthorizerResult, ResultError};

pub use super::context::AuthContext;

/// `requestContext.authorizer` of the proxy event: `principalId`, every context key
/// (stringified) and `integrationLatency`. Written straight from the shared context, without
/// building an intermediate JSON map per request.
impl serde::Serialize for AuthContext {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // A JWT authorizer's payload 1.0 block: claims and scopes, nothing else.
        // A Cognito authorizer's: claims alone.
        if let Some(jwt) = &self.jwt {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("claims", &jwt.claims)?;
            if !jwt.cognito {
                m.serialize_entry("scopes", &jwt.scopes)?;
            }
            return m.end();
        }
        let mut m = s.serialize_map(Some(self.context.len() + 2))?;
        if let Some(p) = &self.principal_id {
            m.serialize_entry("principalId", p)?;
        }
        // The two reserved keys win over context keys of the same name.
        for (k, v) in self.context.iter() {
            if k != "principalId" && k != "integrationLatency" {
                m.serialize_entry(k, v)?;
            }
        }
        m.serialize_entry("integrationLatency", &self.integration_latency_ms)?;
        m.end()
    }
}

/// How an authorizer runs; set at start with `--authorizer NAME=MODE`, changed at runtime
/// through the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// As on AWS.
    Normal,
    /// Skipped, as if the route had no authorizer.
    Bypass,
    /// A permissive stand-in that allows everything, with this principal and context.
    Allow {
        /// `principalId` handed to the integration.
        principal_id: String,
        /// `context` handed to the integration.
        context: IndexMap<String, String>,
    },
}

impl Mode {
    /// `normal`, `bypass` or `allow`.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Bypass => "bypass",
            Mode::Allow { .. } => "allow",
        }
    }

    /// Parse a mode name; `allow` gets the default stand-in principal.
    pub fn parse(name: &str) -> Option<Mode> {
        match name {
            "normal" => Some(Mode::Normal),
            "bypass" => Some(Mode::Bypass),
            "allow" => Some(Mode::Allow {
                principal_id: DEFAULT_ALLOW_PRINCIPAL.to_owned(),
                context: IndexMap::new(),
            }),
            _ => None,
        }
    }
}

/// The principal the `allow` stand-in uses unless told otherwise.
pub const DEFAULT_ALLOW_PRINCIPAL: &str = "glassgate-allow";

/// What one authorizer run is about: the request and where it was routed.
pub struct AuthTarget<'a> {
    /// The API of the route.
    pub api: &'a Api,
    /// The matched route's resource path (`/users/{id}`; the request path when no route
    /// matched a test-invoke): it feeds the REQUEST event and `$context.resourcePath`.
    pub resource: &'a str,
    /// The matched route's key (`GET /users/{id}`, `$default`): HTTP APIs' `routeKey`.
    pub route_key: &'a str,
    /// The request path without a named stage's prefix (what the method or route ARN names).
    pub path: &'a str,
    /// The route's `AuthorizationScopes` (JWT authorizers).
    pub scopes: &'a [String],
    /// The authorizer to run.
    pub auth: &'a Authorizer,
    /// The request.
    pub req: &'a GatewayRequest,
    /// Path variables from routing.
    pub path_params: &'a IndexMap<String, String>,
}

/// What the trace says of an authorizer that did not run (bypass and allow modes): which
/// one it is, and that its cache was not consulted.
pub fn stand_in_facts(auth: &Authorizer) -> AuthorizerFacts {
    AuthorizerFacts {
        name: auth.name.clone(),
        kind: auth.kind.type_name(),
        function: auth.function.clone().unwrap_or_default(),
        cache: "not-consulted",
        ..Default::default()
    }
}

/// Per-call switches of the authorizer stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorizeOptions {
    /// Ignore the cache (read and write), as TestInvokeAuthorizer does.
    pub skip_cache: bool,
}

/// Settings of the authorizer stage.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// `--authorizer-cache-ttl`: overrides every authorizer's TTL.
    pub ttl_override: Option<Duration>,
    /// `--jwks ISSUER=PATH_OR_URL`: an issuer's keys without discovery.
    pub jwks: HashMap<String, jwt::jwks::KeySource>,
    /// The credentials `AWS_IAM` routes check signatures against.
    pub iam: Arc<iam::credentials::Credentials>,
}

/// A string-keyed map for per-request lookups of setup data (keys come from the template,
/// not from clients, so hash flooding is not a concern).
type FastMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// One authorizer of one API, ready for requests.
#[derive(Clone)]
struct Prepared {
    /// The id in log lines.
    log_id: String,
    /// The name, shared by every cache key.
    name: Arc<str>,
    /// The API id, shared by every cache key.
    api_id: Arc<str>,
    /// The stage, shared by every cache key.
    stage: Arc<str>,
    /// The compiled `ValidationExpression` of a TOKEN authorizer.
    regex: Option<Regex>,
}

impl Prepared {
    fn new(api: &Api, a: &Authorizer) -> Result<Self, AuthSetupError> {
        let regex = match &a.kind {
            AuthorizerKind::Token {
                validation_expression: Some(expr),
                ..
            } => Some(identity::compile_validation(expr).map_err(|source| {
                AuthSetupError::BadExpression {
                    authorizer: a.name.clone(),
                    expression: expr.clone(),
                    source,
                }
            })?),
            _ => None,
        };
        Ok(Prepared {
            log_id: authorizer_id(&a.name),
            name: Arc::from(a.name.as_str()),
            api_id: Arc::from(api.api_id.as_str()),
            stage: Arc::from(api.stage.as_str()),
            regex,
        })
    }
}

/// The authorizer stage of one server: compiled expressions, the shared cache, modes.
pub struct Authorizers {
    cache: Arc<AuthCache>,
    /// The keys of JWT authorizers' issuers.
    jwks: jwt::jwks::Jwks,
    /// What each authorizer needs per request, computed once: by API logical id, then
    /// authorizer name (nested so a lookup borrows instead of building a key; a fast hasher
    /// because both lookups run on every authorized request).
    prepared: FastMap<FastMap<Prepared>>,
    settings: AuthSettings,
    modes: RwLock<HashMap<String, Mode>>,
    /// Whether any mode was ever set: until then every authorizer is `normal` and the
    /// per-request lookup skips the lock.
    modes_set: AtomicBool,
    region: String,
    account_id: String,
    /// Invocations in flight for identities whose result will be cached.
    flights: flight::Flights,
}

/// An authorizer declaration that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// `ValidationExpression` is not a regex.
    #[error("authorizer {authorizer}: invalid ValidationExpression {expression:?}: {source}")]
    BadExpression {
        /// The authorizer.
        authorizer: String,
        /// The expression.
        expression: String,
        /// Why.
        #[source]
        source: regex::Error,
    },
}

/// A stable 6-character authorizer id for log lines (AWS ids look alike).
pub fn authorizer_id(name: &str) -> String {
    crate::model::api_id_for(&format!("authorizer:{name}"))[..6].to_owned()
}

fn is_out_of_memory(f: &FunctionFailure) -> bool {
    let text = format!("{} {}", f.error_type, f.error_message).to_ascii_lowercase();
    text.contains("memoryerror")
        || text.contains("outofmemory")
        || text.contains("out of memory")
        || text.contains("allocation failed")
        || f.output_tail
            .iter()
            .any(|l| l.to_ascii_lowercase().contains("out of memory"))
}

impl Authorizers {
    /// Prepare the stage for every API.
    ///
    /// # Errors
    /// An authorizer that cannot run (invalid expression).
    pub fn new(
        apis: &[Api],
        region: &str,
        account_id: &str,
        settings: AuthSettings,
        cache: Arc<AuthCache>,
    ) -> Result<Self, AuthSetupError> {
        let mut prepared: FastMap<FastMap<Prepared>> = FastMap::default();
        for api in apis {
            let of_api = prepared.entry(api.logical_id.clone()).or_default();
            for a in api.authorizers.values() {
                of_api.insert(a.name.clone(), Prepared::new(api, a)?);
            }
        }
        Ok(Authorizers {
            cache,
            jwks: jwt::jwks::Jwks::new(settings.jwks.clone()),
            prepared,
            settings,
            modes: RwLock::new(HashMap::new()),
            modes_set: AtomicBool::new(false),
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            flights: flight::Flights::default(),
        })
    }

    /// The prepared form of an authorizer (built on the spot for one that is not part of
    /// the served model, which only a caller outside the pipeline can ask for).
    fn prepared<'a>(
        &'a self,
        api: &Api,
        auth: &Authorizer,
    ) -> Result<std::borrow::Cow<'a, Prepared>, Failure> {
        match self
            .prepared
            .get(&api.logical_id)
            .and_then(|m| m.get(&auth.name))
        {
            Some(p) => Ok(std::borrow::Cow::Borrowed(p)),
            None => Prepared::new(api, auth)
                .map(std::borrow::Cow::Owned)
                .map_err(|e| Failure::new(Cause::AuthorizerError, e.to_string())),
        }
    }

    /// The shared result cache.
    pub fn cache(&self) -> &Arc<AuthCache> {
        &self.cache
    }

    /// The mode of an authorizer.
    pub fn mode(&self, name: &str) -> Mode {
        if !self.modes_set.load(Ordering::Acquire) {
            return Mode::Normal;
        }
        self.modes
            .read()
            .ok()
            .and_then(|m| m.get(name).cloned())
            .unwrap_or(Mode::Normal)
    }

    /// Set the mode of an authorizer.
    pub fn set_mode(&self, name: &str, mode: Mode) {
        if let Ok(mut m) = self.modes.write() {
            m.insert(name.to_owned(), mode);
            self.modes_set.store(true, Ordering::Release);
        }
    }

    /// The TTL in force for an authorizer.
    pub fn ttl(&self, a: &Authorizer) -> Duration {
        self.settings.ttl_override.unwrap_or(a.ttl)
    }

    /// Run the authorizer of `route` for `req`.
    ///
    /// # Errors
    /// A [`Failure`] of layer `authorizer` (401, 403 or 500 for the client).
    pub async fn authorize(
        &self,
        lambda: &LambdaService,
        target: &AuthTarget<'_>,
        redactor: &mut Redactor,
        opts: AuthorizeOptions,
        trace: &mut Trace,
    ) -> Result<AuthContext, Failure> {
        let AuthTarget {
            api,
            auth,
            req,
            path,
            ..
        } = *target;
        let began = Instant::now();
        let ttl = if opts.skip_cache {
            Duration::ZERO
        } else {
            self.ttl(auth)
        };
        let method_arn: Arc<str> = Arc::from(event::method_arn(
            &self.region,
            &self.account_id,
            &api.api_id,
            &api.stage,
            &req.method,
            path,
        ));
        let mut facts = AuthorizerFacts {
            name: auth.name.clone(),
            kind: auth.kind.type_name(),
            function: auth.function.clone().unwrap_or_default(),
            mode: "normal",
            method_arn: method_arn.clone(),
            ttl_s: ttl.as_secs(),
            // `miss` only once the cache is really looked up: an identity 401 never gets there.
            cache: if ttl.is_zero() {
                "disabled"
            } else {
                "not-consulted"
            },
            ..AuthorizerFacts::default()
        };
        let outcome = match &auth.kind {
            AuthorizerKind::Jwt {
                issuer,
                audience,
                identity_source,
            } => {
                facts.cache = "disabled";
                facts.ttl_s = 0;
                self.run_jwt(
                    target,
                    issuer,
                    audience,
                    identity_source,
                    redactor,
                    trace,
                    &mut facts,
                )
                .await
            }
            AuthorizerKind::CognitoUserPools {
                issuers,
                header,
                validation_expression,
            } => {
                facts.cache = "disabled";
                facts.ttl_s = 0;
                self.run_cognito(
                    target,
                    issuers,
                    header,
                    validation_expression.as_deref(),
                    redactor,
                    trace,
                    &mut facts,
                )
                .await
            }
            AuthorizerKind::Iam => {
                facts.cache = "disabled";
                facts.ttl_s = 0;
                self.run_iam(target, redactor, trace, &mut facts)
            }
            _ => {
                self.run(
                    lambda,
                    target,
                    ttl,
                    &method_arn,
                    redactor,
                    trace,
                    &mut facts,
                )
                .await
            }
        };
        facts.latency_ms = began.elapsed().as_secs_f64() * 1000.0;
        trace.authorizer = Some(facts);
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        &self,
        lambda: &LambdaService,
        target: &AuthTarget<'_>,
        ttl: Duration,
        method_arn: &Arc<str>,
        redactor: &mut Redactor,
        trace: &mut Trace,
        facts: &mut AuthorizerFacts,
    ) -> Result<AuthContext, Failure> {
        let AuthTarget {
            api,
            resource,
            route_key,
            auth,
            req,
            ..
        } = *target;
        let flavor = api.flavor.kind();
        let prepared = self.prepared(api, auth)?;
        let Some(function) = auth.function.as_deref() else {
            return Err(Failure::new(
                Cause::AuthorizerError,
                format!("authorizer {} has no function to invoke", auth.name),
            ));
        };
        // Hot on every authorized request: plain concatenation, not `format!`.
        trace.log(
            [
                "Starting authorizer: ",
                &prepared.log_id,
                " for request: ",
                &req.request_id,
            ]
            .concat(),
        );
        let caching = !ttl.is_zero();
        let context_facts = identity::ContextFacts {
            kind: flavor,
            resource_path: resource,
            route_key,
            stage: &api.stage,
            api_id: &api.api_id,
            account_id: &self.account_id,
        };
        let ident = match identity::extract(
            &auth.kind,
            prepared.regex.as_ref(),
            caching,
            req,
            &api.stage_variables,
            &context_facts,
        ) {
            Ok(i) => i,
            Err(e) => {
                let cause = match e {
                    identity::IdentityError::Missing { .. } => Cause::IdentityMissing,
                    identity::IdentityError::Invalid { .. } => Cause::IdentityInvalid,
                };
                return Err(Failure::new(
                    cause,
                    format!(
                        "{e}, so API Gateway answers 401 without invoking authorizer {}",
                        auth.name
                    ),
                ));
            }
        };
        for v in &ident.values {
            redactor.add(v);
        }
        facts.identity = ident.values.iter().map(|v| mask(v)).collect();
        trace.log(["Incoming identity: ", &facts.identity.join(", ")].concat());

        let key = CacheKey {
            api_id: prepared.api_id.clone(),
            stage: prepared.stage.clone(),
            authorizer: prepared.name.clone(),
            identity: ident.values,
        };
        if caching {
            facts.cache = "miss";
            facts.cache_entry = Some(key.entry_id());
            if let Some(entry) = self.cache.get(&key) {
                facts.cache = "hit";
                facts.cache_age_s = Some(entry.age().as_secs_f64());
                facts.cached_for_method_arn = Some(entry.method_arn.clone());
                return self.decide(
                    &entry.result,
                    method_arn,
                    Some(&*entry.method_arn),
                    0,
                    trace,
                    facts,
                );
            }
        }

        // One invocation per identity at a time while its result is to be cached.
        let role = caching.then(|| self.flights.join(&key));
        if let Some(flight::Role::Follower(f)) = &role {
            trace.log(
                "glassgate: another request is invoking the authorizer for this identity; waiting for its result",
            );
            facts.cache = "shared";
            let parsed = f.wait().await?;
            return self.decide(&parsed, method_arn, None, 0, trace, facts);
        }
        let invoked = self
            .invoke_function(
                lambda, target, method_arn, &prepared, function, &key, redactor, trace, facts,
            )
            .await;
        let leader = match role {
            Some(flight::Role::Leader(l)) => Some(l),
            _ => None,
        };
        let (parsed, latency) = match invoked {
            Ok(v) => v,
            Err(f) => {
                if let Some(l) = leader {
                    l.finish(Err(f.clone()));
                }
                return Err(f);
            }
        };
        if caching {
            self.cache.insert(
                key,
                CacheEntry {
                    result: parsed.clone(),
                    method_arn: method_arn.clone(),
                    inserted: tokio::time::Instant::now(),
                    ttl,
                },
            );
        }
        if let Some(l) = leader {
            l.finish(Ok(parsed.clone()));
        }
        self.decide(&parsed, method_arn, None, latency, trace, facts)
    }

    /// Invoke an authorizer function with its event and parse its result.
    #[allow(clippy::too_many_arguments)]
    async fn invoke_function(
        &self,
        lambda: &LambdaService,
        target: &AuthTarget<'_>,
        method_arn: &Arc<str>,
        prepared: &Prepared,
        function: &str,
        key: &CacheKey,
        redactor: &mut Redactor,
        trace: &mut Trace,
        facts: &mut AuthorizerFacts,
    ) -> Result<(Arc<result::AuthorizerResult>, u64), Failure> {
        let AuthTarget {
            api,
            resource,
            route_key,
            auth,
            req,
            path_params,
            ..
        } = *target;
        let flavor = api.flavor.kind();
        // Invoke the authorizer function.
        let rest_ctx = EventContext {
            resource,
            path_params,
            stage: &api.stage,
            stage_variables: &api.stage_variables,
            api_id: &api.api_id,
            account_id: &self.account_id,
            authorizer: None,
            http_route_key: (flavor == ApiKind::Http).then_some(route_key),
        };
        let (payload_version, simple) = match &auth.kind {
            AuthorizerKind::Token { .. }
            | AuthorizerKind::Jwt { .. }
            | AuthorizerKind::CognitoUserPools { .. }
            | AuthorizerKind::Iam => (PayloadVersion::V1, false),
            AuthorizerKind::Request {
                payload,
                simple_responses,
                ..
            } => (*payload, *simple_responses),
        };
        let payload = match (&auth.kind, flavor, payload_version) {
            // `authorize` runs these in `run_jwt`, `run_cognito` and `run_iam`; nothing to invoke.
            (
                AuthorizerKind::Jwt { .. }
                | AuthorizerKind::CognitoUserPools { .. }
                | AuthorizerKind::Iam,
                ..,
            ) => {
                return Err(Failure::new(
                    Cause::AuthorizerError,
                    format!(
                        "authorizer {} is a {} authorizer, not a function",
                        auth.name,
                        auth.kind.type_name()
                    ),
                ));
            }
            (AuthorizerKind::Token { .. }, ..) => {
                event::token_event(method_arn, key.identity.first().map_or("", String::as_str))
            }
            (AuthorizerKind::Request { .. }, ApiKind::Rest, _) => {
                event::request_event(req, &rest_ctx, method_arn)
            }
            (AuthorizerKind::Request { .. }, ApiKind::Http, PayloadVersion::V1) => {
                event::http_v1_request_event(req, &rest_ctx, method_arn, &key.identity)
            }
            (AuthorizerKind::Request { .. }, ApiKind::Http, PayloadVersion::V2) => {
                crate::pipeline::payload::v2::authorizer_event(
                    req,
                    &crate::pipeline::payload::v2::EventContext {
                        route_key,
                        path_params,
                        stage: &api.stage,
                        stage_variables: &api.stage_variables,
                        api_id: &api.api_id,
                        account_id: &self.account_id,
                        authorizer: None,
                    },
                    method_arn,
                    &key.identity,
                )
            }
        };
        let function_arn = lambda.function_arn(function).unwrap_or_default().to_owned();
        let uri = format!(
            "https://lambda.{}.amazonaws.com/2015-03-31/functions/{function_arn}/invocations",
            self.region
        );
        trace.log(format!("Endpoint request URI: {uri}"));
        trace.log(format!(
            "Endpoint request headers: {{x-amzn-lambda-integration-tag={}, Accept=application/json, User-Agent=AmazonAPIGateway_{}, X-Amz-Source-Arn=arn:aws:execute-api:{}:{}:{}/authorizers/{}, x-amzn-apigateway-api-id={}}}",
            req.request_id,
            api.api_id,
            self.region,
            self.account_id,
            api.api_id,
            prepared.log_id,
            api.api_id
        ));
        trace.log(format!(
            "Endpoint request body after transformations: {}",
            truncate_for_log(&redactor.apply(&String::from_utf8_lossy(&payload)))
        ));
        trace.log(format!("Sending request to {uri}"));
        let began = Instant::now();
        let payload = Bytes::from(payload);
        let kept = crate::trace::KeptBody::keep(&payload);
        let rx = lambda
            .invoke(
                function,
                payload,
                &crate::pipeline::request::trace_root(&req.request_id, req.received_at),
            )
            .map_err(|e| match e {
                crate::lambda::LambdaError::NotRunnable { .. } => {
                    Failure::new(Cause::AuthorizerRuntimeUnsupported, e.to_string())
                }
                e => Failure::new(Cause::AuthorizerError, e.to_string()),
            })?;
        let Ok(report) = rx.await else {
            return Err(Failure::new(
                Cause::AuthorizerCrash,
                "the authorizer invocation was abandoned (the server is shutting down)",
            ));
        };
        let latency = began.elapsed().as_millis() as u64;
        let mut invoked = invocation_facts(function, &report);
        invoked.event = Some(kept);
        facts.invocation = Some(invoked);
        let payload = match report.outcome {
            InvokeOutcome::Success(p) => p,
            InvokeOutcome::Failure(f) => {
                return Err(self.function_failure(lambda, auth, &f, trace));
            }
        };
        let text = String::from_utf8_lossy(&payload).into_owned();
        facts.raw_result = Some(truncate_for_log(&text));
        trace.log(format!("Authorizer result body before parsing: {text}"));
        let parsed = if simple {
            result::parse_simple(&payload)
        } else {
            result::parse(&payload)
        };
        let parsed = match parsed {
            Ok(r) => Arc::new(r),
            Err(e) => {
                trace.log(format!(
                    "Execution failed due to configuration error: Invalid JSON in response: {e}"
                ));
                trace.log("AuthorizerConfigurationException");
                let cause = match e {
                    ResultError::InvalidContext(_) => Cause::AuthorizerInvalidContext,
                    ResultError::Malformed(_) | ResultError::TooLarge(_) => {
                        Cause::AuthorizerMalformedResponse
                    }
                };
                return Err(Failure::new(
                    cause,
                    format!("authorizer {} returned an invalid result: {e}", auth.name),
                ));
            }
        };
        if parsed.is_authorized.is_none() {
            trace.log(format!(
                "Using valid authorizer policy for principal: {}",
                mask(parsed.principal_id.as_deref().unwrap_or(""))
            ));
        }
        trace.log("Successfully completed authorizer execution");
        Ok((parsed, latency))
    }

    /// A JWT authorizer: the gateway checks the token, no function runs.
    #[allow(clippy::too_many_arguments)]
    async fn run_jwt(
        &self,
        target: &AuthTarget<'_>,
        issuer: &str,
        audience: &[String],
        source: &crate::model::IdentitySource,
        redactor: &mut Redactor,
        trace: &mut Trace,
        facts: &mut AuthorizerFacts,
    ) -> Result<AuthContext, Failure> {
        let AuthTarget {
            req, auth, scopes, ..
        } = *target;
        let value = identity::source_value(source, req).unwrap_or_default();
        if value.is_empty() {
            return Err(Failure {
                www_authenticate: Some("Bearer".into()),
                ..Failure::new(
                    Cause::IdentityMissing,
                    format!(
                        "identity source {} is missing or empty, so API Gateway answers 401 without checking a token (JWT authorizer {})",
                        source.spelled(crate::model::ApiKind::Http),
                        auth.name
                    ),
                )
            });
        }
        redactor.add(&value);
        facts.identity = vec![mask(&value)];
        if self.jwks.source(issuer) == jwt::jwks::KeySource::Dev {
            facts.mode = "dev-issuer";
        }
        trace.log(format!(
            "glassgate: JWT authorizer {} checking a token against issuer {issuer}",
            auth.name
        ));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match jwt::verify(&value, issuer, audience, scopes, &self.jwks, now).await {
            Ok(v) => {
                facts.decision = Some("allow");
                facts.principal_id = v.claims.get("sub").cloned();
                Ok(AuthContext::from_token(super::context::JwtClaims {
                    claims: v.claims,
                    scopes: v.scopes,
                    cognito: false,
                }))
            }
            Err(f) => {
                facts.decision = Some("deny");
                Err(Failure {
                    www_authenticate: Some(f.www_authenticate(scopes).into()),
                    ..Failure::new(
                        f.cause(),
                        format!("JWT authorizer {}: {}", auth.name, f.detail()),
                    )
                })
            }
        }
    }

    /// `AWS_IAM` authorization: the gateway checks the request's SigV4 signature against the
    /// known credentials; no function runs and no IAM policy is evaluated.
    fn run_iam(
        &self,
        target: &AuthTarget<'_>,
        redactor: &mut Redactor,
        trace: &mut Trace,
        facts: &mut AuthorizerFacts,
    ) -> Result<AuthContext, Failure> {
        let req = target.req;
        if let Some(h) = req.header("authorization").filter(|h| !h.is_empty()) {
            redactor.add(h);
        }
        trace.log(format!(
            "glassgate: AWS_IAM authorization checking the request's SigV4 signature against {} known access key(s) ({})",
            self.settings.iam.len(),
            self.settings.iam.looked_in
        ));
        let now = time::OffsetDateTime::now_utc();
        match iam::verify(req, &self.settings.iam, &self.region, now) {
            Ok(caller) => {
                facts.decision = Some("allow");
                facts.identity = vec![caller.access_key.clone()];
                facts.principal_id = caller.user_arn.clone();
                Ok(AuthContext {
                    principal_id: None,
                    context: Arc::default(),
                    integration_latency_ms: 0,
                    json_context: None,
                    jwt: None,
                    iam: Some(caller),
                })
            }
            Err(r) => {
                facts.decision = Some("deny");
                Err(Failure {
                    message: Some(r.message.into()),
                    ..Failure::new(r.cause, format!("AWS_IAM authorization: {}", r.detail))
                })
            }
        }
    }

    /// A REST Cognito user pool authorizer: the gateway checks the token, no function runs.
    #[allow(clippy::too_many_arguments)]
    async fn run_cognito(
        &self,
        target: &AuthTarget<'_>,
        issuers: &[String],
        header: &str,
        validation: Option<&str>,
        redactor: &mut Redactor,
        trace: &mut Trace,
        facts: &mut AuthorizerFacts,
    ) -> Result<AuthContext, Failure> {
        let AuthTarget {
            req, auth, scopes, ..
        } = *target;
        let value = req.header(header).unwrap_or_default().to_owned();
        if value.is_empty() {
            return Err(Failure::new(
                Cause::IdentityMissing,
                format!(
                    "header {header} is missing or empty, so API Gateway answers 401 without checking a token (Cognito user pool authorizer {})",
                    auth.name
                ),
            ));
        }
        redactor.add(&value);
        facts.identity = vec![mask(&value)];
        if issuers
            .iter()
            .any(|i| self.jwks.source(i) == jwt::jwks::KeySource::Dev)
        {
            facts.mode = "dev-issuer";
        }
        trace.log(format!(
            "glassgate: Cognito user pool authorizer {} checking a token against {}",
            auth.name,
            issuers.join(", ")
        ));
        // Checked at load time; a pattern that fails here refuses every token.
        let pattern = match validation.map(Regex::new) {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                return Err(Failure::new(
                    Cause::JwtWrongAudience,
                    format!("IdentityValidationExpression does not compile: {e}"),
                ));
            }
            None => None,
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match jwt::cognito::verify(&value, issuers, pattern.as_ref(), scopes, &self.jwks, now).await
        {
            Ok(v) => {
                facts.decision = Some("allow");
                facts.principal_id = v.claims.get("sub").cloned();
                Ok(AuthContext::from_token(super::context::JwtClaims {
                    claims: v.claims,
                    scopes: None,
                    cognito: true,
                }))
            }
            Err(f) => {
                facts.decision = Some("deny");
                Err(Failure::new(
                    f.cause(),
                    format!("Cognito user pool authorizer {}: {}", auth.name, f.detail()),
                ))
            }
        }
    }

    fn function_failure(
        &self,
        lambda: &LambdaService,
        auth: &Authorizer,
        f: &FunctionFailure,
        trace: &mut Trace,
    ) -> Failure {
        if f.kind == FailureKind::Handled && f.error_message == "Unauthorized" {
            return Failure::new(
                Cause::AuthorizerUnauthorized,
                format!(
                    "authorizer {} failed with the error message \"Unauthorized\", which API Gateway answers with 401",
                    auth.name
                ),
            );
        }
        trace.log("Execution failed due to configuration error: Authorizer error");
        trace.log("AuthorizerConfigurationException");
        let (cause, what) = match f.kind {
            FailureKind::Handled if is_out_of_memory(f) => (
                Cause::AuthorizerOutOfMemory,
                format!("ran out of memory ({}: {})", f.error_type, f.error_message),
            ),
            FailureKind::Handled => (
                Cause::AuthorizerError,
                format!("raised {}: {}", f.error_type, f.error_message),
            ),
            FailureKind::Timeout => (
                Cause::AuthorizerTimeout,
                format!("ran past its function Timeout ({})", f.error_message),
            ),
            FailureKind::Crash if is_out_of_memory(f) => (
                Cause::AuthorizerOutOfMemory,
                format!(
                    "ran out of memory and exited ({})",
                    f.exit.as_deref().unwrap_or("unknown")
                ),
            ),
            FailureKind::Crash => (
                Cause::AuthorizerCrash,
                format!(
                    "process exited during the invocation ({})",
                    f.exit.as_deref().unwrap_or("unknown")
                ),
            ),
            FailureKind::Init | FailureKind::InitTimeout | FailureKind::Spawn => (
                Cause::AuthorizerError,
                format!(
                    "failed to initialise: {}: {}{}",
                    f.error_type,
                    f.error_message,
                    auth.function
                        .as_deref()
                        .map(|func| super::integrate::init_hint(lambda, func, &f.error_message))
                        .unwrap_or_default()
                ),
            ),
        };
        Failure::new(cause, format!("authorizer {} {what}", auth.name))
    }

    fn decide(
        &self,
        result: &AuthorizerResult,
        method_arn: &str,
        cached_for: Option<&str>,
        latency_ms: u64,
        trace: &mut Trace,
        facts: &mut AuthorizerFacts,
    ) -> Result<AuthContext, Failure> {
        facts.principal_id.clone_from(&result.principal_id);
        facts.policy = result.summary.clone();
        facts.statements = result.statements.clone();
        let ctx = AuthContext {
            principal_id: result.principal_id.clone(),
            context: result.context_strings.clone(),
            integration_latency_ms: latency_ms,
            json_context: Some(result.context_json.clone()),
            jwt: None,
            iam: None,
        };
        if let Some(allowed) = result.is_authorized {
            facts.decision = Some(if allowed { "allow" } else { "simple-deny" });
            if allowed {
                return Ok(ctx);
            }
            let detail = match cached_for {
                Some(built_for) if built_for != method_arn => format!(
                    "the cached simple response (isAuthorized false, returned for {built_for}) denies {method_arn}"
                ),
                Some(_) => {
                    format!("the cached simple response says isAuthorized false for {method_arn}")
                }
                None => format!("the simple response says isAuthorized false for {method_arn}"),
            };
            return Err(Failure {
                authorizer_context: Some(Box::new(ctx.template_values())),
                ..Failure::new(Cause::AuthorizerDenied, detail)
            });
        }
        let decision = policy::evaluate(&result.statements, method_arn);
        facts.decision = Some(match decision {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit-deny",
            Decision::ImplicitDeny => "implicit-deny",
        });
        let principal = result.principal_id.as_deref().unwrap_or("(none)");
        let failure = match decision {
            Decision::Allow => return Ok(ctx),
            Decision::ExplicitDeny => Failure::new(
                Cause::PolicyExplicitDeny,
                format!("the policy for principal {principal} explicitly denies {method_arn}"),
            ),
            Decision::ImplicitDeny => match cached_for {
                Some(built_for) if built_for != method_arn => Failure::new(
                    Cause::CachedPolicyNotCovered,
                    format!(
                        "the cached policy for principal {principal} was built for {built_for} and does not cover {method_arn}"
                    ),
                ),
                _ => Failure::new(
                    Cause::PolicyNotCovered,
                    format!("the policy for principal {principal} does not allow {method_arn}"),
                ),
            },
        };
        trace.log("The client is not authorized to perform this operation.");
        Err(Failure {
            authorizer_context: Some(Box::new(ctx.template_values())),
            ..failure
        })
    }
}
