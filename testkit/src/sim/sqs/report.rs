//! What an SQS run yields: the report, and each message's history.

use std::sync::Arc;

use crate::sim::core::clock::Millis;
use crate::sim::core::metrics::Metrics;
use crate::sim::core::trace::Trace;

/// The result of a run.
#[derive(Debug, Clone)]
pub struct SqsReport {
    /// Every message sent, in the order of the `send` calls.
    pub messages: Vec<SqsMessageFate>,
    /// The metrics.
    pub metrics: Metrics,
    /// The trace (empty when tracing was off).
    pub trace: Trace,
    /// Invocations made: the function ran (throttled attempts not counted).
    pub invocations: u64,
    /// Records delivered to the function, over all invocations.
    pub deliveries: u64,
    /// Virtual time at the end of the run.
    pub ended_at: Millis,
    /// Whether the queue is FIFO.
    pub fifo: bool,
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqsMessageEnd {
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
pub struct SqsMessageFate {
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
    pub end: SqsMessageEnd,
}
