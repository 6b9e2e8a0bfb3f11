//! Asynchronous invocation settings, checked against AWS's ranges.

use crate::sim::core::clock::Millis;
use crate::sim::core::error::{ASYNC, ConfigError, check_function_timeout, check_range};
use crate::sim::core::faults::{InvocationFaults, Timing};

/// Everything about one asynchronous-invocation simulation.
/// [`AsyncConfig::default`] is AWS's default (2 retries, 6 h maximum age)
/// with a DLQ and both destinations configured.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncConfig {
    /// `MaximumRetryAttempts`: 0 to 2, default 2.
    pub maximum_retry_attempts: u32,
    /// `MaximumEventAgeInSeconds` as ms: 60 s to 6 h, default 6 h.
    pub maximum_event_age: Millis,
    /// The function timeout (ms), 1 to 900 s.
    pub function_timeout: Millis,
    /// Delays before the second and third attempts after a function
    /// error. Default about 1 and 2 minutes (AWS gives no exact figures:
    /// [Where AWS is silent](lambda_batch::aws_rules#where-aws-is-silent)).
    pub retry_delays: [Millis; 2],
    /// Up to this much is added at random to each retry delay (default 0).
    pub retry_jitter: Millis,
    /// A DLQ (SQS or SNS) is configured on the function version.
    pub dead_letter_queue: bool,
    /// Sending to the DLQ fails (permissions, size): the event is deleted
    /// and `DeadLetterErrors` counts it.
    pub dead_letter_queue_fails: bool,
    /// An on-success destination is configured.
    pub on_success: bool,
    /// An on-failure destination is configured.
    pub on_failure: bool,
    /// Reserved concurrency 0: events go to the DLQ or on-failure
    /// destination with no attempt.
    pub reserved_concurrency_zero: bool,
    /// The `condition` of an event that outlived its maximum age. Default
    /// `"EventAgeExceeded"` (AWS does not document it:
    /// [Where AWS is silent](lambda_batch::aws_rules#where-aws-is-silent)).
    pub event_age_condition: String,
    /// What goes wrong.
    pub faults: InvocationFaults,
    /// How long invocations take.
    pub timing: Timing,
    /// The seed.
    pub seed: u64,
    /// Record a trace.
    pub trace: bool,
}

impl Default for AsyncConfig {
    fn default() -> Self {
        AsyncConfig {
            maximum_retry_attempts: 2,
            maximum_event_age: 21_600_000,
            function_timeout: 3_000,
            retry_delays: [60_000, 120_000],
            retry_jitter: 0,
            dead_letter_queue: true,
            dead_letter_queue_fails: false,
            on_success: true,
            on_failure: true,
            reserved_concurrency_zero: false,
            event_age_condition: "EventAgeExceeded".to_owned(),
            faults: InvocationFaults::none(),
            timing: Timing::default(),
            seed: 0,
            trace: true,
        }
    }
}

impl AsyncConfig {
    /// Checks every setting as AWS would.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let ms = |v: Millis| i64::try_from(v).unwrap_or(i64::MAX);
        check_range(
            "MaximumRetryAttempts",
            i64::from(self.maximum_retry_attempts),
            |v| v <= 2,
            "0..=2",
            ASYNC,
        )?;
        check_range(
            "MaximumEventAgeInSeconds (ms)",
            ms(self.maximum_event_age),
            |v| (60_000..=21_600_000).contains(&v),
            "60..=21600 s",
            ASYNC,
        )?;
        check_function_timeout(self.function_timeout)?;
        self.faults.validate()
    }
}
