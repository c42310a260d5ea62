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
}

impl Api {
    /// The REST API's customised gateway responses; `None` for a flavour without them.
    pub fn gateway_responses(&self) -> Option<&IndexMap<String, GatewayResponseSpec>> {
        match &self.flavor {
            Flavor::Rest { gateway_responses } => Some(gateway_responses),
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
}

impl Flavor {
    /// A REST API with AWS's default gateway responses.
    pub fn rest() -> Self {
        Flavor::Rest {
            gateway_responses: IndexMap::new(),
        }
    }

    /// A short name for route tables and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Flavor::Rest { .. } => "REST",
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
