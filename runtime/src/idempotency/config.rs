//! [`Idempotency`]: a store, a key, and the expiries, as one value a
//! handler carries.

use std::time::Duration;

use super::key::RecordIdKey;

/// How long a completed key is remembered by default: one hour.
pub const DEFAULT_COMPLETED_EXPIRY: Duration = Duration::from_secs(3600);

/// How long an in-progress claim lasts when the invocation has no deadline
/// (a local emulator): 15 minutes, Lambda's longest function timeout.
pub const NO_DEADLINE_IN_PROGRESS_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// Effects once under at-least-once delivery: the store that remembers
/// which records (or invocations) were handled, how to key them, and for
/// how long.
///
/// Give it to `#[batch_handler(idempotency = path)]`, to [`Idempotent`](super::Idempotent)
/// around a hand-written handler, or to [`IdempotentLayer`](super::IdempotentLayer)
/// for an asynchronous invocation.
///
/// ```
/// use std::time::Duration;
/// use lambda_batch::idempotency::{Idempotency, MemoryStore};
///
/// let idempotency = Idempotency::new(MemoryStore::new())
///     .with_completed_expiry(Duration::from_secs(24 * 3600))
///     .with_prefix("orders");
/// # let _ = idempotency;
/// ```
#[derive(Debug, Clone)]
pub struct Idempotency<St, K = RecordIdKey> {
    pub(crate) store: St,
    pub(crate) key: K,
    pub(crate) prefix: Option<String>,
    pub(crate) in_progress_expiry: Option<Duration>,
    pub(crate) completed_expiry: Duration,
}

impl<St> Idempotency<St> {
    /// Idempotency in `store`, keyed on each record's own identifier (or on
    /// the request id of an asynchronous invocation), with the defaults:
    /// prefix the function's name, claims expiring at the invocation's
    /// deadline, results kept one hour.
    pub fn new(store: St) -> Self {
        Idempotency {
            store,
            key: RecordIdKey,
            prefix: None,
            in_progress_expiry: None,
            completed_expiry: DEFAULT_COMPLETED_EXPIRY,
        }
    }
}

impl<St, K> Idempotency<St, K> {
    /// Keys records with `key` instead ([`key_fn`](super::key_fn),
    /// [`key_from`](super::key_from), or your own
    /// [`RecordKey`](super::RecordKey)); for asynchronous invocations, an
    /// [`EventKey`](super::EventKey).
    pub fn with_key<K2>(self, key: K2) -> Idempotency<St, K2> {
        Idempotency {
            store: self.store,
            key,
            prefix: self.prefix,
            in_progress_expiry: self.in_progress_expiry,
            completed_expiry: self.completed_expiry,
        }
    }

    /// Prefixes every key with `prefix` instead of the function's name
    /// (`AWS_LAMBDA_FUNCTION_NAME`): two functions sharing a table and a
    /// prefix share their keys.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Lets an in-progress claim expire `expiry` after it was made, instead
    /// of at the invocation's deadline. A claim left by an invocation that
    /// died blocks the key's retries until it expires.
    #[must_use]
    pub fn with_in_progress_expiry(mut self, expiry: Duration) -> Self {
        self.in_progress_expiry = Some(expiry);
        self
    }

    /// Remembers a completed key for `expiry` (default one hour): a
    /// duplicate delivered later than that runs again.
    #[must_use]
    pub fn with_completed_expiry(mut self, expiry: Duration) -> Self {
        self.completed_expiry = expiry;
        self
    }

    /// The store.
    pub fn store(&self) -> &St {
        &self.store
    }

    /// The prefix for this invocation: the one set, or the function's name.
    pub(crate) fn prefix_for<'a>(&'a self, function_name: &'a str) -> &'a str {
        match self.prefix.as_deref() {
            Some(prefix) => prefix,
            None if function_name.is_empty() => "lambda-batch",
            None => function_name,
        }
    }
}
