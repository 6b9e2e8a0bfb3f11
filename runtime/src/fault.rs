//! Fault injection and call observation for `lambda-batch-testkit`
//! (feature `fault-injection`; not compiled otherwise).
//!
//! The testkit runs a handler inside [`Injector::scope`]. While that future
//! runs, the injector is the engine's observer (`engine/observe.rs`): it
//! records when each record starts and ends and how it came out, and the
//! engine's fault layer replaces or wraps the handler call as the record's
//! [`CallFault`] says. A hand-written handler's per-record work is observed
//! the same way through [`crate::observe`]: the injector finds the record
//! by its identifier (see [`Injector::with_identifiers`]). Without a scope
//! nothing changes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::observe::{ApplyFault, Observer};
use crate::report::RecordStatus;
use crate::source::BatchRecord;

/// What to do to one record's call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallFault {
    /// Fail without calling the handler.
    Error,
    /// Panic when the call is first polled (inside the engine's isolation).
    Panic,
    /// Wait this long, then call the handler.
    Delay(Duration),
    /// Never finish.
    Hang,
}

/// Who reported a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallSite {
    /// The engine (a `#[batch_handler]` or any `RecordHandler`).
    Engine,
    /// A hand-written handler, through [`crate::observe`].
    Observe,
}

/// One record's call as the engine (or a hand-written handler's
/// [`crate::observe`]) made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The record's index in the batch; for [`CallSite::Observe`], the
    /// first record with the identifier given that was not called yet, or
    /// `usize::MAX` if no record of the batch has that identifier.
    pub index: usize,
    /// The record's identifier.
    pub id: String,
    /// When the call started (tokio clock).
    pub started: Instant,
    /// When it ended; `None` if it never did (hung, abandoned).
    pub ended: Option<Instant>,
    /// The record's status once settled; `None` if it never ended.
    pub status: Option<RecordStatus>,
    /// The fault injected into it, if any.
    pub fault: Option<CallFault>,
    /// Who reported it.
    pub site: CallSite,
}

/// Faults to inject, by record index, and the calls observed.
#[derive(Debug, Default)]
pub struct Injector {
    faults: HashMap<usize, CallFault>,
    identifiers: Vec<String>,
    calls: Mutex<Vec<Call>>,
    deadline: Option<Instant>,
}

tokio::task_local! {
    static INJECTOR: Arc<Injector>;
}

impl Injector {
    /// An injector with these faults (record index -> fault).
    pub fn new(faults: HashMap<usize, CallFault>) -> Arc<Self> {
        Self::with_identifiers(faults, Vec::new())
    }

    /// An injector with these faults that also knows each record's
    /// identifier (by index, as text: Kafka's `<topic>-<partition>@<offset>`),
    /// so that [`crate::observe`] in a hand-written handler finds the
    /// record it is given.
    pub fn with_identifiers(faults: HashMap<usize, CallFault>, identifiers: Vec<String>) -> Arc<Self> {
        Arc::new(Injector { faults, identifiers, calls: Mutex::new(Vec::new()), deadline: None })
    }

    /// As [`Injector::with_identifiers`], and the invocation's deadline as
    /// an instant of tokio's clock: the engine's deadline guard uses it
    /// instead of reading `Context::deadline` against the wall clock. A
    /// simulation whose clock is tokio's paused clock gives it, so that the
    /// guard fires at the same virtual instant on every run (the wall clock
    /// moves while the simulation runs, by a different amount each time).
    pub fn with_deadline(
        faults: HashMap<usize, CallFault>,
        identifiers: Vec<String>,
        deadline: Instant,
    ) -> Arc<Self> {
        Arc::new(Injector { faults, identifiers, calls: Mutex::new(Vec::new()), deadline: Some(deadline) })
    }

    /// The invocation's deadline on tokio's clock, if the injector was
    /// given one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Runs `future` with this injector in effect.
    pub async fn scope<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        INJECTOR.scope(Arc::clone(self), future).await
    }

    /// The calls observed so far, in the order they started.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|calls| calls.clone()).unwrap_or_default()
    }
}

/// The injector in effect, if any.
pub(crate) fn current() -> Option<Arc<Injector>> {
    INJECTOR.try_with(Arc::clone).ok()
}

impl Injector {
    /// Records the start of record `index`'s call and returns its fault.
    pub(crate) fn start(&self, index: usize, id: &str, site: CallSite) -> Option<CallFault> {
        let fault = self.faults.get(&index).copied();
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(Call {
                index,
                id: id.to_owned(),
                started: Instant::now(),
                ended: None,
                status: None,
                fault,
                site,
            });
        }
        fault
    }

    /// Records the start of the work on the record named `id` (the first
    /// such record not started yet) and returns its index and fault.
    pub(crate) fn start_named(&self, id: &str) -> (usize, Option<CallFault>) {
        let started: Vec<usize> =
            self.calls.lock().map(|calls| calls.iter().map(|call| call.index).collect()).unwrap_or_default();
        let mut named = self.identifiers.iter().enumerate().filter(|(_, known)| *known == id);
        let index = named
            .clone()
            .find(|(index, _)| !started.contains(index))
            .or_else(|| named.next())
            .map_or(usize::MAX, |(index, _)| index);
        (index, self.start(index, id, CallSite::Observe))
    }

    /// Records the end of record `index`'s call.
    pub(crate) fn end(&self, index: usize, status: &RecordStatus) {
        if let Ok(mut calls) = self.calls.lock()
            && let Some(call) = calls.iter_mut().rev().find(|call| call.index == index)
        {
            call.ended = Some(Instant::now());
            call.status = Some(status.clone());
        }
    }
}

/// The injector is the engine's observer while it is in scope.
impl Observer for Arc<Injector> {
    type Fault = CallFault;

    fn start<R: BatchRecord>(&self, index: usize, record: &R) -> Option<CallFault> {
        Injector::start(self, index, record.item_identifier(), CallSite::Engine)
    }

    fn end(&self, index: usize, status: &RecordStatus) {
        Injector::end(self, index, status);
    }

    fn start_named(&self, id: &str) -> Option<(usize, Option<CallFault>)> {
        Some(Injector::start_named(self, id))
    }
}

impl ApplyFault for CallFault {
    #[allow(clippy::panic, reason = "a panic is the fault being injected; the engine's isolation catches it")]
    async fn apply<C: Future>(self, call: C, injected_error: impl FnOnce() -> C::Output) -> C::Output {
        match self {
            CallFault::Error => injected_error(),
            CallFault::Panic => std::panic::panic_any("injected panic"),
            CallFault::Delay(delay) => {
                tokio::time::sleep(delay).await;
                call.await
            }
            CallFault::Hang => std::future::pending().await,
        }
    }
}
