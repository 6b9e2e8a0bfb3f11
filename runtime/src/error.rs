//! Invocation errors: the ways a whole batch fails.

use lambda_runtime::Diagnostic;

/// Why an event could not be read as a batch at all.
///
/// Each of these fails the invocation (Lambda retries the whole batch); none of
/// them ever produces a response that acknowledges a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The payload is not JSON.
    #[error("the event is not valid JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The payload is JSON but not an object.
    #[error(
        "the event is a JSON {found}, but a batch event is an object with a `Records` array (or, from \
         Kafka, a `records` object)"
    )]
    NotAnObject {
        /// The JSON type found instead (`array`, `string`, ...).
        found: &'static str,
    },
    /// The object has no `Records` key, nor Kafka's `records` (or it is `null`).
    #[error(
        "the event has no `Records` array (nor Kafka's `records`); is this function wired to an SQS, \
         Kinesis, DynamoDB Streams or Kafka event source mapping?"
    )]
    MissingRecords,
    /// `Records` is present but is not an array.
    #[error("the event's `Records` is a JSON {found}, not an array")]
    RecordsNotArray {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// The object has `Records` (or `records`) twice: which one Lambda meant
    /// is unknown.
    #[error("the event has two `Records` (or two `records`) keys; which one to handle is unknown")]
    DuplicateRecords,
    /// Kafka's `records` is not an object whose values are arrays.
    #[error(
        "the event's `records` is a JSON {found}, but a Kafka event's `records` is an object of \
         partitions, each an array of records"
    )]
    KafkaRecordsNotMap {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// One partition of Kafka's `records` is not an array of records.
    #[error(
        "the event's Kafka partition `{partition}` is a JSON {found}, but each partition of `records` is an \
         array of records"
    )]
    KafkaPartitionNotArray {
        /// The partition's key in `records` (`<topic>-<partition>`).
        partition: String,
        /// The JSON type found instead.
        found: &'static str,
    },
    /// The event has both `Records` (SQS, Kinesis, DynamoDB Streams) and
    /// Kafka's `records`: Lambda never sends both.
    #[error(
        "the event has both a `Records` key (SQS, Kinesis, DynamoDB Streams) and Kafka's `records`; Lambda \
         never sends both, so which records to handle is unclear and none was handled: check what builds \
         this event"
    )]
    RecordsAndKafkaRecords,
    /// A Kafka record's `topic` and `partition` contradict the partition key
    /// it sits under in `records`: its failure could not be reported under
    /// the partition Lambda commits.
    #[error(
        "Kafka record {index} says topic `{topic}`, partition {partition}, but sits under `{key}` in the \
         event's `records`; Lambda never sends that, and a failure of this record would be reported under \
         the wrong partition, so none was handled: check what builds this event"
    )]
    KafkaRecordUnderOtherPartition {
        /// The record's index in the batch (partitions one after the other).
        index: usize,
        /// The partition key it sits under.
        key: String,
        /// Its own `topic`.
        topic: String,
        /// Its own `partition`.
        partition: i64,
    },
}

/// An error that fails the whole invocation, so that Lambda retries the batch.
///
/// Returned by the generated handlers and by the engine functions such as
/// [`BatchPipeline::handle`](crate::BatchPipeline::handle). It converts into a
/// [`lambda_runtime::Diagnostic`] whose `errorType` is stable (see
/// [`BatchError::error_type`]), so alarms and log queries can match on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The event is not a batch event.
    #[error(transparent)]
    InvalidEvent(#[from] EventError),
    /// A record has no usable identifier, so its failure could not be
    /// reported: failing the invocation is the only way not to lose it.
    #[error(
        "record {index} has no usable `{field}` ({problem}); a failure of this record could not be \
         reported, so the whole batch is failed and will be retried"
    )]
    MissingItemIdentifier {
        /// Position of the record in the batch, from 0 (for Kafka, counted
        /// over the partitions one after the other, in the event's order).
        index: usize,
        /// The identifier field the source uses (`messageId`, ...).
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Every record of the batch failed while being handled (records skipped
    /// because of an earlier failure do not count). Raised so that Lambda
    /// backs off and the `Errors` metric shows the outage; turn it off with
    /// [`AllFailedPolicy::ReportAll`](crate::AllFailedPolicy::ReportAll).
    #[error("all {failed} records of the batch failed; first error: {first_error}")]
    AllRecordsFailed {
        /// How many records failed.
        failed: usize,
        /// The first record's error message.
        first_error: String,
    },
}

impl BatchError {
    /// The stable `errorType` Lambda reports for this error.
    ///
    /// ```
    /// use lambda_batch::{BatchError, EventError};
    /// let error = BatchError::from(EventError::MissingRecords);
    /// assert_eq!(error.error_type(), "LambdaBatch.InvalidEvent");
    /// ```
    pub fn error_type(&self) -> &'static str {
        match self {
            BatchError::InvalidEvent(_) => "LambdaBatch.InvalidEvent",
            BatchError::MissingItemIdentifier { .. } => "LambdaBatch.MissingItemIdentifier",
            BatchError::AllRecordsFailed { .. } => "LambdaBatch.AllRecordsFailed",
        }
    }
}

impl From<BatchError> for Diagnostic {
    fn from(error: BatchError) -> Self {
        Diagnostic { error_type: error.error_type().to_owned(), error_message: error.to_string() }
    }
}

/// Logs an invocation error of a `source` batch once, and passes the result on.
pub(crate) fn log_failure<T>(
    source: crate::kind::SourceKind,
    result: Result<T, BatchError>,
) -> Result<T, BatchError> {
    if let Err(error) = &result {
        tracing::error!(source = source.name(), error = %error, error_type = error.error_type(), "batch failed as a whole");
    }
    result
}
