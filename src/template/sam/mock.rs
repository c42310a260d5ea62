//! REST `MOCK` integrations in both spellings: OpenAPI's `x-amazon-apigateway-integration`
//! `type: mock` (`requestTemplates`, and `responses` keyed by selection pattern, `default`
//! for none) and `AWS::ApiGateway::Method` `Integration.Type: MOCK` (`RequestTemplates`, and
//! a list of `IntegrationResponses` with `SelectionPattern`). Templates that use more VTL
//! than glassgate renders are named in a warning.

use serde_json::{Map, Value};

use super::{Builder, Prop};
use crate::model::{Integration, Mock, MockResponse};
use crate::template::{Reported, child, describe};
use crate::vtl::unrendered;

/// Which spelling.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MockForm {
    OpenApi,
    CloudFormation,
}

impl Builder<'_> {
    /// A `MOCK` integration from its mapping.
    pub(super) fn mock_integration(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        form: MockForm,
    ) -> Result<Integration, Reported> {
        let (templates_key, responses_key) = match form {
            MockForm::OpenApi => ("requestTemplates", "responses"),
            MockForm::CloudFormation => ("RequestTemplates", "IntegrationResponses"),
        };
        let request_templates = match entries.get(templates_key) {
            Some(v) => self.templates(v, &child(loc, templates_key))?,
            None => Vec::new(),
        };
        let mut responses = Vec::new();
        if let Some(v) = entries.get(responses_key) {
            let at = child(loc, responses_key);
            match (form, v) {
                (MockForm::OpenApi, _) => {
                    for (pattern, r) in self.mapping(v, &at)? {
                        let rloc = child(&at, &pattern);
                        let props = self.mapping(&r, &rloc)?;
                        let pattern = (pattern != "default").then_some(pattern);
                        responses.push(self.mock_response(&props, &rloc, pattern, form)?);
                    }
                }
                (MockForm::CloudFormation, Value::Array(items)) => {
                    for (i, r) in items.iter().enumerate() {
                        let rloc = crate::template::index(&at, i);
                        let props = self.mapping(r, &rloc)?;
                        let pattern = match props.get("SelectionPattern") {
                            Some(p) => self.string(&Prop {
                                value: p,
                                loc: child(&rloc, "SelectionPattern"),
                            })?,
                            None => None,
                        };
                        responses.push(self.mock_response(&props, &rloc, pattern, form)?);
                    }
                }
                (MockForm::CloudFormation, other) => {
                    return Err(self.r.diags.error(
                        &at,
                        format!(
                            "expected a list of integration responses, got {}",
                            describe(other)
                        ),
                    ));
                }
            }
        }
        if responses.is_empty() {
            self.r.diags.warn(
                loc,
                format!("this MOCK integration has no {responses_key}, so every request answers 500 (mock-configuration), as on AWS"),
            );
        }
        Ok(Integration::Mock(Box::new(Mock {
            request_templates,
            responses,
        })))
    }

    fn mock_response(
        &mut self,
        props: &Map<String, Value>,
        loc: &str,
        pattern: Option<String>,
        form: MockForm,
    ) -> Result<MockResponse, Reported> {
        let (status_key, params_key, templates_key) = match form {
            MockForm::OpenApi => ("statusCode", "responseParameters", "responseTemplates"),
            MockForm::CloudFormation => ("StatusCode", "ResponseParameters", "ResponseTemplates"),
        };
        let status = match props.get(status_key) {
            None => {
                return Err(self
                    .r
                    .diags
                    .error(loc, format!("an integration response needs a {status_key}")));
            }
            Some(v) => {
                let at = Prop {
                    value: v,
                    loc: child(loc, status_key),
                };
                let text = self.string(&at)?.unwrap_or_default();
                match text.parse::<u16>().ok().filter(|s| (100..=599).contains(s)) {
                    Some(s) => s,
                    None => {
                        return Err(self.r.diags.error(
                            &at.loc,
                            format!("{status_key} must be an HTTP status code, got {text:?}"),
                        ));
                    }
                }
            }
        };
        let mut parameters = Vec::new();
        if let Some(v) = props.get(params_key) {
            let at = child(loc, params_key);
            for (k, v) in self.mapping(v, &at)? {
                if let Some(text) = self.string(&Prop {
                    value: &v,
                    loc: child(&at, &k),
                })? {
                    parameters.push((k, text));
                }
            }
        }
        let templates = match props.get(templates_key) {
            Some(v) => self.templates(v, &child(loc, templates_key))?,
            None => Vec::new(),
        };
        Ok(MockResponse {
            pattern,
            status,
            parameters,
            templates,
        })
    }

    /// Templates by content type, each checked for VTL glassgate does not render.
    fn templates(&mut self, value: &Value, loc: &str) -> Result<Vec<(String, String)>, Reported> {
        let mut out = Vec::new();
        for (ct, t) in self.mapping(value, loc)? {
            let at = child(loc, &ct);
            let text = self
                .string(&Prop {
                    value: &t,
                    loc: at.clone(),
                })?
                .unwrap_or_default();
            let constructs = unrendered(&text);
            if !constructs.is_empty() {
                self.r.diags.warn(
                    &at,
                    format!(
                        "this mapping template uses VTL that glassgate does not evaluate yet ({}); it renders $context.* and $input.params('name') and leaves the rest as written",
                        constructs.join(", ")
                    ),
                );
            }
            out.push((ct, text));
        }
        Ok(out)
    }
}
