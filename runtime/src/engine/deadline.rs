//! The deadline guard: when to stop starting records, and when to give up
//! on the ones in flight, from the invocation's `Context`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::Context;
use tokio::time::Instant;

/// The instants that bound one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deadline {
    /// From here on no record is started (deadline minus the margin).
    pub(crate) cut_off: Instant,
    /// Records still in flight here are abandoned (deadline minus half the
    /// margin), leaving the other half to send the response.
    pub(crate) abandon: Instant,
}

/// Warned once per process about an absurd deadline (logging only; no
/// behaviour depends on it).
static WARNED_ABSURD: AtomicBool = AtomicBool::new(false);

impl Deadline {
    /// The instants of this invocation, or `None` without a deadline (see
    /// [`invocation_deadline`]).
    pub(crate) fn from_context(cx: &Context, margin: Duration) -> Option<Self> {
        let deadline = invocation_deadline(cx)?;
        Some(Deadline {
            cut_off: deadline.checked_sub(margin).unwrap_or(deadline),
            abandon: deadline.checked_sub(margin / 2).unwrap_or(deadline),
        })
    }
}

/// The invocation's deadline as an instant of tokio's clock (the
/// simulator's, under the testkit), or `None` when the `Context` gives none
/// that makes sense: 0 (as `Context::default()`), or already past when the
/// invocation starts (as `cargo lambda watch` sends: 600000 ms after the
/// epoch). That means "no deadline", with one warning per process.
pub(crate) fn invocation_deadline(cx: &Context) -> Option<Instant> {
    if let Some(deadline) = crate::observer::simulated_deadline() {
        return Some(deadline);
    }
    let remaining = (cx.deadline != 0)
        .then(|| (UNIX_EPOCH + Duration::from_millis(cx.deadline)).duration_since(SystemTime::now()).ok())
        .flatten();
    let Some(remaining) = remaining else {
        if !WARNED_ABSURD.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                deadline_ms = cx.deadline,
                "the invocation deadline is zero or already past (a local emulator?): running without a \
                 deadline guard"
            );
        }
        return None;
    };
    Some(Instant::now() + remaining)
}
