//! What happened, in order: one entry per step of every message, batch and
//! invocation, written as JSON lines.

use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::sim::core::clock::Millis;

/// One step, at a virtual time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEntry {
    /// Virtual milliseconds since the start of the run.
    pub t: Millis,
    /// What happened.
    #[serde(flatten)]
    pub event: TraceEvent,
}

/// What happened at one step. Serialized with an `"event"` tag in
/// snake case, e.g. `{"t":30000,"event":"visible_again","id":"m-1","receive_count":1}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TraceEvent {
    /// A message was sent to the queue (SQS), a record put on a shard, or
    /// a Kafka record written to its partition.
    Sent {
        /// The message id (SQS), sequence number (streams), or
        /// `<topic>-<partition>@<offset>` (Kafka).
        id: Arc<str>,
        /// FIFO message group, partition / item key, or Kafka record key.
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<Arc<str>>,
        /// The shard (streams).
        #[serde(skip_serializing_if = "Option::is_none")]
        shard: Option<u32>,
    },
    /// A FIFO send inside the 5-minute deduplication window of an earlier
    /// one with the same deduplication id: accepted, not delivered.
    Deduplicated {
        /// The message id the send would have had.
        id: Arc<str>,
        /// The deduplication id.
        deduplication_id: Arc<str>,
    },
    /// The event source mapping received a message into a batch.
    Received {
        /// The message id.
        id: Arc<str>,
        /// The invocation it was received for.
        invocation: u64,
        /// `ApproximateReceiveCount` after this receive.
        receive_count: u32,
    },
    /// The function was invoked.
    Invoked {
        /// Invocation number (unique in the run).
        invocation: u64,
        /// The request id the function saw.
        request_id: Arc<str>,
        /// Records in the event (1 for an asynchronous invocation).
        records: u32,
        /// The function timeout (ms): Lambda stops the invocation this long
        /// after it started.
        timeout: Millis,
        /// Attempt number (asynchronous invocation; 1 for batches).
        attempt: u32,
    },
    /// The invocation was throttled (the function did not run).
    Throttled {
        /// Invocation number.
        invocation: u64,
    },
    /// The invocation ended.
    Response {
        /// Invocation number.
        invocation: u64,
        /// `complete_success`, `partial_success`, `complete_failure` (the
        /// response was read and rejected or listed everything),
        /// `function_error`, `timeout` (a drawn fault) or `out_of_time`
        /// (the handler ran past the function timeout and was stopped).
        outcome: &'static str,
        /// How many records Lambda retries because of it.
        retried: u32,
        /// The error type, for a function error or timeout.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<Arc<str>>,
    },
    /// A message was deleted after its batch.
    Deleted {
        /// The message id.
        id: Arc<str>,
        /// The invocation whose outcome deleted it.
        invocation: u64,
    },
    /// Lambda deleted the message but the delete did not take: it comes
    /// back later (SQS delivers at least once: a spontaneous duplicate).
    DeleteLost {
        /// The message id.
        id: Arc<str>,
    },
    /// The engine replayed a record: handled in an earlier delivery (its
    /// idempotency key completed), not run again, acknowledged like a
    /// success.
    Replayed {
        /// The message id, sequence number or `<topic>-<partition>@<offset>`.
        id: Arc<str>,
        /// The invocation that replayed it.
        invocation: u64,
    },
    /// The engine's idempotency did not run an SQS message in this
    /// invocation (its key in progress elsewhere, no claim because the
    /// store failed, no key): it was reported failed and comes back
    /// ([`Redelivery::NotRun`](crate::sim::Redelivery::NotRun)). Stream and
    /// Kafka records not run are retried with their batch, unnamed here.
    NotRun {
        /// The message id.
        id: Arc<str>,
        /// The invocation.
        invocation: u64,
        /// Why, as the engine said.
        why: Arc<str>,
    },
    /// SQS handed a message just received to another receive as well (a
    /// standard queue delivers at least once): it is in two batches at once.
    DeliveredTwice {
        /// The message id.
        id: Arc<str>,
    },
    /// A message's visibility timeout ran out: it is visible again.
    VisibleAgain {
        /// The message id.
        id: Arc<str>,
        /// Its receive count.
        receive_count: u32,
    },
    /// A receive found the message past `maxReceiveCount`: moved to the DLQ.
    MovedToDlq {
        /// The message id.
        id: Arc<str>,
        /// Its receive count.
        receive_count: u32,
    },
    /// The message (or stream or Kafka record) outlived the retention period.
    Expired {
        /// The message id, sequence number or `<topic>-<partition>@<offset>`.
        id: Arc<str>,
    },
    /// A shard's checkpoint moved past this sequence number.
    Checkpointed {
        /// The shard.
        shard: u32,
        /// The last sequence number now done.
        sequence_number: Arc<str>,
    },
    /// A failed stream batch was split in two (BisectBatchOnFunctionError).
    Bisected {
        /// The shard.
        shard: u32,
        /// Records in the batch that was split.
        records: u32,
    },
    /// Lambda committed a Kafka partition: every record before `offset` is
    /// done (Kafka's committed offset is the next one to read).
    Committed {
        /// `<topic>-<partition>`.
        partition: Arc<str>,
        /// The committed offset.
        offset: u64,
    },
    /// A failed Kafka batch's records of one partition were split in two
    /// (BisectBatchOnFunctionError). Written as `"bisected"`.
    #[serde(rename = "bisected")]
    PartitionBisected {
        /// `<topic>-<partition>`.
        partition: Arc<str>,
        /// Records of the partition in the batch that was split.
        records: u32,
    },
    /// Kafka records of one partition were given up and skipped. Written as
    /// `"discarded"`.
    #[serde(rename = "discarded")]
    PartitionDiscarded {
        /// `<topic>-<partition>`.
        partition: Arc<str>,
        /// First offset discarded.
        from: u64,
        /// Last offset discarded.
        to: u64,
        /// How many records.
        records: u32,
        /// Why (`RetryAttemptsExhausted`, `RecordAgeExceeded`).
        condition: Arc<str>,
    },
    /// Stream records were given up and skipped.
    Discarded {
        /// The shard.
        shard: u32,
        /// First sequence number discarded.
        from: Arc<str>,
        /// Last sequence number discarded.
        to: Arc<str>,
        /// How many records.
        records: u32,
        /// Why (`RetryAttemptsExhausted`, `RecordAgeExceeded`).
        condition: Arc<str>,
    },
    /// An asynchronous event was queued (`Invoke` returned 202).
    Queued {
        /// The request id every attempt will carry.
        request_id: Arc<str>,
    },
    /// An asynchronous event will be tried again.
    RetryScheduled {
        /// The request id.
        request_id: Arc<str>,
        /// The attempt that will run.
        attempt: u32,
        /// When it will run.
        at: Millis,
        /// `function_error` (spends the retry budget) or `throttle` (does not).
        cause: &'static str,
    },
    /// Something was sent to a DLQ or destination.
    Destination {
        /// The asynchronous request id, the shard of a stream on-failure
        /// record, or the `<topic>-<partition>` of a Kafka one.
        id: Arc<str>,
        /// `dlq`, `on_success` or `on_failure`.
        target: &'static str,
        /// `Success`, `RetriesExhausted`, `EventAgeExceeded`, `RetryAttemptsExhausted`, ...
        condition: Arc<str>,
    },
    /// An asynchronous event was dropped without a place to go, or the DLQ
    /// send failed (`DeadLetterErrors`).
    Dropped {
        /// The request id.
        request_id: Arc<str>,
        /// Why.
        reason: &'static str,
    },
}

/// The trace of a run (empty when tracing is off).
#[derive(Debug, Clone, Default)]
pub struct Trace {
    enabled: bool,
    entries: Vec<TraceEntry>,
}

impl Trace {
    /// An empty trace, recording when `enabled`.
    pub(crate) fn new(enabled: bool) -> Self {
        Trace { enabled, entries: Vec::new() }
    }

    /// Records an entry; `event` is not even built when tracing is off.
    #[inline]
    pub(crate) fn push(&mut self, t: Millis, event: impl FnOnce() -> TraceEvent) {
        if self.enabled {
            self.entries.push(TraceEntry { t, event: event() });
        }
    }

    /// The entries in the order they happened.
    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// Writes one JSON object per line.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_jsonl(&self, mut out: impl Write) -> io::Result<()> {
        for entry in &self.entries {
            serde_json::to_writer(&mut out, entry)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// The whole trace as JSON lines.
    pub fn to_jsonl(&self) -> String {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.write_jsonl(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
