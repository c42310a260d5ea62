//! Identity sources: what the authorizer is asked about, and the 401s API Gateway answers
//! without invoking it (aws-semantics.md §3.5).
//!
//! TOKEN: one header; missing or empty -> 401; a `ValidationExpression` must match the whole
//! value (AWS does not document anchoring; it is Java-based, so whole-string matching is the
//! faithful guess) else 401. REQUEST on REST: every source must be present and non-empty when
//! caching is on (TTL > 0), else 401; with TTL 0 sources are optional (the documentation's
//! wording; unverified on AWS). REQUEST on HTTP APIs: every configured source is required,
//! cached or not (aws-httpapi-semantics.md §2.2), and the messages spell sources the HTTP
//! API way (`$request.header.X`).

use indexmap::IndexMap;
use regex::Regex;

use crate::model::{ApiKind, AuthorizerKind, IdentitySource};
use crate::pipeline::request::GatewayRequest;

/// The values that identify a caller (the cache key), in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Values in source order (missing optional ones are empty strings).
    pub values: Vec<String>,
}

/// Why the authorizer is not invoked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// A required source is absent or empty.
    #[error("identity source {source_name} is missing or empty")]
    Missing {
        /// The source (`method.request.header.Authorization`).
        source_name: String,
    },
    /// The token does not match `ValidationExpression`.
    #[error("the token does not match the ValidationExpression {expression}")]
    Invalid {
        /// The expression.
        expression: String,
    },
}

/// Request facts that `context.*` identity sources can name.
pub struct ContextFacts<'a> {
    /// The flavour of the API: what is required, and how sources are spelled.
    pub kind: ApiKind,
    /// Resource template.
    pub resource_path: &'a str,
    /// The route key (`$context.routeKey` on HTTP APIs).
    pub route_key: &'a str,
    /// Stage.
    pub stage: &'a str,
    /// API id.
    pub api_id: &'a str,
    /// Account id.
    pub account_id: &'a str,
}

fn context_value(name: &str, req: &GatewayRequest, f: &ContextFacts<'_>) -> Option<String> {
    if f.kind == ApiKind::Http {
        // HTTP APIs' own `$context` names; the request path already holds a named stage.
        match name {
            "routeKey" => return Some(f.route_key.to_owned()),
            "path" => return Some(req.path.clone()),
            "requestId" => return Some(req.extended_request_id.clone()),
            _ => {}
        }
    }
    Some(match name {
        "httpMethod" => req.method.clone(),
        "resourcePath" => f.resource_path.to_owned(),
        "path" => format!("/{}{}", f.stage, req.path),
        "stage" => f.stage.to_owned(),
        "apiId" => f.api_id.to_owned(),
        "accountId" => f.account_id.to_owned(),
        "requestId" => req.request_id.clone(),
        "extendedRequestId" => req.extended_request_id.clone(),
        "protocol" => req.protocol.to_owned(),
        "domainName" => req.header("host").unwrap_or("localhost").to_owned(),
        "identity.sourceIp" => req.source_ip.to_string(),
        "identity.userAgent" => req.header("user-agent")?.to_owned(),
        _ => return None,
    })
}

fn query_value(req: &GatewayRequest, name: &str, kind: ApiKind) -> Option<String> {
    match kind {
        ApiKind::Rest => req.query_params().single.as_ref()?.get(name).cloned(),
        // HTTP APIs comma-join a repeated key, as in `queryStringParameters`.
        ApiKind::Http => Some(req.query_params().multi.as_ref()?.get(name)?.join(",")),
    }
}

/// The value of one identity source in a request (header, query string); `None` when it is
/// absent. (Stage variables and `$context` need more than the request; JWT authorizers take
/// a header or a query string.)
pub fn source_value(src: &IdentitySource, req: &GatewayRequest) -> Option<String> {
    match src {
        IdentitySource::Header(n) => req.header(n).map(str::to_owned),
        IdentitySource::Query(n) => query_value(req, n, ApiKind::Http),
        IdentitySource::StageVariable(_) | IdentitySource::Context(_) => None,
    }
}

/// Extract the identity for an authorizer.
///
/// # Errors
/// [`IdentityError`] when API Gateway would answer 401 without invoking the authorizer.
pub fn extract(
    kind: &AuthorizerKind,
    validation: Option<&Regex>,
    caching: bool,
    req: &GatewayRequest,
    stage_variables: &IndexMap<String, String>,
    facts: &ContextFacts<'_>,
) -> Result<Identity, IdentityError> {
    match kind {
        AuthorizerKind::Token {
            header,
            validation_expression,
        } => {
            let value = req.header(header).unwrap_or("");
            if value.is_empty() {
                return Err(IdentityError::Missing {
                    source_name: IdentitySource::Header(header.clone()).to_string(),
                });
            }
            if let (Some(re), Some(expr)) = (validation, validation_expression) {
                if !re.is_match(value) {
                    return Err(IdentityError::Invalid {
                        expression: expr.clone(),
                    });
                }
            }
            Ok(Identity {
                values: vec![value.to_owned()],
            })
        }
        AuthorizerKind::Request {
            identity_sources, ..
        } => {
            let mut values = Vec::with_capacity(identity_sources.len());
            for src in identity_sources {
                let v = match src {
                    IdentitySource::Header(n) => req.header(n).map(str::to_owned),
                    IdentitySource::Query(n) => query_value(req, n, facts.kind),
                    IdentitySource::StageVariable(n) => stage_variables.get(n).cloned(),
                    IdentitySource::Context(n) => context_value(n, req, facts),
                }
                .unwrap_or_default();
                if v.is_empty() && (caching || facts.kind == ApiKind::Http) {
                    return Err(IdentityError::Missing {
                        source_name: src.spelled(facts.kind),
                    });
                }
                values.push(v);
            }
            Ok(Identity { values })
        }
        // Checked by the JWT stage itself (`jwt/`), which reads its one source.
        AuthorizerKind::Jwt {
            identity_source, ..
        } => Ok(Identity {
            values: vec![source_value(identity_source, req).unwrap_or_default()],
        }),
        AuthorizerKind::CognitoUserPools { header, .. } => Ok(Identity {
            values: vec![req.header(header).unwrap_or_default().to_owned()],
        }),
        // The signature lives in the `Authorization` header (checked by `iam/`).
        AuthorizerKind::Iam => Ok(Identity {
            values: vec![req.header("authorization").unwrap_or_default().to_owned()],
        }),
    }
}

/// Compile a `ValidationExpression` to match whole values.
///
/// # Errors
/// The expression is not a valid regex.
pub fn compile_validation(expr: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{expr})$"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)], query: Option<&str>) -> GatewayRequest {
        let target = match query {
            Some(q) => format!("/pets?{q}"),
            None => "/pets".to_owned(),
        };
        let mut r = GatewayRequest::local("GET", &target, headers.iter().copied(), "");
        r.request_id = "rid".into();
        r.extended_request_id = "ext".into();
        r
    }

    const FACTS: ContextFacts<'static> = ContextFacts {
        kind: ApiKind::Rest,
        resource_path: "/pets",
        route_key: "GET /pets",
        stage: "Prod",
        api_id: "api",
        account_id: "123",
    };

    fn token(expr: Option<&str>) -> AuthorizerKind {
        AuthorizerKind::Token {
            header: "Authorization".into(),
            validation_expression: expr.map(str::to_owned),
        }
    }

    #[test]
    fn token_identity_is_the_header_value() {
        let id = extract(
            &token(None),
            None,
            true,
            &req(&[("authorization", "abc")], None),
            &IndexMap::new(),
            &FACTS,
        )
        .unwrap();
        assert_eq!(id.values, vec!["abc"]);
    }

    #[test]
    fn missing_or_empty_token_is_rejected() {
        for r in [req(&[], None), req(&[("Authorization", "")], None)] {
            let e = extract(&token(None), None, true, &r, &IndexMap::new(), &FACTS).unwrap_err();
            assert_eq!(
                e,
                IdentityError::Missing {
                    source_name: "method.request.header.Authorization".into()
                }
            );
        }
    }

    #[test]
    fn validation_expression_matches_the_whole_token() {
        let re = compile_validation("Bearer [a-z]+").unwrap();
        let kind = token(Some("Bearer [a-z]+"));
        let ok = extract(
            &kind,
            Some(&re),
            true,
            &req(&[("Authorization", "Bearer abc")], None),
            &IndexMap::new(),
            &FACTS,
        );
        assert!(ok.is_ok());
        let bad = extract(
            &kind,
            Some(&re),
            true,
            &req(&[("Authorization", "Bearer abc1")], None),
            &IndexMap::new(),
            &FACTS,
        );
        assert!(matches!(bad, Err(IdentityError::Invalid { .. })));
        let prefix = extract(
            &kind,
            Some(&re),
            true,
            &req(&[("Authorization", "xBearer abc")], None),
            &IndexMap::new(),
            &FACTS,
        );
        assert!(matches!(prefix, Err(IdentityError::Invalid { .. })));
    }

    #[test]
    fn request_sources_in_order_and_required_only_with_caching() {
        let kind = AuthorizerKind::rest_request(vec![
            IdentitySource::Header("X-Key".into()),
            IdentitySource::Query("tenant".into()),
            IdentitySource::StageVariable("env".into()),
            IdentitySource::Context("httpMethod".into()),
        ]);
        let vars: IndexMap<String, String> =
            [("env".to_owned(), "dev".to_owned())].into_iter().collect();
        let r = req(&[("x-key", "k1")], Some("tenant=acme"));
        let id = extract(&kind, None, true, &r, &vars, &FACTS).unwrap();
        assert_eq!(id.values, vec!["k1", "acme", "dev", "GET"]);
        let r = req(&[("x-key", "k1")], None);
        let e = extract(&kind, None, true, &r, &vars, &FACTS).unwrap_err();
        assert_eq!(
            e,
            IdentityError::Missing {
                source_name: "method.request.querystring.tenant".into()
            }
        );
        let id = extract(&kind, None, false, &r, &vars, &FACTS).unwrap();
        assert_eq!(id.values, vec!["k1", "", "dev", "GET"]);
    }

    #[test]
    fn http_api_sources_are_always_required_and_spelled_their_way() {
        let kind = AuthorizerKind::Request {
            identity_sources: vec![
                IdentitySource::Header("X-Key".into()),
                IdentitySource::Query("tenant".into()),
                IdentitySource::Context("routeKey".into()),
            ],
            payload: crate::model::PayloadVersion::V2,
            simple_responses: true,
        };
        let facts = ContextFacts {
            kind: ApiKind::Http,
            ..FACTS
        };
        let r = req(&[("x-key", "k1")], Some("tenant=a&tenant=b"));
        let id = extract(&kind, None, false, &r, &IndexMap::new(), &facts).unwrap();
        assert_eq!(id.values, vec!["k1", "a,b", "GET /pets"]);
        // Without caching a REST REQUEST authorizer would run; an HTTP API answers 401.
        let e = extract(
            &kind,
            None,
            false,
            &req(&[], Some("tenant=a")),
            &IndexMap::new(),
            &facts,
        )
        .unwrap_err();
        assert_eq!(
            e,
            IdentityError::Missing {
                source_name: "$request.header.X-Key".into()
            }
        );
    }
}
