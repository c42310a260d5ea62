//! Random identifiers shared by the gateway (`x-amzn-RequestId`) and the Lambda service
//! (each invocation's request id). Owned here, below both, so that neither depends on the
//! other for it.

/// A random (v4) UUID from the thread's RNG: `Uuid::new_v4` asks the OS for randomness on
/// every call, a system call per id on the request path.
pub fn new_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

/// A short, opaque name for a key that holds secrets (an authorizer cache entry, keyed on
/// the caller's token): a hash keyed afresh in every run, so the name says nothing about the
/// token and cannot be computed from one outside the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryId(u64);

impl EntryId {
    /// The name of the key made of `parts`.
    pub fn of<'a>(parts: impl IntoIterator<Item = &'a str>) -> EntryId {
        use std::hash::{BuildHasher, Hash, Hasher};
        // foldhash seeded at random per run: computed on every request that consults an
        // authorizer cache, where SipHash showed in the profile.
        static KEY: std::sync::OnceLock<foldhash::fast::RandomState> = std::sync::OnceLock::new();
        let mut h = KEY.get_or_init(Default::default).build_hasher();
        for p in parts {
            // `str`'s Hash ends each part with a marker: ("ab", "c") and ("a", "bc") differ.
            p.hash(&mut h);
        }
        EntryId(h.finish())
    }

    /// The name back from its text (16 hex digits).
    pub fn parse(text: &str) -> Option<EntryId> {
        (text.len() == 16)
            .then(|| u64::from_str_radix(text, 16).ok())
            .flatten()
            .map(EntryId)
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl serde::Serialize for EntryId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::EntryId;

    #[test]
    fn entry_ids_are_stable_in_a_run_and_read_back() {
        let a = EntryId::of(["api", "Prod", "Tok", "Bearer x"]);
        assert_eq!(a, EntryId::of(["api", "Prod", "Tok", "Bearer x"]));
        assert_ne!(a, EntryId::of(["api", "Prod", "Tok", "Bearer y"]));
        assert_ne!(
            EntryId::of(["ab", "c"]),
            EntryId::of(["a", "bc"]),
            "parts are delimited"
        );
        assert_eq!(EntryId::parse(&a.to_string()), Some(a));
        assert_eq!(EntryId::parse("xyz"), None);
    }
}
