//! Authorizers as the template declares them: Lambda (TOKEN, REQUEST), JWT, Cognito user
//! pools, and `AWS_IAM` (SigV4) authorization, which the model holds as an authorizer of its
//! own kind so that routes name it like any other.

use std::time::Duration;

use super::{ApiKind, PayloadVersion};

/// An authorizer: a Lambda one (REST `TOKEN` or `REQUEST`, or an HTTP API's `REQUEST`), or one
/// the gateway runs itself (HTTP `JWT`, REST `COGNITO_USER_POOLS`).
#[derive(Debug, Clone, PartialEq)]
pub struct Authorizer {
    /// Its name.
    pub name: String,
    /// Logical id of the local function that implements it; `None` for a JWT or Cognito
    /// authorizer, which the gateway runs itself.
    pub function: Option<String>,
    /// TOKEN or REQUEST, with their identity sources.
    pub kind: AuthorizerKind,
    /// Result cache TTL (`ReauthorizeEvery` / `AuthorizerResultTtlInSeconds`; default
    /// 300 s on REST and 0 on HTTP APIs, 0 disables caching, at most 3600 s).
    pub ttl: Duration,
    /// Where it was declared, e.g. `Resources.MyApi.Properties.Auth.Authorizers.Tok`.
    pub source: String,
}

/// The authorizer types.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizerKind {
    /// `TOKEN`: one header is the identity; optional regex checked before invoking.
    Token {
        /// Header name (default `Authorization`).
        header: String,
        /// `ValidationExpression` / `IdentityValidationExpression`, matched against the
        /// whole header value.
        validation_expression: Option<String>,
    },
    /// `REQUEST`: any number of identity sources; the event carries the whole request.
    Request {
        /// Identity sources in declaration order (they form the cache key).
        identity_sources: Vec<IdentitySource>,
        /// The event and result format: always 1.0 on REST, 1.0 or 2.0 on HTTP APIs
        /// (`AuthorizerPayloadFormatVersion`).
        payload: PayloadVersion,
        /// `EnableSimpleResponses` (HTTP APIs, payload 2.0 only): the result is
        /// `{isAuthorized, context}` instead of an IAM policy.
        simple_responses: bool,
    },
    /// `JWT` (HTTP APIs): the gateway itself checks a token's signature against the issuer's
    /// keys and its claims against the configuration; no function runs.
    Jwt {
        /// `JwtConfiguration.Issuer`: the `iss` a token must carry, compared as an exact string.
        issuer: String,
        /// `JwtConfiguration.Audience`: `aud` (or, without `aud`, `client_id`) must be one.
        audience: Vec<String>,
        /// Where the token is (`$request.header.Authorization`).
        identity_source: IdentitySource,
    },
    /// `COGNITO_USER_POOLS` (REST): the gateway checks a user pool's token itself, like a
    /// JWT authorizer but with Cognito's rules (an ID token unless the method has scopes, no
    /// audience check) and REST's answers; no function runs.
    CognitoUserPools {
        /// The pools' issuers, `https://cognito-idp.{region}.amazonaws.com/{poolId}`, one per
        /// ARN of `ProviderARNs` / `UserPoolArn`; a token's `iss` must be one of them.
        issuers: Vec<String>,
        /// The header holding the token (`method.request.header.Authorization`).
        header: String,
        /// `IdentityValidationExpression`: a regex the token's `aud` must match.
        validation_expression: Option<String>,
    },
    /// `AWS_IAM` (REST and HTTP APIs): the gateway checks the request's SigV4 signature
    /// against known credentials; IAM policies themselves are not evaluated.
    Iam,
}

impl AuthorizerKind {
    /// The type as AWS names it: `TOKEN`, `REQUEST`, `JWT`, `COGNITO_USER_POOLS`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthorizerKind::Token { .. } => "TOKEN",
            AuthorizerKind::Request { .. } => "REQUEST",
            AuthorizerKind::Jwt { .. } => "JWT",
            AuthorizerKind::CognitoUserPools { .. } => "COGNITO_USER_POOLS",
            AuthorizerKind::Iam => "AWS_IAM",
        }
    }

    /// Whether the gateway checks tokens itself (JWT, Cognito) instead of invoking a function.
    pub fn is_token_check(&self) -> bool {
        matches!(
            self,
            AuthorizerKind::Jwt { .. } | AuthorizerKind::CognitoUserPools { .. }
        )
    }

    /// A REST `REQUEST` authorizer.
    pub fn rest_request(identity_sources: Vec<IdentitySource>) -> Self {
        AuthorizerKind::Request {
            identity_sources,
            payload: PayloadVersion::V1,
            simple_responses: false,
        }
    }
}

impl Authorizer {
    /// The name SAM gives `AWS_IAM` authorization (`Auth: {Authorizer: AWS_IAM}`), and the one
    /// the readers give it where the template names no scheme.
    pub const IAM: &'static str = "AWS_IAM";

    /// `AWS_IAM` authorization under `name` (an OpenAPI `awsSigv4` scheme keeps its own).
    pub fn iam(name: &str, source: impl Into<String>) -> Self {
        Authorizer {
            name: name.to_owned(),
            function: None,
            kind: AuthorizerKind::Iam,
            ttl: Duration::ZERO,
            source: source.into(),
        }
    }
}

/// One identity source of a REQUEST authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `method.request.header.NAME` (case-insensitive).
    Header(String),
    /// `method.request.querystring.NAME` (case-sensitive).
    Query(String),
    /// `stageVariables.NAME`.
    StageVariable(String),
    /// `context.NAME` (e.g. `context.httpMethod`, `context.resourcePath`).
    Context(String),
}

impl IdentitySource {
    /// Parse a source as the flavour spells it (the inverse of [`IdentitySource::spelled`]);
    /// `None` for anything else, or a name that is empty or holds whitespace.
    pub fn parse(text: &str, kind: ApiKind) -> Option<Self> {
        type Make = fn(String) -> IdentitySource;
        let prefixes: [(&str, Make); 4] = match kind {
            ApiKind::Rest => [
                ("method.request.header.", IdentitySource::Header),
                ("method.request.querystring.", IdentitySource::Query),
                ("stageVariables.", IdentitySource::StageVariable),
                ("context.", IdentitySource::Context),
            ],
            ApiKind::Http => [
                ("$request.header.", IdentitySource::Header),
                ("$request.querystring.", IdentitySource::Query),
                ("$stageVariables.", IdentitySource::StageVariable),
                ("$context.", IdentitySource::Context),
            ],
        };
        prefixes.into_iter().find_map(|(prefix, make)| {
            text.strip_prefix(prefix)
                .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
                .map(|name| make(name.to_owned()))
        })
    }

    /// The source as the flavour's templates spell it: `method.request.header.X` on REST,
    /// `$request.header.X` on HTTP APIs.
    pub fn spelled(&self, kind: ApiKind) -> String {
        match kind {
            ApiKind::Rest => self.to_string(),
            ApiKind::Http => match self {
                IdentitySource::Header(n) => format!("$request.header.{n}"),
                IdentitySource::Query(n) => format!("$request.querystring.{n}"),
                IdentitySource::StageVariable(n) => format!("$stageVariables.{n}"),
                IdentitySource::Context(n) => format!("$context.{n}"),
            },
        }
    }
}

impl std::fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentitySource::Header(n) => write!(f, "method.request.header.{n}"),
            IdentitySource::Query(n) => write!(f, "method.request.querystring.{n}"),
            IdentitySource::StageVariable(n) => write!(f, "stageVariables.{n}"),
            IdentitySource::Context(n) => write!(f, "context.{n}"),
        }
    }
}

/// The issuer of a Cognito user pool from its ARN
/// (`arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}`), or `None` for anything else.
pub fn cognito_issuer(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let pool = resource.strip_prefix("userpool/")?;
    let ok = |t: &str| !t.is_empty() && !t.contains(|c: char| c.is_whitespace() || c == '/');
    (service == "cognito-idp" && ok(region) && ok(pool))
        .then(|| format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_arn_names_its_issuer() {
        assert_eq!(
            cognito_issuer("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123")
                .as_deref(),
            Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123")
        );
        assert_eq!(
            cognito_issuer("arn:aws:lambda:eu-west-1:1:function:f"),
            None
        );
        assert_eq!(cognito_issuer("UserPool.Arn"), None);
        assert_eq!(
            cognito_issuer("arn:aws:cognito-idp:eu-west-1:1:userpool/"),
            None
        );
    }
}
