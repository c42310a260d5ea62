//! API Gateway's own vocabulary where SAM's readers meet it: how its authorizer fields are
//! spelled in a CloudFormation resource and in the OpenAPI extension, and the field names of
//! a Lambda integration. Shared by `cfn` and `openapi`, owned by neither.

/// The CloudFormation type of an authorizer resource.
pub(super) const AUTHORIZER: &str = "AWS::ApiGateway::Authorizer";

/// The field names of a Lambda proxy integration where it was read.
pub(super) struct IntegrationKeys<'a> {
    /// What holds them, for messages (`Integration`, `the integration of GET /x`).
    pub owner: &'a str,
    /// The verb API Gateway calls the function with.
    pub verb: &'static str,
    /// The invocation URI.
    pub uri: &'static str,
    /// The integration timeout.
    pub timeout: &'static str,
}

/// How API Gateway's authorizer fields are spelled where they were read: the CloudFormation
/// resource uses PascalCase (`IdentitySource`, `TOKEN`), the OpenAPI extension camelCase
/// (`identitySource`, `token`). Messages use the spelling the user wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spelling {
    /// `AWS::ApiGateway::Authorizer`.
    Resource,
    /// `x-amazon-apigateway-authorizer`.
    Extension,
}

impl Spelling {
    /// A field name, given in camelCase, as this spelling writes it.
    pub(super) fn field(self, camel: &str) -> String {
        match self {
            Spelling::Extension => camel.to_owned(),
            Spelling::Resource => {
                let mut c = camel.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        }
    }

    /// A key as written, in camelCase.
    pub(super) fn canonical(self, key: &str) -> String {
        let mut c = key.chars();
        c.next()
            .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
            .unwrap_or_default()
    }

    /// The authorizer type name.
    pub(super) fn kind(self, request: bool) -> &'static str {
        match (self, request) {
            (Spelling::Resource, false) => "TOKEN",
            (Spelling::Resource, true) => "REQUEST",
            (Spelling::Extension, false) => "token",
            (Spelling::Extension, true) => "request",
        }
    }

    /// What the fields belong to, for warnings.
    pub(super) fn what(self) -> &'static str {
        match self {
            Spelling::Resource => AUTHORIZER,
            Spelling::Extension => "x-amazon-apigateway-authorizer",
        }
    }
}
