//! Observing records: the hook the engine calls when a record starts, when
//! it ends, and when it is abandoned at the deadline.
//!
//! The testkit's `lambda_batch::fault::Injector` is one observer: it
//! logs the calls and hands back a fault to apply to the record. In normal
//! builds the observer is `NoObserver`, which does nothing and whose fault
//! type has no values, so the observation and fault layers compile away.
//! [`current_observer`] (below) is the one place that looks at the
//! `fault-injection` feature; the engine's control flow has no `#[cfg]`.

use std::future::Future;

use super::BatchRecord;
use crate::report::RecordStatus;

/// Watches records go through the engine.
pub(crate) trait Observer {
    /// What the observer may ask to do to a record's call.
    type Fault: ApplyFault;

    /// Record `index` starts (before the budget check and the handler call);
    /// returns the fault to apply to its handler call, if any.
    fn start<R: BatchRecord>(&self, index: usize, record: &R) -> Option<Self::Fault>;

    /// Record `index` ended with `status` (after settling, poison sink included).
    fn end(&self, index: usize, status: &RecordStatus);

    /// A hand-written handler starts the work of the record named `id`
    /// (through [`crate::observe`]); returns the record's index in the batch
    /// (if the observer knows it) and the fault to apply to the work. `None`:
    /// nothing observes this work.
    fn start_named(&self, id: &str) -> Option<(usize, Option<Self::Fault>)>;

    /// Record `index` was still running at the abandon point and was dropped
    /// with `status`.
    fn abandoned(&self, index: usize, status: &RecordStatus) {
        self.end(index, status);
    }
}

/// A fault applied to one handler call (inside the engine's panic
/// isolation and record timeout), or to one record's work in a hand-written
/// handler.
pub(crate) trait ApplyFault: Copy + 'static {
    /// Wraps or replaces `call` (the handler's future, already made);
    /// `injected_error` makes the failure an injected error stands for.
    fn apply<C: Future>(
        self,
        call: C,
        injected_error: impl FnOnce() -> C::Output,
    ) -> impl Future<Output = C::Output>;
}

/// An optional observer: `None` (no injector in scope) observes nothing.
impl<O: Observer> Observer for Option<O> {
    type Fault = O::Fault;

    fn start<R: BatchRecord>(&self, index: usize, record: &R) -> Option<Self::Fault> {
        self.as_ref().and_then(|observer| observer.start(index, record))
    }

    fn end(&self, index: usize, status: &RecordStatus) {
        if let Some(observer) = self {
            observer.end(index, status);
        }
    }

    fn start_named(&self, id: &str) -> Option<(usize, Option<Self::Fault>)> {
        self.as_ref().and_then(|observer| observer.start_named(id))
    }

    fn abandoned(&self, index: usize, status: &RecordStatus) {
        if let Some(observer) = self {
            observer.abandoned(index, status);
        }
    }
}

/// The observer of this invocation: the testkit's injector in scope (if
/// any) with `fault-injection`. A concrete type, not `impl Observer`, so
/// that the record futures' `Send` still shows through to the callers.
#[cfg(feature = "fault-injection")]
pub(crate) fn current_observer() -> Option<std::sync::Arc<crate::fault::Injector>> {
    crate::fault::current()
}

/// Runs `future` with `observer` in effect (a future to be spawned takes
/// the observer of the task that made it).
#[cfg(feature = "fault-injection")]
pub(crate) async fn within<F: Future>(
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
pub(crate) use self::off::{current_observer, within};

/// The observer of builds without `fault-injection`.
#[cfg(not(feature = "fault-injection"))]
mod off {
    use std::future::Future;

    use super::{ApplyFault, BatchRecord, Observer, RecordStatus};

    /// The observer of this invocation: none.
    pub(crate) fn current_observer() -> NoObserver {
        NoObserver
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
