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
}

impl AuthContext {
    /// `$context.authorizer.*` for gateway response templates.
    pub fn template_values(&self) -> IndexMap<String, String> {
        let mut m = (*self.context).clone();
        if let Some(p) = &self.principal_id {
            m.insert("principalId".into(), p.clone());
        }
        m
    }
}
