//! What a Kafka run yields: the report, and each record's history.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::function::payload::{kafka_item_identifier, kafka_partition_key};
use crate::sim::core::metrics::Metrics;
use crate::sim::core::trace::Trace;
use crate::sim::cursor::logs::StreamRecordEnd;

/// The result of a Kafka run.
#[derive(Debug, Clone)]
pub struct KafkaReport {
    /// Every record, in the order of the produce calls.
    pub records: Vec<KafkaRecordFate>,
    /// The on-failure records sent to the destination: the invocation
    /// record (`requestContext`, `KafkaBatchInfo`) and, as `payload`, the
    /// discarded records as a Kafka event.
    pub on_failure: Vec<Value>,
    /// The metrics.
    pub metrics: Metrics,
    /// The trace.
    pub trace: Trace,
    /// Invocations made.
    pub invocations: u64,
    /// Records delivered, over all invocations.
    pub deliveries: u64,
    /// Virtual time at the end.
    pub ended_at: Millis,
    /// Whether the mapping had an on-failure destination.
    pub on_failure_destination: bool,
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
    pub end: StreamRecordEnd,
    /// The engine handed it to the poison sink (in some invocation):
    /// acknowledged and parked there, not lost.
    pub parked: bool,
    /// Deliveries in which the engine replayed it: handled in an earlier
    /// delivery (its idempotency key completed), not run again, and
    /// acknowledged like a success (`RecordStatus::Replayed`).
    pub replayed: u32,
    /// Deliveries whose invocation ran out of time (the handler ran past
    /// the function timeout and was stopped there).
    pub out_of_time: u32,
}

impl KafkaRecordFate {
    /// `<topic>-<partition>`: the key of the event's `records` map, and the
    /// `partition` of an `itemIdentifier`.
    pub fn partition_key(&self) -> String {
        kafka_partition_key(&self.topic, self.partition)
    }

    /// The record's identifier as lambda-batch writes it,
    /// `<topic>-<partition>@<offset>` (what the runtime's Kafka reader, `SourceKind::identify`, reads).
    pub fn item_identifier(&self) -> String {
        kafka_item_identifier(&self.topic, self.partition, self.offset)
    }
}
