//! The event sources, described once.
//!
//! Every source lives in its own module ([`sqs`](crate::sqs),
//! [`kinesis`](crate::kinesis), [`dynamodb`](crate::dynamodb),
//! [`kafka`](crate::kafka)), which alone knows its field names: how a record
//! is read from the event bytes, what its `itemIdentifier` is and which key
//! orders it. This module ties them together:
//!
//! - [`Source`] (sealed) is what the engine is generic over;
//! - [`SourceKind`] names a source at run time, with one spelling for logs
//!   and reports, and [`SourceKind::identify`] reads a record's identity
//!   through that source's own reader, the one the engine uses. The response
//!   validator, the testkit's checks and the simulator call it too, so they
//!   cannot disagree with the engine on identifiers or ordering keys.
//!
//! | source | `itemIdentifier` | ordering key | what a failure stops |
//! |---|---|---|---|
//! | SQS standard | `messageId` | none | nothing |
//! | SQS FIFO | `messageId` | `attributes.MessageGroupId` | every later record (or its group) |
//! | Kinesis | `kinesis.sequenceNumber` | `kinesis.partitionKey` | every later record (checkpoint) |
//! | DynamoDB Streams | `dynamodb.SequenceNumber` | `dynamodb.Keys` (as received) | every later record (checkpoint) |
//! | Kafka | `{"partition": "<topic>-<partition>", "offset": n}` | `<topic>-<partition>` | later records of its partition |

use std::borrow::Cow;
use std::future::Future;

use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;

use crate::engine::BatchRecord;
use crate::error::BatchError;
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::response::BatchResponse;

pub(crate) mod sealed {
    /// Keeps [`Source`](super::Source) implemented by this crate only.
    pub trait Sealed {}
}

/// An event source: the kind of record a batch holds.
///
/// Implemented by the marker types of each source module
/// ([`Sqs`](crate::sqs::Sqs), [`Kinesis`](crate::kinesis::Kinesis),
/// [`DynamoDb`](crate::dynamodb::DynamoDb), [`Kafka`](crate::kafka::Kafka));
/// sealed, so a new source is always added here, with its description.
pub trait Source: sealed::Sealed + 'static {
    /// The engine's view of one record of this source, borrowing the event.
    type Record<'e>: BatchRecord;

    /// Which source this is (for SQS: [`SourceKind::Sqs`]; whether a batch is
    /// FIFO is told by its queue ARN or the handler's settings).
    const KIND: SourceKind;

    /// The handler settings for this source
    /// ([`SqsConfig`](crate::sqs::SqsConfig) or
    /// [`StreamConfig`](crate::stream::StreamConfig)).
    type Config: Copy + Send + Sync + std::fmt::Debug + 'static;

    /// Handles one invocation (the source module's `handle`).
    #[doc(hidden)]
    fn handle<'a, H: RecordHandler<Self> + Sync>(
        handler: &'a H,
        config: &'a Self::Config,
        event: LambdaEvent<BatchEvent>,
    ) -> impl Future<Output = Result<BatchResponse, BatchError>> + Send + 'a
    where
        Self: Sized;

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
}

/// Reads every record of an event as source `S`, in order.
pub(crate) fn read_records<S: Source>(event: &BatchEvent) -> Result<Vec<S::Record<'_>>, BatchError> {
    let raw = event.records()?;
    let mut records = Vec::with_capacity(raw.len());
    for (index, raw) in raw.iter().enumerate() {
        records.push(S::read_record(index, raw)?);
    }
    Ok(records)
}

/// Which event source a batch comes from.
///
/// One value per source, with one name for logs, reports and messages
/// ([`SourceKind::name`]). SQS standard and FIFO queues are one
/// [`Source`] in the engine but two kinds here: their ordering rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// An SQS standard queue.
    Sqs,
    /// An SQS FIFO queue (`.fifo` ARN, message groups).
    SqsFifo,
    /// Kinesis Data Streams.
    Kinesis,
    /// DynamoDB Streams.
    DynamoDb,
    /// Amazon MSK or self-managed Apache Kafka.
    Kafka,
}

/// Which records of a batch must be handled in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderingRule {
    /// None: records may run in any order (SQS standard).
    None,
    /// Records of one FIFO message group, in batch order.
    MessageGroup,
    /// Records of one Kinesis partition key or DynamoDB item, in batch
    /// order; a failure stops the whole batch (the shard's checkpoint).
    StreamKey,
    /// Records of one Kafka partition, in offset order; a failure stops
    /// only its partition.
    KafkaPartition,
}

/// What every part of the project reads from a record: its identifier and
/// its ordering key, through the source's own reader.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordIdentity {
    /// The identifier as the report keeps it: the `messageId`, the sequence
    /// number, or for Kafka `<topic>-<partition>@<offset>` (see
    /// [`ItemIdentifier`](crate::ItemIdentifier)).
    pub item_identifier: String,
    /// The key whose records run in order under this source's rule
    /// ([`SourceKind::ordering`]); `None` when the source keeps no order or
    /// the record has no key.
    pub ordering_key: Option<String>,
}

impl SourceKind {
    /// Every kind, in a fixed order.
    pub const ALL: [SourceKind; 5] =
        [SourceKind::Sqs, SourceKind::SqsFifo, SourceKind::Kinesis, SourceKind::DynamoDb, SourceKind::Kafka];

    /// The source's name in logs, reports and messages.
    pub const fn name(self) -> &'static str {
        match self {
            SourceKind::Sqs => "SQS",
            SourceKind::SqsFifo => "SQS FIFO",
            SourceKind::Kinesis => "Kinesis",
            SourceKind::DynamoDb => "DynamoDB Streams",
            SourceKind::Kafka => "Kafka",
        }
    }

    /// Where the record's identifier comes from, as a user reads it.
    pub const fn identifier_field(self) -> &'static str {
        match self {
            SourceKind::Sqs | SourceKind::SqsFifo => crate::sqs::ID_FIELD,
            SourceKind::Kinesis => crate::kinesis::ID_FIELD,
            SourceKind::DynamoDb => crate::dynamodb::ID_FIELD,
            SourceKind::Kafka => crate::kafka::ID_FIELD,
        }
    }

    /// Which records must be handled in order.
    pub const fn ordering(self) -> OrderingRule {
        match self {
            SourceKind::Sqs => OrderingRule::None,
            SourceKind::SqsFifo => OrderingRule::MessageGroup,
            SourceKind::Kinesis | SourceKind::DynamoDb => OrderingRule::StreamKey,
            SourceKind::Kafka => OrderingRule::KafkaPartition,
        }
    }

    /// `true` for the sources whose response names checkpoints (streams and
    /// Kafka), `false` for queues.
    pub const fn is_stream(self) -> bool {
        matches!(self, SourceKind::Kinesis | SourceKind::DynamoDb | SourceKind::Kafka)
    }

    /// Reads record `index`'s identity from its JSON, with the reader the
    /// engine uses.
    ///
    /// ```
    /// use lambda_batch::SourceKind;
    /// let record = r#"{"topic": "orders", "partition": 2, "offset": 15, "value": "e30="}"#;
    /// let identity = SourceKind::Kafka.identify(0, record).unwrap();
    /// assert_eq!(identity.item_identifier, "orders-2@15");
    /// assert_eq!(identity.ordering_key.as_deref(), Some("orders-2"));
    /// ```
    ///
    /// # Errors
    /// Why the record cannot be named ([`BatchError::MissingItemIdentifier`],
    /// or an invalid event if `raw_record` is not JSON).
    pub fn identify(self, index: usize, raw_record: &str) -> Result<RecordIdentity, BatchError> {
        let raw: Box<RawValue> = serde_json::from_str(raw_record)
            .map_err(|error| BatchError::InvalidEvent(crate::error::EventError::NotJson(error)))?;
        match self {
            SourceKind::Sqs | SourceKind::SqsFifo => identity::<crate::sqs::Sqs>(index, &raw, self),
            SourceKind::Kinesis => identity::<crate::kinesis::Kinesis>(index, &raw, self),
            SourceKind::DynamoDb => identity::<crate::dynamodb::DynamoDb>(index, &raw, self),
            SourceKind::Kafka => identity::<crate::kafka::Kafka>(index, &raw, self),
        }
    }

    /// Reads every record's identity of an event, in record order.
    ///
    /// # Errors
    /// The first record that cannot be named, or an event that is not a
    /// batch event.
    pub fn identify_event(self, event: &BatchEvent) -> Result<Vec<RecordIdentity>, BatchError> {
        let raw = event.records()?;
        raw.iter().enumerate().map(|(index, raw)| self.identify(index, raw.get())).collect()
    }
}

fn identity<S: Source>(index: usize, raw: &RawValue, kind: SourceKind) -> Result<RecordIdentity, BatchError> {
    let record = S::read_record(index, raw)?;
    let ordering_key = match kind.ordering() {
        OrderingRule::None => None,
        _ => record.ordering_key().map(str::to_owned),
    };
    Ok(RecordIdentity { item_identifier: S::into_item_identifier(record).into_owned(), ordering_key })
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
