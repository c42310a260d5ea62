//! Lambda authorizers and gateway responses: SAM `Auth` and `GatewayResponses` of APIs (and
//! `Globals.Api`), `Auth` of `Api` events, and settling which authorizer guards each route once
//! every API is read.
//!
//! The rule throughout is that a route is never served open because of something we could not
//! understand: an authorizer whose function or user pool cannot be found, an IAM authorizer, or a
//! route naming an authorizer that does not exist is an error, not a warning.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{Builder, IMPLICIT_API, PendingRoute, Prop, RouteAuth};
use crate::model::{Authorizer, AuthorizerKind, Flavor, GatewayResponseSpec, IdentitySource};
use crate::template::{Reported, child, describe, index};

/// API Gateway's gateway response types (REST).
pub(super) const RESPONSE_TYPES: &[&str] = &[
    "ACCESS_DENIED",
    "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS",
    "BAD_REQUEST_BODY",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
    "INVALID_API_KEY",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "QUOTA_EXCEEDED",
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "THROTTLED",
    "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE",
    "WAF_FILTERED",
];

/// API Gateway's default authorizer result TTL.
pub(super) const DEFAULT_TTL_SECONDS: u64 = 300;

/// The TTL bounds, with the text of [`Builder::whole_number`]'s range error.
pub(super) const TTL_RANGE: std::ops::RangeInclusive<u64> = 0..=3600;

/// What an API knows about authorization and gateway responses.
#[derive(Debug, Default)]
pub(super) struct ApiAuth {
    /// `DefaultAuthorizer`, already checked to name one of `authorizers` or `broken`.
    pub default: Option<String>,
    /// `AddDefaultAuthorizerToCorsPreflight: false`: `OPTIONS` routes do not get the default.
    /// (Stored negated so that `Default` gives SAM's default, true.)
    pub preflight_open: bool,
    pub authorizers: IndexMap<String, Authorizer>,
    /// Declared but invalid (already reported): routes naming them add no error of their own.
    pub broken: HashSet<String>,
    /// A JWT or Cognito authorizer's own `AuthorizationScopes`: what routes using it without
    /// scopes of their own require.
    pub default_scopes: HashMap<String, Vec<String>>,
    pub gateway_responses: IndexMap<String, GatewayResponseSpec>,
}

/// What the `Auth` layers of an API declare, before each flavour reads its authorizers.
#[derive(Default)]
pub(super) struct AuthLayers {
    /// `DefaultAuthorizer` and where it was written.
    pub default: Option<(String, String)>,
    /// `Authorizers`: each entry and where it was written.
    pub declared: IndexMap<String, (Value, String)>,
}

impl ApiAuth {
    fn declared(&self) -> String {
        let names: Vec<&str> = self
            .authorizers
            .keys()
            .map(String::as_str)
            // SAM's keyword, not a declared authorizer.
            .filter(|n| *n != Authorizer::IAM)
            .chain(self.broken.iter().map(String::as_str))
            .collect();
        if names.is_empty() {
            "it declares no authorizers".to_owned()
        } else {
            format!("it declares {}", names.join(", "))
        }
    }

    fn knows(&self, name: &str) -> bool {
        self.authorizers.contains_key(name) || self.broken.contains(name)
    }
}

impl Builder<'_> {
    /// Auth and GatewayResponses of the implicit API, which only `Globals.Api` can set.
    pub(super) fn implicit_api_auth(&mut self) -> ApiAuth {
        let layers = self.globals_api.clone();
        let pick = |name: &str| -> Vec<Prop<'_>> {
            layers
                .iter()
                .filter(|(k, _)| *k == name)
                .map(|(k, value)| Prop {
                    value,
                    loc: child("Globals.Api", k),
                })
                .collect()
        };
        let auth_layers = pick("Auth");
        let response_layers = pick("GatewayResponses");
        let mut auth = self.sam_auth(IMPLICIT_API, &auth_layers);
        auth.gateway_responses = self.sam_gateway_responses(&response_layers);
        auth
    }

    /// SAM `Auth` of an API: `layers` are `Globals.Api.Auth` then the API's own, later keys
    /// winning (and later authorizers replacing earlier ones of the same name).
    pub(super) fn sam_auth(&mut self, api: &str, layers: &[Prop<'_>]) -> ApiAuth {
        let mut auth = ApiAuth::default();
        let read = self.auth_layers(layers, "Auth", &mut auth, |b, auth, key, prop| {
            match key {
                "AddDefaultAuthorizerToCorsPreflight" => {
                    if let Ok(Some(v)) = b.boolean(prop) {
                        auth.preflight_open = !v;
                    }
                }
                "ApiKeyRequired" | "ResourcePolicy" | "UsagePlan" | "InvokeRole" => {
                    b.r.diags.warn(&prop.loc, not_emulated(key));
                }
                _ => return false,
            }
            true
        });
        for (name, (value, loc)) in read.declared {
            let cognito = value.get("UserPoolArn").is_some();
            let read = if cognito {
                self.mapping(&value, &loc)
                    .and_then(|props| self.sam_cognito_authorizer(&name, &props, &loc))
            } else {
                self.sam_authorizer(&name, &value, &loc)
                    .map(|a| (a, Vec::new()))
            };
            match read {
                Ok((a, scopes)) => {
                    if !scopes.is_empty() {
                        auth.default_scopes.insert(name.clone(), scopes);
                    }
                    auth.authorizers.insert(name, a);
                }
                Err(Reported) => {
                    auth.broken.insert(name);
                }
            }
        }
        self.settle_default_authorizer(&mut auth, read.default, &format!("API {api}"));
        auth
    }

    /// Walk an API's `Auth` layers (later keys win; later authorizers replace earlier ones of
    /// the same name): `DefaultAuthorizer` and `Authorizers` are gathered here for each
    /// flavour to read; any other key goes to `other`, which returns false for one it does
    /// not know (named in a warning as a property of `what` glassgate does not support).
    pub(super) fn auth_layers(
        &mut self,
        layers: &[Prop<'_>],
        what: &str,
        auth: &mut ApiAuth,
        mut other: impl FnMut(&mut Self, &mut ApiAuth, &str, &Prop<'_>) -> bool,
    ) -> AuthLayers {
        let mut out = AuthLayers::default();
        for layer in layers {
            let Ok(entries) = self.mapping(layer.value, &layer.loc) else {
                continue;
            };
            for (key, value) in &entries {
                let prop = Prop {
                    value,
                    loc: child(&layer.loc, key),
                };
                match key.as_str() {
                    "DefaultAuthorizer" => {
                        if let Ok(Some(name)) = self.string(&prop) {
                            out.default = Some((name, prop.loc));
                        }
                    }
                    "Authorizers" => {
                        let Ok(named) = self.mapping(value, &prop.loc) else {
                            continue;
                        };
                        for (name, v) in named {
                            let loc = child(&prop.loc, &name);
                            out.declared.insert(name, (v, loc));
                        }
                    }
                    _ => {
                        if !other(self, auth, key, &prop) {
                            self.r.diags.warn(
                                &prop.loc,
                                format!(
                                    "property {key} of {what} is not supported by glassgate; ignored"
                                ),
                            );
                        }
                    }
                }
            }
        }
        out
    }

    /// `DefaultAuthorizer` (with where it was written), once `auth` holds what the API
    /// declares: SAM's `AWS_IAM` keyword needs no declaration; any other name must be
    /// declared, or it is an error (a route is never served open for want of its authorizer).
    pub(super) fn settle_default_authorizer(
        &mut self,
        auth: &mut ApiAuth,
        default: Option<(String, String)>,
        api: &str,
    ) {
        let Some((name, loc)) = default else {
            return;
        };
        if name == Authorizer::IAM {
            auth.authorizers
                .entry(name.clone())
                .or_insert_with(|| Authorizer::iam(&name, loc));
            auth.default = Some(name);
        } else if auth.knows(&name) {
            auth.default = Some(name);
        } else {
            self.r.diags.error(
                &loc,
                format!(
                    "DefaultAuthorizer {name} names no authorizer of {api} ({}, under Auth.Authorizers)",
                    auth.declared()
                ),
            );
        }
    }

    /// One entry of SAM `Auth.Authorizers`.
    fn sam_authorizer(
        &mut self,
        name: &str,
        value: &Value,
        loc: &str,
    ) -> Result<Authorizer, Reported> {
        let props = self.mapping(value, loc)?;
        if props.contains_key("JwtConfiguration") {
            return Err(self.r.diags.error(
                loc,
                format!(
                    "authorizer {name} has a JwtConfiguration, which only HTTP APIs (AWS::Serverless::HttpApi) take; a REST API's authorizers have FunctionArn (Lambda) or UserPoolArn (Cognito)"
                ),
            ));
        }
        let mut function: Option<(String, String)> = None;
        let mut request = false;
        let mut identity: Option<(Value, String)> = None;
        let mut failed = false;
        for (key, v) in &props {
            let prop = Prop {
                value: v,
                loc: child(loc, key),
            };
            match key.as_str() {
                "FunctionArn" => match self.string(&prop) {
                    Ok(Some(s)) => function = Some((s, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "FunctionPayloadType" => match self.checked_string(&prop, |t| match t {
                    "TOKEN" | "REQUEST" => Ok(()),
                    _ => Err(format!(
                        "FunctionPayloadType must be TOKEN or REQUEST, got {t:?}"
                    )),
                }) {
                    Ok(Some(t)) => request = t == "REQUEST",
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "Identity" => identity = Some((v.clone(), prop.loc)),
                // The role API Gateway assumes to call the function: nothing to emulate locally.
                "FunctionInvokeRole" => {}
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "property {key} of Lambda authorizers is not supported by glassgate; ignored"
                    ),
                ),
            }
        }
        let function =
            self.sam_authorizer_function(name, function, props.contains_key("FunctionArn"), loc);
        let kind = self.sam_identity(name, loc, request, identity.as_ref());
        let (function, (kind, ttl)) = (function?, kind?);
        if failed {
            return Err(Reported);
        }
        Ok(Authorizer {
            name: name.to_owned(),
            function: Some(function),
            kind,
            ttl,
            source: loc.to_owned(),
        })
    }

    /// SAM `Identity` of a TOKEN (`request` false) or REQUEST authorizer.
    fn sam_identity(
        &mut self,
        name: &str,
        auth_loc: &str,
        request: bool,
        identity: Option<&(Value, String)>,
    ) -> Result<(AuthorizerKind, Duration), Reported> {
        let mut header = "Authorization".to_owned();
        let mut validation = None;
        let mut ttl = DEFAULT_TTL_SECONDS;
        // Headers, QueryStrings, StageVariables, Context: the order SAM writes them in.
        let mut sources: [Vec<IdentitySource>; 4] = Default::default();
        let mut failed = false;
        if let Some((value, identity_loc)) = identity {
            let entries = self.mapping(value, identity_loc)?;
            for (key, v) in &entries {
                let prop = Prop {
                    value: v,
                    loc: child(identity_loc, key),
                };
                let (for_request, slot, make): (bool, usize, fn(String) -> IdentitySource) =
                    match key.as_str() {
                        "ReauthorizeEvery" => {
                            match self.whole_number(
                                &prop,
                                TTL_RANGE,
                                "ReauthorizeEvery must be between 0 and 3600 seconds",
                            ) {
                                Ok(Some(n)) => ttl = n,
                                Ok(None) => {}
                                Err(Reported) => failed = true,
                            }
                            continue;
                        }
                        "Header" | "ValidationExpression" if request => {
                            self.r.diags.warn(&prop.loc, wrong_kind(key, name, "TOKEN"));
                            continue;
                        }
                        "Header" => {
                            let check = |h: &str| {
                                if is_name(h) {
                                    Ok(())
                                } else {
                                    Err(format!("expected a header name, got {h:?}"))
                                }
                            };
                            match self.checked_string(&prop, check) {
                                Ok(Some(h)) => header = h,
                                Ok(None) => {}
                                Err(Reported) => failed = true,
                            }
                            continue;
                        }
                        "ValidationExpression" => {
                            match self.checked_string(&prop, check_regex) {
                                Ok(Some(expr)) => validation = Some(expr),
                                Ok(None) => {}
                                Err(Reported) => failed = true,
                            }
                            continue;
                        }
                        "Headers" => (true, 0, IdentitySource::Header),
                        "QueryStrings" => (true, 1, IdentitySource::Query),
                        "StageVariables" => (true, 2, IdentitySource::StageVariable),
                        "Context" => (true, 3, IdentitySource::Context),
                        _ => {
                            self.r.diags.warn(
                                &prop.loc,
                                format!(
                                    "property {key} of Identity is not supported by glassgate; ignored"
                                ),
                            );
                            continue;
                        }
                    };
                if for_request && !request {
                    self.r
                        .diags
                        .warn(&prop.loc, wrong_kind(key, name, "REQUEST"));
                    continue;
                }
                match self.string_list(&prop) {
                    Ok(names) => sources[slot] = names.into_iter().map(make).collect(),
                    Err(Reported) => failed = true,
                }
            }
        }
        if failed {
            return Err(Reported);
        }
        let ttl_duration = Duration::from_secs(ttl);
        if !request {
            return Ok((
                AuthorizerKind::Token {
                    header,
                    validation_expression: validation,
                },
                ttl_duration,
            ));
        }
        let identity_sources: Vec<IdentitySource> = sources.into_iter().flatten().collect();
        if identity_sources.is_empty() && ttl != 0 {
            let loc = identity.map_or(auth_loc, |(_, l)| l.as_str());
            return Err(self.r.diags.error(
                loc,
                format!(
                    "REQUEST authorizer {name} needs an Identity with at least one of Headers, QueryStrings, StageVariables or Context while its results are cached; add one, or set ReauthorizeEvery: 0"
                ),
            ));
        }
        Ok((AuthorizerKind::rest_request(identity_sources), ttl_duration))
    }

    /// The function of a SAM Lambda authorizer, REST or HTTP API: its `FunctionArn` resolved,
    /// or the error that it has none (`given` is `None` with `has_key` when the key is there
    /// but did not read, which was reported already).
    pub(super) fn sam_authorizer_function(
        &mut self,
        name: &str,
        given: Option<(String, String)>,
        has_key: bool,
        loc: &str,
    ) -> Result<String, Reported> {
        match given {
            Some((given, fn_loc)) => self.authorizer_function(name, &given, &fn_loc),
            None if has_key => Err(Reported),
            None => Err(self.r.diags.error(
                loc,
                format!(
                    "authorizer {name} has no FunctionArn (e.g. FunctionArn: !GetAtt AuthFunction.Arn)"
                ),
            )),
        }
    }

    /// The logical id of the function an authorizer's `FunctionArn`/`AuthorizerUri` names:
    /// a Lambda ARN, a function name or a logical id.
    pub(super) fn authorizer_function(
        &mut self,
        name: &str,
        given: &str,
        loc: &str,
    ) -> Result<String, Reported> {
        let found = lambda_function_name(given).and_then(|n| self.r.find_function(n));
        found.ok_or_else(|| {
            self.r.diags.error(
                loc,
                format!(
                    "authorizer {name}: no function of this template matches {given:?}, so the routes it guards cannot be authorized (use !GetAtt AuthFunction.Arn)"
                ),
            )
        })
    }

    /// SAM `GatewayResponses`: `layers` are `Globals.Api.GatewayResponses` then the API's own,
    /// a later entry replacing an earlier one of the same type. Invalid entries are reported
    /// and left out.
    pub(super) fn sam_gateway_responses(
        &mut self,
        layers: &[Prop<'_>],
    ) -> IndexMap<String, GatewayResponseSpec> {
        let mut declared: IndexMap<String, (Value, String)> = IndexMap::new();
        for layer in layers {
            let Ok(entries) = self.mapping(layer.value, &layer.loc) else {
                continue;
            };
            for (ty, v) in entries {
                let loc = child(&layer.loc, &ty);
                declared.insert(ty, (v, loc));
            }
        }
        let mut out = IndexMap::new();
        for (ty, (value, loc)) in declared {
            if let Ok(spec) = self.gateway_response(&ty, &value, &loc, ResponseSpelling::Sam) {
                out.insert(ty, spec);
            }
        }
        out
    }

    /// One customised gateway response: its status, templates and header parameters, in SAM's
    /// spelling (`StatusCode`, `ResponseParameters: {Headers: ...}`) or in the OpenAPI
    /// extension's (`statusCode`, `responseParameters: {gatewayresponse.header.X: ...}`).
    pub(super) fn gateway_response(
        &mut self,
        ty: &str,
        value: &Value,
        loc: &str,
        spelling: ResponseSpelling,
    ) -> Result<GatewayResponseSpec, Reported> {
        let type_ok = self.check_response_type(ty, loc);
        let entries = self.mapping(value, loc)?;
        let mut spec = GatewayResponseSpec::default();
        let mut failed = type_ok.is_err();
        let [status, templates, parameters] = match spelling {
            ResponseSpelling::Sam => ["StatusCode", "ResponseTemplates", "ResponseParameters"],
            ResponseSpelling::Extension => {
                ["statusCode", "responseTemplates", "responseParameters"]
            }
        };
        for (key, v) in &entries {
            let prop = Prop {
                value: v,
                loc: child(loc, key),
            };
            let result = match key.as_str() {
                k if k == status => self.response_status(&prop).map(|s| spec.status = s),
                k if k == templates => self.response_templates(&prop).map(|t| spec.templates = t),
                k if k == parameters => match spelling {
                    ResponseSpelling::Sam => self.sam_response_parameters(&prop, &mut spec.headers),
                    ResponseSpelling::Extension => {
                        self.cfn_response_parameters(&prop, &mut spec.headers)
                    }
                },
                _ => {
                    self.r.diags.warn(
                        &prop.loc,
                        format!(
                            "property {key} of gateway responses is not supported by glassgate; ignored"
                        ),
                    );
                    Ok(())
                }
            };
            failed |= result.is_err();
        }
        if failed { Err(Reported) } else { Ok(spec) }
    }

    fn sam_response_parameters(
        &mut self,
        prop: &Prop<'_>,
        headers: &mut IndexMap<String, String>,
    ) -> Result<(), Reported> {
        let entries = self.mapping(prop.value, &prop.loc)?;
        let mut failed = false;
        for (key, v) in &entries {
            let at = child(&prop.loc, key);
            match key.as_str() {
                "Headers" => {
                    let Ok(named) = self.mapping(v, &at) else {
                        failed = true;
                        continue;
                    };
                    for (header, value) in &named {
                        let value_loc = child(&at, header);
                        match self.response_header(header, value, &value_loc) {
                            Ok(text) => {
                                headers.insert(header.clone(), text);
                            }
                            Err(Reported) => failed = true,
                        }
                    }
                }
                "Paths" | "QueryStrings" => self.r.diags.warn(
                    &at,
                    format!(
                        "{key} parameters of gateway responses are not emulated; only Headers are applied"
                    ),
                ),
                _ => self.r.diags.warn(
                    &at,
                    format!(
                        "{key} is not a kind of response parameter (Headers, Paths, QueryStrings); ignored"
                    ),
                ),
            }
        }
        if failed { Err(Reported) } else { Ok(()) }
    }

    /// A gateway response header value, kept as written once checked to be one API Gateway
    /// accepts (it refuses anything else when deploying).
    pub(super) fn response_header(
        &mut self,
        header: &str,
        value: &Value,
        loc: &str,
    ) -> Result<String, Reported> {
        let text = self.string(&Prop {
            value,
            loc: loc.to_owned(),
        })?;
        let Some(text) = text else {
            return Err(self
                .r
                .diags
                .error(loc, "expected a string, got AWS::NoValue"));
        };
        if is_name(header) && is_response_mapping(&text) {
            return Ok(text);
        }
        if !is_name(header) {
            return Err(self
                .r
                .diags
                .error(loc, format!("{header:?} is not a valid header name")));
        }
        Err(self.r.diags.error(
            loc,
            format!(
                "header value {text:?} is neither a quoted static value nor a mapping expression; API Gateway refuses it (write \"'{text}'\" for a static value, or method.request.header.NAME)"
            ),
        ))
    }

    pub(super) fn check_response_type(&mut self, ty: &str, loc: &str) -> Result<(), Reported> {
        if RESPONSE_TYPES.contains(&ty) {
            return Ok(());
        }
        Err(self.r.diags.error(
            loc,
            format!(
                "unknown gateway response type {ty:?}; expected one of {}",
                RESPONSE_TYPES.join(", ")
            ),
        ))
    }

    /// `StatusCode`, a number or numeric text.
    pub(super) fn response_status(&mut self, prop: &Prop<'_>) -> Result<Option<u16>, Reported> {
        let n = self.whole_number(prop, 100..=599, "StatusCode must be between 100 and 599")?;
        Ok(n.and_then(|n| u16::try_from(n).ok()))
    }

    /// `ResponseTemplates`: content type -> template text.
    pub(super) fn response_templates(
        &mut self,
        prop: &Prop<'_>,
    ) -> Result<IndexMap<String, String>, Reported> {
        let entries = self.mapping(prop.value, &prop.loc)?;
        let mut out = IndexMap::new();
        let mut failed = false;
        for (content_type, v) in &entries {
            match self.string(&Prop {
                value: v,
                loc: child(&prop.loc, content_type),
            }) {
                Ok(Some(t)) => {
                    out.insert(content_type.clone(), t);
                }
                Ok(None) => {}
                Err(Reported) => failed = true,
            }
        }
        if failed { Err(Reported) } else { Ok(out) }
    }

    /// SAM `Auth` of an `Api` or `HttpApi` event: an authorizer by name, `NONE`, or (absent)
    /// the API's `DefaultAuthorizer`; and its `AuthorizationScopes` (on REST checked by Cognito
    /// authorizers only; `settle_routes` warns when another kind gets them). `not_emulated`
    /// are the keys the event kind has that glassgate names in a warning (REST's
    /// `ApiKeyRequired`, `ResourcePolicy`, `InvokeRole`); any other key is unknown.
    pub(super) fn event_auth(
        &mut self,
        prop: &Prop<'_>,
        not_emulated_keys: &[&str],
    ) -> Result<(RouteAuth, Vec<String>), Reported> {
        let entries = self.mapping(prop.value, &prop.loc)?;
        let mut auth = RouteAuth::Inherit;
        let mut scopes = Vec::new();
        let mut failed = false;
        for (key, v) in &entries {
            let at = Prop {
                value: v,
                loc: child(&prop.loc, key),
            };
            match key.as_str() {
                "Authorizer" => match self.string(&at) {
                    Ok(Some(name)) if name == "NONE" => auth = RouteAuth::Open,
                    Ok(Some(name)) => {
                        auth = RouteAuth::Named {
                            name,
                            loc: at.loc.clone(),
                        };
                    }
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "AuthorizationScopes" => match self.string_list(&at) {
                    Ok(s) => scopes = s,
                    Err(Reported) => failed = true,
                },
                k if not_emulated_keys.contains(&k) => {
                    self.r.diags.warn(&at.loc, not_emulated(key));
                }
                _ => self.r.diags.warn(
                    &at.loc,
                    format!("property {key} of event Auth is not supported by glassgate; ignored"),
                ),
            }
        }
        if failed {
            Err(Reported)
        } else {
            Ok((auth, scopes))
        }
    }

    /// Attach routes, authorizers and gateway responses to every API, choosing each route's
    /// authorizer. A route whose authorizer cannot be settled is reported and left out.
    pub(super) fn settle_routes(&mut self) {
        let mut apis = std::mem::take(&mut self.apis);
        for api in &mut apis {
            let mut auth = self.api_auth.remove(&api.logical_id).unwrap_or_default();
            let pending = self
                .routes
                .shift_remove(&api.logical_id)
                .unwrap_or_default();
            for PendingRoute {
                mut spec,
                auth: ask,
            } in pending
            {
                spec.authorizer = match ask {
                    RouteAuth::Open => None,
                    // SAM leaves CORS preflight requests open when told to.
                    RouteAuth::Inherit
                        if spec.method() == Some("OPTIONS") && auth.preflight_open =>
                    {
                        None
                    }
                    RouteAuth::Inherit => auth.default.clone(),
                    // `AWS_IAM` is SAM's keyword, not a declared authorizer.
                    RouteAuth::Named { name, loc } if name == Authorizer::IAM => {
                        auth.authorizers
                            .entry(name.clone())
                            .or_insert_with(|| Authorizer::iam(&name, loc));
                        Some(name)
                    }
                    RouteAuth::Named { name, .. } if auth.authorizers.contains_key(&name) => {
                        Some(name)
                    }
                    // Already reported where it was declared.
                    RouteAuth::Named { name, .. } if auth.broken.contains(&name) => continue,
                    RouteAuth::Named { name, loc } => {
                        self.r.diags.error(
                            loc,
                            format!(
                                "authorizer {name} is not an authorizer of API {} ({})",
                                api.logical_id,
                                auth.declared()
                            ),
                        );
                        continue;
                    }
                };
                // A default that was broken is in `broken`, not `authorizers`: the route must
                // not be served open, and the error is already reported.
                if let Some(name) = &spec.authorizer
                    && !auth.authorizers.contains_key(name)
                {
                    continue;
                }
                if spec.scopes.is_empty()
                    && let Some(scopes) = spec
                        .authorizer
                        .as_ref()
                        .and_then(|n| auth.default_scopes.get(n))
                {
                    spec.scopes.clone_from(scopes);
                }
                // API Gateway checks scopes only with a token-checking authorizer (JWT,
                // Cognito); a Lambda authorizer's route, or an open one, ignores them.
                let checks_scopes = spec
                    .authorizer
                    .as_ref()
                    .and_then(|n| auth.authorizers.get(n))
                    .is_some_and(|a| a.kind.is_token_check());
                if !spec.scopes.is_empty() && !checks_scopes {
                    self.r.diags.warn(
                        &spec.source,
                        format!(
                            "route {} has AuthorizationScopes but {}; API Gateway checks scopes only with Cognito and JWT authorizers, so they are ignored",
                            spec.key,
                            match &spec.authorizer {
                                Some(n) if n == Authorizer::IAM => {
                                    "it uses AWS_IAM authorization".to_owned()
                                }
                                Some(n) => format!("its authorizer {n} is a Lambda authorizer"),
                                None => "no authorizer".to_owned(),
                            }
                        ),
                    );
                    spec.scopes.clear();
                }
                api.routes.push(spec);
            }
            api.authorizers = auth.authorizers;
            if let Flavor::Rest { gateway_responses } = &mut api.flavor {
                *gateway_responses = auth.gateway_responses;
            }
        }
        self.apis = apis;
    }

    /// A mapping, evaluated one level deep (`AWS::NoValue` is empty).
    pub(super) fn mapping(
        &mut self,
        value: &Value,
        loc: &str,
    ) -> Result<Map<String, Value>, Reported> {
        match self.r.resolve_shallow(value, loc)? {
            None => Ok(Map::new()),
            Some(node) => match node.get() {
                Value::Object(m) => Ok(m.clone()),
                other => Err(self
                    .r
                    .diags
                    .error(loc, format!("expected a mapping, got {}", describe(other)))),
            },
        }
    }

    /// `true`/`false`, also as text.
    pub(super) fn boolean(&mut self, prop: &Prop<'_>) -> Result<Option<bool>, Reported> {
        match self.r.resolve(prop.value, &prop.loc)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(self.r.diags.error(
                &prop.loc,
                format!("expected true or false, got {}", describe(&other)),
            )),
        }
    }

    /// A list of non-empty names.
    pub(super) fn string_list(&mut self, prop: &Prop<'_>) -> Result<Vec<String>, Reported> {
        let items = match self.r.resolve(prop.value, &prop.loc)? {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(self.r.diags.error(
                    &prop.loc,
                    format!("expected a list of names, got {}", describe(&other)),
                ));
            }
        };
        let mut out = Vec::with_capacity(items.len());
        let mut failed = false;
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) if is_name(s) => out.push(s.clone()),
                other => {
                    let shown = match other {
                        Value::String(s) => format!("{s:?}"),
                        v => describe(v).to_owned(),
                    };
                    self.r
                        .diags
                        .error(index(&prop.loc, i), format!("expected a name, got {shown}"));
                    failed = true;
                }
            }
        }
        if failed { Err(Reported) } else { Ok(out) }
    }
}

/// The function name in a Lambda function ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`,
/// optionally with a `:QUALIFIER`), or the text itself when it is not an ARN (a name or a logical
/// id). `None` for an ARN of anything else. Region and account are not compared: a template
/// that hard-codes its real account should still find its own function locally.
pub(super) fn lambda_function_name(given: &str) -> Option<&str> {
    if !given.starts_with("arn:") {
        return (!given.is_empty()).then_some(given);
    }
    let parts: Vec<&str> = given.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name]
        | ["arn", _, "lambda", _, _, "function", name, _]
            if !name.is_empty() =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// Whether `expr` compiles; the error message quotes it.
pub(super) fn check_regex(expr: &str) -> Result<(), String> {
    regex::Regex::new(expr).map(|_| ()).map_err(|e| {
        // The parser's message spans several lines (pattern, caret, reason); keep the reason.
        let text = e.to_string();
        let reason = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("error: "))
            .map_or_else(|| text.replace('\n', " "), str::to_owned);
        format!("ValidationExpression {expr:?} is not a valid regular expression: {reason}")
    })
}

/// A header or parameter name: no blanks, no separators that would break a mapping.
fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b',')
}

/// What API Gateway accepts as a gateway response parameter value: `'static'` or a mapping
/// from the method request, stage variables or context.
fn is_response_mapping(value: &str) -> bool {
    if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        return true;
    }
    const SOURCES: &[&str] = &[
        "method.request.header.",
        "method.request.querystring.",
        "method.request.path.",
        "stageVariables.",
        "context.",
    ];
    SOURCES
        .iter()
        .any(|p| value.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

fn wrong_kind(key: &str, name: &str, kind: &str) -> String {
    format!(
        "Identity.{key} applies to {kind} authorizers only; authorizer {name} is not one, so it is ignored"
    )
}

fn not_emulated(key: &str) -> String {
    let effect = match key {
        "ApiKeyRequired" => "requests are served without checking an API key",
        "ResourcePolicy" => "requests are not checked against it",
        "UsagePlan" => "requests are not throttled or counted",
        "InvokeRole" => "functions are invoked with the local credentials",
        "AuthorizationScopes" => "scopes are only checked by Cognito authorizers",
        _ => "it is ignored",
    };
    format!("{key} is not emulated; {effect}")
}

/// Where a customised gateway response was read, which decides its field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseSpelling {
    /// SAM `GatewayResponses`.
    Sam,
    /// OpenAPI `x-amazon-apigateway-gateway-responses`.
    Extension,
}
