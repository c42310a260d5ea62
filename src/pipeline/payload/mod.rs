//! The events API Gateway sends to Lambda functions, shared by the stages that invoke one:
//! `authorize` (a REQUEST authorizer's event starts from the proxy event) and `integrate`.
//! `v1` is payload format 1.0 (REST); payload 2.0 (HTTP APIs) comes beside it.

pub mod v1;
