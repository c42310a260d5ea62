//! The conformance suite: each folder under `tests/conformance/` is a scenario (a template,
//! its handlers, and `scenario.json` listing requests with what AWS answers to each), run by
//! this one driver against a real server with real authorizer and handler processes. A new
//! case is a new folder. Format of `scenario.json`:
//!
//! ```json
//! { "description": "...", "covers": ["aws-semantics.md 5.1 row 4"], "args": ["--flag"],
//!   "templates": ["template.yaml", "template.cdk.yaml"],
//!   "steps": [ { "name": "...",
//!     "request": {"method": "GET", "path": "/x", "headers": {"K": "V"}, "body": ""},
//!     "expect": { "status": 403, "body": "exact bytes", "bodyContains": "...",
//!                 "headers": {"x-amzn-ErrorType": "AccessDeniedException"},
//!                 "noHeaders": ["name"], "layer": "authorizer", "cause": "policy-explicit-deny",
//!                 "backendInvoked": false, "authorizerInvoked": true, "authorizerCache": "hit",
//!                 "log": ["substring of the execution log"], "noLog": ["secret"],
//!                 "event": {"/requestContext/authorizer/principalId": "user"} } } ] }
//! ```
//!
//! `event` checks JSON pointers into the body of the response, for scenarios whose backend
//! echoes its event. `templates` (default `["template.yaml"]`) serves the same API written in
//! several forms (SAM, the CloudFormation CDK synthesizes, OpenAPI); every step runs against
//! each, on a fresh server. Requests are found in the trace by `x-amzn-RequestId` (REST) or
//! `apigw-requestid` (HTTP APIs). Every check names the scenario, template and step when it
//! fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::support::{Gateway, Resp};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    description: String,
    #[serde(default)]
    covers: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default = "default_templates")]
    templates: Vec<String>,
    steps: Vec<Step>,
}

fn default_templates() -> Vec<String> {
    vec!["template.yaml".into()]
}

/// The id the trace is found by: REST's `x-amzn-RequestId`, else HTTP APIs' `apigw-requestid`.
fn request_id(r: &Resp) -> String {
    r.header("x-amzn-requestid")
        .or_else(|| r.header("apigw-requestid"))
        .unwrap_or_default()
        .to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    name: String,
    request: Request,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    #[serde(default = "get")]
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: String,
}

fn get() -> String {
    "GET".into()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    status: u16,
    body: Option<String>,
    body_contains: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    no_headers: Vec<String>,
    layer: Option<String>,
    cause: Option<String>,
    backend_invoked: Option<bool>,
    authorizer_invoked: Option<bool>,
    authorizer_cache: Option<String>,
    #[serde(default)]
    log: Vec<String>,
    #[serde(default)]
    no_log: Vec<String>,
    #[serde(default)]
    event: BTreeMap<String, Value>,
}

fn check(problems: &mut Vec<String>, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        problems.push(what());
    }
}

fn check_step(gw: &Gateway, step: &Step, r: &Resp) -> Vec<String> {
    let e = &step.expect;
    let mut p = Vec::new();
    check(&mut p, r.status == e.status, || {
        format!(
            "status {} (expected {}), body {}",
            r.status,
            e.status,
            r.text()
        )
    });
    if let Some(body) = &e.body {
        check(&mut p, &r.text() == body, || {
            format!("body {:?} (expected {body:?})", r.text())
        });
    }
    if let Some(part) = &e.body_contains {
        check(&mut p, r.text().contains(part.as_str()), || {
            format!("body {:?} does not contain {part:?}", r.text())
        });
    }
    for (k, v) in &e.headers {
        let got = r.header(&k.to_ascii_lowercase());
        check(&mut p, got == Some(v.as_str()), || {
            format!("header {k}: {got:?} (expected {v:?})")
        });
    }
    for k in &e.no_headers {
        check(&mut p, r.header(&k.to_ascii_lowercase()).is_none(), || {
            format!("header {k} should be absent")
        });
    }
    let rid = request_id(r);
    check(&mut p, !rid.is_empty(), || {
        "no x-amzn-RequestId or apigw-requestid".into()
    });
    let trace = gw.trace(&rid);
    let log: String = trace["log"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| x["message"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    if let Some(layer) = &e.layer {
        check(&mut p, trace["failure"]["layer"] == layer.as_str(), || {
            format!("layer {} (expected {layer})", trace["failure"]["layer"])
        });
    }
    // The diagnosis headers always agree with the trace.
    // A preflight the CorsConfiguration answered is the gateway's own success.
    let answered = if trace["preflight"] == "answered" {
        "gateway"
    } else {
        "backend"
    };
    let layer = trace["failure"]["layer"].as_str().unwrap_or(answered);
    check(&mut p, r.header("x-glassgate-layer") == Some(layer), || {
        format!(
            "x-glassgate-layer {:?} (trace says {layer})",
            r.header("x-glassgate-layer")
        )
    });
    let cause_tok = trace["failure"]["cause"].as_str();
    check(&mut p, r.header("x-glassgate-cause") == cause_tok, || {
        format!(
            "x-glassgate-cause {:?} (trace says {cause_tok:?})",
            r.header("x-glassgate-cause")
        )
    });
    if cause_tok.is_some() {
        check(&mut p, log.contains("Diagnosis: "), || {
            format!("a failed request's log has no Diagnosis line:\n{log}")
        });
    }
    match trace["authorizer"]["cache"].as_str() {
        Some("hit") => check(
            &mut p,
            r.header("x-glassgate-authorizer-cache")
                .is_some_and(|v| v.starts_with("hit; age=") && v.contains("; ttl=")),
            || {
                format!(
                    "x-glassgate-authorizer-cache {:?} on a hit",
                    r.header("x-glassgate-authorizer-cache")
                )
            },
        ),
        Some("miss") => check(
            &mut p,
            r.header("x-glassgate-authorizer-cache") == Some("miss"),
            || {
                format!(
                    "x-glassgate-authorizer-cache {:?} on a miss",
                    r.header("x-glassgate-authorizer-cache")
                )
            },
        ),
        _ => check(
            &mut p,
            r.header("x-glassgate-authorizer-cache").is_none(),
            || "x-glassgate-authorizer-cache without a cache lookup".into(),
        ),
    }
    if let Some(cause) = &e.cause {
        check(&mut p, trace["failure"]["cause"] == cause.as_str(), || {
            format!(
                "cause {} (expected {cause}); detail: {}",
                trace["failure"]["cause"], trace["failure"]["detail"]
            )
        });
    }
    if let Some(invoked) = e.backend_invoked {
        check(&mut p, trace["invocation"].is_object() == invoked, || {
            format!(
                "backend invoked: {} (expected {invoked})",
                trace["invocation"].is_object()
            )
        });
    }
    if let Some(invoked) = e.authorizer_invoked {
        let got = trace["authorizer"]["invocation"].is_object();
        check(&mut p, got == invoked, || {
            format!("authorizer invoked: {got} (expected {invoked})")
        });
    }
    if let Some(cache) = &e.authorizer_cache {
        check(
            &mut p,
            trace["authorizer"]["cache"] == cache.as_str(),
            || {
                format!(
                    "authorizer cache {} (expected {cache})",
                    trace["authorizer"]["cache"]
                )
            },
        );
    }
    for line in &e.log {
        check(&mut p, log.contains(line.as_str()), || {
            format!("log lacks {line:?}; log:\n{log}")
        });
    }
    let whole = serde_json::to_string(&trace).unwrap_or_default();
    for secret in &e.no_log {
        check(&mut p, !whole.contains(secret.as_str()), || {
            format!("trace contains {secret:?}")
        });
    }
    if !e.event.is_empty() {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        for (ptr, want) in &e.event {
            let got = body.pointer(ptr).unwrap_or(&Value::Null);
            check(&mut p, got == want, || {
                format!("event {ptr}: {got} (expected {want})")
            });
        }
    }
    p
}

/// `glassgate explain REQUEST_ID` against the running server names the same cause.
async fn check_explain(gw: &Gateway, r: &Resp, cause: &str) -> Vec<String> {
    let id = request_id(r);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_glassgate"))
        .args(["explain", &id, "--admin", &format!("http://{}", gw.admin)])
        .output()
        .await;
    let Ok(out) = out else {
        return vec!["cannot run glassgate explain".into()];
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut p = Vec::new();
    check(&mut p, out.status.success(), || {
        format!("explain failed: {}", String::from_utf8_lossy(&out.stderr))
    });
    check(&mut p, text.contains(&format!("cause: {cause})")), || {
        format!("explain does not name cause {cause}:\n{text}")
    });
    check(&mut p, text.contains("Next steps:"), || {
        format!("explain gives no next steps:\n{text}")
    });
    p
}

async fn run_scenario(dir: PathBuf) -> Vec<String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = match std::fs::read_to_string(dir.join("scenario.json")) {
        Ok(t) => t,
        Err(e) => return vec![format!("{name}: cannot read scenario.json: {e}")],
    };
    let scenario: Scenario = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => return vec![format!("{name}: bad scenario.json: {e}")],
    };
    if scenario.description.is_empty() {
        return vec![format!("{name}: scenario.json has no description")];
    }
    let label = if scenario.covers.is_empty() {
        name.clone()
    } else {
        format!("{name} [{}]", scenario.covers.join("; "))
    };
    let args: Vec<&str> = scenario.args.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    for template in &scenario.templates {
        if !dir.join(template).is_file() {
            problems.push(format!("{label}: no template {template}"));
            continue;
        }
        let holder = tempfile::tempdir().expect("tempdir");
        let gw = Gateway::start_in(holder, &dir.join(template), &args);
        let label = if scenario.templates.len() > 1 {
            format!("{label} ({template})")
        } else {
            label.clone()
        };
        problems.extend(run_steps(&gw, &scenario, &label).await);
    }
    problems
}

async fn run_steps(gw: &Gateway, scenario: &Scenario, label: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let headers: Vec<(&str, &str)> = step
            .request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = gw
            .request(
                &step.request.method,
                &step.request.path,
                &headers,
                &step.request.body,
            )
            .await;
        let mut found = check_step(gw, step, &r);
        if let Some(cause) = &step.expect.cause {
            found.extend(check_explain(gw, &r, cause).await);
        }
        for prob in found {
            problems.push(format!("{label} step {} ({}): {prob}", i + 1, step.name));
        }
    }
    problems
}

fn scenarios(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("tests/conformance")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("scenario.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[tokio::test]
async fn conformance_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let dirs = scenarios(&root);
    assert!(dirs.len() >= 10, "expected scenarios in {}", root.display());
    // A few at a time: each starts a server and real processes.
    let mut problems = Vec::new();
    for chunk in dirs.chunks(4) {
        let mut set = tokio::task::JoinSet::new();
        for d in chunk {
            set.spawn(run_scenario(d.clone()));
        }
        for r in set.join_all().await {
            problems.extend(r);
        }
    }
    assert!(
        problems.is_empty(),
        "{} conformance problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
