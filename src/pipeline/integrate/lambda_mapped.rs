//! Lambda non-proxy integrations (`type: aws`, REST): the request template chosen by the
//! request's `Content-Type` is rendered into the function's event (without one, the
//! `passthroughBehavior` decides: the body as it is, or 415); the function is invoked; the
//! integration response is selected by the function's `errorMessage` when it failed (the
//! default one, with no pattern, when it answered or nothing matched), and its response
//! template maps the result (or Lambda's error document) into the method response.
//!
//! This is where API Gateway's best-known surprise lives: a function that raises, under a
//! default integration response of 200, answers the client 200 with the error document.
//! glassgate answers the same, and says in the trace and the diagnosis headers that the
//! backend failed.

use crate::lambda::LambdaService;
use crate::model::{LambdaMapped, Passthrough};
use crate::outcome::{Cause, Failure};
use crate::pipeline::request::GatewayRequest;
use crate::pipeline::respond::GatewayResponse;
use crate::trace::Trace;

use super::mapping::{self, Scope};
use super::{Answered, Target};

/// What the integration answered: the method response, and the function's failure when the
/// response maps one (the client sees the response; the trace keeps the failure).
pub struct Mapped {
    /// The method response.
    pub response: GatewayResponse,
    /// The function's failure, when it failed and an integration response took it.
    pub failure: Option<Failure>,
}

/// Run the integration for `req`.
///
/// # Errors
/// A [`Failure`] when there is no method response: no template and no passthrough (415), a
/// body the template cannot read (400), a template that cannot be rendered or no
/// integration response for the answer (500), or no answer from the function
/// (`integrate::call`'s failures: the 6 MB limit, the integration timeout...).
pub async fn answer(
    lambda: &LambdaService,
    spec: &LambdaMapped,
    target: &Target<'_>,
    scope: &Scope<'_>,
    req: &GatewayRequest,
    redactor: &super::super::Redactor,
    trace: &mut Trace,
) -> Result<Mapped, Failure> {
    let content_type = req.header("content-type");
    let event = match mapping::request_template(&spec.request_templates, content_type) {
        Some((_, template)) => mapping::render(
            template,
            &scope.bindings(&req.body),
            mapping::Side::Request,
            "the request template",
            trace,
        )?
        .0
        .into_bytes(),
        None => {
            let passes = match spec.passthrough {
                Passthrough::WhenNoMatch => true,
                Passthrough::WhenNoTemplates => spec.request_templates.is_empty(),
                Passthrough::Never => false,
            };
            if !passes {
                trace.log("Execution failed: Unsupported Media Type");
                let ct = content_type.unwrap_or("application/json (no Content-Type)");
                let known: Vec<&str> = spec
                    .request_templates
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect();
                return Err(Failure::new(
                    Cause::UnsupportedMediaType,
                    format!(
                        "the integration has no request template for {ct} (it has {}) and its passthroughBehavior is {}",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        },
                        match spec.passthrough {
                            Passthrough::Never => "NEVER",
                            _ => "WHEN_NO_TEMPLATES",
                        }
                    ),
                ));
            }
            req.body.to_vec()
        }
    };
    // Lambda hands an empty payload to the function as `{}`; the runtimes' JSON readers
    // would refuse an empty one.
    let event = if event.iter().all(u8::is_ascii_whitespace) {
        b"{}".to_vec()
    } else {
        event
    };
    let (body, error_message, mut failure) =
        match super::call(lambda, target, event, redactor, trace).await? {
            Answered::Result(payload) => (payload, None, None),
            Answered::Error {
                failure,
                error_message,
                payload,
            } => (payload, Some(error_message), Some(failure)),
        };
    let Some(selected) = mapping::select(&spec.responses, error_message.as_deref()) else {
        let what = match &error_message {
            Some(m) => format!("the function's error message {m:?}"),
            None => "the function's result".to_owned(),
        };
        return Err(mapping::no_output_mapping(
            Cause::MappingTemplate,
            200,
            &what,
            trace,
        ));
    };
    if let (Some(m), Some(f)) = (&error_message, &mut failure) {
        let taken_by = match &selected.pattern {
            Some(p) => format!(
                "the integration response with selectionPattern {:?}",
                p.source
            ),
            None => "no selectionPattern matched: the default integration response".to_owned(),
        };
        trace.log(format!(
            "glassgate: the function failed ({m:?}) and {taken_by} took it, so the client gets status {} with {}",
            selected.status,
            if selected.templates.is_empty() {
                "Lambda's error document as the body"
            } else {
                "its response template over Lambda's error document"
            }
        ));
        // The diagnosis says both: the backend failed, and which response the client got.
        f.detail = format!(
            "{}; {taken_by} mapped it to status {}",
            f.detail, selected.status
        );
    }
    let response = mapping::method_response(selected, scope, req, &body, trace)?;
    Ok(Mapped { response, failure })
}
