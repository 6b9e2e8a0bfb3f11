//! Invocations that take time: the futures of a real handler's
//! invocations, run together on one paused tokio clock that is the
//! simulation's clock, each ending when its future does or killed at its
//! timeout (what it did so far stays done, as when Lambda stops a sandbox).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::sim::core::clock::Millis;
use crate::sim::core::function::invocation::{Completed, InvocationResult};

/// One invocation's work, as a future the clockwork polls.
pub(crate) type InvocationFuture<'f> = Pin<Box<dyn Future<Output = Completed> + 'f>>;

/// An invocation started and not ended.
struct Running<'f> {
    future: InvocationFuture<'f>,
    /// Fires at the function timeout.
    kill: Pin<Box<Sleep>>,
}

/// What ended one invocation, for [`Clockwork::run_until`].
pub(crate) type Finished = (usize, Option<Completed>, Millis);

/// The invocations in flight and the paused clock they run on.
pub(crate) struct Clockwork<'f> {
    runtime: tokio::runtime::Runtime,
    /// The tokio instant of virtual time 0.
    zero: Instant,
    /// By slot (the run loop's numbering).
    running: Vec<Option<Running<'f>>>,
}

impl<'f> Clockwork<'f> {
    /// A clockwork on a new single-threaded tokio runtime with a paused clock.
    ///
    /// # Errors
    /// The runtime could not be built.
    pub(crate) fn new() -> std::io::Result<Self> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
        let zero = runtime.block_on(async { Instant::now() });
        Ok(Clockwork { runtime, zero, running: Vec::new() })
    }

    /// Starts a new run: virtual time 0 is the clock's present, and
    /// invocations left in flight are dropped.
    pub(crate) fn restart(&mut self) {
        self.running.clear();
        self.zero = self.runtime.block_on(async { Instant::now() });
    }

    /// Runs `future` to its end on this runtime, at once (no other
    /// invocation runs meanwhile).
    pub(crate) fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// The tokio instant of virtual time `at` (about 30 years on for
    /// "never").
    pub(crate) fn instant(&self, at: Millis) -> Instant {
        let never = Duration::from_secs(30 * 365 * 86_400);
        self.zero.checked_add(Duration::from_millis(at).min(never)).unwrap_or(self.zero)
    }

    /// Moves the clock forward to virtual time `at` (never back); the
    /// invocations in flight are not polled meanwhile unless a timer of
    /// theirs wakes them, which [`Clockwork::run_until`] rules out by
    /// never leaving one due before `at`.
    fn advance_to(&self, at: Millis) {
        let target = self.instant(at);
        self.runtime.block_on(async {
            if Instant::now() < target {
                tokio::time::sleep_until(target).await;
            }
        });
    }

    /// Starts `future` in `slot` at virtual time `at`; it is killed
    /// `timeout` ms later if it has not ended.
    pub(crate) fn start(&mut self, slot: usize, at: Millis, timeout: Millis, future: InvocationFuture<'f>) {
        self.advance_to(at);
        let kill = {
            let _entered = self.runtime.enter();
            Box::pin(tokio::time::sleep_until(self.instant(at.saturating_add(timeout))))
        };
        if self.running.len() <= slot {
            self.running.resize_with(slot + 1, || None);
        }
        self.running[slot] = Some(Running { future, kill });
    }

    /// Whether an invocation is in flight.
    pub(crate) fn running(&self) -> bool {
        self.running.iter().any(Option::is_some)
    }

    /// Runs the invocations in flight until one ends or virtual time
    /// `until`. Invocations are polled in slot order, so the same starts
    /// give the same interleaving.
    pub(crate) fn run_until(&mut self, until: Millis) -> Option<Finished> {
        let (zero, deadline) = (self.zero, self.instant(until));
        let running = &mut self.running;
        self.runtime.block_on(async move {
            let mut until = pin!(tokio::time::sleep_until(deadline));
            std::future::poll_fn(|cx| {
                for (slot, entry) in running.iter_mut().enumerate() {
                    let Some(invocation) = entry.as_mut() else { continue };
                    // Lambda stops the invocation at the timeout: nothing
                    // it would do at that instant happens.
                    let result = if invocation.kill.as_mut().poll(cx).is_ready() {
                        None
                    } else {
                        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            invocation.future.as_mut().poll(cx)
                        }));
                        match polled {
                            Ok(Poll::Ready(result)) => Some(result),
                            Ok(Poll::Pending) => continue,
                            Err(_) => {
                                Some(InvocationResult::error("Runtime.Panic", "the handler panicked").into())
                            }
                        }
                    };
                    *entry = None;
                    return Poll::Ready(Some((slot, result, millis_since(zero, Instant::now()))));
                }
                if until.as_mut().poll(cx).is_ready() { Poll::Ready(None) } else { Poll::Pending }
            })
            .await
        })
    }
}

/// Whole virtual ms from `zero` to `at`, rounded up (an invocation that
/// ran 1.5 ms took 2).
fn millis_since(zero: Instant, at: Instant) -> Millis {
    let micros = at.saturating_duration_since(zero).as_micros();
    Millis::try_from(micros.div_ceil(1_000)).unwrap_or(Millis::MAX)
}
