//! APIs: a stage, its routes and authorizers, and what its flavour adds.

use indexmap::IndexMap;

use super::{Authorizer, Route};

/// One API: `AWS::Serverless::Api`, the implicit API of SAM, or a CloudFormation `RestApi`.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// Logical id (`ServerlessRestApi` for the implicit API, as SAM names it).
    pub logical_id: String,
    /// A stable 10-character API id derived from the logical id (AWS ids are 10 chars, `[a-z0-9]`).
    pub api_id: String,
    /// `StageName` (the implicit API uses `Prod`, as SAM does).
    pub stage: String,
    /// `Variables` of the stage; empty when none (the event then carries `null`).
    pub stage_variables: IndexMap<String, String>,
    /// Routes in template order.
    pub routes: Vec<Route>,
    /// Lambda authorizers by name (the key under `Auth.Authorizers`, or the `Name` of an
    /// `AWS::ApiGateway::Authorizer`).
    pub authorizers: IndexMap<String, Authorizer>,
    /// What the API's flavour adds.
    pub flavor: Flavor,
    /// The stage's access log (`AccessLogSetting` on REST, `AccessLogSettings` on HTTP APIs),
    /// when it has one.
    pub access_log: Option<AccessLog>,
}

/// A stage's access log: one line per request in `Format`, with its `$context` variables
/// filled in (aws-httpapi-semantics.md §6). Locally the lines go to stderr, not to the
/// `DestinationArn` log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    /// `Format`: text (or JSON) with `$context.NAME` variables.
    pub format: String,
}

impl Api {
    /// The REST API's customised gateway responses; `None` for a flavour without them.
    pub fn gateway_responses(&self) -> Option<&IndexMap<String, GatewayResponseSpec>> {
        match &self.flavor {
            Flavor::Rest { gateway_responses } => Some(gateway_responses),
            Flavor::Http { .. } => None,
        }
    }

    /// `path` without the stage prefix this API is served under (the path its routes and
    /// ARNs name): `/dev/items` is `/items` on stage `dev`; unchanged elsewhere.
    pub fn route_path<'p>(&self, path: &'p str) -> &'p str {
        let Some(stage) = self.stage_prefix() else {
            return path;
        };
        match path.strip_prefix('/').and_then(|p| p.strip_prefix(stage)) {
            Some("") => "/",
            Some(rest) if rest.starts_with('/') => rest,
            _ => path,
        }
    }

    /// Whether requests reach it under a `/{stage}` prefix: a named stage of an HTTP API.
    /// REST APIs and the `$default` stage are served from the root.
    pub fn stage_prefix(&self) -> Option<&str> {
        match self.flavor {
            Flavor::Http { .. } if self.stage != DEFAULT_STAGE => Some(&self.stage),
            Flavor::Http { .. } | Flavor::Rest { .. } => None,
        }
    }
}

/// The API Gateway product an API belongs to, with what only that product has.
#[derive(Debug, Clone, PartialEq)]
pub enum Flavor {
    /// A REST API (API Gateway v1).
    Rest {
        /// Customised gateway responses by type name (`UNAUTHORIZED`, `DEFAULT_4XX`, ...).
        gateway_responses: IndexMap<String, GatewayResponseSpec>,
    },
    /// An HTTP API (API Gateway v2): fixed gateway-generated bodies, `$default` routes and
    /// stages, payload 2.0.
    Http {
        /// `CorsConfiguration`, when set.
        cors: Option<Cors>,
    },
}

/// An HTTP API's `CorsConfiguration` (aws-httpapi-semantics.md §1.4): the gateway answers
/// preflights no route takes and adds these headers to every response to an allowed origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    /// `AllowOrigins` (`*` allowed).
    pub allow_origins: Vec<String>,
    /// `AllowHeaders`.
    pub allow_headers: Vec<String>,
    /// `AllowMethods`.
    pub allow_methods: Vec<String>,
    /// `ExposeHeaders`.
    pub expose_headers: Vec<String>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
    /// `MaxAge` in seconds.
    pub max_age: Option<u64>,
}

/// The stage HTTP APIs serve from the root, and SAM's default for `AWS::Serverless::HttpApi`.
pub const DEFAULT_STAGE: &str = "$default";

impl Flavor {
    /// A REST API with AWS's default gateway responses.
    pub fn rest() -> Self {
        Flavor::Rest {
            gateway_responses: IndexMap::new(),
        }
    }

    /// A short name for route tables and logs.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// An HTTP API's `CorsConfiguration`.
    pub fn cors(&self) -> Option<&Cors> {
        match self {
            Flavor::Http { cors } => cors.as_ref(),
            Flavor::Rest { .. } => None,
        }
    }

    /// The flavour without its settings.
    pub fn kind(&self) -> ApiKind {
        match self {
            Flavor::Rest { .. } => ApiKind::Rest,
            Flavor::Http { .. } => ApiKind::Http,
        }
    }
}

/// Which API Gateway product answered a request: decides the id headers and the texts of
/// gateway-generated responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ApiKind {
    /// A REST API.
    #[serde(rename = "REST")]
    Rest,
    /// An HTTP API.
    #[serde(rename = "HTTP")]
    Http,
}

impl ApiKind {
    /// `REST` or `HTTP`.
    pub fn name(self) -> &'static str {
        match self {
            ApiKind::Rest => "REST",
            ApiKind::Http => "HTTP",
        }
    }
}

/// A customised gateway response (SAM `GatewayResponses`, `AWS::ApiGateway::GatewayResponse`,
/// `x-amazon-apigateway-gateway-responses`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayResponseSpec {
    /// `StatusCode`, when set.
    pub status: Option<u16>,
    /// Response headers: name -> value expression as API Gateway takes it: a quoted static
    /// value (`'*'`) or `method.request.header.X` / `method.request.querystring.X` /
    /// `method.request.path.X`.
    pub headers: IndexMap<String, String>,
    /// Body templates by content type (`application/json`).
    pub templates: IndexMap<String, String>,
}
