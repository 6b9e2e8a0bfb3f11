//! The two guards around user code, shared by the handler call and the
//! poison sink: panic isolation ([`isolated`]) and a time bound
//! ([`bounded`]).

use std::any::Any;
use std::future::{Future, ready};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::Either;

use super::contain::{self, Contained};

/// Makes a future with `make` and runs it; a panic while making it, while
/// polling it, or while dropping it (abandoned by a timeout or the deadline
/// guard) becomes `on_panic(message)` instead of unwinding into the engine.
pub(crate) fn isolated<F: Future>(
    make: impl FnOnce() -> F,
    on_panic: impl FnOnce(String) -> F::Output,
) -> impl Future<Output = F::Output> {
    match std::panic::catch_unwind(AssertUnwindSafe(make)) {
        // `Contained`: a future abandoned by a timeout or the deadline guard
        // is dropped outside this `catch_unwind`.
        Ok(future) => Either::Left(
            AssertUnwindSafe(Contained::new(future))
                .catch_unwind()
                .map(|done| done.unwrap_or_else(|payload| on_panic(panic_message(payload)))),
        ),
        Err(payload) => Either::Right(ready(on_panic(panic_message(payload)))),
    }
}

/// Runs `future` for at most `limit` (no limit: as it is); past it, the
/// future is dropped and the result is `on_timeout(limit)`.
pub(crate) fn bounded<F: Future>(
    limit: Option<Duration>,
    future: F,
    on_timeout: impl FnOnce(Duration) -> F::Output,
) -> impl Future<Output = F::Output> {
    match limit {
        Some(limit) => Either::Left(
            tokio::time::timeout(limit, future).map(move |done| done.unwrap_or_else(|_| on_timeout(limit))),
        ),
        None => Either::Right(future),
    }
}

/// The panic's message, the payload dropped where a panic in its own `Drop`
/// is contained too.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let text = contain::message(&*payload);
    contain::drop_payload(payload);
    text
}
