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
    /// The queue's redrive `maxReceiveCount` (`None`: no DLQ).
    pub max_receive_count: Option<u32>,
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
    /// Why it came back, once per time it did, in order (empty for a
    /// message received once).
    pub redeliveries: Vec<Redelivery>,
    /// The engine handed it to the poison sink in the invocation that
    /// deleted it: acknowledged and parked there, not lost (a
    /// `#[batch_handler]`'s `RecordOutcome::poison`).
    pub parked: bool,
    /// Deliveries in which the engine replayed it: handled in an earlier
    /// delivery (its idempotency key completed), not run again, and
    /// acknowledged like a success (`RecordStatus::Replayed`).
    pub replayed: u32,
}

impl SqsMessageFate {
    /// Why the message came back, in words, runs of the same cause told
    /// once ("invocation 4 reported it failed; invocations 6, 9, 12 and 2
    /// more ran out of time and were stopped at the function timeout"), or
    /// "" if it never came back.
    pub fn redelivery_causes(&self) -> String {
        let mut told: Vec<String> = Vec::new();
        let mut run: Vec<&Redelivery> = Vec::new();
        for cause in &self.redeliveries {
            if run.last().is_some_and(|last| !last.same_kind(cause)) {
                told.push(Redelivery::tell_run(&run));
                run.clear();
            }
            run.push(cause);
        }
        if !run.is_empty() {
            told.push(Redelivery::tell_run(&run));
        }
        told.join("; ")
    }
}

/// Why an SQS message was received again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redelivery {
    /// The invocation it was in failed with this error type.
    FunctionError {
        /// The invocation.
        invocation: u64,
        /// `errorType`.
        error_type: Arc<str>,
    },
    /// The invocation it was in timed out (a drawn fault, not its own time).
    TimedOut {
        /// The invocation.
        invocation: u64,
    },
    /// The invocation it was in ran past the function timeout and was
    /// stopped there: the handler took too long.
    OutOfTime {
        /// The invocation.
        invocation: u64,
    },
    /// The response listed it as failed (or Lambda read the response as a
    /// complete failure).
    Reported {
        /// The invocation.
        invocation: u64,
    },
    /// Its visibility timeout ended while the invocation it was in still
    /// ran (a batch that started late, after throttles).
    StillRunning {
        /// The invocation.
        invocation: u64,
    },
    /// Lambda deleted it but the delete did not take.
    DeleteLost,
    /// SQS delivered it to two receives at once.
    DeliveredTwice,
    /// Its batch was throttled until Lambda gave up on it.
    Throttled,
    /// The invocation's idempotency did not run it (its key in progress in
    /// another invocation, no claim because the idempotency store failed,
    /// no key), so the handler reported it failed.
    NotRun {
        /// The invocation.
        invocation: u64,
        /// Why, as the engine said.
        why: Arc<str>,
    },
}

impl Redelivery {
    /// The invocation it names, if any.
    fn invocation(&self) -> Option<u64> {
        match self {
            Redelivery::FunctionError { invocation, .. }
            | Redelivery::TimedOut { invocation }
            | Redelivery::OutOfTime { invocation }
            | Redelivery::Reported { invocation }
            | Redelivery::StillRunning { invocation }
            | Redelivery::NotRun { invocation, .. } => Some(*invocation),
            Redelivery::DeleteLost | Redelivery::DeliveredTwice | Redelivery::Throttled => None,
        }
    }

    /// The same cause but for the invocation.
    fn same_kind(&self, other: &Redelivery) -> bool {
        match (self, other) {
            (
                Redelivery::FunctionError { error_type: a, .. },
                Redelivery::FunctionError { error_type: b, .. },
            ) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }

    /// A run of causes of one kind, told once.
    fn tell_run(run: &[&Redelivery]) -> String {
        let Some(first) = run.first() else { return String::new() };
        let invocations: Vec<u64> = run.iter().filter_map(|cause| cause.invocation()).collect();
        if run.len() == 1 || invocations.len() != run.len() {
            let text = first.to_string();
            return if run.len() == 1 { text } else { format!("{text} ({} times)", run.len()) };
        }
        let mut named: Vec<String> = invocations.iter().take(3).map(u64::to_string).collect();
        if invocations.len() > 3 {
            named.push(format!("{} more", invocations.len() - 3));
        }
        let last = named.pop().unwrap_or_default();
        first.describe(&format!("invocations {} and {last}", named.join(", ")), false)
    }

    /// The cause in words, its invocation(s) named by `subject`.
    fn describe(&self, subject: &str, one: bool) -> String {
        let was = if one { "was" } else { "were" };
        match self {
            Redelivery::FunctionError { error_type, .. } => format!("{subject} failed ({error_type})"),
            Redelivery::TimedOut { .. } => format!("{subject} timed out (injected)"),
            Redelivery::OutOfTime { .. } => {
                format!("{subject} ran out of time and {was} stopped at the function timeout")
            }
            Redelivery::Reported { .. } => format!("{subject} reported it failed"),
            Redelivery::StillRunning { .. } => {
                format!("its visibility timeout ended while {subject} still ran")
            }
            Redelivery::DeleteLost => "its delete did not take".to_owned(),
            Redelivery::DeliveredTwice => "SQS delivered it to two batches at once".to_owned(),
            Redelivery::Throttled => "its batch was throttled until Lambda gave up".to_owned(),
            Redelivery::NotRun { why, .. } => format!("{subject} did not run it ({why})"),
        }
    }
}

impl std::fmt::Display for Redelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subject = self.invocation().map(|n| format!("invocation {n}")).unwrap_or_default();
        f.write_str(&self.describe(&subject, true))
    }
}
