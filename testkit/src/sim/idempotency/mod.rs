//! A simulated idempotency store for handlers using
//! `lambda_batch::idempotency`: [`FaultyStore`] wraps any
//! `lambda_batch::idempotency::Store` (a `MemoryStore` by default) and makes
//! it unreachable, throttled, slow or forgetful as its [`StoreFaults`] say,
//! deterministically from a seed; its [`StoreEntry`] journal says what it
//! was asked and answered.

mod faults;
mod journal;
mod store;

pub use self::faults::StoreFaults;
pub use self::journal::{StoreEntry, WriteOutcome};
pub use self::store::FaultyStore;
