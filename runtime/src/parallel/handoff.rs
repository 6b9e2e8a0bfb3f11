//! One record's work handed to the crew, and the future that waits for it.
//!
//! [`handoff`] wraps the work in a [`Job`] for a runner and returns the
//! [`Handoff`] the record awaits. The job runs the work once, inside the
//! record's tracing span and catching its panic, and leaves the result
//! (and the time it took) in a slot the two share; it returns the
//! record's waker for the runner to wake, now or a little later (see
//! [`super::crew`]). A record dropped before its job ran
//! (timed out, abandoned at the deadline) marks the slot, and the job then
//! does not run the work at all.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// Work for a runner: runs the record's work (unless the record is gone)
/// and returns the waker of the record waiting for it, if it waits.
pub(super) type Job = Box<dyn FnOnce() -> Option<Waker> + Send>;

/// What the job and the waiting record share.
struct Slot<T> {
    /// The work's value or panic, and how long it ran; `None` until done.
    done: Option<(thread::Result<T>, Duration)>,
    /// The waiting record's waker, once it has been polled.
    waker: Option<Waker>,
    /// The record stopped waiting: the work need not run.
    abandoned: bool,
}

/// Locks a slot. Its holders never panic while holding it (the work runs
/// outside the lock), so a poisoned lock still holds a consistent slot.
fn lock<T>(slot: &Mutex<Slot<T>>) -> MutexGuard<'_, Slot<T>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wraps `work` in a job for the crew and returns the future that yields
/// its value and duration.
pub(super) fn handoff<F, T>(work: F) -> (Job, Handoff<T>)
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot { done: None, waker: None, abandoned: false }));
    let shared = Arc::clone(&slot);
    // The record's span, so that what the work logs names its record on
    // whichever thread runs it.
    let span = tracing::Span::current();
    let job: Job = Box::new(move || {
        if lock(&shared).abandoned {
            return None;
        }
        let start = Instant::now();
        let value = span.in_scope(|| catch_unwind(AssertUnwindSafe(work)));
        let took = start.elapsed();
        let mut slot = lock(&shared);
        slot.done = Some((value, took));
        slot.waker.take()
    });
    (job, Handoff { slot })
}

/// The value of a record's work once a runner has run it, with the time
/// it took. A panic in the work is resumed here, in the record's future.
pub(super) struct Handoff<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for Handoff<T> {
    type Output = (T, Duration);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.slot);
        match slot.done.take() {
            Some((Ok(value), took)) => Poll::Ready((value, took)),
            Some((Err(panic), _)) => {
                drop(slot);
                resume_unwind(panic)
            }
            None => {
                match &mut slot.waker {
                    Some(waker) => waker.clone_from(cx.waker()),
                    None => slot.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Handoff<T> {
    fn drop(&mut self) {
        lock(&self.slot).abandoned = true;
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic, reason = "a test fails loudly on what it does not expect")]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn the_job_leaves_the_value_for_the_record() {
        let (job, handoff) = handoff(|| 7);
        assert!(job().is_none(), "nobody polled yet: no waker to wake");
        let (value, _) = handoff.now_or_never().expect("done");
        assert_eq!(value, 7);
    }

    #[test]
    fn a_record_that_stopped_waiting_skips_the_work() {
        static RAN: AtomicBool = AtomicBool::new(false);
        let (job, handoff) = handoff(|| RAN.store(true, Ordering::SeqCst));
        drop(handoff);
        assert!(job().is_none());
        assert!(!RAN.load(Ordering::SeqCst), "the work of an abandoned record must not run");
    }

    #[test]
    fn a_panic_comes_back_in_the_record() {
        let (job, handoff) = handoff(|| -> u8 { panic!("work boom") });
        let _ = job();
        let payload =
            AssertUnwindSafe(handoff).catch_unwind().now_or_never().expect("done").expect_err("panics");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"work boom"));
    }
}
