//! The events API Gateway sends to Lambda functions, shared by the stages that invoke one:
//! `authorize` (a REQUEST authorizer's event starts from the proxy event) and `integrate`.
//! `v1` is payload format 1.0 (REST), `v2` payload format 2.0 (HTTP APIs).

pub mod v1;
pub mod v2;
