//! Integrations: what serves a route once it is matched and authorized.

use std::time::Duration;

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
    /// An integration type glassgate does not emulate yet (`AWS` Lambda non-proxy with mapping
    /// templates, `HTTP`, `HTTP_PROXY`, `MOCK`): the route is served, and every request that
    /// reaches the integration answers 500 with cause `integration-not-emulated`, never a
    /// stand-in of another type.
    NotEmulated {
        /// The type as the template writes it (`aws`, `HTTP_PROXY`...).
        kind: String,
    },
}

impl Integration {
    /// The local function this integration invokes, if any.
    pub fn function(&self) -> Option<&str> {
        match self {
            Integration::Lambda { function, .. } => Some(function),
            Integration::NotEmulated { .. } => None,
        }
    }

    /// The Lambda payload format, for a Lambda integration.
    pub fn payload(&self) -> Option<PayloadVersion> {
        match self {
            Integration::Lambda { payload, .. } => Some(*payload),
            Integration::NotEmulated { .. } => None,
        }
    }

    /// How long the gateway waits for the integration.
    pub fn timeout(&self) -> Duration {
        match self {
            Integration::Lambda { timeout, .. } => *timeout,
            Integration::NotEmulated { .. } => Duration::from_secs(29),
        }
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
