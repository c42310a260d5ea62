//! Integrations: what serves a route once it is matched and authorized.

use std::time::Duration;

use crate::vtl::Template;

/// What serves a route.
#[derive(Debug, Clone, PartialEq)]
pub enum Integration {
    /// A Lambda proxy integration (`AWS_PROXY`): the request becomes an event for a local
    /// function, its result becomes the response.
    Lambda {
        /// Logical id of the function (a key of `Model::functions`).
        function: String,
        /// The shape of the event and of the response contract.
        payload: PayloadVersion,
        /// `TimeoutInMillis` (default 29 s on REST APIs, 30 s on HTTP APIs).
        timeout: Duration,
    },
    /// `HTTP_PROXY`: the request goes to an HTTP service, whose answer goes back as it is.
    HttpProxy(Box<HttpProxy>),
    /// `MOCK` (REST): the gateway answers itself, the status from the request template, the
    /// rest from the integration response it selects.
    Mock(Box<Mock>),
    /// A Lambda non-proxy integration (`AWS`, REST): a request template makes the function's
    /// event, and the integration response selected by the function's error message maps its
    /// result into the response.
    LambdaMapped(Box<LambdaMapped>),
    /// An integration type glassgate does not emulate yet (`HTTP`, `AWS` for a service other
    /// than Lambda): the route is served, and every request that reaches the integration
    /// answers 500 with cause `integration-not-emulated`, never a stand-in of another type.
    NotEmulated {
        /// The type as the template writes it (`aws`, `HTTP_PROXY`...).
        kind: String,
    },
}

impl Integration {
    /// The type as AWS names it (`AWS_PROXY`, `HTTP_PROXY`, `MOCK`), or as the template
    /// wrote one glassgate does not emulate.
    pub fn type_name(&self) -> &str {
        match self {
            Integration::Lambda { .. } => "AWS_PROXY",
            Integration::HttpProxy(_) => "HTTP_PROXY",
            Integration::Mock(_) => "MOCK",
            Integration::LambdaMapped(_) => "AWS",
            Integration::NotEmulated { kind } => kind,
        }
    }

    /// The local function this integration invokes, if any.
    pub fn function(&self) -> Option<&str> {
        match self {
            Integration::Lambda { function, .. } => Some(function),
            Integration::LambdaMapped(m) => Some(&m.function),
            Integration::HttpProxy(_) | Integration::Mock(_) | Integration::NotEmulated { .. } => {
                None
            }
        }
    }

    /// The Lambda payload format, for a Lambda integration.
    pub fn payload(&self) -> Option<PayloadVersion> {
        match self {
            Integration::Lambda { payload, .. } => Some(*payload),
            Integration::HttpProxy(_)
            | Integration::Mock(_)
            | Integration::LambdaMapped(_)
            | Integration::NotEmulated { .. } => None,
        }
    }

    /// How long the gateway waits for the integration.
    pub fn timeout(&self) -> Duration {
        match self {
            Integration::Lambda { timeout, .. } => *timeout,
            Integration::HttpProxy(h) => h.timeout,
            Integration::Mock(_) => Duration::from_secs(29),
            Integration::LambdaMapped(m) => m.timeout,
            Integration::NotEmulated { .. } => Duration::from_secs(29),
        }
    }
}

/// An `HTTP_PROXY` integration (aws-httpapi-semantics.md §5.1, §5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpProxy {
    /// The endpoint URL as the template writes it: `http(s)://host/path`, with `{name}`
    /// placeholders filled from the request (REST: by `requestParameters`; HTTP APIs: the
    /// route's path variables).
    pub uri: String,
    /// The method sent upstream; `None` for `ANY` (the request's own).
    pub method: Option<String>,
    /// `TimeoutInMillis` (29 s on REST APIs, 30 s on HTTP APIs by default).
    pub timeout: Duration,
    /// `requestParameters`, in template order: REST's `integration.request.{path|querystring|
    /// header}.NAME` -> `method.request.*` / `context.*` / `'static'`, or an HTTP API's
    /// `append|overwrite|remove:{header|querystring}.NAME` and `overwrite:path` -> a value.
    pub request_parameters: Vec<(String, String)>,
    /// An HTTP API's `responseParameters`, by the endpoint's status code:
    /// `append|overwrite|remove:header.NAME` and `overwrite:statuscode` -> a value
    /// (`$response.header.x`, `$response.body.x`, `$context.x`, `$stageVariables.x`, static).
    pub response_parameters: ResponseMappings,
}

/// Response parameter mappings by status code: (destination, source) pairs in template order.
pub type ResponseMappings = Vec<(u16, Vec<(String, String)>)>;

/// A `MOCK` integration (aws-httpapi-semantics.md §5.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Mock {
    /// `requestTemplates` by content type: the rendered template's `statusCode` selects the
    /// response.
    pub request_templates: Vec<(String, Template)>,
    /// The integration responses, in template order.
    pub responses: Vec<IntegrationResponse>,
}

/// A Lambda non-proxy integration (`type: aws` with a Lambda invocation URI).
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaMapped {
    /// Logical id of the function (a key of `Model::functions`).
    pub function: String,
    /// `TimeoutInMillis` (29 s by default).
    pub timeout: Duration,
    /// `requestTemplates` by content type: the rendered template is the function's event.
    pub request_templates: Vec<(String, Template)>,
    /// What happens to a request whose content type has no template.
    pub passthrough: Passthrough,
    /// The integration responses, in template order: selected by the function's error
    /// message, the default one (no pattern) for a result.
    pub responses: Vec<IntegrationResponse>,
}

/// `passthroughBehavior`: what a non-proxy integration does with a request whose content
/// type no request template takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passthrough {
    /// `WHEN_NO_MATCH` (the default): the body goes through as it is.
    WhenNoMatch,
    /// `WHEN_NO_TEMPLATES`: the body goes through only when there are no templates at all;
    /// otherwise 415.
    WhenNoTemplates,
    /// `NEVER`: 415.
    Never,
}

/// One integration response of a `MOCK` or non-proxy integration.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationResponse {
    /// `selectionPattern`; `None` for the default response.
    pub pattern: Option<SelectionPattern>,
    /// The status the client gets.
    pub status: u16,
    /// `responseParameters`: `method.response.header.NAME` -> `'static'`, a request value, or
    /// `integration.response.header.NAME` / `integration.response.body[.path]`.
    pub parameters: Vec<(String, String)>,
    /// `responseTemplates` by content type.
    pub templates: Vec<(String, Template)>,
}

/// A `selectionPattern`, compiled once at load: it must match the whole text (the status
/// code of a MOCK, the error message of a Lambda function).
#[derive(Debug, Clone)]
pub struct SelectionPattern {
    /// As written.
    pub source: String,
    /// `^(?:source)$`; `None` when the pattern does not compile (the loader warned).
    pub regex: Option<regex::Regex>,
}

impl SelectionPattern {
    /// Compile `source`.
    pub fn new(source: &str) -> Self {
        SelectionPattern {
            source: source.to_owned(),
            regex: regex::Regex::new(&format!("^(?:{source})$")).ok(),
        }
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(text))
    }
}

impl PartialEq for SelectionPattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// The Lambda proxy payload format: the event's shape and the response contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadVersion {
    /// `1.0`: the REST API event (`resource`, `httpMethod`, `multiValueHeaders`, ...).
    V1,
    /// `2.0`: the HTTP API event (`routeKey`, `rawPath`, `cookies`, ...) and its response
    /// contract (a result without `statusCode` is a 200 JSON body).
    V2,
}

impl PayloadVersion {
    /// The version as templates and events spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadVersion::V1 => "1.0",
            PayloadVersion::V2 => "2.0",
        }
    }

    /// Parse `PayloadFormatVersion` as templates write it (`"1.0"`, `"2.0"`; also `1` / `2`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "1.0" | "1" => Some(PayloadVersion::V1),
            "2.0" | "2" => Some(PayloadVersion::V2),
            _ => None,
        }
    }
}
