//! The CloudWatch-style metrics of a run: totals and one data point per
//! virtual minute.

use serde::Serialize;

use crate::sim::core::clock::Millis;

/// Metrics for one virtual minute (CloudWatch's 60-second period).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MinuteMetrics {
    /// Minutes since the start of the run.
    pub minute: u64,
    /// `AWS/Lambda Invocations` (throttled requests not counted).
    pub invocations: u64,
    /// `AWS/Lambda Errors` (function errors and timeouts).
    pub errors: u64,
    /// `AWS/Lambda Throttles`.
    pub throttles: u64,
    /// `AWS/SQS NumberOfMessagesDeleted` (source queue).
    pub messages_deleted: u64,
    /// `AWS/SQS ApproximateAgeOfOldestMessage`, ms: the largest value seen
    /// in the minute.
    pub age_of_oldest_message_ms: u64,
    /// `AWS/SQS ApproximateNumberOfMessagesVisible` on the DLQ at the end
    /// of the minute.
    pub dlq_messages_visible: u64,
    /// `AWS/Lambda IteratorAge`, ms: the largest value in the minute.
    pub iterator_age_ms: u64,
    /// `AWS/Lambda OffsetLag` (Kafka), records: the largest value in the minute.
    pub offset_lag: u64,
}

/// The metrics of a run. Names follow CloudWatch's (`AWS/Lambda`,
/// `AWS/SQS`), in snake case, with `_ms` on durations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metrics {
    /// `Invocations`: the function ran (success or function error).
    pub invocations: u64,
    /// `Errors`: function errors, timeouts included.
    pub errors: u64,
    /// `Throttles`: invocations refused before the function ran.
    pub throttles: u64,
    /// `DeadLetterErrors`: asynchronous events that could not be sent to the DLQ.
    pub dead_letter_errors: u64,
    /// `DestinationDeliveryFailures`.
    pub destination_delivery_failures: u64,
    /// `IteratorAge` (streams), ms: the largest value of the run.
    pub iterator_age_max_ms: u64,
    /// `OffsetLag` (Kafka): the largest number of records a partition held
    /// beyond the end of a batch, when the batch ended, over the run.
    pub offset_lag_max: u64,
    /// `AsyncEventsReceived`.
    pub async_events_received: u64,
    /// `AsyncEventsDropped`: events that never ran successfully (sent to a
    /// DLQ or on-failure destination first when one exists).
    pub async_events_dropped: u64,
    /// `AsyncEventAge`, ms: the largest value of the run.
    pub async_event_age_max_ms: u64,
    /// `NumberOfMessagesSent` (SQS; deduplicated FIFO sends not counted).
    pub messages_sent: u64,
    /// `NumberOfMessagesReceived` (SQS, receives by the event source mapping).
    pub messages_received: u64,
    /// `NumberOfMessagesDeleted` (SQS source queue).
    pub messages_deleted: u64,
    /// `ApproximateAgeOfOldestMessage`, ms: the largest value of the run.
    pub age_of_oldest_message_max_ms: u64,
    /// `ApproximateNumberOfMessagesVisible` on the DLQ at the end of the run.
    pub dlq_messages_visible: u64,
    /// Messages, stream or Kafka records removed by retention.
    pub expired: u64,
    /// Stream or Kafka records discarded (retry or age limit).
    pub records_discarded: u64,
    /// One data point per virtual minute, from minute 0 to the end of the run.
    pub per_minute: Vec<MinuteMetrics>,
}

impl Metrics {
    /// The data point of the minute holding `t` (created on demand).
    pub(crate) fn minute(&mut self, t: Millis) -> &mut MinuteMetrics {
        let minute = t / 60_000;
        let dlq = self.dlq_messages_visible;
        while self.per_minute.last().is_none_or(|last| last.minute < minute) {
            let next = self.per_minute.last().map_or(0, |last| last.minute + 1);
            self.per_minute.push(MinuteMetrics {
                minute: next,
                dlq_messages_visible: dlq,
                ..MinuteMetrics::default()
            });
        }
        let last = self.per_minute.len() - 1;
        &mut self.per_minute[last]
    }

    /// Counts an invocation at `t`.
    pub(crate) fn invoked(&mut self, t: Millis) {
        self.invocations += 1;
        self.minute(t).invocations += 1;
    }

    /// Counts a function error at `t`.
    pub(crate) fn errored(&mut self, t: Millis) {
        self.errors += 1;
        self.minute(t).errors += 1;
    }

    /// Counts a throttle at `t`.
    pub(crate) fn throttled(&mut self, t: Millis) {
        self.throttles += 1;
        self.minute(t).throttles += 1;
    }

    /// Counts a deleted message at `t`.
    pub(crate) fn deleted(&mut self, t: Millis) {
        self.messages_deleted += 1;
        self.minute(t).messages_deleted += 1;
    }

    /// Counts a message moved to the DLQ at `t`.
    pub(crate) fn moved_to_dlq(&mut self, t: Millis) {
        self.dlq_messages_visible += 1;
        self.minute(t).dlq_messages_visible = self.dlq_messages_visible;
    }

    /// Samples `ApproximateAgeOfOldestMessage` at `t`.
    pub(crate) fn oldest_message_age(&mut self, t: Millis, age: Millis) {
        self.age_of_oldest_message_max_ms = self.age_of_oldest_message_max_ms.max(age);
        let point = self.minute(t);
        point.age_of_oldest_message_ms = point.age_of_oldest_message_ms.max(age);
    }

    /// Samples `IteratorAge` at `t`.
    pub(crate) fn iterator_age(&mut self, t: Millis, age: Millis) {
        self.iterator_age_max_ms = self.iterator_age_max_ms.max(age);
        let point = self.minute(t);
        point.iterator_age_ms = point.iterator_age_ms.max(age);
    }

    /// Samples `OffsetLag` at `t`.
    pub(crate) fn offset_lag(&mut self, t: Millis, lag: u64) {
        self.offset_lag_max = self.offset_lag_max.max(lag);
        let point = self.minute(t);
        point.offset_lag = point.offset_lag.max(lag);
    }
}
