//! What a poll did, the running counters, and what a drain did.

use std::fmt;
use std::time::Duration;

use crate::invoke::FunctionError;

/// How a poll came out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollOutcome {
    /// Nothing received: no invocation.
    Empty,
    /// The function acknowledged every message: all deleted.
    CompleteSuccess,
    /// The function reported some messages: the others deleted.
    PartialSuccess,
    /// The response is not one Lambda accepts (each problem in plain words):
    /// nothing deleted, the whole batch comes back.
    InvalidResponse(Vec<String>),
    /// A function error: nothing deleted, the whole batch comes back.
    FunctionError(FunctionError),
}

impl fmt::Display for PollOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollOutcome::Empty => f.write_str("nothing received"),
            PollOutcome::CompleteSuccess => f.write_str("complete success"),
            PollOutcome::PartialSuccess => f.write_str("partial success"),
            PollOutcome::InvalidResponse(problems) => write!(f, "invalid response: {}", problems.join("; ")),
            PollOutcome::FunctionError(error) => write!(f, "function error: {error}"),
        }
    }
}

/// What one poll did: `received = deleted + left_for_retry + delete_failures`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollSummary {
    /// The invocation's request id (`None` when nothing was received).
    pub request_id: Option<String>,
    /// Messages received.
    pub received: usize,
    /// Messages deleted.
    pub deleted: usize,
    /// Messages left to come back after the visibility timeout (reported,
    /// part of a failed invocation, or held for FIFO order).
    pub left_for_retry: usize,
    /// Of those, messages the response did not report but that were left
    /// to keep a FIFO group's order ([`FifoOrder::KeepGroupOrder`](crate::FifoOrder::KeepGroupOrder)).
    pub held_for_order: usize,
    /// Deletes SQS did not do (the message comes back: a duplicate, as on
    /// Lambda when a delete fails).
    pub delete_failures: usize,
    /// The `messageId`s deleted, in batch order.
    pub deleted_ids: Vec<String>,
    /// How the invocation came out.
    pub outcome: PollOutcome,
    /// The pause before the next poll (after a function error or an
    /// invalid response).
    pub backoff: Option<Duration>,
}

impl PollSummary {
    pub(crate) fn empty() -> Self {
        PollSummary {
            request_id: None,
            received: 0,
            deleted: 0,
            left_for_retry: 0,
            held_for_order: 0,
            delete_failures: 0,
            deleted_ids: Vec::new(),
            outcome: PollOutcome::Empty,
            backoff: None,
        }
    }
}

/// Counters over many polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Polls made (a poll is one batch: one or more `ReceiveMessage` calls).
    pub polls: u64,
    /// Polls that received nothing.
    pub empty_polls: u64,
    /// Messages received (a message received twice counts twice).
    pub received: u64,
    /// Messages deleted.
    pub deleted: u64,
    /// Messages left to come back after the visibility timeout.
    pub left_for_retry: u64,
    /// Of those, messages held to keep a FIFO group's order.
    pub held_for_order: u64,
    /// Invocations that ended in a function error (error, panic, timeout).
    pub function_errors: u64,
    /// Invocations whose response Lambda would not accept.
    pub invalid_responses: u64,
    /// Deletes SQS did not do.
    pub delete_failures: u64,
    /// SQS calls that failed (by [`Bridge::run_until`](crate::Bridge::run_until), which retries them).
    pub sqs_errors: u64,
}

impl Counters {
    /// Adds one poll.
    pub(crate) fn add(&mut self, poll: &PollSummary) {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.polls += 1;
        self.empty_polls += u64::from(poll.outcome == PollOutcome::Empty);
        self.received += count(poll.received);
        self.deleted += count(poll.deleted);
        self.left_for_retry += count(poll.left_for_retry);
        self.held_for_order += count(poll.held_for_order);
        self.delete_failures += count(poll.delete_failures);
        self.function_errors += u64::from(matches!(poll.outcome, PollOutcome::FunctionError(_)));
        self.invalid_responses += u64::from(matches!(poll.outcome, PollOutcome::InvalidResponse(_)));
    }
}

/// When a drain stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainLimits {
    /// Stop after this many polls.
    pub max_polls: Option<u64>,
    /// Stop once this much time has passed (checked between polls).
    pub max_duration: Duration,
}

impl Default for DrainLimits {
    /// No poll limit, 60 seconds.
    fn default() -> Self {
        DrainLimits { max_polls: None, max_duration: Duration::from_secs(60) }
    }
}

/// Why a drain stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The queue holds no message: none visible, in flight or delayed.
    QueueEmpty,
    /// [`DrainLimits::max_polls`] reached.
    MaxPolls,
    /// [`DrainLimits::max_duration`] reached.
    MaxDuration,
}

/// What a drain did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DrainSummary {
    /// The counters of this drain's polls.
    pub counters: Counters,
    /// Why it stopped.
    pub stopped: StopReason,
    /// How long it ran.
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_polls() {
        let mut counters = Counters::default();
        counters.add(&PollSummary::empty());
        let mut poll = PollSummary::empty();
        poll.received = 3;
        poll.deleted = 1;
        poll.left_for_retry = 2;
        poll.held_for_order = 1;
        poll.outcome = PollOutcome::PartialSuccess;
        counters.add(&poll);
        poll.outcome = PollOutcome::FunctionError(FunctionError::Panicked("boom".to_owned()));
        counters.add(&poll);
        poll.outcome = PollOutcome::InvalidResponse(vec!["unknown id".to_owned()]);
        counters.add(&poll);
        assert_eq!(
            counters,
            Counters {
                polls: 4,
                empty_polls: 1,
                received: 9,
                deleted: 3,
                left_for_retry: 6,
                held_for_order: 3,
                function_errors: 1,
                invalid_responses: 1,
                delete_failures: 0,
                sqs_errors: 0,
            }
        );
    }

    #[test]
    fn outcomes_read_plainly() {
        assert_eq!(
            PollOutcome::FunctionError(FunctionError::Panicked("boom".to_owned())).to_string(),
            "function error: the function panicked: boom"
        );
        assert_eq!(
            PollOutcome::InvalidResponse(vec!["a".into(), "b".into()]).to_string(),
            "invalid response: a; b"
        );
    }
}
