//! An issuer's signing keys (aws-httpapi-semantics.md §3.2): found through
//! `{issuer}/.well-known/openid-configuration` -> `jwks_uri`, each fetch bounded by 1.5 s and
//! 150 000 bytes, kept for up to 2 h, and fetched again when a token names a `kid` the cached
//! set lacks (at most once a second per issuer, so a stream of bad tokens cannot hammer the
//! issuer). `--jwks ISSUER=PATH_OR_URL` replaces discovery for an issuer that cannot be
//! reached: a local file is read, a URL fetched as the JWKS itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use tokio::time::Instant;

/// How long fetched keys are trusted.
pub const KEYS_TTL: Duration = Duration::from_secs(2 * 3600);
/// The discovery and JWKS timeouts of API Gateway.
pub const FETCH_TIMEOUT: Duration = Duration::from_millis(1500);
/// The largest discovery document or JWKS API Gateway accepts.
pub const MAX_BYTES: usize = 150_000;
/// The least time between two fetches for an unknown `kid`.
const REFETCH_AFTER: Duration = Duration::from_secs(1);

/// Why the keys could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// A fetch failed (connection, status, timeout).
    #[error("cannot fetch {url}: {reason}")]
    Unreachable {
        /// What was fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// A document is not what it should be.
    #[error("{url}: {reason}")]
    Invalid {
        /// What was read.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

#[derive(Clone)]
struct Entry {
    keys: Arc<JwkSet>,
    fetched: Instant,
}

/// A token whose signature verified: with which issuer's key set, under which `kid`, and its
/// claims. Reused only while that same key set is the issuer's current one, so a refetch
/// (rotation, the 2 h TTL) makes every token verify again.
pub struct Signed {
    issuer: Box<str>,
    kid: Option<Box<str>>,
    keys: Arc<JwkSet>,
    /// The token's claims, as decoded.
    pub claims: Arc<serde_json::Map<String, serde_json::Value>>,
}

/// How many verified tokens are remembered (a client resends its token on every request).
const VERIFIED_CAPACITY: usize = 4096;

/// Where an issuer's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Discovery from the issuer.
    Discovery,
    /// `--jwks ISSUER=PATH`: a local JWKS file.
    File(std::path::PathBuf),
    /// `--jwks ISSUER=URL`: the JWKS at a URL, without discovery.
    Url(String),
    /// `--trust-dev-issuer ISSUER`: the local dev issuer's key (`glassgate token`).
    Dev,
}

/// The keys of every issuer the server's JWT authorizers trust.
pub struct Jwks {
    client: reqwest::Client,
    overrides: HashMap<String, KeySource>,
    cache: Mutex<HashMap<String, Entry>>,
    /// When each issuer was last fetched (successfully or not).
    attempts: Mutex<HashMap<String, Instant>>,
    /// Tokens already verified, by their full text: the signature check is the costly step
    /// of a JWT authorizer, and its result depends only on the token and the key set.
    verified: quick_cache::sync::Cache<Box<str>, Arc<Signed>>,
}

impl Jwks {
    /// The key store, with `--jwks` overrides (issuer -> file or URL).
    pub fn new(overrides: HashMap<String, KeySource>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .unwrap_or_default();
        Jwks {
            client,
            overrides,
            cache: Mutex::new(HashMap::new()),
            attempts: Mutex::new(HashMap::new()),
            verified: quick_cache::sync::Cache::new(VERIFIED_CAPACITY),
        }
    }

    /// The claims of `token` if it was verified before with `issuer`'s key set that is still
    /// current; `None` means check the signature.
    pub async fn verified(
        &self,
        token: &str,
        issuer: &str,
    ) -> Option<Arc<serde_json::Map<String, serde_json::Value>>> {
        let hit = self.verified.get(token)?;
        if &*hit.issuer != issuer {
            return None;
        }
        let current = self.keys(issuer, hit.kid.as_deref()).await.ok()?;
        Arc::ptr_eq(&current, &hit.keys).then(|| hit.claims.clone())
    }

    /// Remember that `token` verified with `keys` of `issuer` under `kid`.
    pub fn remember(
        &self,
        token: &str,
        issuer: &str,
        kid: Option<&str>,
        keys: Arc<JwkSet>,
        claims: Arc<serde_json::Map<String, serde_json::Value>>,
    ) {
        self.verified.insert(
            token.into(),
            Arc::new(Signed {
                issuer: issuer.into(),
                kid: kid.map(Into::into),
                keys,
                claims,
            }),
        );
    }

    /// Where the keys of `issuer` come from.
    pub fn source(&self, issuer: &str) -> KeySource {
        self.overrides
            .get(issuer)
            .cloned()
            .unwrap_or(KeySource::Discovery)
    }

    /// The keys of `issuer` for a token naming `kid`: the cached set while it is fresh and has
    /// the kid; otherwise a fetch (when the last one is old enough).
    ///
    /// # Errors
    /// [`JwksError`] when there are no keys and they cannot be fetched.
    pub async fn keys(&self, issuer: &str, kid: Option<&str>) -> Result<Arc<JwkSet>, JwksError> {
        let now = Instant::now();
        let cached = self.cache.lock().ok().and_then(|c| c.get(issuer).cloned());
        if let Some(e) = &cached {
            let fresh = now.duration_since(e.fetched) < KEYS_TTL;
            let has_kid = kid.is_none_or(|k| e.keys.find(k).is_some());
            let may_refetch = self
                .attempts
                .lock()
                .ok()
                .and_then(|a| a.get(issuer).copied())
                .is_none_or(|t| now.duration_since(t) >= REFETCH_AFTER);
            if fresh && (has_kid || !may_refetch) {
                return Ok(e.keys.clone());
            }
        }
        if let Ok(mut a) = self.attempts.lock() {
            a.insert(issuer.to_owned(), now);
        }
        match self.fetch(issuer).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                if let Ok(mut c) = self.cache.lock() {
                    c.insert(
                        issuer.to_owned(),
                        Entry {
                            keys: keys.clone(),
                            fetched: now,
                        },
                    );
                }
                Ok(keys)
            }
            // Keys still within their 2 h serve while the issuer is down.
            Err(_)
                if cached
                    .as_ref()
                    .is_some_and(|e| now.duration_since(e.fetched) < KEYS_TTL) =>
            {
                Ok(cached.map(|e| e.keys).unwrap_or_default())
            }
            Err(e) => Err(e),
        }
    }

    async fn fetch(&self, issuer: &str) -> Result<JwkSet, JwksError> {
        let jwks_url = match self.source(issuer) {
            KeySource::Dev => {
                return super::dev_issuer::DevKey::load_or_create()
                    .map(|k| k.jwks())
                    .map_err(|e| JwksError::Unreachable {
                        url: "the dev issuer's key".into(),
                        reason: e.to_string(),
                    });
            }
            KeySource::File(path) => {
                let shown = path.display().to_string();
                let bytes = std::fs::read(&path).map_err(|e| JwksError::Unreachable {
                    url: shown.clone(),
                    reason: e.to_string(),
                })?;
                return parse_jwks(&shown, &bytes);
            }
            KeySource::Url(url) => url,
            KeySource::Discovery => {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let doc = self.get(&url).await?;
                let v: serde_json::Value =
                    serde_json::from_slice(&doc).map_err(|e| JwksError::Invalid {
                        url: url.clone(),
                        reason: format!("not JSON: {e}"),
                    })?;
                v["jwks_uri"]
                    .as_str()
                    .ok_or_else(|| JwksError::Invalid {
                        url: url.clone(),
                        reason: "the discovery document has no jwks_uri".into(),
                    })?
                    .to_owned()
            }
        };
        let bytes = self.get(&jwks_url).await?;
        parse_jwks(&jwks_url, &bytes)
    }

    /// GET `url`, at most [`MAX_BYTES`], within [`FETCH_TIMEOUT`].
    async fn get(&self, url: &str) -> Result<Vec<u8>, JwksError> {
        let unreachable = |reason: String| JwksError::Unreachable {
            url: url.to_owned(),
            reason,
        };
        let mut resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| unreachable(error_chain(&e)))?;
        if !resp.status().is_success() {
            return Err(unreachable(format!("HTTP {}", resp.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| unreachable(error_chain(&e)))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BYTES {
                return Err(JwksError::Invalid {
                    url: url.to_owned(),
                    reason: format!("larger than API Gateway's {MAX_BYTES} bytes"),
                });
            }
        }
        Ok(body)
    }
}

pub(crate) fn parse_jwks(url: &str, bytes: &[u8]) -> Result<JwkSet, JwksError> {
    serde_json::from_slice(bytes).map_err(|e| JwksError::Invalid {
        url: url.to_owned(),
        reason: format!("not a JWKS ({{\"keys\": [...]}}): {e}"),
    })
}

/// An error with its causes, the way a person wants to read why a fetch failed.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
