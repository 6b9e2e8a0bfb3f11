//! What handling one record came to.

use std::fmt;

/// The result of handling one record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordOutcome {
    /// The record was handled; it will be deleted / checkpointed.
    Success,
    /// The record failed; it will be reported for retry.
    Failure(RecordError),
    /// Not an error: the record cannot be handled yet (a dependency is
    /// warming up, a rate limit...). It is reported for retry, logged at
    /// info level, and not counted as failed by the all-failed rule.
    RetryLater {
        /// Why, for the log.
        reason: Option<String>,
    },
    /// The record can never succeed (a poison message): acknowledge it
    /// without retrying. It is logged as a warning with its identifier and
    /// reason, and handed to the handler's poison sink; if the sink fails,
    /// the record is reported failed instead, so nothing is silently lost.
    Poison {
        /// Why the record is dropped.
        reason: String,
    },
}

impl RecordOutcome {
    /// A failure with the handler's error message.
    pub fn failure(message: impl fmt::Display) -> Self {
        RecordOutcome::Failure(RecordError::new(RecordErrorKind::Handler, message.to_string()))
    }

    /// Retry later, not an error.
    pub fn retry_later() -> Self {
        RecordOutcome::RetryLater { reason: None }
    }

    /// Retry later, not an error, with a reason for the log.
    pub fn retry_later_because(reason: impl fmt::Display) -> Self {
        RecordOutcome::RetryLater { reason: Some(reason.to_string()) }
    }

    /// Drop the record as poison, with a reason.
    pub fn poison(reason: impl fmt::Display) -> Self {
        RecordOutcome::Poison { reason: reason.to_string() }
    }
}

/// How a record failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordErrorKind {
    /// The handler returned an error.
    Handler,
    /// The handler panicked.
    Panic,
    /// A parameter could not be extracted from the record (for example a
    /// body that is not valid JSON for `Json<T>`).
    Extract,
    /// The record was dropped as poison but the poison sink failed (or
    /// panicked), so it is retried instead of lost.
    PoisonSink,
    /// The record ran past its record timeout, or was still running at the
    /// invocation deadline.
    Timeout,
    /// Idempotency kept the record from running now: its key is in
    /// progress elsewhere, was used for a different payload, could not be
    /// made, or the store could not claim it. It is retried.
    Idempotency,
}

/// A record's failure: its kind and a message for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    kind: RecordErrorKind,
    message: String,
}

impl RecordError {
    /// A new record error.
    pub fn new(kind: RecordErrorKind, message: impl Into<String>) -> Self {
        RecordError { kind, message: message.into() }
    }

    /// How the record failed.
    pub fn kind(&self) -> RecordErrorKind {
        self.kind
    }

    /// The message (the handler's error, the panic payload, or the
    /// extraction error).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RecordErrorKind::Handler => f.write_str(&self.message),
            RecordErrorKind::Panic => write!(f, "handler panicked: {}", self.message),
            RecordErrorKind::Extract => write!(f, "bad record: {}", self.message),
            RecordErrorKind::PoisonSink => write!(f, "poison sink failed: {}", self.message),
            RecordErrorKind::Timeout => write!(f, "timed out: {}", self.message),
            RecordErrorKind::Idempotency => write!(f, "not run now: {}", self.message),
        }
    }
}

/// Return types a record handler may have: `()`, `Result<(), E>` with
/// `E: Display`, or a [`RecordOutcome`].
///
/// ```
/// use lambda_batch::{IntoRecordOutcome, RecordOutcome};
/// assert_eq!(().into_record_outcome(), RecordOutcome::Success);
/// assert!(matches!(Err::<(), _>("no stock").into_record_outcome(), RecordOutcome::Failure(_)));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid #[batch_handler] return type",
    label = "return `Result<(), E>` with `E: Display`, or `()`",
    note = "a record handler returns `()` (cannot fail), `Result<(), E>` where `E: std::fmt::Display`, or `lambda_batch::RecordOutcome`"
)]
pub trait IntoRecordOutcome {
    /// Converts the handler's return value into an outcome.
    fn into_record_outcome(self) -> RecordOutcome;
}

impl IntoRecordOutcome for () {
    fn into_record_outcome(self) -> RecordOutcome {
        RecordOutcome::Success
    }
}

impl<E: fmt::Display> IntoRecordOutcome for Result<(), E> {
    fn into_record_outcome(self) -> RecordOutcome {
        match self {
            Ok(()) => RecordOutcome::Success,
            Err(error) => RecordOutcome::failure(error),
        }
    }
}

impl IntoRecordOutcome for RecordOutcome {
    fn into_record_outcome(self) -> RecordOutcome {
        self
    }
}
