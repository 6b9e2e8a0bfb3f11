//! How Lambda reads a batch response, as a checker.
//!
//! Read the batch once into a [`BatchView`] ([`BatchView::read`] with the
//! batch's [`SourceKind`](crate::SourceKind), through the engine's own
//! reader for that source), then check any response against it
//! ([`BatchView::check`], or [`BatchView::check_text`] for the bytes a
//! function returned). Each check says what Lambda does with the response
//! ([`Verdict`]) and lists every rule it breaks ([`Finding`]), each with
//! what to do about it and a pointer to the section of the repository's
//! [`aws_rules`](crate::aws_rules) that explains the rule:
//!
//! - SQS: the forms AWS documents as a complete success or a complete
//!   failure, the undocumented cases (an identifier listed twice, JSON of
//!   the wrong shape), and for FIFO queues the rule that the reported
//!   messages must be the tail of the batch, or of each message group
//!   ([`FifoRule`], [`BatchView::with_fifo_rule`]);
//! - Kinesis and DynamoDB Streams: the documented success and failure
//!   forms, and the undocumented cases (an identifier not in the batch, a
//!   response that is not JSON) taken as a complete failure. Lambda retries
//!   from the lowest reported sequence number, compared as a whole number,
//!   never as a string;
//! - Kafka: identifiers are `{"partition": "<topic>-<partition>", "offset": n}`
//!   objects, and Lambda retries each listed partition from its lowest
//!   listed offset.
//!
//! See <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>
//! and <https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html>.
//!
//! The example on [`BatchView`] shows the whole round: read, check, verdict.

mod batch;
mod finding;
mod kafka;
mod sqs;
mod stream;

pub use self::batch::BatchView;
pub(crate) use self::batch::{error_finding, read_identifiers};
pub use self::finding::{Finding, Problem, Severity};
pub use self::sqs::FifoRule;

/// What Lambda does with the batch after reading the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record is done: messages deleted, or the stream checkpointed
    /// past the batch.
    CompleteSuccess,
    /// SQS: the listed messages come back after their visibility timeout and
    /// every other message is deleted. Streams: Lambda checkpoints before the
    /// lowest listed sequence number and retries every record from it on.
    /// Kafka: the same per listed partition. `retried` is in batch order,
    /// each id once, in the text form of
    /// [`ItemIdentifier::as_str`](crate::ItemIdentifier::as_str).
    PartialSuccess {
        /// The identifiers Lambda will retry.
        retried: Vec<String>,
    },
    /// Nothing is done: the whole batch comes back.
    CompleteFailure,
}

/// The verdict on a response and the findings behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseCheck {
    pub(crate) verdict: Verdict,
    pub(crate) findings: Vec<Finding>,
}

impl ResponseCheck {
    /// What Lambda does with the batch.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// Every problem found, errors and warnings.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// `true` if no finding is an error.
    pub fn is_valid(&self) -> bool {
        self.findings.iter().all(|f| f.severity == Severity::Warning)
    }

    /// The identifiers Lambda will retry, in batch order: none on complete
    /// success, all of the batch on complete failure.
    pub fn retried<'a>(&'a self, batch: &'a BatchView) -> Vec<&'a str> {
        match &self.verdict {
            Verdict::CompleteSuccess => Vec::new(),
            Verdict::PartialSuccess { retried } => retried.iter().map(String::as_str).collect(),
            Verdict::CompleteFailure => batch.ids().collect(),
        }
    }
}
