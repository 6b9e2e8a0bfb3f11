//! Now, in milliseconds since the Unix epoch, as idempotency sees it.
//!
//! Read from tokio's clock, anchored once to the wall clock: the same as
//! the wall clock in a deployed function, and virtual wherever tokio's
//! clock is paused (tests, and the testkit's simulator), so expiries can
//! be tested without waiting.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::store::{StoreError, StoreErrorKind};

/// The wall clock and tokio's clock, read together once per process.
static ANCHOR: OnceLock<(Duration, std::time::Instant)> = OnceLock::new();

/// Now, in milliseconds since the Unix epoch, as idempotency measures
/// expiries: the wall clock in a deployed function, virtual time under a
/// paused tokio clock (tests, the testkit's simulator). Use it when you
/// write claims to a [`Store`](super::Store) yourself.
pub fn now_ms() -> u64 {
    let (wall, at) = *ANCHOR.get_or_init(|| {
        (SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default(), std::time::Instant::now())
    });
    // A paused runtime made before the anchor reads instants before it:
    // count back from the anchor then, so time never stands still.
    let tokio_now = Instant::now().into_std();
    let now = match tokio_now.checked_duration_since(at) {
        Some(elapsed) => wall.saturating_add(elapsed),
        None => wall.saturating_sub(at.saturating_duration_since(tokio_now)),
    };
    u64::try_from(now.as_millis()).unwrap_or(u64::MAX)
}

/// `now_ms` plus `duration`, saturating.
pub(crate) fn after_ms(now_ms: u64, duration: Duration) -> u64 {
    now_ms.saturating_add(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// `call`, or a store error if `deadline` comes first.
pub(crate) async fn within<T>(
    deadline: Option<Instant>,
    doing: &str,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match deadline {
        None => call.await,
        Some(deadline) => tokio::time::timeout_at(deadline, call).await.unwrap_or_else(|_| {
            Err(StoreError::new(
                StoreErrorKind::Unreachable,
                format!("the store did not answer before the invocation's deadline while {doing}"),
            ))
        }),
    }
}
