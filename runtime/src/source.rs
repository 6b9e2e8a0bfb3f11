//! The record model: what a source is and what the engine needs from its
//! records. It knows no source in particular.
//!
//! Every source lives in its own module ([`sqs`](crate::sqs),
//! [`kinesis`](crate::kinesis), [`dynamodb`](crate::dynamodb),
//! [`kafka`](crate::kafka)), which alone knows its field names: how a record
//! is read from the event bytes, what its `itemIdentifier` is, which key
//! orders it, and how its settings plan a batch. Each implements [`Source`]
//! (sealed) on a marker type; the engine, the pipeline
//! ([`BatchPipeline`](crate::BatchPipeline)) and the service are generic
//! over it. [`SourceKind`](crate::SourceKind) names a source at run time.
//!
//! | source | `itemIdentifier` | ordering key | what a failure stops |
//! |---|---|---|---|
//! | SQS standard | `messageId` | none | nothing |
//! | SQS FIFO | `messageId` | `attributes.MessageGroupId` | every later record (or its group) |
//! | Kinesis | `kinesis.sequenceNumber` | `kinesis.partitionKey` | every later record (checkpoint) |
//! | DynamoDB Streams | `dynamodb.SequenceNumber` | `dynamodb.Keys` (as received) | every later record (checkpoint) |
//! | Kafka | `{"partition": "<topic>-<partition>", "offset": n}` | `<topic>-<partition>` | later records of its partition |

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::error::BatchError;
use crate::kind::SourceKind;
use crate::plan::BatchPlan;

pub(crate) mod sealed {
    /// Keeps [`Source`](super::Source) implemented by this crate only.
    pub trait Sealed {}
}

/// An event source: the kind of record a batch holds.
///
/// Implemented by the marker types of each source module
/// ([`Sqs`](crate::sqs::Sqs), [`Kinesis`](crate::kinesis::Kinesis),
/// [`DynamoDb`](crate::dynamodb::DynamoDb), [`Kafka`](crate::kafka::Kafka));
/// sealed, so a new source is always added in this crate, with its
/// description. Handle a batch of any source with
/// [`BatchPipeline`](crate::BatchPipeline) (`Sqs::process(..)`,
/// `Kinesis::handle(..)`) or [`BatchService`](crate::BatchService).
pub trait Source: sealed::Sealed + 'static {
    /// The engine's view of one record of this source, borrowing the event.
    type Record<'e>: BatchRecord + Send + Sync;

    /// Which source this is (for SQS, the standard-queue kind: whether a
    /// batch is FIFO is told by its queue ARN or the handler's settings).
    const KIND: SourceKind;

    /// The handler settings for this source
    /// ([`SqsConfig`](crate::sqs::SqsConfig) or
    /// [`StreamConfig`](crate::stream::StreamConfig)).
    type Config: Copy + Send + Sync + std::fmt::Debug + 'static;

    /// Shortens the event lifetime of a record borrowed for `'a` (records
    /// are covariant in it; a generic projection cannot show that).
    fn shorten<'a, 'e: 'a>(record: &'a Self::Record<'e>) -> &'a Self::Record<'a>;

    /// Reads record `index` of a batch from its JSON.
    ///
    /// # Errors
    /// [`BatchError::MissingItemIdentifier`] if the record cannot be named.
    #[doc(hidden)]
    fn read_record(index: usize, raw: &RawValue) -> Result<Self::Record<'_>, BatchError>;

    /// The record's identifier in the form the report keeps (see
    /// [`ItemIdentifier`](crate::ItemIdentifier)).
    #[doc(hidden)]
    fn into_item_identifier<'e>(record: Self::Record<'e>) -> Cow<'e, str>
    where
        Self: 'e;

    /// How a batch of these records is handled under `config` (opaque
    /// outside this crate).
    #[doc(hidden)]
    fn plan(config: &Self::Config, records: &[Self::Record<'_>]) -> BatchPlan;
}

/// What the engine needs from a record of any source.
pub trait BatchRecord {
    /// The record's identifier as Lambda expects it in `itemIdentifier`.
    fn item_identifier(&self) -> &str;
    /// The key whose records must be handled in order: the FIFO message
    /// group, the Kinesis partition key, the DynamoDB item keys.
    fn ordering_key(&self) -> Option<&str>;
    /// How many times the record was delivered (SQS `ApproximateReceiveCount`).
    fn receive_count(&self) -> Option<u32> {
        None
    }
    /// When the record arrived, in epoch seconds (Kinesis
    /// `approximateArrivalTimestamp`, DynamoDB `ApproximateCreationDateTime`,
    /// SQS `SentTimestamp`).
    fn arrival_time(&self) -> Option<f64> {
        None
    }
    /// The record's JSON as received.
    fn raw_json(&self) -> &str;
    /// The tracing span for handling this record.
    fn span(&self) -> tracing::Span;
    /// The record's own idempotency key, unique among every delivery of
    /// the source and the same on each redelivery: SQS `messageId`,
    /// Kinesis and DynamoDB Streams `eventID`, Kafka topic, partition and
    /// offset.
    ///
    /// # Errors
    /// Why the record has none (for example a Kinesis record without
    /// `eventID`).
    fn idempotency_key(&self) -> Result<std::borrow::Cow<'_, str>, String>;
    /// The part of the record that must be the same on every delivery under
    /// one key: the SQS body, the Kinesis data, the DynamoDB keys and
    /// images, the Kafka value (empty when the record has none).
    fn idempotency_payload(&self) -> std::borrow::Cow<'_, [u8]>;
}
