//! What an authorized request carries from the authorizer stage into the integration: the
//! principal and the authorizer's context. Its own module so that the events built for the
//! integration (`payload`) need not depend on the authorizer stage.

use std::sync::Arc;

use indexmap::IndexMap;

/// What an allowed request carries into the integration.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthContext {
    /// `principalId`.
    pub principal_id: Option<String>,
    /// `context`, stringified (shared with the cached result it came from).
    pub context: Arc<IndexMap<String, String>>,
    /// Authorizer latency in ms (0 on a cache hit).
    pub integration_latency_ms: u64,
    /// The context with its JSON types, from a Lambda authorizer's result (payload 2.0 hands
    /// it on as `requestContext.authorizer.lambda`); `None` for the allow stand-in, whose
    /// context is text.
    pub json_context: Option<Arc<IndexMap<String, serde_json::Value>>>,
    /// A JWT authorizer's verified token: its claims (stringified) and, when the route has
    /// scopes, the token's scopes.
    pub jwt: Option<JwtClaims>,
    /// Who signed the request, when `AWS_IAM` authorization checked it.
    pub iam: Option<IamCaller>,
}

/// Who signed a request `AWS_IAM` authorization allowed: `requestContext.identity` (REST,
/// payload 1.0) or `requestContext.authorizer.iam` (payload 2.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamCaller {
    /// The access key id.
    pub access_key: String,
    /// The caller's account, when known.
    pub account_id: Option<String>,
    /// The caller's ARN, when known.
    pub user_arn: Option<String>,
    /// The caller's IAM unique id, when known.
    pub user_id: Option<String>,
}

/// What a JWT authorizer hands to the integration (aws-httpapi-semantics.md §3.5).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JwtClaims {
    /// Every claim, stringified as API Gateway does.
    pub claims: IndexMap<String, String>,
    /// `null` unless the route has authorization scopes.
    pub scopes: Option<Vec<String>>,
    /// From a REST Cognito user pool authorizer, whose block is `{"claims": ...}` alone.
    #[serde(skip)]
    pub cognito: bool,
}

impl AuthContext {
    /// What a verified token carries: its claims and (JWT authorizers, on routes with scopes)
    /// its scopes, with no principal or Lambda context.
    pub fn from_token(jwt: JwtClaims) -> Self {
        AuthContext {
            principal_id: None,
            context: Arc::default(),
            integration_latency_ms: 0,
            json_context: None,
            jwt: Some(jwt),
            iam: None,
        }
    }

    /// `requestContext.authorizer` of a payload 2.0 event: `{"lambda": context}`, the context
    /// values keeping their JSON types (aws-httpapi-semantics.md §2.7).
    pub fn lambda_block(&self) -> serde_json::Value {
        if let Some(jwt) = &self.jwt {
            return serde_json::json!({ "jwt": jwt });
        }
        if let Some(c) = &self.iam {
            return serde_json::json!({ "iam": {
                "accessKey": c.access_key,
                "accountId": c.account_id,
                "callerId": c.user_id,
                "cognitoIdentity": null,
                "principalOrgId": null,
                "userArn": c.user_arn,
                "userId": c.user_id,
            }});
        }
        let context: serde_json::Map<String, serde_json::Value> = match &self.json_context {
            Some(c) => c.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => self
                .context
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
                .collect(),
        };
        serde_json::json!({ "lambda": context })
    }

    /// `$context.authorizer.*` for gateway response templates (a verified token's claims as
    /// `claims.NAME`).
    pub fn template_values(&self) -> IndexMap<String, String> {
        let mut m = (*self.context).clone();
        if let Some(jwt) = &self.jwt {
            for (k, v) in &jwt.claims {
                m.insert(format!("claims.{k}"), v.clone());
            }
        }
        if let Some(p) = &self.principal_id {
            m.insert("principalId".into(), p.clone());
        }
        m
    }
}
