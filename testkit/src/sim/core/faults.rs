//! What goes wrong in a simulated run, and how long invocations take.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::ConfigError;
use crate::sim::core::function::invocation::{Completed, InvocationResult, RecordNotes};
use crate::sim::core::rng::SimRng;

/// Fault probabilities, each drawn from the run's seeded generator.
///
/// ```
/// use lambda_batch_testkit::sim::InvocationFaults;
/// let faults = InvocationFaults { record_failure: 0.2, timeout: 0.05, ..InvocationFaults::none() };
/// assert!(faults.validate().is_ok());
/// assert!(InvocationFaults { throttle: 1.5, ..InvocationFaults::none() }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvocationFaults {
    /// Each record of each invocation fails with this probability (injected
    /// into a real handler's engine; see `Invocation::failing_records`).
    pub record_failure: f64,
    /// The invocation ends in a function error after the function ran (a
    /// crash after doing its work; the work is not undone).
    pub function_error: f64,
    /// The invocation runs, then times out: a function error of type
    /// `Sandbox.Timedout` at the function timeout.
    pub timeout: f64,
    /// The invocation is throttled before the function runs (SQS retries
    /// the batch until its visibility timeout, a stream shard backs off,
    /// an asynchronous event backs off without spending a retry).
    pub throttle: f64,
    /// SQS standard queues: a delete does not take, so the message is
    /// delivered again after its visibility timeout (SQS delivers at least
    /// once).
    pub lost_delete: f64,
    /// A copy arrives while the original may still be in flight (delivery
    /// is at least once). Asynchronous invocation: an event is delivered
    /// once more with the same request id, during its first attempt or
    /// after. SQS standard queues: a message just received is received
    /// again by another batch at once. A real handler
    /// ([`lambda_function`](crate::sim::lambda_function)) runs both copies
    /// together, so a check-then-act race between them shows.
    pub duplicate: f64,
}

impl InvocationFaults {
    /// Nothing goes wrong.
    pub const fn none() -> Self {
        InvocationFaults {
            record_failure: 0.0,
            function_error: 0.0,
            timeout: 0.0,
            throttle: 0.0,
            lost_delete: 0.0,
            duplicate: 0.0,
        }
    }

    /// Checks every probability is in `[0, 1]`.
    ///
    /// # Errors
    /// The first probability out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fields = [
            ("record_failure", self.record_failure),
            ("function_error", self.function_error),
            ("timeout", self.timeout),
            ("throttle", self.throttle),
            ("lost_delete", self.lost_delete),
            ("duplicate", self.duplicate),
        ];
        for (name, p) in fields {
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError::Conflict(format!(
                    "fault probability {name} = {p} is not in [0, 1]"
                )));
            }
        }
        Ok(())
    }
}

impl Default for InvocationFaults {
    fn default() -> Self {
        InvocationFaults::none()
    }
}

/// How long an invocation takes in virtual time, besides the time the
/// function takes on its own.
///
/// A closure [`Function`](crate::sim::Function) takes no time of its own:
/// its invocation lasts `per_invocation + per_record × records`. A real
/// handler ([`lambda_function`](crate::sim::lambda_function)) runs on the
/// simulation's clock: its own waits (a `tokio::time::sleep` standing for a
/// slow call, a [`RecordFault::Slow`](crate::faults::RecordFault::Slow)-style delay) count too,
/// it is killed at the function timeout with what it did so far kept, and
/// invocations that overlap in time run together. `jitter` delays each
/// record's call by a random 0 to `jitter` ms drawn from the seed, so that
/// concurrent invocations interleave differently from seed to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Fixed cost of an invocation (ms), charged after the function
    /// returns. Default 20.
    pub per_invocation: Millis,
    /// Cost per record (ms), charged after the function returns. Default 1.
    pub per_record: Millis,
    /// Each record's call of a real handler waits a random 0 to `jitter`
    /// ms first (injected by the engine, or by `lambda_batch::observe` in a
    /// hand-written handler). Default 0.
    pub jitter: Millis,
}

impl Timing {
    /// How long an invocation of `records` records takes besides the
    /// function's own time.
    pub(crate) fn of(&self, records: usize) -> Millis {
        self.per_invocation + self.per_record * records as Millis
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing { per_invocation: 20, per_record: 1, jitter: 0 }
    }
}

/// The fault draws of one invocation.
pub(crate) struct Drawn {
    /// The records that fail (indices into the batch).
    pub(crate) failing_records: Vec<usize>,
    /// The invocation ends in a function error.
    pub(crate) function_error: bool,
    /// The invocation times out.
    pub(crate) timeout: bool,
    /// How long each record's call waits first (ms; empty without jitter).
    pub(crate) record_delays: Vec<Millis>,
}

impl Drawn {
    /// Draws the faults of an invocation of `records` records.
    pub(crate) fn draw(faults: &InvocationFaults, timing: &Timing, rng: &mut SimRng, records: usize) -> Self {
        let failing_records = if faults.record_failure > 0.0 {
            (0..records).filter(|_| rng.chance(faults.record_failure, "record_failure")).collect()
        } else {
            Vec::new()
        };
        let timeout = rng.chance(faults.timeout, "timeout");
        let function_error = !timeout && rng.chance(faults.function_error, "function_error");
        let record_delays = if timing.jitter > 0 {
            (0..records).map(|_| rng.below(timing.jitter + 1)).collect()
        } else {
            Vec::new()
        };
        Drawn { failing_records, function_error, timeout, record_delays }
    }
}

/// How an invocation ended, after the drawn faults.
pub(crate) enum Ended {
    /// The function returned this response.
    Returned {
        /// The response.
        response: Value,
        /// What the engine said about some records.
        notes: RecordNotes,
    },
    /// A function error (`Sandbox.Timedout` for a timeout).
    Failed {
        /// `errorType`.
        error_type: Arc<str>,
        /// Lambda stopped it at the function timeout.
        timed_out: bool,
        /// It timed out because the function ran out of time (its own time
        /// and the [`Timing`] overran the timeout), not by a drawn fault.
        out_of_time: bool,
        /// What the engine said about some records, when the function ran
        /// to its end (empty when it was stopped at the timeout).
        notes: RecordNotes,
    },
}

impl Ended {
    /// A timeout at the function timeout: drawn, or `out_of_time`.
    pub(crate) fn timed_out(out_of_time: bool, notes: RecordNotes) -> Self {
        Ended::Failed { error_type: "Sandbox.Timedout".into(), timed_out: true, out_of_time, notes }
    }

    /// What the engine said about some records of the invocation.
    pub(crate) fn notes(&self) -> &RecordNotes {
        match self {
            Ended::Returned { notes, .. } | Ended::Failed { notes, .. } => notes,
        }
    }

    /// Applies the drawn faults to what the function returned after
    /// running `elapsed` ms on its own (`None`: killed at the timeout), and
    /// says when (ms after the start) the invocation ends.
    pub(crate) fn settle(
        result: Option<Completed>,
        elapsed: Millis,
        drawn: &Drawn,
        timing: &Timing,
        records: usize,
        function_timeout: Millis,
    ) -> (Ended, Millis) {
        let Some(Completed { result, notes }) = result else {
            return (Ended::timed_out(true, RecordNotes::default()), function_timeout);
        };
        let took = elapsed.saturating_add(timing.of(records));
        if took > function_timeout {
            return (Ended::timed_out(true, notes), function_timeout);
        }
        if drawn.timeout {
            return (Ended::timed_out(false, notes), function_timeout);
        }
        let failed = |error_type: &str, notes| Ended::Failed {
            error_type: error_type.into(),
            timed_out: false,
            out_of_time: false,
            notes,
        };
        if drawn.function_error {
            return (failed("Runtime.ExitError", notes), took);
        }
        match result {
            InvocationResult::Response(response) => (Ended::Returned { response, notes }, took),
            InvocationResult::Error { error_type, .. } => (failed(&error_type, notes), took),
        }
    }
}
