//! Observing records: the hook the engine calls when a record starts, when
//! it ends, and when it is abandoned at the deadline.
//!
//! The engine knows only these traits; which observer watches an
//! invocation is chosen above it (`crate::observer`) and passed in: the
//! testkit's `lambda_batch::fault::Injector` under `fault-injection`, or
//! `NoObserver`, which does nothing and whose fault type has no values, so
//! the observation and fault layers compile away. The engine's control flow
//! has no `#[cfg]`.

use std::future::Future;

use crate::report::RecordStatus;
use crate::source::BatchRecord;

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
