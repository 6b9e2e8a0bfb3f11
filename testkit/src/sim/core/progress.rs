//! Progress of long runs.

use crate::sim::core::clock::Millis;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Virtual time now.
    pub now: Millis,
    /// Simulated events handled so far.
    pub events: u64,
    /// Invocations so far.
    pub invocations: u64,
    /// Messages, records or events finished.
    pub done: usize,
    /// Messages, records or events in the run.
    pub total: usize,
}

/// A progress callback, called about every million simulated events.
pub type ProgressFn<'a> = &'a mut dyn FnMut(&Progress);

/// Counts simulated events and calls the progress callback, if any, every
/// millionth one.
pub(crate) struct Ticker<'a> {
    progress: Option<ProgressFn<'a>>,
    events: u64,
}

impl<'a> Ticker<'a> {
    /// A ticker calling `progress`, if any.
    pub(crate) fn new(progress: Option<ProgressFn<'a>>) -> Self {
        Ticker { progress, events: 0 }
    }

    /// Counts one event; `status` builds the progress (given the event
    /// count) only when it is reported.
    pub(crate) fn tick(&mut self, status: impl FnOnce(u64) -> Progress) {
        self.events += 1;
        if self.events.is_multiple_of(1_000_000)
            && let Some(progress) = self.progress.as_mut()
        {
            progress(&status(self.events));
        }
    }
}
