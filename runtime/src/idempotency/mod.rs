//! Effects once under at-least-once delivery.
//!
//! Every source this crate serves delivers at least once: SQS redelivers a
//! message after its visibility timeout and a whole batch when the
//! invocation fails; Kinesis, DynamoDB Streams and Kafka replay from the
//! checkpoint, bringing back records that had already succeeded; Lambda
//! retries a failed asynchronous invocation (twice by default, with the
//! same request id). Idempotency makes the *effect* of a record, or of an
//! asynchronous invocation, happen once:
//!
//! 1. Before any record runs, every key of the batch is **claimed** in the
//!    [`Store`] in one call (one round trip with `DynamoDbStore`).
//! 2. A record whose key **completed** earlier is not run: it counts as
//!    succeeded ([`RecordStatus::Replayed`](crate::RecordStatus::Replayed)).
//!    A record whose key is **in progress** elsewhere (a concurrent
//!    duplicate, or the same message twice in one batch) fails, so it is
//!    retried later and replayed then. The same key with a different
//!    payload fails with an error naming the key, never a silent replay.
//! 3. After the batch, in one call, the claims of records that succeeded
//!    are **completed** and the others are **released**, so their retries
//!    run. A record dropped as poison is released too: it is acknowledged,
//!    but its effect never happened, so a copy sent again (after a fix) runs.
//!
//! A claim expires at the invocation's deadline unless
//! [`Idempotency::with_in_progress_expiry`] says otherwise, so a claim
//! left by an invocation that timed out never blocks its retries for
//! longer than the function timeout. A store that cannot be reached fails
//! the records: none runs without its claim.
//!
//! **What no store can close**: if the process dies after a record's
//! effect and before the batch's results are written, the claim expires
//! and a retry runs the record again. Results are written once per batch,
//! so the window runs from the effect to the end of the batch, plus one
//! store round trip; make effects idempotent at their
//! destination (a conditional write, an idempotency key on the payment
//! API) where a second run costs money.
//!
//! For asynchronous invocations, [`IdempotentLayer`] wraps any
//! `lambda_runtime` service, keyed on the request id.

pub(crate) mod batch;
mod cache;
mod clock;
mod config;
#[cfg(feature = "dynamodb-store")]
mod dynamodb;
mod error;
mod handler;
mod invocation;
mod key;
mod memory;
mod store;
mod token;

pub(crate) use self::batch::settle_allowance;
pub use self::batch::{BatchClaims, BatchFuture, BatchIdempotency};
pub use self::cache::CachedStore;
pub use self::clock::now_ms;
pub use self::config::{DEFAULT_COMPLETED_EXPIRY, Idempotency, NO_DEADLINE_IN_PROGRESS_EXPIRY};
#[cfg(feature = "dynamodb-store")]
pub use self::dynamodb::{DynamoDbStore, aws_sdk_dynamodb};
pub use self::error::{IdempotencyError, InvocationError};
pub use self::handler::Idempotent;
pub use self::invocation::{
    EventKey, EventKeyFn, IdempotentLayer, IdempotentService, RequestIdKey, event_key_fn, idempotent,
};
pub use self::key::{
    DeduplicationIdKey, Key, KeyFn, KeyFrom, RecordIdKey, RecordKey, hash_hex, key_fn, key_from,
};
pub use self::memory::MemoryStore;
pub use self::store::{
    Claim, ClaimAnswer, Completion, Release, Store, StoreError, StoreErrorKind, Stored, StoredState,
};
