//! What a stream run yields: the report, and each record's history.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::metrics::Metrics;
use crate::sim::core::trace::Trace;
use crate::sim::cursor::logs::StreamRecordEnd;

/// The result of a stream run.
#[derive(Debug, Clone)]
pub struct StreamReport {
    /// Every record, in the order of the `put` calls.
    pub records: Vec<StreamRecordFate>,
    /// The on-failure records sent to the destination (batch metadata,
    /// no data).
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
}

/// One record's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecordFate {
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
