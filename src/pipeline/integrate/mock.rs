//! REST `MOCK` integrations (aws-httpapi-semantics.md §5.3): the gateway answers itself. The
//! request template chosen by the request's `Content-Type` (else `application/json`, else the
//! first) is rendered and its `statusCode` read (no template: 200); the integration response
//! whose `selectionPattern` matches that status as text is used, else the one without a
//! pattern; its `responseParameters` set the headers and its response template is the body.
//!
//! Templates are rendered with the part of VTL a mock needs to be static: `$context.*` and
//! `$input.params('name')` references (`crate::vtl` says which). A template using more
//! (directives, other references) is named in a load-time warning and used as written.

use crate::model::{Mock, MockResponse};
use crate::outcome::{Cause, Failure};
use crate::pipeline::request::GatewayRequest;
use crate::pipeline::respond::GatewayResponse;
use crate::trace::Trace;

/// What a template may refer to.
pub struct MockContext<'a> {
    /// The matched resource path.
    pub resource: &'a str,
    /// The stage.
    pub stage: &'a str,
    /// The API id.
    pub api_id: &'a str,
    /// The path variables.
    pub path_params: &'a indexmap::IndexMap<String, String>,
}

/// Answer a request from the mock.
///
/// # Errors
/// A [`Failure`] (`mock-configuration`) when the request template does not give an integer
/// `statusCode`, or no integration response takes it.
pub fn answer(
    mock: &Mock,
    ctx: &MockContext<'_>,
    req: &GatewayRequest,
    trace: &mut Trace,
) -> Result<GatewayResponse, Failure> {
    let status = match pick(&mock.request_templates, req.header("content-type")) {
        None => 200,
        Some((_, template)) => {
            let rendered = render(template, ctx, req);
            trace.log(format!(
                "Endpoint request body after transformations: {rendered}"
            ));
            let code = status_code(&rendered);
            match code {
                Some(c) => c,
                None => {
                    trace.log("Execution failed due to configuration error: Unable to parse statusCode. It should be an integer that is defined in the request template.");
                    return Err(Failure::new(
                        Cause::MockConfiguration,
                        format!(
                            "the MOCK integration's request template gave no integer statusCode (it rendered {:?})",
                            clip(&rendered)
                        ),
                    ));
                }
            }
        }
    };
    trace.log(format!(
        "Received response. Status: {status}, Integration latency: 0 ms"
    ));
    let Some(response) = select(&mock.responses, status) else {
        trace.log(format!(
            "Execution failed due to configuration error: No match for output mapping and no default output mapping configured. Endpoint Response Status Code: {status}"
        ));
        return Err(Failure::new(
            Cause::MockConfiguration,
            format!(
                "no integration response of the MOCK integration takes status {status} (none matches it and none is the default)"
            ),
        ));
    };
    let mut headers = Vec::new();
    for (target, source) in &response.parameters {
        let Some(name) = target.strip_prefix("method.response.header.") else {
            continue;
        };
        // The value grammar of gateway responses' headers: `'static'` or a request value.
        let rctx = crate::pipeline::respond::ResponseContext {
            request: Some(req),
            path_params: Some(ctx.path_params),
            ..Default::default()
        };
        if let Some(v) = crate::pipeline::respond::header_value(source, &rctx) {
            headers.push((name.to_owned(), v));
        }
    }
    let (content_type, body) = match pick(&response.templates, req.header("accept")) {
        Some((ct, t)) => (ct.to_owned(), render(t, ctx, req)),
        None => ("application/json".to_owned(), String::new()),
    };
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.insert(0, ("Content-Type".to_owned(), content_type));
    }
    Ok(GatewayResponse {
        status: response.status,
        headers,
        body: bytes::Bytes::from(body),
    })
}

/// The `statusCode` of a rendered request template. API Gateway reads it leniently: CDK's
/// CORS preflight writes `{ statusCode: 200 }`, with the key unquoted, and it answers.
fn status_code(rendered: &str) -> Option<u16> {
    let at = rendered.find("statusCode")?;
    let rest = rendered[at + "statusCode".len()..]
        .trim_start_matches(['"', '\''])
        .trim_start();
    let digits: String = rest
        .strip_prefix(':')?
        .trim_start()
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The template for a content type: the exact one, else `application/json`, else the first.
fn pick<'a>(templates: &'a [(String, String)], wanted: Option<&str>) -> Option<(&'a str, &'a str)> {
    let wanted = wanted
        .and_then(|w| w.split([';', ',']).next())
        .map(str::trim);
    templates
        .iter()
        .find(|(ct, _)| Some(ct.as_str()) == wanted)
        .or_else(|| templates.iter().find(|(ct, _)| ct == "application/json"))
        .or_else(|| templates.first())
        .map(|(ct, t)| (ct.as_str(), t.as_str()))
}

/// The integration response for a status: the first whose pattern matches the whole status
/// text, else the default.
fn select(responses: &[MockResponse], status: u16) -> Option<&MockResponse> {
    let text = status.to_string();
    responses
        .iter()
        .filter(|r| r.pattern.as_deref().is_some_and(|p| !p.is_empty()))
        .find(|r| {
            r.pattern
                .as_deref()
                .and_then(|p| regex::Regex::new(&format!("^(?:{p})$")).ok())
                .is_some_and(|re| re.is_match(&text))
        })
        .or_else(|| {
            responses
                .iter()
                .find(|r| r.pattern.as_deref().is_none_or(str::is_empty))
        })
}

/// Render a template: `$context.X` / `$context.X` in `${...}` form and `$input.params('x')`
/// are replaced; everything else is kept as written.
pub fn render(template: &str, ctx: &MockContext<'_>, req: &GatewayRequest) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match reference(tail, ctx, req) {
            Some((value, used)) => {
                out.push_str(&value);
                rest = &tail[used..];
            }
            None => {
                out.push('$');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The references `render` knows, at the start of `text`: the value, and how many bytes the
/// reference took.
fn reference(text: &str, ctx: &MockContext<'_>, req: &GatewayRequest) -> Option<(String, usize)> {
    if let Some(rest) = text.strip_prefix("$input.params('") {
        let end = rest.find("')")?;
        let name = &rest[..end];
        let value = ctx
            .path_params
            .get(name)
            .cloned()
            .or_else(|| req.query_params().single.as_ref()?.get(name).cloned())
            .or_else(|| req.header(name).map(str::to_owned))
            .unwrap_or_default();
        return Some((value, "$input.params('".len() + end + 2));
    }
    let (braced, body) = match text.strip_prefix("${") {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('$')?),
    };
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_')
        .count();
    let name = body[..name_len].trim_end_matches('.');
    let key = name.strip_prefix("context.")?;
    let value = match key {
        "requestId" => req.request_id.clone(),
        "extendedRequestId" => req.extended_request_id.clone(),
        "httpMethod" => req.method.clone(),
        "resourcePath" => ctx.resource.to_owned(),
        "stage" => ctx.stage.to_owned(),
        "apiId" => ctx.api_id.to_owned(),
        "path" => format!("/{}{}", ctx.stage, req.path),
        "identity.sourceIp" => req.source_ip.to_string(),
        "identity.userAgent" => req.header("user-agent").unwrap_or_default().to_owned(),
        "requestTimeEpoch" => (req.received_at.unix_timestamp_nanos() / 1_000_000).to_string(),
        _ => return None,
    };
    let used = 1 + usize::from(braced) + name.len() + usize::from(braced);
    if braced && !body[name.len()..].starts_with('}') {
        return None;
    }
    Some((value, used))
}

fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> GatewayRequest {
        GatewayRequest {
            request_id: "rid".into(),
            extended_request_id: String::new(),
            method: "GET".into(),
            path: "/pets/7".into(),
            query: Some("scope=internal".into()),
            headers: vec![("Origin".into(), "https://app.example".into())],
            body: bytes::Bytes::new(),
            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            local_port: 0,
            protocol: "HTTP/1.1",
            received_at: time::OffsetDateTime::UNIX_EPOCH,
            parsed_query: std::sync::OnceLock::new(),
        }
    }

    #[test]
    fn context_and_params_are_rendered_and_the_rest_kept() {
        let params = indexmap::IndexMap::from([("id".to_owned(), "7".to_owned())]);
        let ctx = MockContext {
            resource: "/pets/{id}",
            stage: "prod",
            api_id: "abc",
            path_params: &params,
        };
        assert_eq!(
            render(
                r#"{"id": "$input.params('id')", "scope": "$input.params('scope')", "rid": "${context.requestId}", "r": "$context.resourcePath", "price": "$5"}"#,
                &ctx,
                &req()
            ),
            r#"{"id": "7", "scope": "internal", "rid": "rid", "r": "/pets/{id}", "price": "$5"}"#
        );
    }

    #[test]
    fn the_status_code_is_read_leniently() {
        assert_eq!(status_code(r#"{"statusCode": 200}"#), Some(200));
        assert_eq!(status_code("{ statusCode: 204 }"), Some(204));
        assert_eq!(status_code(r#"{"statusCode": "404"}"#), Some(404));
        assert_eq!(status_code(r#"{"statusCode": abc}"#), None);
        assert_eq!(status_code("{}"), None);
    }

    #[test]
    fn the_matching_response_then_the_default_is_selected() {
        let r = |pattern: Option<&str>, status| MockResponse {
            pattern: pattern.map(str::to_owned),
            status,
            parameters: Vec::new(),
            templates: Vec::new(),
        };
        let responses = vec![r(None, 200), r(Some("5\\d{2}"), 500), r(Some("404"), 404)];
        assert_eq!(select(&responses, 503).map(|r| r.status), Some(500));
        assert_eq!(select(&responses, 404).map(|r| r.status), Some(404));
        assert_eq!(select(&responses, 201).map(|r| r.status), Some(200));
        assert!(select(&responses[1..], 201).is_none());
    }
}
