//! Golden fixtures for the Lambda proxy events: each folder under `tests/golden/event-v1/`
//! (REST, payload 1.0), `tests/golden/event-v1-http/` (payload 1.0 on an HTTP API) and
//! `tests/golden/event-v2/` (HTTP APIs, payload 2.0) holds a known
//! request (`request.json`) and the event glassgate must build from it
//! (`expected.event.json`), compared as JSON values. A new case is a new folder.
//! `GW_BLESS=1 cargo test golden` rewrites the expected files for review; the v2 and
//! v1-on-HTTP cases were written by hand, from the shape of AWS's documented 2.0 example event
//! and of a captured 1.0 event of an HTTP API (aws-httpapi-semantics.md §4.2).

use std::path::Path;

use glassgate::pipeline::payload::{v1, v2};
use glassgate::pipeline::request::GatewayRequest;
use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Case {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Option<String>,
    body_base64: Option<String>,
    source_ip: String,
    received_at: String,
    request_id: String,
    extended_request_id: String,
    /// v1: the resource template.
    #[serde(default)]
    resource: String,
    /// v2: the route key.
    #[serde(default)]
    route_key: String,
    path_params: IndexMap<String, String>,
    stage: String,
    stage_variables: IndexMap<String, String>,
}

fn run_case(dir: &Path, version: u8) {
    let case: Case = serde_json::from_str(
        &std::fs::read_to_string(dir.join("request.json")).expect("request.json"),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let body = match (&case.body, &case.body_base64) {
        (Some(b), _) => bytes::Bytes::from(b.clone()),
        (None, Some(b)) => {
            use base64::Engine;
            bytes::Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .expect("base64"),
            )
        }
        (None, None) => bytes::Bytes::new(),
    };
    let req = GatewayRequest {
        request_id: case.request_id,
        extended_request_id: case.extended_request_id,
        method: case.method,
        path: case.path,
        query: case.query,
        headers: case.headers,
        body,
        source_ip: case.source_ip.parse().expect("ip"),
        local_port: 3000,
        protocol: "HTTP/1.1",
        received_at: time::OffsetDateTime::parse(
            &case.received_at,
            &time::format_description::well_known::Rfc3339,
        )
        .expect("receivedAt"),
        parsed_query: Default::default(),
    };
    let event = match version {
        1 => v1::build(
            &req,
            &v1::EventContext {
                resource: &case.resource,
                path_params: &case.path_params,
                stage: &case.stage,
                stage_variables: &case.stage_variables,
                api_id: "abc123defg",
                account_id: "123456789012",
                authorizer: None,
                // Payload 1.0 on an HTTP API when the case names its route key.
                http_route_key: (!case.route_key.is_empty()).then_some(case.route_key.as_str()),
            },
        ),
        _ => v2::build(
            &req,
            &v2::EventContext {
                route_key: &case.route_key,
                path_params: &case.path_params,
                stage: &case.stage,
                stage_variables: &case.stage_variables,
                api_id: "abc123defg",
                account_id: "123456789012",
                authorizer: None,
            },
        ),
    };
    let got: serde_json::Value = serde_json::from_slice(&event).expect("event is JSON");
    let expected_path = dir.join("expected.event.json");
    if std::env::var_os("GW_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).expect("json") + "\n";
        std::fs::write(&expected_path, text).expect("bless");
        return;
    }
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with GW_BLESS=1)", expected_path.display())),
    )
    .expect("expected JSON");
    assert_eq!(
        got,
        expected,
        "{}: got\n{}",
        dir.display(),
        serde_json::to_string_pretty(&got).unwrap_or_default()
    );
}

fn run_folder(name: &str, version: u8, at_least: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("golden dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= at_least,
        "expected golden cases in {}",
        root.display()
    );
    for dir in cases {
        run_case(&dir, version);
    }
}

#[test]
fn v1_events_match_their_golden_files() {
    run_folder("event-v1", 1, 3);
}

#[test]
fn v1_events_of_http_apis_match_their_golden_files() {
    run_folder("event-v1-http", 1, 1);
}

#[test]
fn v2_events_match_their_golden_files() {
    run_folder("event-v2", 2, 1);
}
