//! What goes wrong in a simulated run, and how long invocations take.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::ConfigError;
use crate::sim::core::function::invocation::InvocationResult;
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
    /// Asynchronous invocation: an event is delivered once more with the
    /// same request id (asynchronous invocation is at least once too).
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

/// How long an invocation takes in virtual time when it does not time out:
/// `per_invocation + per_record × records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Fixed cost of an invocation (ms). Default 20.
    pub per_invocation: Millis,
    /// Cost per record (ms). Default 1.
    pub per_record: Millis,
}

impl Timing {
    /// How long an invocation of `records` records takes.
    pub(crate) fn of(&self, records: usize) -> Millis {
        self.per_invocation + self.per_record * records as Millis
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing { per_invocation: 20, per_record: 1 }
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
}

impl Drawn {
    /// Draws the faults of an invocation of `records` records.
    pub(crate) fn draw(faults: &InvocationFaults, rng: &mut SimRng, records: usize) -> Self {
        let failing_records = if faults.record_failure > 0.0 {
            (0..records).filter(|_| rng.chance(faults.record_failure)).collect()
        } else {
            Vec::new()
        };
        let timeout = rng.chance(faults.timeout);
        let function_error = !timeout && rng.chance(faults.function_error);
        Drawn { failing_records, function_error, timeout }
    }
}

/// How an invocation ended, after the drawn faults.
pub(crate) enum Ended {
    /// The function returned this response.
    Returned(Value),
    /// A function error (`Sandbox.Timedout` for a timeout).
    Failed { error_type: Arc<str>, timed_out: bool },
}

impl Ended {
    /// Applies the drawn faults to what the function returned, and says
    /// when (ms after the start) the invocation ends.
    pub(crate) fn settle(
        result: InvocationResult,
        drawn: &Drawn,
        timing: &Timing,
        records: usize,
        function_timeout: Millis,
    ) -> (Ended, Millis) {
        let took = timing.of(records);
        if drawn.timeout || took > function_timeout {
            return (
                Ended::Failed { error_type: "Sandbox.Timedout".into(), timed_out: true },
                function_timeout,
            );
        }
        if drawn.function_error {
            return (Ended::Failed { error_type: "Runtime.ExitError".into(), timed_out: false }, took);
        }
        match result {
            InvocationResult::Response(value) => (Ended::Returned(value), took),
            InvocationResult::Error { error_type, .. } => {
                (Ended::Failed { error_type: error_type.into(), timed_out: false }, took)
            }
        }
    }
}
