//! Integration tests: a real `glassgate serve` on a free loopback port, with real Python,
//! Node and `provided` handler processes. One test binary (see STYLE.md §3.6).

mod cli;
mod cognito;
mod conformance;
mod console;
mod examples;
mod failures;
mod fuzz_corpus;
mod golden;
mod http_api;
mod http_authorizers;
mod http_proxy;
mod iam;
mod jwt;
mod lambda_mapped;
mod lifecycle;
mod limits;
mod mock;
mod projects;
mod reload;
mod runtimes;
mod scaling;
mod secrets;
mod single_flight;
mod storms;
mod support;
mod unmask;
