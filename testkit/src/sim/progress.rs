//! Progress of long runs.

use super::clock::Millis;

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
