//! What an invocation carries, by source: the messages or records as the
//! event source mapping delivers them, before they are rendered as JSON.

use lambda_batch::Source;
use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::kafka::Kafka;
use lambda_batch::kinesis::Kinesis;
use std::sync::Arc;

use lambda_batch::SourceKind;
use lambda_batch::kafka::KafkaHeader;
use serde_json::Value;

use crate::sim::core::clock::Millis;

/// One SQS message as the event source mapping delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsDelivery {
    /// `messageId`.
    pub message_id: Arc<str>,
    /// `body`.
    pub body: Arc<str>,
    /// `attributes.MessageGroupId` (FIFO).
    pub group: Option<Arc<str>>,
    /// `attributes.MessageDeduplicationId` (FIFO).
    pub deduplication_id: Option<Arc<str>>,
    /// `attributes.SequenceNumber` (FIFO; rendered as 20 digits).
    pub sequence_number: Option<u64>,
    /// `attributes.ApproximateReceiveCount` (1 on the first delivery).
    pub receive_count: u32,
    /// When it was sent (virtual ms).
    pub sent_at: Millis,
    /// When it was first received (virtual ms).
    pub first_received_at: Millis,
}

/// One stream record as the event source mapping delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamDelivery {
    /// The sequence number (decimal text).
    pub sequence_number: Arc<str>,
    /// Kinesis partition key, or the DynamoDB item key (`Keys.id.S`).
    pub key: Arc<str>,
    /// Kinesis: the data (base64-encoded in the event). DynamoDB: the
    /// image, as DynamoDB JSON text (`NewImage`, or `OldImage` for `REMOVE`).
    pub data: Arc<str>,
    /// DynamoDB `eventName` (`INSERT`, `MODIFY`, `REMOVE`); `None` for Kinesis.
    pub event_name: Option<&'static str>,
    /// When it arrived on the shard (virtual ms).
    pub arrived_at: Millis,
}

/// One Kafka record as the event source mapping delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaDelivery {
    /// `topic`.
    pub topic: Arc<str>,
    /// `partition`.
    pub partition: u32,
    /// `offset`.
    pub offset: u64,
    /// `key` (base64-encoded in the event; `null` when `None`).
    pub key: Option<Arc<str>>,
    /// `value` (base64-encoded in the event).
    pub value: Arc<[u8]>,
    /// `headers`, in order.
    pub headers: Arc<[KafkaHeader]>,
    /// When it was produced (virtual ms): `timestamp`, `CREATE_TIME`.
    pub produced_at: Millis,
}

impl KafkaDelivery {
    /// `<topic>-<partition>`: the key of the event's `records` map.
    pub fn partition_key(&self) -> String {
        kafka_partition_key(&self.topic, self.partition)
    }

    /// `<topic>-<partition>@<offset>`, the identifier's text form.
    pub fn item_identifier(&self) -> String {
        kafka_item_identifier(&self.topic, self.partition, self.offset)
    }
}

/// `<topic>-<partition>`: how a Kafka event names a partition (its
/// `records` map's keys), and the ordering key the runtime's Kafka reader
/// reads.
pub(crate) fn kafka_partition_key(topic: &str, partition: u32) -> String {
    format!("{topic}-{partition}")
}

/// `<topic>-<partition>@<offset>`: the text form of a Kafka record's
/// identifier, as the runtime's Kafka reader reads it.
pub(crate) fn kafka_item_identifier(topic: &str, partition: u32, offset: u64) -> String {
    format!("{topic}-{partition}@{offset}")
}

/// Splits [`kafka_item_identifier`]'s form into the partition key and
/// the offset.
pub(crate) fn split_kafka_item_identifier(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once('@')
}

/// What an invocation carries, by source.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// An SQS batch.
    Sqs {
        /// `eventSourceARN` (ends in `.fifo` for a FIFO queue).
        queue_arn: &'a str,
        /// The messages, in delivery order.
        messages: &'a [SqsDelivery],
    },
    /// A Kinesis batch (one shard).
    Kinesis {
        /// `eventSourceARN`.
        stream_arn: &'a str,
        /// `shardId-000000000000`, ...
        shard_id: &'a str,
        /// The records, in sequence order.
        records: &'a [StreamDelivery],
    },
    /// A DynamoDB Streams batch (one shard).
    DynamoDb {
        /// `eventSourceARN`.
        stream_arn: &'a str,
        /// The records, in sequence order.
        records: &'a [StreamDelivery],
    },
    /// A Kafka batch (Amazon MSK): records of one or more partitions of
    /// the topic.
    Kafka {
        /// The records in event order: partition after partition, each in
        /// offset order.
        records: &'a [KafkaDelivery],
    },
    /// An asynchronous invocation's event, unchanged.
    Async {
        /// The event.
        event: &'a Value,
    },
}

impl Payload<'_> {
    /// The event source of a batch (`None` for an asynchronous event): the
    /// runtime's name for it, and the reader of its records' identifiers
    /// and ordering keys.
    pub fn source(&self) -> Option<SourceKind> {
        match self {
            Payload::Sqs { queue_arn, .. } => Some(SourceKind::sqs_queue(queue_arn.ends_with(".fifo"))),
            Payload::Kinesis { .. } => Some(Kinesis::KIND),
            Payload::DynamoDb { .. } => Some(DynamoDb::KIND),
            Payload::Kafka { .. } => Some(Kafka::KIND),
            Payload::Async { .. } => None,
        }
    }

    /// How many records it carries (an asynchronous event carries none).
    pub(crate) fn records(&self) -> usize {
        match self {
            Payload::Sqs { messages, .. } => messages.len(),
            Payload::Kinesis { records, .. } | Payload::DynamoDb { records, .. } => records.len(),
            Payload::Kafka { records } => records.len(),
            Payload::Async { .. } => 0,
        }
    }
}
