//! What `MOCK` and Lambda non-proxy integrations share: the variables a mapping template
//! reads ([`Scope`]), the template a content type selects, the integration response a status
//! or error message selects, and the method response that integration response makes
//! (`responseParameters` into headers, its response template into the body).

use serde_json::{Map, Value};

use crate::model::IntegrationResponse;
use crate::outcome::{Cause, Failure};
use crate::pipeline::payload::v1::{EventContext, context_value};
use crate::pipeline::request::GatewayRequest;
use crate::pipeline::respond::GatewayResponse;
use crate::trace::Trace;
use crate::vtl::{Bindings, Overrides, RenderError, Template};

/// The variables of one request's templates, built when a template first needs them (a
/// CORS preflight mock with static templates never does) and once for all of them.
pub struct Scope<'a> {
    req: &'a GatewayRequest,
    ev: EventContext<'a>,
    built: std::sync::OnceLock<Variables>,
}

/// `$input.params()`, `$context` and `$stageVariables`, as JSON.
struct Variables {
    params: Value,
    context: Value,
    stage_variables: Value,
}

impl<'a> Scope<'a> {
    /// The variables of `req`: `$input.params()`, `$context` (the REST event's
    /// `requestContext`, authorizer included) and `$stageVariables`.
    pub fn new(req: &'a GatewayRequest, ev: EventContext<'a>) -> Self {
        Scope {
            req,
            ev,
            built: std::sync::OnceLock::new(),
        }
    }

    fn variables(&self) -> &Variables {
        self.built.get_or_init(|| {
            let (req, ev) = (self.req, &self.ev);
            let text_map = |pairs: &mut dyn Iterator<Item = (&str, &str)>| {
                let mut m = Map::new();
                for (k, v) in pairs {
                    // The last of repeated names wins, as in the event's single-value maps.
                    m.insert(k.to_owned(), Value::from(v));
                }
                Value::Object(m)
            };
            let query = req.query_params();
            let mut params = Map::new();
            params.insert(
                "path".to_owned(),
                text_map(&mut ev.path_params.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
            params.insert(
                "querystring".to_owned(),
                text_map(
                    &mut query
                        .single
                        .iter()
                        .flatten()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                ),
            );
            params.insert(
                "header".to_owned(),
                text_map(&mut req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
            Variables {
                params: Value::Object(params),
                context: context_value(req, ev),
                stage_variables: text_map(
                    &mut ev
                        .stage_variables
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                ),
            }
        })
    }

    /// The bindings of a template reading `body` as `$input`.
    pub fn bindings<'b>(&'b self, body: &'b [u8]) -> Bindings<'b> {
        let v = self.variables();
        Bindings {
            body,
            params: &v.params,
            context: &v.context,
            stage_variables: &v.stage_variables,
        }
    }
}

/// The media type of a `Content-Type` or `Accept` value (`application/json; charset=x` ->
/// `application/json`).
fn media_type(value: &str) -> &str {
    value.split([';', ',']).next().unwrap_or_default().trim()
}

/// The request template of a non-proxy integration for the request's `Content-Type`
/// (`application/json` when it has none): an exact match of the media type, or none.
pub fn request_template<'a>(
    templates: &'a [(String, Template)],
    content_type: Option<&str>,
) -> Option<(&'a str, &'a Template)> {
    let wanted = content_type.map_or("application/json", media_type);
    templates
        .iter()
        .find(|(ct, _)| ct.eq_ignore_ascii_case(wanted))
        .map(|(ct, t)| (ct.as_str(), t))
}

/// A template for `wanted` (a `Content-Type` or `Accept`): the exact one, else
/// `application/json`, else the first.
pub fn template_or_default<'a>(
    templates: &'a [(String, Template)],
    wanted: Option<&str>,
) -> Option<(&'a str, &'a Template)> {
    let wanted = wanted.map(media_type);
    templates
        .iter()
        .find(|(ct, _)| wanted.is_some_and(|w| ct.eq_ignore_ascii_case(w)))
        .or_else(|| templates.iter().find(|(ct, _)| ct == "application/json"))
        .or_else(|| templates.first())
        .map(|(ct, t)| (ct.as_str(), t))
}

/// The integration response for `text` (a MOCK's status, a function's error message): the
/// first whose selection pattern matches all of it, else the default (no pattern).
pub fn select<'a>(
    responses: &'a [IntegrationResponse],
    text: Option<&str>,
) -> Option<&'a IntegrationResponse> {
    text.and_then(|text| {
        responses
            .iter()
            .find(|r| r.pattern.as_ref().is_some_and(|p| p.matches(text)))
    })
    .or_else(|| responses.iter().find(|r| r.pattern.is_none()))
}

/// Which side of the integration a template maps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A request template: `$input` is the client's body.
    Request,
    /// A response template: `$input` is the integration's answer.
    Response,
}

/// Render `template`; `what` names it in the failure (`the request template`).
///
/// # Errors
/// On the request side, `body-not-json` when the template reads a body that is not JSON as
/// JSON (the client's fault, 400); everything else, and an answer that is not JSON on the
/// response side, `mapping-template` (500).
pub fn render(
    template: &Template,
    bindings: &Bindings<'_>,
    side: Side,
    what: &str,
    trace: &mut Trace,
) -> Result<(String, Overrides), Failure> {
    template.render_with_overrides(bindings).map_err(|e| match (e, side) {
        (RenderError::BodyNotJson(why), Side::Request) => {
            trace.log(format!(
                "Execution failed: Could not parse request body into json: {why}"
            ));
            Failure::new(
                Cause::BodyNotJson,
                format!("{what} reads the body as JSON ($input.json or $input.path), and it is not JSON: {why}"),
            )
        }
        (e, _) => {
            trace.log(format!(
                "Execution failed due to configuration error: Unable to transform {}",
                match side {
                    Side::Request => "request",
                    Side::Response => "response",
                }
            ));
            let e = match e {
                RenderError::BodyNotJson(why) => {
                    format!("it reads the integration's answer as JSON, and that is not JSON ({why})")
                }
                e => e.to_string(),
            };
            Failure::new(Cause::MappingTemplate, format!("{what} cannot be rendered: {e}"))
        }
    })
}

/// The failure of a status or error message no integration response takes.
pub fn no_output_mapping(cause: Cause, status: u16, what: &str, trace: &mut Trace) -> Failure {
    trace.log(format!(
        "Execution failed due to configuration error: No match for output mapping and no default output mapping configured. Endpoint Response Status Code: {status}"
    ));
    Failure::new(
        cause,
        format!(
            "no integration response takes {what} (no selectionPattern matches it and none is the default)"
        ),
    )
}

/// The method response an integration response makes: its status, its
/// `responseParameters` as headers, and its response template (by the request's `Accept`)
/// rendered over `integration_body`, or that body as it is when it has no template.
///
/// # Errors
/// The response template's rendering failure.
pub fn method_response(
    response: &IntegrationResponse,
    scope: &Scope<'_>,
    req: &GatewayRequest,
    integration_body: &[u8],
    trace: &mut Trace,
) -> Result<GatewayResponse, Failure> {
    let mut headers = Vec::new();
    for (target, source) in &response.parameters {
        let Some(name) = target.strip_prefix("method.response.header.") else {
            continue;
        };
        if let Some(v) = response_value(source, req, scope.ev.path_params, integration_body) {
            headers.push((name.to_owned(), v));
        }
    }
    let mut status = response.status;
    let (content_type, body) = match template_or_default(&response.templates, req.header("accept"))
    {
        Some((ct, t)) => {
            let bindings = scope.bindings(integration_body);
            let (body, overrides) =
                render(t, &bindings, Side::Response, "the response template", trace)?;
            // `#set($context.responseOverride.status = 404)` and `.header.X`: the template's
            // word wins over the integration response's.
            if let Some(s) = overrides.status {
                status = s;
            }
            for (name, value) in overrides.headers {
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
                headers.push((name, value));
            }
            (ct.to_owned(), bytes::Bytes::from(body))
        }
        None => (
            "application/json".to_owned(),
            bytes::Bytes::copy_from_slice(integration_body),
        ),
    };
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.insert(0, ("Content-Type".to_owned(), content_type));
    }
    Ok(GatewayResponse {
        status,
        headers,
        body,
    })
}

/// A `responseParameters` value: `'static'`, `method.request.*`, or
/// `integration.response.body[.path]` (a path without the leading `$`, as API Gateway
/// writes it: `integration.response.body.errorType`).
fn response_value(
    source: &str,
    req: &GatewayRequest,
    path_params: &indexmap::IndexMap<String, String>,
    integration_body: &[u8],
) -> Option<String> {
    let s = source.trim();
    if s == "integration.response.body" {
        return Some(String::from_utf8_lossy(integration_body).into_owned());
    }
    if let Some(path) = s.strip_prefix("integration.response.body.") {
        let doc: Value = serde_json::from_slice(integration_body).ok()?;
        return match crate::vtl::json_path(&doc, &format!("$.{path}")).ok()?? {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => Some(other.to_string()),
        };
    }
    if s.starts_with("integration.response.header.") {
        // Neither a mock nor a Lambda function answers with headers of its own.
        return None;
    }
    let rctx = crate::pipeline::respond::ResponseContext {
        request: Some(req),
        path_params: Some(path_params),
        ..Default::default()
    };
    crate::pipeline::respond::header_value(s, &rctx)
}
