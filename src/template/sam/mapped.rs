//! Integrations driven by mapping templates, REST only, in both spellings: `MOCK` and the
//! Lambda non-proxy integration (`AWS` with a Lambda invocation URI). OpenAPI's
//! `x-amazon-apigateway-integration` writes `requestTemplates`, `passthroughBehavior` and
//! `responses` keyed by selection pattern (`default` for none); `AWS::ApiGateway::Method`'s
//! `Integration` writes `RequestTemplates`, `PassthroughBehavior` and a list of
//! `IntegrationResponses` with `SelectionPattern`.
//!
//! Every template is parsed here (`crate::vtl`): one glassgate cannot use is a warning that
//! names the construct, and the integration answers 500 when a request needs it; calls it
//! does not know are named in a warning too.

use serde_json::{Map, Value};

use super::apigw::IntegrationKeys;
use super::{Builder, Prop};
use crate::model::{
    Integration, IntegrationResponse, LambdaMapped, Mock, Passthrough, SelectionPattern,
};
use crate::template::{Reported, child, describe};
use crate::vtl::Template;

/// Which spelling.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MappedForm {
    OpenApi,
    CloudFormation,
}

impl MappedForm {
    fn key(self, camel: &'static str, pascal: &'static str) -> &'static str {
        match self {
            MappedForm::OpenApi => camel,
            MappedForm::CloudFormation => pascal,
        }
    }
}

impl Builder<'_> {
    /// A `MOCK` integration from its mapping.
    pub(super) fn mock_integration(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        form: MappedForm,
    ) -> Result<Integration, Reported> {
        let request_templates = self.request_templates(entries, loc, form)?;
        let responses = self.integration_responses(
            entries,
            loc,
            form,
            "this MOCK integration",
            "mock-configuration",
        )?;
        Ok(Integration::Mock(Box::new(Mock {
            request_templates,
            responses,
        })))
    }

    /// An `AWS` integration: a Lambda non-proxy integration when its URI invokes a function
    /// of the template; another AWS service is not emulated (a warning, and 500 at request).
    pub(super) fn aws_integration(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        form: MappedForm,
        keys: &IntegrationKeys<'_>,
        route: &str,
    ) -> Result<Integration, Reported> {
        let uri = match entries.get(keys.uri) {
            Some(v) => self.string(&Prop {
                value: v,
                loc: child(loc, keys.uri),
            })?,
            None => None,
        };
        if let Some(service) = uri.as_deref().and_then(other_service) {
            self.r.diags.warn(
                child(loc, keys.uri),
                format!(
                    "{route} integrates with the AWS service {service}, which glassgate does not emulate; the route answers 500 (integration-not-emulated), never a stand-in"
                ),
            );
            return Ok(Integration::NotEmulated {
                kind: "AWS".to_owned(),
            });
        }
        let (function, timeout_ms) = self.proxy_integration(entries, loc, keys, route)?;
        for (key, what) in [
            (
                form.key("contentHandling", "ContentHandling"),
                "converts bodies between text and binary",
            ),
            (
                form.key("requestParameters", "RequestParameters"),
                "maps request parameters into the invocation (X-Amz-Invocation-Type and the like)",
            ),
        ] {
            if entries.contains_key(key) {
                self.r.diags.warn(
                    child(loc, key),
                    format!("{key} ({what}) is not emulated for Lambda non-proxy integrations; glassgate invokes the function synchronously with the rendered template"),
                );
            }
        }
        let passthrough = self.passthrough(entries, loc, form)?;
        let request_templates = self.request_templates(entries, loc, form)?;
        let responses = self.integration_responses(
            entries,
            loc,
            form,
            &format!("this Lambda non-proxy integration of {route}"),
            "mapping-template",
        )?;
        Ok(Integration::LambdaMapped(Box::new(LambdaMapped {
            function,
            timeout: std::time::Duration::from_millis(timeout_ms),
            request_templates,
            passthrough,
            responses,
        })))
    }

    fn passthrough(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        form: MappedForm,
    ) -> Result<Passthrough, Reported> {
        let key = form.key("passthroughBehavior", "PassthroughBehavior");
        let Some(v) = entries.get(key) else {
            return Ok(Passthrough::WhenNoMatch);
        };
        let at = Prop {
            value: v,
            loc: child(loc, key),
        };
        let text = self.string(&at)?.unwrap_or_default();
        match text.to_ascii_uppercase().as_str() {
            "WHEN_NO_MATCH" => Ok(Passthrough::WhenNoMatch),
            "WHEN_NO_TEMPLATES" => Ok(Passthrough::WhenNoTemplates),
            "NEVER" => Ok(Passthrough::Never),
            _ => Err(self.r.diags.error(
                &at.loc,
                format!("{key} must be WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER, got {text:?}"),
            )),
        }
    }

    fn request_templates(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        form: MappedForm,
    ) -> Result<Vec<(String, Template)>, Reported> {
        let key = form.key("requestTemplates", "RequestTemplates");
        match entries.get(key) {
            Some(v) => self.templates(v, &child(loc, key)),
            None => Ok(Vec::new()),
        }
    }

    /// The integration responses; none is a warning naming `owner` and the `cause` every
    /// request of it then answers with.
    fn integration_responses(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        form: MappedForm,
        owner: &str,
        cause: &str,
    ) -> Result<Vec<IntegrationResponse>, Reported> {
        let key = form.key("responses", "IntegrationResponses");
        let responses = self.read_integration_responses(entries, loc, form, key)?;
        if responses.is_empty() {
            self.r.diags.warn(
                loc,
                format!("{owner} has no {key}, so every request answers 500 ({cause}), as on AWS"),
            );
        }
        Ok(responses)
    }

    fn read_integration_responses(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        form: MappedForm,
        key: &str,
    ) -> Result<Vec<IntegrationResponse>, Reported> {
        let mut responses = Vec::new();
        let Some(v) = entries.get(key) else {
            return Ok(responses);
        };
        let at = child(loc, key);
        match (form, v) {
            (MappedForm::OpenApi, _) => {
                for (pattern, r) in self.mapping(v, &at)? {
                    let rloc = child(&at, &pattern);
                    let props = self.mapping(&r, &rloc)?;
                    let pattern = (pattern != "default").then_some(pattern);
                    responses.push(self.integration_response(&props, &rloc, pattern, form)?);
                }
            }
            (MappedForm::CloudFormation, Value::Array(items)) => {
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
                    responses.push(self.integration_response(&props, &rloc, pattern, form)?);
                }
            }
            (MappedForm::CloudFormation, other) => {
                return Err(self.r.diags.error(
                    &at,
                    format!(
                        "expected a list of integration responses, got {}",
                        describe(other)
                    ),
                ));
            }
        }
        Ok(responses)
    }

    fn integration_response(
        &mut self,
        props: &Map<String, Value>,
        loc: &str,
        pattern: Option<String>,
        form: MappedForm,
    ) -> Result<IntegrationResponse, Reported> {
        let status_key = form.key("statusCode", "StatusCode");
        let params_key = form.key("responseParameters", "ResponseParameters");
        let templates_key = form.key("responseTemplates", "ResponseTemplates");
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
        let pattern = pattern.filter(|p| !p.is_empty()).map(|p| {
            let compiled = SelectionPattern::new(&p);
            if compiled.regex.is_none() {
                self.r.diags.warn(
                    loc,
                    format!("the selection pattern {p:?} is not a regular expression glassgate can compile, so it never matches"),
                );
            }
            compiled
        });
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
        Ok(IntegrationResponse {
            pattern,
            status,
            parameters,
            templates,
        })
    }

    /// Templates by content type, each parsed; what glassgate cannot use or does not know is
    /// named in a warning.
    fn templates(&mut self, value: &Value, loc: &str) -> Result<Vec<(String, Template)>, Reported> {
        let mut out = Vec::new();
        for (ct, t) in self.mapping(value, loc)? {
            let at = child(loc, &ct);
            let text = self
                .string(&Prop {
                    value: &t,
                    loc: at.clone(),
                })?
                .unwrap_or_default();
            let template = Template::parse(&text);
            if let Some(e) = template.error() {
                self.r.diags.warn(
                    &at,
                    format!("this mapping template cannot be used ({e}); a request that needs it answers 500, where AWS would render it"),
                );
            } else {
                let unknown = template.unknown();
                if !unknown.is_empty() {
                    self.r.diags.warn(
                        &at,
                        format!(
                            "this mapping template calls {}, which glassgate does not evaluate; each renders as nothing (docs/mapping-templates.md lists what it evaluates)",
                            unknown.join(", ")
                        ),
                    );
                }
            }
            out.push((ct, template));
        }
        Ok(out)
    }
}

/// The AWS service of an `arn:aws:apigateway:REGION:SERVICE:...` integration URI other than
/// Lambda (`dynamodb`, `states`, `sqs`...).
fn other_service(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, target) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if service != "apigateway" || target == "lambda" {
        return None;
    }
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::other_service;

    #[test]
    fn services_other_than_lambda_are_named() {
        assert_eq!(
            other_service("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"),
            Some("dynamodb")
        );
        assert_eq!(
            other_service(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations"
            ),
            None
        );
        assert_eq!(other_service("https://example.com"), None);
    }
}
