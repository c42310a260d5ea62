//! SAM `Auth` of HTTP APIs: Lambda authorizers (aws-httpapi-semantics.md §2.1, §8.1).
//!
//! `Auth.Authorizers.NAME` with `FunctionArn`, `AuthorizerPayloadFormatVersion` (required),
//! `EnableSimpleResponses` (2.0 only) and `Identity` (`Headers`, `QueryStrings`,
//! `StageVariables`, `Context`, `ReauthorizeEvery`, omitted = no caching: decision 9.6);
//! `DefaultAuthorizer`; and JWT authorizers (`JwtConfiguration` with `issuer` and `audience`,
//! `IdentitySource`, `AuthorizationScopes` for the routes that use it without scopes of their
//! own). `DefaultAuthorizer: AWS_IAM` names SAM's keyword for SigV4 authorization, which
//! needs no declaration (`pipeline/authorize/iam`).

use std::time::Duration;

use serde_json::Value;

use super::auth::{ApiAuth, TTL_RANGE};
use super::{Builder, Prop};
use crate::model::{Authorizer, AuthorizerKind, IdentitySource, PayloadVersion};
use crate::template::{Reported, child};

impl Builder<'_> {
    /// The authorizers and default authorizer of HTTP API `api` from its `Auth` layers
    /// (`Globals.HttpApi.Auth` first, the API's own last; later keys win).
    pub(super) fn http_api_authorizers(&mut self, api: &str, layers: &[Prop<'_>]) -> ApiAuth {
        let mut auth = ApiAuth::default();
        // `EnableIamAuthorizer` only lets routes name `AWS_IAM`, which glassgate takes anyway.
        let read = self.auth_layers(layers, "HTTP API Auth", &mut auth, |_, _, key, _| {
            key == "EnableIamAuthorizer"
        });
        for (name, (value, loc)) in read.declared {
            match self.http_authorizer(&name, &value, &loc) {
                Ok(a) => {
                    // A JWT authorizer's scopes, for the routes that set none of their own.
                    if let (crate::model::AuthorizerKind::Jwt { .. }, Some(v)) =
                        (&a.kind, value.get("AuthorizationScopes"))
                    {
                        let at = Prop {
                            value: v,
                            loc: child(&loc, "AuthorizationScopes"),
                        };
                        if let Ok(scopes) = self.string_list(&at) {
                            auth.default_scopes.insert(name.clone(), scopes);
                        }
                    }
                    auth.authorizers.insert(name, a);
                }
                Err(Reported) => {
                    auth.broken.insert(name);
                }
            }
        }
        self.settle_default_authorizer(&mut auth, read.default, &format!("HTTP API {api}"));
        auth
    }

    /// One entry of an HTTP API's `Auth.Authorizers`.
    fn http_authorizer(
        &mut self,
        name: &str,
        value: &Value,
        loc: &str,
    ) -> Result<Authorizer, Reported> {
        let props = self.mapping(value, loc)?;
        if props.contains_key("JwtConfiguration") {
            return self.sam_jwt_authorizer(name, &props, loc);
        }
        let mut function: Option<(String, String)> = None;
        let mut payload: Option<PayloadVersion> = None;
        let mut simple: Option<(bool, String)> = None;
        let mut identity: Option<Prop<'_>> = None;
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
                "AuthorizerPayloadFormatVersion" => match self.payload_version(&prop) {
                    Ok(p) => payload = p,
                    Err(Reported) => failed = true,
                },
                "EnableSimpleResponses" => match self.boolean(&prop) {
                    Ok(Some(b)) => simple = Some((b, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => failed = true,
                },
                "Identity" => identity = Some(prop),
                // The role API Gateway assumes, and the permission SAM may add: nothing to
                // emulate locally.
                "FunctionInvokeRole" | "EnableFunctionDefaultPermissions" => {}
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "property {key} of HTTP API Lambda authorizers is not supported by glassgate; ignored"
                    ),
                ),
            }
        }
        let function =
            self.sam_authorizer_function(name, function, props.contains_key("FunctionArn"), loc);
        let payload = match payload {
            Some(p) => Ok(p),
            None if props.contains_key("AuthorizerPayloadFormatVersion") => Err(Reported),
            None => Err(self.r.diags.error(
                loc,
                format!(
                    "authorizer {name} has no AuthorizerPayloadFormatVersion (SAM requires one: \"2.0\", or \"1.0\" for the REST-style event)"
                ),
            )),
        };
        let (sources, ttl) = self.http_identity(identity.as_ref());
        let (function, payload, (sources, ttl)) = (function?, payload?, (sources?, ttl?));
        let simple_responses = match simple {
            Some((true, at)) if payload == PayloadVersion::V1 => {
                return Err(self.r.diags.error(
                    &at,
                    format!(
                        "EnableSimpleResponses needs AuthorizerPayloadFormatVersion \"2.0\"; authorizer {name} uses \"1.0\""
                    ),
                ));
            }
            Some((b, _)) => b,
            None => false,
        };
        if sources.is_empty() && ttl != 0 {
            let at = identity.as_ref().map_or(loc, |p| p.loc.as_str());
            return Err(self.r.diags.error(
                at,
                format!(
                    "authorizer {name} caches its results (ReauthorizeEvery {ttl}) but has no identity source; API Gateway requires one to cache (add Identity.Headers, or set ReauthorizeEvery: 0)"
                ),
            ));
        }
        if failed {
            return Err(Reported);
        }
        Ok(Authorizer {
            name: name.to_owned(),
            function: Some(function),
            kind: AuthorizerKind::Request {
                identity_sources: sources,
                payload,
                simple_responses,
            },
            ttl: Duration::from_secs(ttl),
            source: loc.to_owned(),
        })
    }

    /// `Identity` of an HTTP API Lambda authorizer: its sources in SAM's order (Headers,
    /// QueryStrings, StageVariables, Context) and the TTL (0 when not given).
    #[allow(clippy::type_complexity)]
    fn http_identity(
        &mut self,
        identity: Option<&Prop<'_>>,
    ) -> (Result<Vec<IdentitySource>, Reported>, Result<u64, Reported>) {
        let Some(identity) = identity else {
            return (Ok(Vec::new()), Ok(0));
        };
        let Ok(entries) = self.mapping(identity.value, &identity.loc) else {
            return (Err(Reported), Err(Reported));
        };
        let mut sources: [Vec<IdentitySource>; 4] = Default::default();
        let mut ttl = Ok(0);
        let mut failed = false;
        for (key, v) in &entries {
            let prop = Prop {
                value: v,
                loc: child(&identity.loc, key),
            };
            let (slot, make): (usize, fn(String) -> IdentitySource) = match key.as_str() {
                "ReauthorizeEvery" => {
                    ttl = match self.whole_number(
                        &prop,
                        TTL_RANGE,
                        "ReauthorizeEvery must be between 0 and 3600 seconds",
                    ) {
                        Ok(n) => Ok(n.unwrap_or(0)),
                        Err(Reported) => Err(Reported),
                    };
                    continue;
                }
                "Headers" => (0, IdentitySource::Header),
                "QueryStrings" => (1, IdentitySource::Query),
                "StageVariables" => (2, IdentitySource::StageVariable),
                "Context" => (3, IdentitySource::Context),
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
            match self.string_list(&prop) {
                Ok(names) => sources[slot] = names.into_iter().map(make).collect(),
                Err(Reported) => failed = true,
            }
        }
        let sources = if failed {
            Err(Reported)
        } else {
            Ok(sources.into_iter().flatten().collect())
        };
        (sources, ttl)
    }

    /// A SAM JWT authorizer (`OAuth2Authorizer`): `JwtConfiguration{issuer, audience}` (either
    /// case), `IdentitySource`, `AuthorizationScopes` (read by the caller).
    fn sam_jwt_authorizer(
        &mut self,
        name: &str,
        props: &serde_json::Map<String, Value>,
        loc: &str,
    ) -> Result<Authorizer, Reported> {
        let mut issuer = None;
        let mut audience = Vec::new();
        let mut source = None;
        let mut failed = false;
        for (key, v) in props {
            let prop = Prop {
                value: v,
                loc: child(loc, key),
            };
            match key.as_str() {
                "JwtConfiguration" => {
                    let conf = self.mapping(v, &prop.loc)?;
                    for (k, cv) in &conf {
                        let at = Prop {
                            value: cv,
                            loc: child(&prop.loc, k),
                        };
                        match k.to_ascii_lowercase().as_str() {
                            "issuer" => match self.string(&at) {
                                Ok(i) => issuer = i.map(|i| (i, at.loc.clone())),
                                Err(Reported) => failed = true,
                            },
                            "audience" => match self.r.resolve(cv, &at.loc)? {
                                Some(Value::String(a)) => audience = vec![a],
                                Some(Value::Array(_)) => match self.string_list(&at) {
                                    Ok(a) => audience = a,
                                    Err(Reported) => failed = true,
                                },
                                _ => {}
                            },
                            _ => self.r.diags.warn(
                                &at.loc,
                                format!("property {k} of JwtConfiguration is not supported by glassgate; ignored"),
                            ),
                        }
                    }
                }
                "IdentitySource" => match self.string(&prop) {
                    Ok(s) => source = s.map(|s| (s, prop.loc.clone())),
                    Err(Reported) => failed = true,
                },
                "AuthorizationScopes" => {}
                _ => self.r.diags.warn(
                    &prop.loc,
                    format!(
                        "property {key} of JWT authorizers is not supported by glassgate; ignored"
                    ),
                ),
            }
        }
        if failed {
            return Err(Reported);
        }
        self.jwt_authorizer(name, issuer, audience, source, loc)
    }

    /// A JWT authorizer from its parts, wherever it was declared: the issuer must be an
    /// `https://` URL as AWS requires (an `http://` issuer on a loopback address is accepted
    /// with a warning: a local identity provider or a test's), the identity source one header
    /// or query string (default `$request.header.Authorization`).
    pub(super) fn jwt_authorizer(
        &mut self,
        name: &str,
        issuer: Option<(String, String)>,
        audience: Vec<String>,
        source: Option<(String, String)>,
        loc: &str,
    ) -> Result<Authorizer, Reported> {
        let Some((issuer, issuer_loc)) = issuer else {
            return Err(self.r.diags.error(
                loc,
                format!("JWT authorizer {name} has no issuer (JwtConfiguration.Issuer)"),
            ));
        };
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                issuer
                    .strip_prefix(p)
                    .is_some_and(|r| r.is_empty() || r.starts_with([':', '/']))
            });
        if loopback {
            self.r.diags.warn(
                &issuer_loc,
                format!("issuer {issuer:?} is not https://: glassgate accepts a loopback issuer, AWS refuses any issuer that is not https://"),
            );
        } else if !issuer.starts_with("https://") {
            return Err(self.r.diags.error(
                &issuer_loc,
                format!("issuer {issuer:?} must be a full https:// URL, as AWS requires (tokens with a bare issuer such as accounts.google.com never match)"),
            ));
        }
        let identity_source = match source {
            None => IdentitySource::Header("Authorization".into()),
            Some((text, at)) => {
                let first = text.split(',').next().unwrap_or_default().trim().to_owned();
                match IdentitySource::parse(&first, crate::model::ApiKind::Http) {
                    Some(src @ (IdentitySource::Header(_) | IdentitySource::Query(_))) => src,
                    _ => {
                        return Err(self.r.diags.error(
                            at,
                            format!("the identity source of a JWT authorizer is one $request.header.NAME or $request.querystring.NAME, got {text:?}"),
                        ));
                    }
                }
            }
        };
        Ok(Authorizer {
            name: name.to_owned(),
            function: None,
            kind: AuthorizerKind::Jwt {
                issuer,
                audience,
                identity_source,
            },
            ttl: Duration::ZERO,
            source: loc.to_owned(),
        })
    }
}
