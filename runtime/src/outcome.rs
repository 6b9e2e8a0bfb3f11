//! What handling one record came to.

use std::error::Error;
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
    /// A failure with the handler's error message (its `Display` text
    /// only; for an error with causes, see [`failure_from`](Self::failure_from)).
    pub fn failure(message: impl fmt::Display) -> Self {
        RecordOutcome::Failure(RecordError::new(RecordErrorKind::Handler, message.to_string()))
    }

    /// A failure with the handler's error and its causes: the `source()`
    /// chain is kept as text ([`RecordError::causes`]), logged and shown in
    /// the testkit's reports. What `#[batch_handler]` does by itself for a
    /// record function returning `Err(e)` with `e` a `std::error::Error`;
    /// call it in a hand-written [`RecordHandler`](crate::RecordHandler).
    ///
    /// ```
    /// use lambda_batch::RecordOutcome;
    ///
    /// #[derive(Debug)]
    /// struct BadQuantity(std::num::ParseIntError);
    /// impl std::fmt::Display for BadQuantity {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("the quantity is not a number")
    ///     }
    /// }
    /// impl std::error::Error for BadQuantity {
    ///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
    ///         Some(&self.0)
    ///     }
    /// }
    ///
    /// let error = BadQuantity("x1".parse::<u32>().unwrap_err());
    /// let RecordOutcome::Failure(failure) = RecordOutcome::failure_from(&error) else { unreachable!() };
    /// assert_eq!(failure.message(), "the quantity is not a number");
    /// assert_eq!(failure.causes(), ["invalid digit found in string"]);
    /// ```
    pub fn failure_from<E: Error + ?Sized>(error: &E) -> Self {
        RecordOutcome::Failure(RecordError::from_error(RecordErrorKind::Handler, error))
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

impl RecordErrorKind {
    /// The kind's name in logs (the `error_kind` field of the failed
    /// record's log event): `handler`, `panic`, `extract`, `poison_sink`,
    /// `timeout`, `idempotency`.
    pub const fn name(self) -> &'static str {
        match self {
            RecordErrorKind::Handler => "handler",
            RecordErrorKind::Panic => "panic",
            RecordErrorKind::Extract => "extract",
            RecordErrorKind::PoisonSink => "poison_sink",
            RecordErrorKind::Timeout => "timeout",
            RecordErrorKind::Idempotency => "idempotency",
        }
    }
}

/// The most causes a `RecordError` keeps from an error's `source()` chain
/// (a chain that loops would otherwise never end).
const MAX_CAUSES: usize = 32;

/// A record's failure: its kind, a message, and the causes behind it.
///
/// The causes are the error's `source()` chain, kept as text (a record's
/// error is cloned into reports and crosses tasks, and the handler's error
/// type need not be `Send`, `Sync` or `'static`). `Display` shows the
/// message with its kind, then every cause (`bad record: the body is not
/// valid JSON for `Order`: expected value at line 1 column 1`).
#[derive(Clone, PartialEq, Eq)]
pub struct RecordError(Box<ErrorParts>);

/// A [`RecordError`]'s parts, boxed: a failure is rare, and one word keeps
/// every [`RecordStatus`](crate::RecordStatus) (and so a batch's report)
/// small.
#[derive(Clone, PartialEq, Eq)]
struct ErrorParts {
    kind: RecordErrorKind,
    message: String,
    causes: Box<[String]>,
}

impl fmt::Debug for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordError")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("causes", &self.0.causes)
            .finish()
    }
}

impl RecordError {
    /// A new record error, without causes.
    pub fn new(kind: RecordErrorKind, message: impl Into<String>) -> Self {
        RecordError(Box::new(ErrorParts { kind, message: message.into(), causes: Box::default() }))
    }

    /// A record error from `error`: its `Display` text as the message, and
    /// its `source()` chain as the causes.
    ///
    /// ```
    /// use lambda_batch::{ExtractError, RecordError, RecordErrorKind};
    /// let cause = "x1".parse::<u32>().unwrap_err();
    /// let extract = ExtractError::new("Json", "the body is not an order").with_source(cause);
    /// let error = RecordError::from_error(RecordErrorKind::Extract, &extract);
    /// assert_eq!(error.causes(), ["invalid digit found in string"]);
    /// assert_eq!(error.to_string(), "bad record: the body is not an order: invalid digit found in string");
    /// ```
    pub fn from_error<E: Error + ?Sized>(kind: RecordErrorKind, error: &E) -> Self {
        // At most `MAX_CAUSES`: a chain that loops back on itself must not
        // keep the record busy for ever.
        let mut causes = Vec::new();
        let mut next = error.source();
        while let Some(cause) = next.filter(|_| causes.len() < MAX_CAUSES) {
            causes.push(cause.to_string());
            next = cause.source();
        }
        RecordError(Box::new(ErrorParts { kind, message: error.to_string(), causes: causes.into() }))
    }

    /// How the record failed.
    pub fn kind(&self) -> RecordErrorKind {
        self.0.kind
    }

    /// The message (the handler's error, the panic payload, or the
    /// extraction error), without its causes.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The causes behind the message, outermost first (the error's
    /// `source()`, its source, ...); empty when the error had none or only
    /// its text was kept (`E: Display` that is not a `std::error::Error`).
    pub fn causes(&self) -> &[String] {
        &self.0.causes
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ErrorParts { kind, message, causes } = &*self.0;
        match kind {
            RecordErrorKind::Handler => f.write_str(message)?,
            RecordErrorKind::Panic => write!(f, "handler panicked: {message}")?,
            RecordErrorKind::Extract => write!(f, "bad record: {message}")?,
            RecordErrorKind::PoisonSink => write!(f, "poison sink failed: {message}")?,
            RecordErrorKind::Timeout => write!(f, "timed out: {message}")?,
            RecordErrorKind::Idempotency => write!(f, "not run now: {message}")?,
        }
        causes.iter().try_for_each(|cause| write!(f, ": {cause}"))
    }
}

/// Return types a record handler may have: `()`, `Result<(), E>` and
/// `Result<RecordOutcome, E>` with `E: Display`, or a [`RecordOutcome`].
///
/// This conversion keeps only the error's text. `#[batch_handler]` keeps
/// more: when `E` is a `std::error::Error` (or a boxed one, or an
/// `anyhow::Error`-like type that is `AsRef<dyn Error + Send + Sync>`), the
/// record's error also keeps the `source()` chain
/// ([`RecordError::causes`]). By hand, use [`RecordOutcome::failure_from`].
///
/// ```
/// use lambda_batch::{IntoRecordOutcome, RecordOutcome};
/// assert_eq!(().into_record_outcome(), RecordOutcome::Success);
/// assert!(matches!(Err::<(), _>("no stock").into_record_outcome(), RecordOutcome::Failure(_)));
/// let later = Ok::<_, String>(RecordOutcome::retry_later());
/// assert_eq!(later.into_record_outcome(), RecordOutcome::retry_later());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid #[batch_handler] return type",
    label = "return `()`, `Result<(), E>` or `Result<RecordOutcome, E>` with `E: Display`, or `RecordOutcome`",
    note = "a record handler returns `()` (cannot fail), `Result<(), E>` or `Result<RecordOutcome, E>` where `E: std::fmt::Display` (a `std::error::Error` keeps its causes), or `lambda_batch::RecordOutcome`"
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

/// `Ok(outcome)` as it is; `Err` fails the record.
impl<E: fmt::Display> IntoRecordOutcome for Result<RecordOutcome, E> {
    fn into_record_outcome(self) -> RecordOutcome {
        self.unwrap_or_else(RecordOutcome::failure)
    }
}

impl IntoRecordOutcome for RecordOutcome {
    fn into_record_outcome(self) -> RecordOutcome {
        self
    }
}
