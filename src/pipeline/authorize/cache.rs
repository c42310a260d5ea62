//! The authorizer result cache (aws-semantics.md §6).
//!
//! Key: (API id, stage, authorizer, identity values). Value: the parsed result (policy,
//! principal, context) and the method ARN it was issued for. On a hit the stored *policy*
//! is evaluated again against the current request's method ARN, which is what makes a
//! policy written for `GET /a` deny `GET /b` within the TTL, exactly as on AWS.
//!
//! Storage is a size-bounded quick_cache (S3-FIFO eviction, no background work); expiry is
//! checked here against tokio's clock, so TTL behaviour is testable with a paused clock and
//! each entry keeps the TTL it was stored with. An expired entry nobody asks for again stays
//! until eviction or a flush, within the bound, and is never listed or served.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::result::AuthorizerResult;

/// Default bound on cached results (all authorizers together).
pub const DEFAULT_CAPACITY: u64 = 10_000;

/// A cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// API id (shared: a key is built on every request).
    pub api_id: Arc<str>,
    /// Stage.
    pub stage: Arc<str>,
    /// Authorizer name.
    pub authorizer: Arc<str>,
    /// Identity source values, in declaration order.
    pub identity: Vec<String>,
}

impl CacheKey {
    /// The key's opaque name, for the admin API (never the identity itself).
    pub fn entry_id(&self) -> crate::ids::EntryId {
        crate::ids::EntryId::of(
            [&*self.api_id, &*self.stage, &*self.authorizer]
                .into_iter()
                .chain(self.identity.iter().map(String::as_str)),
        )
    }
}

/// One cached result.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The parsed result.
    pub result: Arc<AuthorizerResult>,
    /// The method ARN of the request that produced it (shared with every hit's trace).
    pub method_arn: Arc<str>,
    /// When it was stored.
    pub inserted: Instant,
    /// Its TTL.
    pub ttl: Duration,
}

impl CacheEntry {
    /// Seconds since it was stored.
    pub fn age(&self) -> Duration {
        self.inserted.elapsed()
    }

    /// Time left before it expires.
    pub fn ttl_left(&self) -> Duration {
        self.ttl.saturating_sub(self.age())
    }

    fn expired(&self) -> bool {
        self.age() >= self.ttl
    }
}

/// The shared cache of every authorizer of a server.
pub struct AuthCache {
    entries: quick_cache::sync::Cache<CacheKey, Arc<CacheEntry>>,
}

impl AuthCache {
    /// A cache holding at most `capacity` results.
    pub fn new(capacity: u64) -> Self {
        AuthCache {
            entries: quick_cache::sync::Cache::new(
                usize::try_from(capacity.max(1)).unwrap_or(usize::MAX),
            ),
        }
    }

    /// A live entry for `key`, if any (an expired one is removed and reported as a miss).
    pub fn get(&self, key: &CacheKey) -> Option<Arc<CacheEntry>> {
        let e = self.entries.get(key)?;
        if e.expired() {
            self.entries.remove(key);
            return None;
        }
        Some(e)
    }

    /// Store a result with its TTL (a zero TTL stores nothing).
    pub fn insert(&self, key: CacheKey, entry: CacheEntry) {
        if entry.ttl.is_zero() {
            return;
        }
        self.entries.insert(key, Arc::new(entry));
    }

    /// Drop every entry of one authorizer; returns how many were dropped.
    pub fn flush_authorizer(&self, authorizer: &str) -> usize {
        let keys: Vec<CacheKey> = self
            .entries
            .iter()
            .filter(|(k, _)| &*k.authorizer == authorizer)
            .map(|(k, _)| k)
            .collect();
        keys.iter()
            .filter(|k| self.entries.remove(*k).is_some())
            .count()
    }

    /// Drop the entry named `id` of one authorizer; whether there was one.
    pub fn flush_entry(&self, authorizer: &str, id: crate::ids::EntryId) -> bool {
        let key = self
            .entries
            .iter()
            .map(|(k, _)| k)
            .find(|k| &*k.authorizer == authorizer && k.entry_id() == id);
        key.is_some_and(|k| self.entries.remove(&k).is_some())
    }

    /// Drop everything (as `FlushStageAuthorizersCache`); returns how many were dropped.
    pub fn flush_all(&self) -> usize {
        let n = self.entries.len();
        self.entries.clear();
        n
    }

    /// Live entries, for listings.
    pub fn entries(&self) -> Vec<(CacheKey, Arc<CacheEntry>)> {
        self.entries.iter().filter(|(_, e)| !e.expired()).collect()
    }

    /// Number of stored entries, expired ones not yet dropped included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(auth: &str, id: &str) -> CacheKey {
        CacheKey {
            api_id: Arc::from("api"),
            stage: Arc::from("Prod"),
            authorizer: Arc::from(auth),
            identity: vec![id.into()],
        }
    }

    fn entry(ttl: u64) -> CacheEntry {
        CacheEntry {
            result: Arc::new(AuthorizerResult::new(
                Some("u".into()),
                None,
                vec![],
                Default::default(),
                None,
            )),
            method_arn: "arn".into(),
            inserted: Instant::now(),
            ttl: Duration::from_secs(ttl),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_ttl() {
        let c = AuthCache::new(100);
        c.insert(key("a", "t1"), entry(300));
        c.insert(key("a", "t2"), entry(10));
        tokio::time::advance(Duration::from_secs(9)).await;
        assert!(c.get(&key("a", "t2")).is_some());
        let hit = c.get(&key("a", "t1")).unwrap();
        assert_eq!(hit.age(), Duration::from_secs(9));
        assert_eq!(hit.ttl_left(), Duration::from_secs(291));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(c.get(&key("a", "t2")).is_none(), "expired at its own ttl");
        tokio::time::advance(Duration::from_secs(290)).await;
        assert!(c.get(&key("a", "t1")).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn zero_ttl_caches_nothing() {
        let c = AuthCache::new(100);
        c.insert(key("a", "t"), entry(0));
        assert!(c.get(&key("a", "t")).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn key_includes_every_part() {
        let c = AuthCache::new(100);
        c.insert(key("a", "t"), entry(60));
        assert!(c.get(&key("b", "t")).is_none());
        assert!(c.get(&key("a", "u")).is_none());
        let mut other_stage = key("a", "t");
        other_stage.stage = Arc::from("dev");
        assert!(c.get(&other_stage).is_none());
        assert!(c.get(&key("a", "t")).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn flush_per_authorizer_and_all() {
        let c = AuthCache::new(100);
        c.insert(key("a", "1"), entry(60));
        c.insert(key("a", "2"), entry(60));
        c.insert(key("b", "1"), entry(60));
        assert_eq!(c.flush_authorizer("a"), 2);
        assert!(c.get(&key("a", "1")).is_none());
        assert!(c.get(&key("b", "1")).is_some());
        assert_eq!(c.flush_all(), 1);
        assert!(c.get(&key("b", "1")).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn the_cache_is_bounded() {
        let c = AuthCache::new(50);
        for i in 0..500 {
            c.insert(key("a", &i.to_string()), entry(60));
        }
        assert!(c.len() <= 50, "len {}", c.len());
    }
}
