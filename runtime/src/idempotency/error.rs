//! The errors of an idempotent asynchronous invocation, with stable
//! `errorType`s for alarms and log queries.

use std::fmt;

use lambda_runtime::Diagnostic;

use super::key::Key;
use super::store::StoreError;

/// Why an idempotent invocation did not run (or did not answer from its
/// stored response). Each fails the invocation, so Lambda retries it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdempotencyError {
    /// The key function gave no key, or an empty one.
    #[error("the invocation has no idempotency key ({problem}); fix the key function, or the event")]
    NoKey {
        /// Why.
        problem: String,
    },
    /// The event could not be serialized to hash it.
    #[error("the event could not be serialized to hash its payload")]
    Payload(#[source] serde_json::Error),
    /// The key was used before for a different event.
    #[error(
        "the idempotency key {key} was already used for a different event; it is not replayed: give different \
         events different keys"
    )]
    PayloadMismatch {
        /// The key.
        key: Key,
    },
    /// Another invocation holds the key right now.
    #[error(
        "another invocation is handling the same key ({key}) right now; this one fails so Lambda retries it \
         (its claim expires in {expires_in_ms} ms at the latest)"
    )]
    InProgress {
        /// The key.
        key: Key,
        /// How long until the other claim expires.
        expires_in_ms: u64,
    },
    /// The stored response cannot be read as the handler's response type.
    #[error("the stored response of key {key} cannot be read: {problem}")]
    StoredResponse {
        /// The key.
        key: Key,
        /// What is wrong with it.
        problem: String,
    },
    /// The store failed; the invocation did not run without its claim.
    #[error("the invocation did not run without its claim")]
    Store(#[source] StoreError),
}

impl IdempotencyError {
    /// The `errorType` Lambda records for this error: stable, so alarms
    /// and log queries can match on it.
    pub fn error_type(&self) -> &'static str {
        match self {
            IdempotencyError::NoKey { .. } => "LambdaBatch.Idempotency.NoKey",
            IdempotencyError::Payload(_) => "LambdaBatch.Idempotency.Payload",
            IdempotencyError::PayloadMismatch { .. } => "LambdaBatch.Idempotency.PayloadMismatch",
            IdempotencyError::InProgress { .. } => "LambdaBatch.Idempotency.InProgress",
            IdempotencyError::StoredResponse { .. } => "LambdaBatch.Idempotency.StoredResponse",
            IdempotencyError::Store(_) => "LambdaBatch.Idempotency.Store",
        }
    }
}

/// What an idempotent service fails with: idempotency's own error, or
/// the handler's error unchanged (its `errorType` too).
#[derive(Debug)]
pub enum InvocationError<E> {
    /// The invocation did not run, or its stored response could not be
    /// replayed.
    Idempotency(IdempotencyError),
    /// The handler ran and failed.
    Handler(E),
}

impl<E: fmt::Display> fmt::Display for InvocationError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvocationError::Idempotency(error) => error.fmt(f),
            InvocationError::Handler(error) => error.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for InvocationError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InvocationError::Idempotency(error) => Some(error),
            InvocationError::Handler(_) => None,
        }
    }
}

impl<E: Into<Diagnostic>> From<InvocationError<E>> for Diagnostic {
    fn from(error: InvocationError<E>) -> Self {
        match error {
            InvocationError::Idempotency(error) => {
                Diagnostic { error_type: error.error_type().to_owned(), error_message: error.to_string() }
            }
            InvocationError::Handler(error) => error.into(),
        }
    }
}
