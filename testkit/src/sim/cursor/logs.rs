//! What a stream or topic model offers the cursors that read it
//! (`cursors`): numbered logs of records in arrival order, the shards of a
//! stream (`shards`) or the partitions of a topic (`partitions`), and the
//! source's own words for what the cursors do to them (trace entries,
//! on-failure records).

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::World;

/// Numbered logs of records read by position. The model owns the records;
/// the cursors only count positions.
pub(crate) trait Logs {
    /// Records on `log` so far.
    fn len(&self, log: u32) -> usize;
    /// When the record at `position` arrived.
    fn arrived_at(&self, log: u32, position: usize) -> Millis;
    /// The size the record at `position` counts for in a batch.
    fn size(&self, log: u32, position: usize) -> usize;
    /// Ends the records at the front of `from..to` that outlived the
    /// retention; returns the position of the first one kept.
    fn expire_front<E>(&mut self, log: u32, from: usize, to: usize, world: &mut World<E>) -> usize;
    /// Ends the record at `position`, unless it already ended.
    fn end(&mut self, log: u32, position: usize, end: StreamRecordEnd);
    /// Notes that the poison sink took the record at `position`.
    fn park(&mut self, log: u32, position: usize);
    /// Counts a replay of the record at `position` (the engine did not run
    /// it again: handled in an earlier delivery); returns its name in traces.
    fn replayed(&mut self, log: u32, position: usize) -> Arc<str>;
    /// Notes that an invocation carrying the record at `position` ran out
    /// of time and was stopped at the function timeout.
    fn ran_out_of_time(&mut self, log: u32, position: usize);
    /// The name of `log` in traces and on-failure records (a shard id, a
    /// `<topic>-<partition>`).
    fn name(&self, log: u32) -> Arc<str>;
    /// The trace entry of a checkpoint moved past `position`.
    fn checkpointed(&self, log: u32, position: usize) -> TraceEvent;
    /// The trace entry of a batch of `records` records of `log` split in two.
    fn bisected(&self, log: u32, records: u32) -> TraceEvent;
    /// The trace entry of records `from..to` given up.
    fn discarded(&self, log: u32, from: usize, to: usize, condition: Arc<str>) -> TraceEvent;
    /// The on-failure record of records `from..to` given up at `now`.
    fn on_failure(&self, log: u32, from: usize, to: usize, condition: &str, now: Millis) -> Value;
}

/// How a stream or Kafka record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRecordEnd {
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
