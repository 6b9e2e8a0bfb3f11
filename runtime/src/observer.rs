//! Which observer watches an invocation: the one place that looks at the
//! `fault-injection` feature.
//!
//! With the feature (turned on by `lambda-batch-testkit`), the testkit's
//! [`Injector`](crate::fault::Injector) in scope, if any; without it,
//! [`NoObserver`](off::NoObserver), which observes nothing and whose fault
//! type has no values, so the engine's observation and fault layers compile
//! away. The pipeline and [`observe`](crate::observe) pick the observer here
//! and hand it to the engine.

/// The observer of this invocation: the testkit's injector in scope (if
/// any) with `fault-injection`. A concrete type, not `impl Observer`, so
/// that the record futures' `Send` still shows through to the callers.
#[cfg(feature = "fault-injection")]
pub(crate) fn current() -> Option<std::sync::Arc<crate::fault::Injector>> {
    warn_if_deployed();
    crate::fault::current()
}

/// Says once per process, as an error in the function's log, that a test
/// hook was compiled into a function running under Lambda (the Runtime API
/// is set): a build that selected the testkit too, whose feature cargo
/// unified into the function.
#[cfg(feature = "fault-injection")]
fn warn_if_deployed() {
    static TOLD: std::sync::Once = std::sync::Once::new();
    TOLD.call_once(|| {
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            tracing::error!(
                "this function was built with lambda-batch's `fault-injection` feature, a test hook: a build that \
                 also built lambda-batch-testkit (a whole-workspace build) turned it on. It changes nothing unless \
                 a test injects faults, but it does not belong in a deployed function: build the function's \
                 package alone, e.g. `cargo lambda build --release -p <your package>`"
            );
        }
    });
}

/// The invocation's deadline on tokio's clock, when the testkit's
/// simulator set it (it takes the place of `Context::deadline`).
#[cfg(feature = "fault-injection")]
pub(crate) fn simulated_deadline() -> Option<tokio::time::Instant> {
    crate::fault::current().and_then(|injector| injector.deadline())
}

/// Runs `future` with `observer` in effect (a future to be spawned takes
/// the observer of the task that made it).
#[cfg(feature = "fault-injection")]
pub(crate) async fn within<F: std::future::Future>(
    observer: Option<std::sync::Arc<crate::fault::Injector>>,
    future: F,
) -> F::Output {
    match observer {
        Some(injector) => injector.scope(future).await,
        None => future.await,
    }
}

/// Without `fault-injection`: [`NoObserver`](off::NoObserver), which does nothing.
#[cfg(not(feature = "fault-injection"))]
pub(crate) use self::off::{current, simulated_deadline, within};

/// The observer of builds without `fault-injection`.
#[cfg(not(feature = "fault-injection"))]
mod off {
    use std::future::Future;

    use crate::engine::observe::{ApplyFault, Observer};
    use crate::report::RecordStatus;
    use crate::source::BatchRecord;

    /// The observer of this invocation: none.
    pub(crate) fn current() -> NoObserver {
        NoObserver
    }

    /// No simulated deadline: the guard reads `Context::deadline`.
    #[inline(always)]
    pub(crate) fn simulated_deadline() -> Option<tokio::time::Instant> {
        None
    }

    /// `future` itself: there is no observer to carry.
    #[inline(always)]
    pub(crate) fn within<F: Future>(_observer: NoObserver, future: F) -> F {
        future
    }

    /// Observes nothing, injects nothing.
    #[derive(Debug, Clone, Copy, Default)]
    pub(crate) struct NoObserver;

    /// The fault type of [`NoObserver`]: it has no values, so the fault
    /// layer's fault branch is dead code the compiler drops.
    #[derive(Debug, Clone, Copy)]
    pub(crate) enum NoFault {}

    impl Observer for NoObserver {
        type Fault = NoFault;

        #[inline(always)]
        fn start<R: BatchRecord>(&self, _index: usize, _record: &R) -> Option<NoFault> {
            None
        }

        #[inline(always)]
        fn end(&self, _index: usize, _status: &RecordStatus) {}

        #[inline(always)]
        fn start_named(&self, _id: &str) -> Option<(usize, Option<NoFault>)> {
            None
        }
    }

    impl ApplyFault for NoFault {
        /// Never called (there is no `NoFault`); leaves the call as it is.
        #[inline(always)]
        fn apply<C: Future>(
            self,
            call: C,
            _injected_error: impl FnOnce() -> C::Output,
        ) -> impl Future<Output = C::Output> {
            call
        }
    }
}
