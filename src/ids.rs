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
