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

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    if payload["queryStringParameters"]["fail"].as_str() == Some("1") {
        return Err("requested failure".into());
    }
    let body = json!({
        "message": "hello from a provided runtime",
        "path": payload["path"],
        "pathParameters": payload["pathParameters"],
        "requestId": context.request_id,
    });
    Ok(json!({
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-handler": "provided"},
        "body": body.to_string(),
    }))
}

// One thread is all a handler needs (Lambda gives small functions a fraction of a vCPU),
// and it avoids cross-thread wake-ups on every invocation.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
