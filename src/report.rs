//! `glassgate explain REQUEST_ID`: a readable report of one request's trace, as the admin
//! API returns it (`GET /requests/{id}`): the stages with timings, the failing layer and
//! cause, the evidence (raw authorizer result, exit status, output tail, cache entry) and
//! next steps.

use serde_json::Value;

fn s(v: &Value) -> Option<&str> {
    v.as_str().filter(|x| !x.is_empty())
}

/// Render the admin API's `{"trace": ..., "diagnosis": ...}` document.
pub fn render(doc: &Value) -> String {
    let t = &doc["trace"];
    let mut out = String::new();
    let status = t["status"].as_u64().unwrap_or(0);
    let layer = t["failure"]["layer"].as_str().unwrap_or("backend");
    out.push_str(&format!(
        "Request {}: {} {} -> {status} (layer: {layer}",
        t["requestId"].as_str().unwrap_or("?"),
        t["method"].as_str().unwrap_or("?"),
        t["path"].as_str().unwrap_or("?"),
    ));
    if let Some(c) = s(&t["failure"]["cause"]) {
        out.push_str(&format!(", cause: {c}"));
    }
    out.push_str(")\n");
    if let Some(r) = s(&t["route"]) {
        out.push_str(&format!(
            "  route: {r} (API {}, stage {})\n",
            t["api"].as_str().unwrap_or("?"),
            t["stage"].as_str().unwrap_or("?")
        ));
    }
    out.push_str(&format!(
        "  received: {}, total {:.3} ms\n",
        t["receivedAt"].as_str().unwrap_or("?"),
        t["latencyMs"].as_f64().unwrap_or(0.0)
    ));
    if let Some(summary) = s(&doc["diagnosis"]["summary"]) {
        out.push_str(&format!("\n  {summary}\n"));
    } else if t["failure"].is_null() {
        out.push_str(&format!("\n  The backend answered {status}.\n"));
        // An allow that came from a decision cached for another route: on HTTP APIs a
        // simple response is cached by identity alone, so this is how one route opens
        // another.
        let a = &t["authorizer"];
        if let (Some("hit"), Some(built), Some(now)) = (
            a["cache"].as_str(),
            a["cachedForMethodArn"].as_str(),
            a["methodArn"].as_str(),
        ) && built != now
        {
            out.push_str(&format!(
                "  The authorizer did not run: the decision was cached for {built}; the cache key is the identity alone, so that decision also allowed this request.\n"
            ));
        }
    }

    out.push_str("\nStages:\n");
    for st in t["stages"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {:<10} +{:>9.3} ms  {:>9.3} ms  {}\n",
            st["stage"].as_str().unwrap_or("?"),
            st["startMs"].as_f64().unwrap_or(0.0),
            st["durationMs"].as_f64().unwrap_or(0.0),
            st["result"].as_str().unwrap_or("")
        ));
    }

    let mut evidence = Vec::new();
    if let Some(d) = s(&t["failure"]["detail"]) {
        evidence.push(format!("detail: {d}"));
    }
    let a = &t["authorizer"];
    if a.is_object() {
        evidence.push(format!(
            "authorizer {} ({}, function {}), mode {}",
            a["name"].as_str().unwrap_or("?"),
            a["kind"].as_str().unwrap_or("?"),
            a["function"].as_str().unwrap_or("?"),
            a["mode"].as_str().unwrap_or("normal")
        ));
        if let Some(arn) = s(&a["methodArn"]) {
            evidence.push(format!("method ARN: {arn}"));
        }
        match a["cache"].as_str() {
            Some("hit") => evidence.push(format!(
                "authorizer cache: hit, entry {:.1} s old (TTL {} s), built for {}",
                a["cacheAgeS"].as_f64().unwrap_or(0.0),
                a["ttlS"].as_u64().unwrap_or(0),
                a["cachedForMethodArn"].as_str().unwrap_or("?")
            )),
            Some(c) => evidence.push(format!(
                "authorizer cache: {c} (TTL {} s)",
                a["ttlS"].as_u64().unwrap_or(0)
            )),
            None => {}
        }
        if let Some(raw) = s(&a["rawResult"]) {
            evidence.push(format!("raw authorizer result: {raw}"));
        }
        if let Some(p) = s(&a["principalId"]) {
            evidence.push(format!("principal: {p}"));
        }
        for line in a["policy"].as_array().into_iter().flatten() {
            if let Some(l) = line.as_str() {
                evidence.push(format!("policy: {l}"));
            }
        }
        invocation_evidence(&a["invocation"], "authorizer", &mut evidence);
    }
    invocation_evidence(&t["invocation"], "backend", &mut evidence);
    if !t["invocation"].is_object() {
        evidence.push("the backend was not invoked".into());
    }
    if !evidence.is_empty() {
        out.push_str("\nEvidence:\n");
        for e in evidence {
            out.push_str(&format!("  - {e}\n"));
        }
    }
    let steps: Vec<&str> = doc["diagnosis"]["nextSteps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !steps.is_empty() {
        out.push_str("\nNext steps:\n");
        for st in steps {
            out.push_str(&format!("  - {st}\n"));
        }
    }
    out
}

fn invocation_evidence(inv: &Value, who: &str, out: &mut Vec<String>) {
    if !inv.is_object() {
        return;
    }
    out.push(format!(
        "{who} invocation {} of {}: {:.1} ms{}{}",
        inv["lambdaRequestId"].as_str().unwrap_or("?"),
        inv["function"].as_str().unwrap_or("?"),
        inv["durationMs"].as_f64().unwrap_or(0.0),
        if inv["coldStart"].as_bool() == Some(true) {
            ", cold start"
        } else {
            ""
        },
        inv["pid"]
            .as_u64()
            .map(|p| format!(", pid {p}"))
            .unwrap_or_default()
    ));
    if let Some(note) = s(&inv["pool"]) {
        out.push(format!(
            "{who} process: {:.1} ms in the queue; {note}",
            inv["queueWaitMs"].as_f64().unwrap_or(0.0)
        ));
    }
    if let Some(e) = s(&inv["errorType"]) {
        out.push(format!(
            "{who} error: {e}: {}",
            inv["errorMessage"].as_str().unwrap_or("")
        ));
    }
    if let Some(x) = s(&inv["exit"]) {
        out.push(format!("{who} process ended: {x}"));
    }
    let tail: Vec<&str> = inv["outputTail"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !tail.is_empty() {
        let start = tail.len().saturating_sub(10);
        out.push(format!(
            "{who} output (last lines):\n      {}",
            tail[start..].join("\n      ")
        ));
    }
}
