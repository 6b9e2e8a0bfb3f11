//! What happened to each item of a run: the histories the reports list,
//! one per message, stream record, Kafka record or asynchronous event.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::function::payload::{kafka_item_identifier, kafka_partition_key};

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageEnd {
    /// Deleted after a batch (virtual ms).
    Deleted(Millis),
    /// Moved to the DLQ.
    MovedToDlq(Millis),
    /// Removed by retention.
    Expired(Millis),
    /// A FIFO send inside the deduplication window of an earlier one:
    /// accepted, never delivered.
    Deduplicated(Millis),
    /// Still in the queue when the run stopped.
    InQueue,
}

/// One message's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFate {
    /// `messageId`.
    pub id: Arc<str>,
    /// `MessageGroupId` (FIFO).
    pub group: Option<Arc<str>>,
    /// The body.
    pub body: Arc<str>,
    /// When it was sent.
    pub sent_at: Millis,
    /// How many times it was received.
    pub receive_count: u32,
    /// How it ended.
    pub end: MessageEnd,
}

/// How a stream or Kafka record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEnd {
    /// The checkpoint (Kafka: the committed offset) moved past it after a
    /// successful batch.
    Processed(Millis),
    /// Given up (retries or age) and skipped, with an on-failure record.
    Discarded(Millis),
    /// Trimmed by the stream's (or topic's) retention before it was processed.
    Expired(Millis),
    /// Not done when the run stopped.
    Pending,
}

/// One record's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFate {
    /// The sequence number.
    pub sequence_number: Arc<str>,
    /// The partition key (Kinesis) or item key (DynamoDB).
    pub key: Arc<str>,
    /// The shard it went to.
    pub shard: u32,
    /// When it arrived.
    pub arrived_at: Millis,
    /// How many invocations carried it.
    pub deliveries: u32,
    /// How it ended.
    pub end: RecordEnd,
}

/// One Kafka record's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaRecordFate {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition number.
    pub partition: u32,
    /// The offset in its partition (given when the record reaches the
    /// partition: 0 until then).
    pub offset: u64,
    /// The record key, if any.
    pub key: Option<Arc<str>>,
    /// When it was produced (virtual ms).
    pub produced_at: Millis,
    /// How many invocations carried it.
    pub deliveries: u32,
    /// How it ended.
    pub end: RecordEnd,
}

impl KafkaRecordFate {
    /// `<topic>-<partition>`: the key of the event's `records` map, and the
    /// `partition` of an `itemIdentifier`.
    pub fn partition_key(&self) -> String {
        kafka_partition_key(&self.topic, self.partition)
    }

    /// The record's identifier as lambda-batch writes it,
    /// `<topic>-<partition>@<offset>` (what `SourceKind::Kafka.identify` reads).
    pub fn item_identifier(&self) -> String {
        kafka_item_identifier(&self.topic, self.partition, self.offset)
    }
}

/// How an asynchronous event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsyncEventEnd {
    /// An attempt succeeded.
    Succeeded(Millis),
    /// Given up: `condition` is `RetriesExhausted` or the event-age condition.
    Failed {
        /// When.
        at: Millis,
        /// Why.
        condition: Arc<str>,
    },
    /// Not done when the run stopped.
    Pending,
}

/// One asynchronous event's history.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncEventFate {
    /// The request id (the same on every attempt).
    pub request_id: Arc<str>,
    /// The event.
    pub event: Value,
    /// When it was queued.
    pub queued_at: Millis,
    /// Function invocations for it (retries and duplicates included).
    pub invocations: u32,
    /// How it ended.
    pub end: AsyncEventEnd,
}
