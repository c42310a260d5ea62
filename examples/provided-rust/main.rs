//! A `provided.al2023` handler built with the official `lambda_runtime` crate.
//!
//! glassgate runs it unchanged, through its embedded Runtime API: the same binary would run
//! on AWS Lambda as `bootstrap`. Build it and put it where the template's `CodeUri` points:
//!
//! ```sh
//! cargo build --release --example provided-rust
//! mkdir -p examples/provided-rust/build
//! cp target/release/examples/provided-rust examples/provided-rust/build/bootstrap
//! glassgate serve examples/provided-rust/template.yaml
//! ```
//!
//! It answers a Lambda proxy response echoing the path; `?fail=1` makes the handler return
//! an error (API Gateway then answers 502).

use std::collections::HashMap;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The parts of the REST proxy event this handler reads; serde skips the rest, which is
/// much cheaper than building a `serde_json::Value` of the whole event.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProxyRequest {
    path: Option<String>,
    path_parameters: Option<HashMap<String, String>>,
    query_string_parameters: Option<HashMap<String, String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProxyResponse {
    status_code: u16,
    headers: HashMap<&'static str, &'static str>,
    body: String,
}

async fn handler(event: LambdaEvent<ProxyRequest>) -> Result<ProxyResponse, Error> {
    let (req, context) = event.into_parts();
    let fail = req
        .query_string_parameters
        .as_ref()
        .and_then(|q| q.get("fail"))
        .is_some_and(|v| v == "1");
    if fail {
        return Err("requested failure".into());
    }
    let body = json!({
        "message": "hello from a provided runtime",
        "path": req.path,
        "pathParameters": req.path_parameters,
        "requestId": context.request_id,
    });
    Ok(ProxyResponse {
        status_code: 200,
        headers: HashMap::from([
            ("content-type", "application/json"),
            ("x-handler", "provided"),
        ]),
        body: body.to_string(),
    })
}

// One thread is all a handler needs (Lambda gives small functions a fraction of a vCPU),
// and it avoids cross-thread wake-ups on every invocation.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
