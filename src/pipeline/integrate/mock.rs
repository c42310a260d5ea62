//! REST `MOCK` integrations (aws-httpapi-semantics.md §5.3): the gateway answers itself. The
//! request template chosen by the request's `Content-Type` (else `application/json`, else
//! the first) is rendered and its `statusCode` read (no template: 200); the integration
//! response whose `selectionPattern` matches that status as text is used, else the one
//! without a pattern; its `responseParameters` set the headers and its response template is
//! the body (`mapping`).

use crate::model::Mock;
use crate::outcome::{Cause, Failure};
use crate::pipeline::request::GatewayRequest;
use crate::pipeline::respond::GatewayResponse;
use crate::trace::Trace;

use super::mapping::{self, Scope};

/// Answer a request from the mock.
///
/// # Errors
/// A [`Failure`] (`mock-configuration`) when the request template does not give an integer
/// `statusCode`, or no integration response takes it; a template's rendering failure.
pub fn answer(
    mock: &Mock,
    scope: &Scope<'_>,
    req: &GatewayRequest,
    trace: &mut Trace,
) -> Result<GatewayResponse, Failure> {
    let status = match mapping::template_or_default(
        &mock.request_templates,
        req.header("content-type"),
    ) {
        None => 200,
        Some((_, template)) => {
            let (rendered, _) = mapping::render(
                template,
                &scope.bindings(&req.body),
                mapping::Side::Request,
                "the MOCK integration's request template",
                trace,
            )?;
            trace.log(format!(
                "Endpoint request body after transformations: {rendered}"
            ));
            match status_code(&rendered) {
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
    let Some(response) = mapping::select(&mock.responses, Some(&status.to_string())) else {
        return Err(mapping::no_output_mapping(
            Cause::MockConfiguration,
            status,
            &format!("the MOCK integration's status {status}"),
            trace,
        ));
    };
    mapping::method_response(response, scope, req, b"", trace)
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

fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IntegrationResponse, SelectionPattern};

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
        let r = |pattern: Option<&str>, status| IntegrationResponse {
            pattern: pattern.map(SelectionPattern::new),
            status,
            parameters: Vec::new(),
            templates: Vec::new(),
        };
        let responses = vec![r(None, 200), r(Some("5\\d{2}"), 500), r(Some("404"), 404)];
        let pick =
            |rs: &[IntegrationResponse], s: &str| mapping::select(rs, Some(s)).map(|r| r.status);
        assert_eq!(pick(&responses, "503"), Some(500));
        assert_eq!(pick(&responses, "404"), Some(404));
        assert_eq!(pick(&responses, "201"), Some(200));
        // The pattern must match the whole text.
        assert_eq!(pick(&responses, "4041"), Some(200));
        assert!(pick(&responses[1..], "201").is_none());
    }
}
