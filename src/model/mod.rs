//! The validated model of the API being emulated: functions, APIs, routes, authorizers.
//!
//! This module owns plain data only. It is produced by [`crate::template`] (which knows
//! SAM/CloudFormation) and consumed by the router, the pipeline and the Lambda supervisor
//! (which know nothing about templates). Nothing here does I/O.

mod api;
mod authorizer;
mod integration;
mod route;

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

pub use api::{AccessLog, Api, ApiKind, Cors, DEFAULT_STAGE, Flavor, GatewayResponseSpec};
pub use authorizer::{Authorizer, AuthorizerKind, IdentitySource, cognito_issuer};
pub use integration::{
    HttpProxy, Integration, IntegrationResponse, LambdaMapped, Mock, Passthrough, PayloadVersion,
    ResponseMappings, SelectionPattern,
};
pub use route::{
    ANY_METHOD, DEFAULT_ROUTE, PathError, PathTemplate, Route, RouteKey, RouteKeyError, Segment,
};

/// Everything `serve` needs, resolved from a template.
#[derive(Debug, Clone)]
pub struct Model {
    /// The template file this model came from (for messages).
    pub template_path: PathBuf,
    /// Functions by logical id, in template order.
    pub functions: IndexMap<String, Function>,
    /// APIs in template order, the implicit one (`ServerlessRestApi`) included when used.
    pub apis: Vec<Api>,
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
    /// The folders of its layers, in `Layers` order (what Lambda unpacks into `/opt`).
    pub layers: Vec<PathBuf>,
    /// The folder `glassgate build` installed its declared dependencies into, when it has
    /// (what `sam build` would have packaged beside the code).
    pub deps: Option<PathBuf>,
    /// The AWS SDK v3 packages (`@aws-sdk/*`) its Node code imports without declaring them,
    /// which Lambda's Node runtimes include and a local Node does not; found once, at load.
    pub sdk_imports: Vec<String>,
    /// Why glassgate cannot run it (a runtime it does not run, a container image), when it
    /// cannot: its routes are still served, and each invocation answers 502 with cause
    /// `runtime-unsupported` instead of the template being refused.
    pub unsupported: Option<String>,
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
