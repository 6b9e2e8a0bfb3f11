//! Claim tokens: who holds a claim, unique to one invocation attempt.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// A random number drawn once per process: tells apart two execution
/// environments handling the same request id (an asynchronous event
/// delivered twice).
fn process_nonce() -> u64 {
    static NONCE: OnceLock<u64> = OnceLock::new();
    // std's `RandomState` is seeded from the operating system's randomness.
    *NONCE.get_or_init(|| RandomState::new().hash_one(std::process::id()))
}

/// A token for a claim made now by the invocation `request_id`:
/// `<request id>/<process nonce>/<attempt in this process>`.
pub(crate) fn claim_token(request_id: &str) -> String {
    static ATTEMPT: AtomicU64 = AtomicU64::new(0);
    let attempt = ATTEMPT.fetch_add(1, Ordering::Relaxed);
    format!("{request_id}/{:016x}/{attempt}", process_nonce())
}
