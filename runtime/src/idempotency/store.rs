//! The [`Store`] trait: where claims and results live, and the types that
//! cross it.
//!
//! Every method takes a whole batch of items, so a store that can claim
//! several keys in one round trip (DynamoDB's transactions do) serves a
//! batch of records in one call; a store that cannot simply loops.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::key::Key;

/// Claims, results and releases of idempotency keys.
///
/// The engine calls [`claim`](Store::claim) once per batch (every key of the
/// batch at once), then [`settle`](Store::settle) once with what happened to
/// each claimed record. A store decides what "now" is only through the
/// `now_ms` it is given, so tests and the simulator control time.
///
/// Two built in: [`MemoryStore`](super::MemoryStore) (one process only)
/// and, with the `dynamodb-store` feature, `DynamoDbStore`. Wrap either in
/// [`CachedStore`](super::CachedStore) to answer completed keys from memory.
pub trait Store: Send + Sync {
    /// Claims each key as in progress unless the store holds a live item
    /// for it (an in-progress claim or a result that has not expired).
    ///
    /// Returns one answer per claim, in order.
    ///
    /// # Errors
    /// A [`StoreError`] when the store could not be asked at all; every
    /// record of the batch then fails (none runs without its claim). An
    /// error for some keys only is an [`ClaimAnswer::Failed`] for each.
    fn claim<'a>(
        &'a self,
        claims: &'a [Claim<'a>],
    ) -> impl Future<Output = Result<Vec<ClaimAnswer>, StoreError>> + Send + 'a;

    /// Stores the result of each claimed key, if the claim is still the
    /// caller's (its `token`); a claim taken over by someone else is left.
    ///
    /// # Errors
    /// A [`StoreError`] when the results could not be written.
    fn complete<'a>(
        &'a self,
        completions: &'a [Completion<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;

    /// Deletes each claim that is still the caller's, so a retry runs.
    ///
    /// # Errors
    /// A [`StoreError`] when the claims could not be released (they then
    /// expire at their expiry).
    fn release<'a>(
        &'a self,
        releases: &'a [Release<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;

    /// Reads what the store holds for each key, live or not (`now_ms`
    /// decides nothing here; [`Stored::is_live`] tells).
    ///
    /// # Errors
    /// A [`StoreError`] when the store could not be read, or
    /// [`StoreErrorKind::Corrupt`] for an item that cannot be understood.
    fn read<'a>(
        &'a self,
        keys: &'a [&'a Key],
    ) -> impl Future<Output = Result<Vec<Option<Stored>>, StoreError>> + Send + 'a;

    /// Completes `completions` and releases `releases`: what the engine
    /// calls once per batch. The default makes two calls; a store that can
    /// write both in one round trip overrides it.
    ///
    /// # Errors
    /// The first error of the two calls; the second is attempted anyway.
    fn settle<'a>(
        &'a self,
        completions: &'a [Completion<'a>],
        releases: &'a [Release<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        async move {
            let completed = if completions.is_empty() { Ok(()) } else { self.complete(completions).await };
            let released = if releases.is_empty() { Ok(()) } else { self.release(releases).await };
            completed.and(released)
        }
    }
}

/// A request to claim one key.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The key.
    pub key: &'a Key,
    /// A hash of the part of the payload that must not change under this
    /// key; stored with the claim and compared on every later claim.
    pub payload_hash: &'a str,
    /// Who claims: unique to this invocation attempt; [`complete`](Store::complete)
    /// and [`release`](Store::release) act only on claims with this token.
    pub token: &'a str,
    /// Now, in milliseconds since the Unix epoch: items that expired
    /// before this are treated as absent.
    pub now_ms: u64,
    /// When the claim expires if never completed (milliseconds since the
    /// Unix epoch): by default the invocation's deadline.
    pub expires_at_ms: u64,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimAnswer {
    /// The key is now claimed by the caller.
    Claimed,
    /// The store holds a live item for the key: the claim was not made.
    Taken(Stored),
    /// This key could not be claimed (for example, throttled); others may
    /// have been.
    Failed(StoreError),
}

/// What the store holds for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// In progress or completed.
    pub state: StoredState,
    /// The payload hash given when the key was claimed.
    pub payload_hash: String,
    /// When the item expires (milliseconds since the Unix epoch).
    pub expires_at_ms: u64,
}

impl Stored {
    /// `true` if the item has not expired at `now_ms`.
    pub fn is_live(&self, now_ms: u64) -> bool {
        now_ms < self.expires_at_ms
    }
}

/// The state of a stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredState {
    /// Claimed and not yet completed.
    InProgress {
        /// The claimer's token.
        token: String,
    },
    /// Completed; for an asynchronous invocation, the serialized response
    /// (records store none).
    Completed {
        /// The serialized response, if any.
        response: Option<String>,
    },
}

/// A request to store the result of one claimed key.
#[derive(Debug, Clone, Copy)]
pub struct Completion<'a> {
    /// The key.
    pub key: &'a Key,
    /// The token the key was claimed with.
    pub token: &'a str,
    /// The payload hash the key was claimed with.
    pub payload_hash: &'a str,
    /// The serialized response to replay (asynchronous invocations), or
    /// `None` (records).
    pub response: Option<&'a str>,
    /// When the result expires (milliseconds since the Unix epoch).
    pub expires_at_ms: u64,
}

/// A request to delete one claim.
#[derive(Debug, Clone, Copy)]
pub struct Release<'a> {
    /// The key.
    pub key: &'a Key,
    /// The token the key was claimed with.
    pub token: &'a str,
}

/// Why a store could not do what it was asked: its kind, what the store
/// said, and the error underneath (kept as [`source`](StdError::source)).
#[derive(Debug, Clone)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl PartialEq for StoreError {
    /// Equal when the kind and the message are (the sources are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for StoreError {}

/// How a store failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store could not be reached (network, credentials, missing table).
    Unreachable,
    /// The store refused for load (throttling); a retry may succeed.
    Throttled,
    /// An item in the store cannot be understood.
    Corrupt,
    /// Anything else the store reported.
    Other,
}

impl StoreError {
    /// A new error of `kind` saying `message`.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError { kind, message: message.into(), source: None }
    }

    /// The same error, caused by `source` (kept, and shown by
    /// [`source`](StdError::source)).
    #[must_use]
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// How the store failed.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// What the store said.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            StoreErrorKind::Unreachable => "the idempotency store could not be reached",
            StoreErrorKind::Throttled => "the idempotency store throttled the request",
            StoreErrorKind::Corrupt => "the idempotency store holds an item that cannot be read",
            StoreErrorKind::Other => "the idempotency store failed",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn StdError + 'static))
    }
}
