//! glassgate runs an Amazon API Gateway REST or HTTP API locally from its SAM/CloudFormation
//! template, with the Lambda handlers as real local processes behind an embedded Lambda
//! Runtime API, and says for every request which layer answered and why.
//!
//! # Layout
//! - [`template`]: SAM/CloudFormation (YAML or JSON) -> [`model::Model`].
//! - [`model`]: plain data: functions, APIs, routes.
//! - [`pipeline`]: the request lifecycle, one module per stage (`route`, `integrate`,
//!   `respond`), sequenced only by [`pipeline::Pipeline::handle`].
//! - [`lambda`]: the local Lambda service (Runtime API, processes, warm pools).
//! - [`trace`]: the per-request record every log view is rendered from.
//! - [`server`]: the HTTP listener and graceful shutdown.
//! - [`app`]: what the CLI verbs do, for the binary and for tests.

pub mod admin;
pub mod app;
pub mod build;
pub mod diagnosis;
pub mod explain;
#[doc(hidden)]
pub mod fuzz;
pub mod iam_policy;
pub mod ids;
pub mod lambda;
pub mod limits;
pub mod lint;
pub mod log_sink;
pub mod model;
pub mod outcome;
pub mod pipeline;
pub mod recent;
pub mod reload;
pub mod report;
pub mod server;
pub mod template;
pub mod trace;
pub mod vtl;
