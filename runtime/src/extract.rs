//! Extractors: the parameter types a record function may take.

use std::fmt;
use std::ops::{Deref, DerefMut};

use lambda_runtime::Context;

use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::source::Source;

/// A record payload parsed as JSON into `T` with serde.
///
/// For SQS it is the message body. A body that is not valid JSON for `T`
/// fails that record only, and the serde error is logged.
///
/// ```
/// use lambda_batch::Json;
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64 }
/// fn total(Json(order): Json<Order>) -> u64 { order.id }
/// assert_eq!(total(Json(Order { id: 7 })), 7);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Why a parameter could not be extracted from a record. It fails that
/// record only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractError {
    extractor: &'static str,
    message: String,
}

impl ExtractError {
    /// A new error for `extractor` (for example `"Json<Order>"`).
    pub fn new(extractor: &'static str, message: impl fmt::Display) -> Self {
        ExtractError { extractor, message: message.to_string() }
    }

    /// The extractor that failed.
    pub fn extractor(&self) -> &'static str {
        self.extractor
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExtractError {}

/// A parameter type `#[batch_handler]` can fill from a record of source `S`.
///
/// For SQS: [`Json<T>`], `&str` (the raw body), `&SqsMessage` (the full
/// record), `&SqsRecord` (the engine's view). For Kinesis: [`Json<T>`],
/// `&[u8]` and `&str` (the decoded `data`), `&KinesisEventRecord`,
/// `&KinesisRecord`. For DynamoDB Streams: `NewImage<T>`, `OldImage<T>`,
/// `Keys<T>` (and `Option` of each), `EventName`, `&EventRecord`,
/// `&DynamoDbRecord`. For all: `&Context`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a #[batch_handler] for this event source",
    label = "unsupported parameter type",
    note = "SQS takes `Json<T>`, `&str` (body), `&SqsMessage`, `&SqsRecord`; Kinesis takes `Json<T>`, `&[u8]` or `&str` (decoded data), `&KinesisEventRecord`, `&KinesisRecord`; DynamoDB takes `NewImage<T>`, `OldImage<T>`, `Keys<T>` (or `Option` of them), `EventName`, `&EventRecord`, `&DynamoDbRecord`; Kafka takes `Json<T>`, `&[u8]` or `&str` (decoded value), `Key`, `Headers`, `&KafkaEventRecord`, `&KafkaRecord`; every source takes `&Context` and `RecordMeta`"
)]
pub trait FromRecord<'r, S: Source>: Sized {
    /// Extracts the parameter from `record`.
    ///
    /// # Errors
    /// An [`ExtractError`] that fails the record.
    fn from_record(record: &'r S::Record<'r>, cx: &'r Context) -> Result<Self, ExtractError>;
}

impl<'r, S: Source> FromRecord<'r, S> for &'r Context {
    fn from_record(_record: &'r S::Record<'r>, cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(cx)
    }
}

/// What every record has, whatever its source: identifier, ordering key,
/// delivery count and arrival time.
///
/// ```
/// use lambda_batch::{batch_handler, RecordMeta};
/// #[batch_handler(sqs)]
/// fn log_meta(meta: RecordMeta<'_>) {
///     println!("{} from group {:?}, delivery {:?}", meta.id, meta.ordering_key, meta.receive_count);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RecordMeta<'r> {
    /// The identifier Lambda expects in `itemIdentifier` (`messageId` or
    /// sequence number).
    pub id: &'r str,
    /// The FIFO `MessageGroupId`, the Kinesis partition key, or the DynamoDB
    /// item keys (as JSON text).
    pub ordering_key: Option<&'r str>,
    /// SQS `ApproximateReceiveCount` (1 on first delivery); `None` for streams.
    pub receive_count: Option<u32>,
    /// Arrival in epoch seconds: SQS `SentTimestamp`, Kinesis
    /// `approximateArrivalTimestamp`, DynamoDB `ApproximateCreationDateTime`.
    pub arrival_time: Option<f64>,
}

impl<'r> RecordMeta<'r> {
    /// Metadata with only an identifier, for unit tests of record functions
    /// (set the other public fields as needed).
    pub fn new(id: &'r str) -> Self {
        RecordMeta { id, ordering_key: None, receive_count: None, arrival_time: None }
    }
}

impl<'r, S: Source> FromRecord<'r, S> for RecordMeta<'r> {
    fn from_record(record: &'r S::Record<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        use crate::source::BatchRecord;
        Ok(RecordMeta {
            id: record.item_identifier(),
            ordering_key: record.ordering_key(),
            receive_count: record.receive_count(),
            arrival_time: record.arrival_time(),
        })
    }
}

impl From<ExtractError> for RecordOutcome {
    /// A parameter that could not be extracted fails its record.
    fn from(error: ExtractError) -> Self {
        RecordOutcome::Failure(RecordError::new(RecordErrorKind::Extract, error.to_string()))
    }
}
