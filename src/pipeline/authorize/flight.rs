//! Single flight for the authorizer cache: while one request invokes the authorizer for an
//! identity whose result will be cached, later requests with the same cache key wait for
//! that invocation and take its result (or its failure) instead of invoking again. A burst of
//! one user's requests then costs one invocation, as the cache will once it is filled.
//!
//! A leader that goes away without finishing (its client hung up) hands its waiters a
//! failure, so none of them can hang.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::Notify;

use super::cache::CacheKey;
use super::result::AuthorizerResult;
use crate::outcome::{Cause, Failure};

/// What one flight ends with.
pub type Outcome = Result<Arc<AuthorizerResult>, Failure>;

/// The invocations in flight, by cache key.
#[derive(Default)]
pub struct Flights {
    map: Mutex<HashMap<CacheKey, Arc<Flight>>>,
}

/// One invocation in flight.
pub struct Flight {
    outcome: OnceLock<Outcome>,
    done: Notify,
}

/// A request's part in a flight.
pub enum Role<'a> {
    /// It invokes; it must [`Leader::finish`] (or drop, which fails the waiters).
    Leader(Leader<'a>),
    /// Another request is invoking for the same identity.
    Follower(Arc<Flight>),
}

/// The request that invokes the authorizer for a key.
pub struct Leader<'a> {
    flights: &'a Flights,
    key: CacheKey,
    flight: Arc<Flight>,
}

impl Flights {
    /// Join the flight of `key`, or start one.
    pub fn join(&self, key: &CacheKey) -> Role<'_> {
        let Ok(mut map) = self.map.lock() else {
            // A poisoned lock: lead alone, nothing shared.
            return Role::Leader(Leader {
                flights: self,
                key: key.clone(),
                flight: Arc::new(Flight::new()),
            });
        };
        if let Some(f) = map.get(key) {
            return Role::Follower(f.clone());
        }
        let flight = Arc::new(Flight::new());
        map.insert(key.clone(), flight.clone());
        Role::Leader(Leader {
            flights: self,
            key: key.clone(),
            flight,
        })
    }
}

impl Flight {
    fn new() -> Self {
        Flight {
            outcome: OnceLock::new(),
            done: Notify::new(),
        }
    }

    /// The leader's outcome, once it has one.
    pub async fn wait(&self) -> Outcome {
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(o) = self.outcome.get() {
                return o.clone();
            }
            notified.await;
        }
    }
}

impl Leader<'_> {
    /// Hand the outcome to every waiter and end the flight.
    pub fn finish(self, outcome: Outcome) {
        let _ = self.flight.outcome.set(outcome);
        // `Drop` removes the flight and wakes the waiters.
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let _ = self.flight.outcome.set(Err(Failure::new(
            Cause::AuthorizerError,
            "the request that was invoking the authorizer for this identity went away before it answered",
        )));
        if let Ok(mut map) = self.flights.map.lock()
            && map
                .get(&self.key)
                .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            map.remove(&self.key);
        }
        self.flight.done.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> CacheKey {
        CacheKey {
            api_id: Arc::from("a"),
            stage: Arc::from("s"),
            authorizer: Arc::from("t"),
            identity: vec![id.to_owned()],
        }
    }

    #[tokio::test]
    async fn followers_get_the_leaders_outcome_and_a_dropped_leader_fails_them() {
        let flights = Flights::default();
        let Role::Leader(leader) = flights.join(&key("u")) else {
            panic!("the first request leads");
        };
        let Role::Follower(f) = flights.join(&key("u")) else {
            panic!("the second follows");
        };
        assert!(matches!(flights.join(&key("other")), Role::Leader(_)));
        let waiting = tokio::spawn(async move { f.wait().await });
        tokio::task::yield_now().await;
        leader.finish(Err(Failure::new(Cause::AuthorizerCrash, "boom")));
        let got = waiting.await.expect("join");
        assert_eq!(got.expect_err("the failure").cause, Cause::AuthorizerCrash);
        // The flight is over: the next request leads again, and dropping it fails its waiter.
        let Role::Leader(leader) = flights.join(&key("u")) else {
            panic!("a new flight");
        };
        let Role::Follower(f) = flights.join(&key("u")) else {
            panic!("follows");
        };
        drop(leader);
        assert!(f.wait().await.is_err());
    }
}
