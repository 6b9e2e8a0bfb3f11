//! The stream event source mapping: one poller per shard (the cursors of
//! `cursors`: checkpoints, retries that block the shard, bisection,
//! `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`, on-failure
//! records), the Kinesis or DynamoDB payload, and the response read with
//! the runtime's validator. The shards themselves are in `shards`.
//!
//! The rules modelled: `docs/aws-rules.md#streams-retries-bisection-and-discarding`,
//! `docs/aws-rules.md#streams-what-a-partial-batch-response-may-contain`.

use lambda_batch::validate::{BatchView, Verdict, check_stream_response};
use serde_json::Value;

use crate::sim::core::faults::Ended;
use crate::sim::core::run_loop::{Call, Completion, World};
use crate::sim::core::trace::TraceEvent;
use crate::sim::cursor::cursors::{Cursors, Poll, Rules};
use crate::sim::function::invocation::lists_nothing;
use crate::sim::function::payload::{Payload, StreamDelivery};
use crate::sim::stream::config::{StreamKind, StreamSimConfig};
use crate::sim::stream::shards::Shards;

/// A batch handed to the function: positions `from..to` of `shard`.
pub(crate) struct Delivered {
    shard: u32,
    from: usize,
    to: usize,
    number: u64,
}

/// The event source mapping of one stream.
pub(crate) struct StreamMapping {
    kind: StreamKind,
    report_batch_item_failures: bool,
    function_timeout: u64,
    cursors: Cursors,
    /// The deliveries of the invocation being made.
    deliveries: Vec<StreamDelivery>,
}

impl StreamMapping {
    pub(crate) fn new(config: StreamSimConfig) -> Self {
        let rules = Rules {
            batch_size: config.batch_size as usize,
            batching_window: config.batching_window,
            maximum_record_age: config.maximum_record_age,
            record_age_condition: config.record_age_condition.as_str().into(),
            bisect_on_error: config.bisect_on_error,
            maximum_retry_attempts: config.maximum_retry_attempts,
            poll_interval: config.kind.poll_interval(),
            on_failure_destination: config.on_failure_destination,
            partial_failure_spends_retry: config.partial_failure_spends_retry,
        };
        StreamMapping {
            kind: config.kind,
            report_batch_item_failures: config.report_batch_item_failures,
            function_timeout: config.function_timeout,
            cursors: Cursors::new(rules, config.shards),
            deliveries: Vec::new(),
        }
    }

    /// The on-failure records sent to the destination.
    pub(crate) fn into_on_failure(self) -> Vec<Value> {
        self.cursors.into_on_failure()
    }

    /// A record reached `shard`: its poller looks again after its interval.
    pub(crate) fn arrived<E: From<Poll>>(&mut self, shard: u32, world: &mut World<E>) {
        self.cursors.arrived(shard, world);
    }

    /// The poller of a shard wakes: the invocation to make, if any.
    pub(crate) fn poll<'a, E: From<Poll>>(
        &'a mut self,
        poll: Poll,
        shards: &'a mut Shards,
        world: &mut World<E>,
    ) -> Option<Call<'a, Delivered>> {
        let shard = poll.0;
        let (from, to, number) = self.cursors.begin(poll, shards, world)?;
        self.deliveries.clear();
        self.deliveries.extend((from..to).map(|position| shards.deliver(shard, position)));
        let shards: &'a Shards = shards;
        let (stream_arn, records) = (self.kind.arn(), &self.deliveries);
        let payload = match self.kind {
            StreamKind::Kinesis => Payload::Kinesis { stream_arn, shard_id: shards.id(shard), records },
            StreamKind::DynamoDb => Payload::DynamoDb { stream_arn, records },
        };
        Some(Call {
            number,
            request_id: None,
            attempt: 1,
            timeout: self.function_timeout,
            payload,
            then: Completion::Report(Delivered { shard, from, to, number }),
        })
    }

    /// The invocation of `batch` ended: read the outcome as Lambda does.
    pub(crate) fn on_outcome<E: From<Poll>>(
        &mut self,
        batch: Delivered,
        ended: Ended,
        shards: &mut Shards,
        world: &mut World<E>,
    ) {
        let Delivered { shard, from, to, number } = batch;
        let now = world.now();
        self.cursors.ended(shard, from, to);
        world.metrics.iterator_age(now, now.saturating_sub(shards.at(shard, to - 1).arrived_at));
        let response = |outcome, retried: usize, error| TraceEvent::Response {
            invocation: number,
            outcome,
            retried: u32::try_from(retried).unwrap_or(u32::MAX),
            error,
        };
        let cursors = &mut self.cursors;
        match ended {
            Ended::Failed { error_type, timed_out } => {
                world.metrics.errored(now);
                let outcome = if timed_out { "timeout" } else { "function_error" };
                world.trace.push(now, || response(outcome, to - from, Some(error_type)));
                cursors.failed(shard, from, to, true, shards, world);
            }
            Ended::Returned(response_body) if self.report_batch_item_failures => {
                let view = if lists_nothing(&response_body) {
                    BatchView::default()
                } else {
                    BatchView::from_records(
                        (from..to).map(|p| (shards.at(shard, p).sequence_number.to_string(), None)),
                    )
                };
                match check_stream_response(&view, &response_body).verdict() {
                    Verdict::CompleteSuccess => {
                        world.trace.push(now, || response("complete_success", 0, None));
                        cursors.succeeded(shard, from, to, shards, world);
                    }
                    Verdict::PartialSuccess { retried } => {
                        // Checkpoint before the lowest reported sequence
                        // number and retry from it. The validator lists ids
                        // in batch order; the lowest is the first.
                        let lowest = retried.first().map_or("", String::as_str);
                        let at = (from..to)
                            .find(|&p| *shards.at(shard, p).sequence_number == *lowest)
                            .unwrap_or(from);
                        world.trace.push(now, || response("partial_success", to - at, None));
                        cursors.partly_succeeded(shard, (from, at, to), shards, world);
                    }
                    Verdict::CompleteFailure => {
                        world.trace.push(now, || response("complete_failure", to - from, None));
                        cursors.failed(shard, from, to, false, shards, world);
                    }
                }
            }
            Ended::Returned(_) => {
                // Without ReportBatchItemFailures a response is a complete success.
                world.trace.push(now, || response("complete_success", 0, None));
                cursors.succeeded(shard, from, to, shards, world);
            }
        }
    }
}
