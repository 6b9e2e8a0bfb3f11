//! The Kafka event source mapping: one poller per partition (the cursors of
//! `cursors`: commits, retries that block the partition, bisection,
//! `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`, on-failure
//! records), batches that carry the records of every free partition, and
//! the response read with the runtime's validator and applied partition by
//! partition. The partitions themselves are in `partitions`.
//!
//! The rules modelled: [Kafka: partial batch
//! responses](lambda_batch::aws_rules#kafka-partial-batch-responses), [Kafka:
//! retries](lambda_batch::aws_rules#kafka-retries).

use lambda_batch::Source;
use lambda_batch::kafka::Kafka;
use lambda_batch::validate::{BatchView, Verdict};
use serde_json::Value;

use crate::sim::core::faults::Ended;
use crate::sim::core::function::payload::{KafkaDelivery, Payload, split_kafka_item_identifier};
use crate::sim::core::world::{Call, Completion, World};
use crate::sim::cursor::cursors::{Cursors, PAYLOAD_LIMIT, Poll, Room};
use crate::sim::cursor::logs::Logs;
use crate::sim::cursor::outcome::{note_replays, out_of_time, parked, verdict};
use crate::sim::kafka::config::{KafkaSimConfig, POLL_INTERVAL};
use crate::sim::kafka::partitions::Partitions;

/// A batch handed to the function: positions `from..to` of each partition,
/// in event order.
pub(crate) struct Delivered {
    slices: Vec<(u32, usize, usize)>,
    number: u64,
}

/// The event source mapping of one topic.
pub(crate) struct KafkaMapping {
    cursors: Cursors,
    /// The deliveries of the invocation being made.
    deliveries: Vec<KafkaDelivery>,
}

impl KafkaMapping {
    /// The mapping of a topic with these settings.
    pub(crate) fn new(config: &KafkaSimConfig) -> Self {
        let rules = config.rules(POLL_INTERVAL, config.retry_limit());
        KafkaMapping { cursors: Cursors::new(rules, config.source.partitions), deliveries: Vec::new() }
    }

    /// The on-failure records sent to the destination.
    pub(crate) fn into_on_failure(self) -> Vec<Value> {
        self.cursors.into_on_failure()
    }

    /// A record reached `partition`: its poller looks again after its interval.
    pub(crate) fn arrived<E: From<Poll>>(&mut self, partition: u32, world: &mut World<E>) {
        self.cursors.arrived(partition, world);
    }

    /// The poller of a partition wakes: its batch is the invocation to
    /// make, joined, unless it is a retry, by the new records of the other
    /// free partitions (in partition order after it) while they fit.
    pub(crate) fn poll<'a, E: From<Poll>>(
        &'a mut self,
        poll: Poll,
        partitions: &'a mut Partitions,
        world: &mut World<E>,
    ) -> Option<Call<'a, Delivered>> {
        let first = poll.0;
        let (from, to, number) = self.cursors.begin(poll, partitions, world)?;
        let size: usize = (from..to).map(|p| partitions.size(first, p)).sum();
        let mut room = Room {
            records: self.cursors.rules().batch_size.saturating_sub(to - from),
            bytes: PAYLOAD_LIMIT.saturating_sub(size),
        };
        let mut slices = vec![(first, from, to)];
        let count = if self.cursors.is_retry(first, from, to) { 0 } else { partitions.count() };
        for partition in (first + 1..count).chain(0..first.min(count)) {
            if room.records == 0 {
                break;
            }
            if let Some((from, to)) = self.cursors.join(partition, room, partitions, world) {
                room.records -= to - from;
                let size: usize = (from..to).map(|p| partitions.size(partition, p)).sum();
                room.bytes = room.bytes.saturating_sub(size);
                slices.push((partition, from, to));
            }
        }
        self.deliveries.clear();
        for &(partition, from, to) in &slices {
            self.deliveries.extend((from..to).map(|position| partitions.deliver(partition, position)));
        }
        Some(Call {
            number,
            request_id: None,
            attempt: 1,
            timeout: self.cursors.rules().function_timeout,
            payload: Payload::Kafka { records: &self.deliveries },
            then: Completion::Report(Delivered { slices, number }),
        })
    }

    /// The invocation of `batch` ended: read the outcome as Lambda does,
    /// partition by partition.
    pub(crate) fn on_outcome<E: From<Poll>>(
        &mut self,
        batch: Delivered,
        ended: Ended,
        partitions: &mut Partitions,
        world: &mut World<E>,
    ) {
        let Delivered { slices, number } = batch;
        let mut lag = 0;
        for &(partition, from, to) in &slices {
            self.cursors.ended(partition, from, to);
            lag = lag.max((partitions.len(partition) - to) as u64);
        }
        world.metrics.offset_lag(world.now(), lag);
        let records: usize = slices.iter().map(|(_, from, to)| to - from).sum();
        let report_batch_item_failures = self.cursors.rules().report_batch_item_failures;
        // The event lists the slices' records in order.
        let positions: Vec<(u32, usize)> = slices
            .iter()
            .flat_map(|&(partition, from, to)| (from..to).map(move |p| (partition, p)))
            .collect();
        if out_of_time(&ended) {
            for &(partition, position) in &positions {
                partitions.ran_out_of_time(partition, position);
            }
        }
        for &index in parked(&ended) {
            if let Some(&(partition, position)) = positions.get(index) {
                partitions.park(partition, position);
            }
        }
        note_replays(&ended, number, |index| positions.get(index).copied(), partitions, world);
        let read = verdict(ended, (number, records), report_batch_item_failures, world, |response| {
            batch_view(&slices, partitions).check(response).verdict().clone()
        });
        let cursors = &mut self.cursors;
        match read {
            None => {
                for &(partition, from, to) in &slices {
                    cursors.failed(partition, from, to, true, partitions, world);
                }
            }
            Some(Verdict::CompleteSuccess) => {
                world.responded(number, "complete_success", 0);
                for &(partition, from, to) in &slices {
                    cursors.succeeded(partition, from, to, partitions, world);
                }
            }
            Some(Verdict::PartialSuccess { retried }) => {
                world.responded(number, "partial_success", retried.len());
                self.partly_succeeded(&slices, &retried, partitions, world);
            }
            Some(Verdict::CompleteFailure) => {
                world.responded(number, "complete_failure", records);
                for &(partition, from, to) in &slices {
                    cursors.failed(partition, from, to, false, partitions, world);
                }
            }
        }
    }

    /// Applies a partial batch response: each partition listed is committed
    /// before its lowest listed offset and retried from it (the validator
    /// lists that record first); the others are committed whole. Offsets
    /// are positions in the partition.
    fn partly_succeeded<E: From<Poll>>(
        &mut self,
        slices: &[(u32, usize, usize)],
        retried: &[String],
        partitions: &mut Partitions,
        world: &mut World<E>,
    ) {
        for &(partition, from, to) in slices {
            let key = partitions.key(partition);
            let at = retried
                .iter()
                .filter_map(|id| split_kafka_item_identifier(id))
                .find(|(listed, _)| *listed == &**key)
                .and_then(|(_, offset)| offset.parse::<usize>().ok())
                .map_or(to, |offset| offset.clamp(from, to));
            if at == to {
                self.cursors.succeeded(partition, from, to, partitions, world);
            } else {
                self.cursors.partly_succeeded(partition, (from, at, to), partitions, world);
            }
        }
    }
}

/// The batch as the validator sees it: each record's identifier and
/// partition (its ordering key), in event order.
fn batch_view(slices: &[(u32, usize, usize)], partitions: &Partitions) -> BatchView {
    let ids = slices
        .iter()
        .flat_map(|&(partition, from, to)| (from..to).map(move |position| (partition, position)))
        .map(|(partition, position)| {
            let fate = partitions.at(partition, position);
            (fate.item_identifier(), Some(partitions.key(partition).to_string()))
        });
    BatchView::of(Kafka::KIND, ids)
}
