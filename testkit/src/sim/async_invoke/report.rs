//! What an asynchronous-invocation run yields: the report, the DLQ
//! messages and destination records, and each event's history.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::metrics::Metrics;
use crate::sim::core::trace::Trace;

/// The result of an asynchronous-invocation run.
#[derive(Debug, Clone)]
pub struct AsyncReport {
    /// Every event, in the order of the `invoke` calls.
    pub events: Vec<AsyncEventFate>,
    /// DLQ messages: `{"body": <event>, "attributes": {"RequestID", "ErrorCode", "ErrorMessage"}}`.
    pub dead_letters: Vec<Value>,
    /// Invocation records sent to the on-success destination
    /// (`requestContext`, `requestPayload`, `responseContext`, `responsePayload`).
    pub on_success: Vec<Value>,
    /// Invocation records sent to the on-failure destination.
    pub on_failure: Vec<Value>,
    /// The metrics.
    pub metrics: Metrics,
    /// The trace.
    pub trace: Trace,
    /// Function invocations made.
    pub invocations: u64,
    /// Virtual time at the end.
    pub ended_at: Millis,
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
