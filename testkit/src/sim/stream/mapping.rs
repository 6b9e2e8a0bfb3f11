//! The stream event source mapping: one poller per shard (the cursors of
//! `cursor::cursors`: checkpoints, retries that block the shard,
//! bisection, `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`,
//! on-failure records), the Kinesis or DynamoDB payload, and the response
//! read with the runtime's validator. The shards themselves are in
//! `stream::shards`.
//!
//! The rules modelled: [Streams: retries, bisection and
//! discarding](lambda_batch::aws_rules#streams-retries-bisection-and-discarding), [Streams:
//! what a partial batch response may
//! contain](lambda_batch::aws_rules#streams-what-a-partial-batch-response-may-contain).

use lambda_batch::validate::{BatchView, Verdict};
use serde_json::Value;

use crate::sim::core::faults::Ended;
use crate::sim::core::function::payload::{Payload, StreamDelivery};
use crate::sim::core::world::{Call, Completion, World};
use crate::sim::cursor::cursors::{Cursors, Poll};
use crate::sim::cursor::logs::Logs;
use crate::sim::cursor::outcome::{note_replays, out_of_time, parked, verdict};
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
    cursors: Cursors,
    /// The deliveries of the invocation being made.
    deliveries: Vec<StreamDelivery>,
}

impl StreamMapping {
    /// The mapping of a stream with these settings.
    pub(crate) fn new(config: &StreamSimConfig) -> Self {
        let kind = config.source.kind;
        let rules = config.rules(kind.poll_interval(), config.maximum_retry_attempts);
        StreamMapping { kind, cursors: Cursors::new(rules, config.source.shards), deliveries: Vec::new() }
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
            timeout: self.cursors.rules().function_timeout,
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
        let report_batch_item_failures = self.cursors.rules().report_batch_item_failures;
        let kind = self.kind.source();
        if out_of_time(&ended) {
            for position in from..to {
                shards.ran_out_of_time(shard, position);
            }
        }
        for &index in parked(&ended) {
            if from + index < to {
                shards.park(shard, from + index);
            }
        }
        note_replays(
            &ended,
            number,
            |index| (from + index < to).then_some((shard, from + index)),
            shards,
            world,
        );
        let read = verdict(ended, (number, to - from), report_batch_item_failures, world, |response| {
            let ids = (from..to).map(|p| (shards.at(shard, p).sequence_number.to_string(), None));
            BatchView::of(kind, ids).check(response).verdict().clone()
        });
        let cursors = &mut self.cursors;
        match read {
            None => cursors.failed(shard, from, to, true, shards, world),
            Some(Verdict::CompleteSuccess) => {
                world.responded(number, "complete_success", 0);
                cursors.succeeded(shard, from, to, shards, world);
            }
            Some(Verdict::PartialSuccess { retried }) => {
                // Checkpoint before the lowest reported sequence number and
                // retry from it. The validator lists ids in batch order; the
                // lowest is the first.
                let lowest = retried.first().map_or("", String::as_str);
                let at =
                    (from..to).find(|&p| *shards.at(shard, p).sequence_number == *lowest).unwrap_or(from);
                world.responded(number, "partial_success", to - at);
                cursors.partly_succeeded(shard, (from, at, to), shards, world);
            }
            Some(Verdict::CompleteFailure) => {
                world.responded(number, "complete_failure", to - from);
                cursors.failed(shard, from, to, false, shards, world);
            }
        }
    }
}
