//! The validated model of the API being emulated: functions, REST APIs, routes.
//!
//! This module owns plain data only. It is produced by [`crate::template`] (which knows
//! SAM/CloudFormation) and consumed by the router, the pipeline and the Lambda supervisor
//! (which know nothing about templates). Nothing here does I/O.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

/// Everything `serve` needs, resolved from a template.
#[derive(Debug, Clone)]
pub struct Model {
    /// The template file this model came from (for messages).
    pub template_path: PathBuf,
    /// Functions by logical id, in template order.
    pub functions: IndexMap<String, Function>,
    /// REST APIs (v1), the implicit one (`ServerlessRestApi`) included when used.
    pub apis: Vec<RestApi>,
    /// Everything that was not understood or not supported, each naming where it was.
    pub warnings: Vec<Warning>,
    /// AWS region used in ARNs and `AWS_REGION`.
    pub region: String,
    /// AWS account id used in ARNs and events.
    pub account_id: String,
}

/// One `AWS::Serverless::Function` (or `AWS::Lambda::Function`).
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Logical id in the template (the key under `Resources`).
    pub logical_id: String,
    /// `FunctionName` if given, else the logical id; used for `AWS_LAMBDA_FUNCTION_NAME` and ARNs.
    pub function_name: String,
    /// The runtime as written (`python3.12`, `nodejs20.x`, `provided.al2023`).
    pub runtime: String,
    /// `Handler` (`app.handler`); `None` is allowed only for `provided` runtimes.
    pub handler: Option<String>,
    /// Absolute folder of the code (`CodeUri` resolved against the template's folder).
    pub code_dir: PathBuf,
    /// `Timeout` (default 3 s, as Lambda).
    pub timeout: Duration,
    /// `MemorySize` in MB (default 128, as Lambda).
    pub memory_mb: u32,
    /// `Environment.Variables`, Globals merged in, all values stringified.
    pub environment: IndexMap<String, String>,
}

impl Function {
    /// The Lambda function ARN for this function.
    pub fn arn(&self, region: &str, account_id: &str) -> String {
        format!(
            "arn:aws:lambda:{region}:{account_id}:function:{}",
            self.function_name
        )
    }
}

/// One REST API (`AWS::Serverless::Api`, or the implicit API of SAM).
#[derive(Debug, Clone, PartialEq)]
pub struct RestApi {
    /// Logical id (`ServerlessRestApi` for the implicit API, as SAM names it).
    pub logical_id: String,
    /// A stable 10-character API id derived from the logical id (AWS ids are 10 chars, `[a-z0-9]`).
    pub api_id: String,
    /// `StageName` (the implicit API uses `Prod`, as SAM does).
    pub stage: String,
    /// `Variables` of the stage; empty when none (the event then carries `null`).
    pub stage_variables: IndexMap<String, String>,
    /// Routes in template order.
    pub routes: Vec<RouteSpec>,
    /// Lambda authorizers by name (the key under `Auth.Authorizers`, or the `Name` of an
    /// `AWS::ApiGateway::Authorizer`).
    pub authorizers: IndexMap<String, Authorizer>,
    /// Customised gateway responses by type name (`UNAUTHORIZED`, `DEFAULT_4XX`, ...).
    pub gateway_responses: IndexMap<String, GatewayResponseSpec>,
}

/// A REST Lambda authorizer (`TOKEN` or `REQUEST`).
#[derive(Debug, Clone, PartialEq)]
pub struct Authorizer {
    /// Its name.
    pub name: String,
    /// Logical id of the local function that implements it.
    pub function: String,
    /// TOKEN or REQUEST, with their identity sources.
    pub kind: AuthorizerKind,
    /// Result cache TTL (`ReauthorizeEvery` / `AuthorizerResultTtlInSeconds`; default
    /// 300 s, 0 disables caching, at most 3600 s).
    pub ttl: Duration,
    /// Where it was declared, e.g. `Resources.MyApi.Properties.Auth.Authorizers.Tok`.
    pub source: String,
}

/// The two REST Lambda authorizer types.
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
    },
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

/// One method on one resource path, bound to a Lambda proxy integration.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    /// Upper-case HTTP verb, or `ANY`.
    pub method: String,
    /// Resource path template as in the template: `/`, `/users/{id}`, `/{proxy+}`.
    pub path: String,
    /// Logical id of the function that serves it.
    pub function: String,
    /// Integration timeout (`TimeoutInMillis`, default 29 s).
    pub integration_timeout: Duration,
    /// Where it was declared, e.g. `Resources.HelloFunction.Properties.Events.Hello`.
    pub source: String,
    /// Name of the authorizer (in the API's `authorizers`) that guards it; `None` when the
    /// route is open (no authorizer, or `Auth: {Authorizer: NONE}`).
    pub authorizer: Option<String>,
}

/// Something the loader did not support or had to guess, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Template path of the offending element, e.g. `Resources.Table` or
    /// `Resources.Fn.Properties.Events.Queue`.
    pub location: String,
    /// What was ignored or assumed, and what to do about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Derive a stable, AWS-shaped 10-character API id from a logical id.
pub fn api_id_for(logical_id: &str) -> String {
    // FNV-1a: stable across runs and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in logical_id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..10)
        .map(|_| {
            let c = ALPHABET[(hash % 36) as usize] as char;
            hash /= 36;
            if hash == 0 {
                hash = 0x9e37_79b9_7f4a_7c15;
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_ids_are_stable_and_aws_shaped() {
        let a = api_id_for("ServerlessRestApi");
        assert_eq!(a, api_id_for("ServerlessRestApi"));
        assert_ne!(a, api_id_for("MyApi"));
        assert_eq!(a.len(), 10);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
    }
}
