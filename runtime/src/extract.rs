//! Extractors: the parameter types a record function may take.

use std::error::Error;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use lambda_runtime::Context;

use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::source::Source;

/// A record payload parsed as JSON into `T` with serde.
///
/// For SQS it is the message body. A body that is not valid JSON for `T`
/// fails that record only, and the serde error is logged; take
/// `Option<Json<T>>` or `Result<Json<T>, ExtractError>` to decide yourself.
///
/// The result is always serde_json's. For SQS the body's JSON is usually
/// read straight from the event's escaped text (no decoded copy is made,
/// and `&str` fields without escapes borrow from the event); for a body
/// that this reader leaves to serde_json (rare: a quote written as
/// `\u0022`, or serde_json's `arbitrary_precision` feature in the build),
/// the body is decoded and `T`'s `Deserialize` runs again on the copy.
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
/// record only, unless the record function takes the parameter as
/// `Result<T, ExtractError>` (then it decides) or `Option<T>`.
///
/// It keeps its cause (the serde or UTF-8 error, ...) as its
/// [`source`](Error::source), shared so the error stays `Clone`.
///
/// ```
/// use lambda_batch::ExtractError;
/// use std::error::Error;
/// let cause = serde_json::from_str::<u32>("x").unwrap_err();
/// let error = ExtractError::new("Json", "the body is not valid JSON for `u32`").with_source(cause);
/// assert_eq!(error.extractor(), "Json");
/// assert_eq!(error.to_string(), "the body is not valid JSON for `u32`");
/// assert_eq!(error.source().unwrap().to_string(), "expected value at line 1 column 1");
/// ```
#[derive(Debug, Clone)]
pub struct ExtractError {
    extractor: &'static str,
    message: String,
    source: Option<Arc<dyn Error + Send + Sync>>,
}

impl ExtractError {
    /// A new error for `extractor` (for example `"Json<Order>"`), without a
    /// cause.
    pub fn new(extractor: &'static str, message: impl fmt::Display) -> Self {
        ExtractError { extractor, message: message.to_string(), source: None }
    }

    /// The same error, caused by `source` (returned by
    /// [`source`](Error::source); its text is not repeated in the message).
    #[must_use]
    pub fn with_source(self, source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        ExtractError { source: Some(Arc::from(source.into())), ..self }
    }

    /// The extractor that failed.
    pub fn extractor(&self) -> &'static str {
        self.extractor
    }

    /// What went wrong, without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for ExtractError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn Error + 'static))
    }
}

/// A parameter type `#[batch_handler]` can fill from a record of source `S`.
///
/// For SQS: [`Json<T>`], `&str` (the raw body), `&SqsMessage` (the full
/// record), `&SqsRecord` (the engine's view). For Kinesis: [`Json<T>`],
/// `&[u8]` and `&str` (the decoded `data`), `&KinesisEventRecord`,
/// `&KinesisRecord`. For DynamoDB Streams: `NewImage<T>`, `OldImage<T>`,
/// `Keys<T>` (and `Option` of each), `EventName`, `&EventRecord`,
/// `&DynamoDbRecord`. For Kafka: [`Json<T>`], `&[u8]`, `&str`, `Key`,
/// `Headers`, `&KafkaEventRecord`, `&KafkaRecord` (and, with the `avro` or
/// `protobuf` feature, `Avro<T>`, `AvroKey<T>`, `Protobuf<T>`,
/// `ProtobufKey<T>`). The envelopes of [`crate::envelope`]: `FromSns<T>` and
/// `S3Notification` for SQS, `FromEventBridge<T>` for SQS and Kinesis,
/// `CloudWatchLogs` for Kinesis. For all: `&Context`, [`RecordMeta`].
///
/// Fallible forms: `Result<T, ExtractError>` for any extractor `T` (never
/// fails the record: the function gets the error), and `Option<T>` for the
/// payload extractors (those implementing [`OptionalPayload`]: `None` when
/// the payload cannot be read as `T`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a #[batch_handler] for this event source",
    label = "unsupported parameter type",
    note = "SQS takes `Json<T>`, `&str` or `String` (body), `&SqsMessage`, `&SqsRecord`; Kinesis takes `Json<T>`, `&[u8]`, `Vec<u8>`, `&str` or `String` (decoded data), `&KinesisEventRecord`, `&KinesisRecord`; DynamoDB takes `NewImage<T>`, `OldImage<T>`, `Keys<T>` (or `Option` of them), `EventName`, `&EventRecord`, `&DynamoDbRecord`; Kafka takes `Json<T>`, `&[u8]`, `Vec<u8>`, `&str` or `String` (decoded value), `Key`, `Headers`, `&KafkaEventRecord`, `&KafkaRecord`; envelopes: `FromSns<T>`, `S3Notification` (SQS), `FromEventBridge<T>` (SQS, Kinesis), `CloudWatchLogs` (Kinesis); Kafka with the `avro` or `protobuf` feature takes `Avro<T>`, `AvroKey<T>`, `Protobuf<T>`, `ProtobufKey<T>`; every source takes `&Context` and `RecordMeta`",
    note = "`Result<T, ExtractError>` takes any of them without failing the record; `Option<T>` takes a payload extractor (`Json<T>`, `&str`, `&[u8]`, `Key`, `Headers`, ...: see `OptionalPayload`) and is `None` when the payload cannot be read"
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
    /// A parameter that could not be extracted fails its record, with the
    /// extraction error's causes.
    fn from(error: ExtractError) -> Self {
        RecordOutcome::Failure(RecordError::from_error(RecordErrorKind::Extract, &error))
    }
}

/// Any extractor as `Result<T, ExtractError>`: the record function gets the
/// error instead of the record failing, and decides (log and skip, return
/// [`RecordOutcome::poison`], send it elsewhere).
///
/// ```
/// use lambda_batch::{batch_handler, ExtractError, Json, RecordOutcome};
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64 }
/// #[batch_handler(sqs)]
/// fn orders(order: Result<Json<Order>, ExtractError>) -> RecordOutcome {
///     match order {
///         Ok(Json(order)) => { tracing::info!(order.id, "stored"); RecordOutcome::Success }
///         Err(error) => RecordOutcome::poison(error),
///     }
/// }
/// ```
impl<'r, S: Source, T: FromRecord<'r, S>> FromRecord<'r, S> for Result<T, ExtractError> {
    fn from_record(record: &'r S::Record<'r>, cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(T::from_record(record, cx))
    }
}

/// A payload extractor: `Option<Self>` is a parameter too, `None` when the
/// record's payload cannot be read as `Self` (not valid JSON for `T`, not
/// UTF-8, not base64...), instead of failing the record.
///
/// Implemented by [`Json<T>`], `&str`, `&[u8]`, and Kafka's `Key` and
/// `Headers`. Not by DynamoDB's `NewImage<T>`, `OldImage<T>` and `Keys<T>`:
/// their own `Option` means "the record has no such image" (`None`), while
/// an image that does not fit `T` still fails the record; take
/// `Result<Option<NewImage<T>>, ExtractError>` to get that error too.
///
/// ```
/// use lambda_batch::{batch_handler, Json};
/// #[derive(serde::Deserialize)]
/// struct Reading { celsius: f64 }
/// #[batch_handler(kinesis)]
/// fn readings(reading: Option<Json<Reading>>, raw: &[u8]) {
///     match reading {
///         Some(Json(reading)) => tracing::info!(reading.celsius, "read"),
///         None => tracing::warn!(bytes = raw.len(), "not a reading: skipped"),
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`Option<{Self}>` cannot be a #[batch_handler] parameter: `{Self}` is not a payload extractor",
    label = "`Option<T>` takes a payload extractor only",
    note = "`Option<T>` is `None` when a payload extractor (`Json<T>`, `&str`, `String`, `&[u8]`, `Vec<u8>`, Kafka's `Key` or `Headers`, an envelope, `Avro<T>`, `Protobuf<T>`) cannot read the record; to get any other extractor's error, take `Result<{Self}, ExtractError>`"
)]
pub trait OptionalPayload {}

impl<'r, S: Source, T: FromRecord<'r, S> + OptionalPayload> FromRecord<'r, S> for Option<T> {
    fn from_record(record: &'r S::Record<'r>, cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(T::from_record(record, cx).ok())
    }
}

impl<T> OptionalPayload for Json<T> {}
impl OptionalPayload for &str {}
impl OptionalPayload for &[u8] {}
impl OptionalPayload for String {}
impl OptionalPayload for Vec<u8> {}
