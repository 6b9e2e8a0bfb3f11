//! What a [`FaultyStore`](crate::sim::FaultyStore) was asked and answered,
//! item by item: [`StoreEntry`].

use lambda_batch::idempotency::{ClaimAnswer, Key, StoreErrorKind};

/// One item of a call to a [`FaultyStore`](crate::sim::FaultyStore), in the
/// order the calls came.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreEntry {
    /// A key was claimed, and what the caller got for it.
    Claim {
        /// The key.
        key: Key,
        /// The claimer's token (it starts with the invocation's request id).
        token: String,
        /// Now, as the claimer gave it (ms since the Unix epoch, on the
        /// simulation's clock).
        now_ms: u64,
        /// When the claim expires if never completed (same clock).
        expires_at_ms: u64,
        /// What the caller got: `Claimed` is a claim granted.
        answer: ClaimAnswer,
    },
    /// A completion: the key's result to store.
    Complete {
        /// The key.
        key: Key,
        /// The claimer's token.
        token: String,
        /// What became of it.
        write: WriteOutcome,
    },
    /// A release: the claim to delete, so a retry runs.
    Release {
        /// The key.
        key: Key,
        /// The claimer's token.
        token: String,
        /// What became of it.
        write: WriteOutcome,
    },
}

impl StoreEntry {
    /// The key the entry is about.
    pub fn key(&self) -> &Key {
        match self {
            StoreEntry::Claim { key, .. }
            | StoreEntry::Complete { key, .. }
            | StoreEntry::Release { key, .. } => key,
        }
    }

    /// `Some((now_ms, expires_at_ms, token))` if this is a claim granted.
    pub fn granted(&self) -> Option<(u64, u64, &str)> {
        match self {
            StoreEntry::Claim { now_ms, expires_at_ms, token, answer: ClaimAnswer::Claimed, .. } => {
                Some((*now_ms, *expires_at_ms, token))
            }
            _ => None,
        }
    }
}

/// What became of a completion or a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Handed to the store behind, which applies it if the claim is still
    /// the caller's.
    Forwarded,
    /// Answered `Ok` but never written (a `lost_write` fault).
    Lost,
    /// The call failed with this kind of error; nothing was written.
    Failed(StoreErrorKind),
}
