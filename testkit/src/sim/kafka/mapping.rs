//! The Kafka event source mapping: one poller per partition (the cursors of
//! `cursors`: commits, retries that block the partition, bisection,
//! `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`, on-failure
//! records), batches that carry the records of every free partition, and
//! the response read with the runtime's validator and applied partition by
//! partition. The partitions themselves are in `partitions`.
//!
//! The rules modelled: `docs/aws-rules.md#kafka-partial-batch-responses`,
//! `docs/aws-rules.md#kafka-retries`.

use lambda_batch::validate::{BatchView, Verdict, check_kafka_response};
use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::faults::Ended;
use crate::sim::core::run_loop::{Call, Completion, World};
use crate::sim::core::trace::TraceEvent;
use crate::sim::cursor::cursors::{Cursors, PAYLOAD_LIMIT, Poll, Room, Rules};
use crate::sim::cursor::logs::Logs;
use crate::sim::function::invocation::lists_nothing;
use crate::sim::function::payload::{KafkaDelivery, Payload, split_kafka_item_identifier};
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
    report_batch_item_failures: bool,
    function_timeout: Millis,
    cursors: Cursors,
    /// The deliveries of the invocation being made.
    deliveries: Vec<KafkaDelivery>,
}

impl KafkaMapping {
    pub(crate) fn new(config: &KafkaSimConfig) -> Self {
        let rules = Rules {
            batch_size: config.batch_size as usize,
            batching_window: config.batching_window,
            maximum_record_age: config.maximum_record_age,
            record_age_condition: config.record_age_condition.as_str().into(),
            bisect_on_error: config.bisect_on_error,
            maximum_retry_attempts: config.retry_limit(),
            poll_interval: POLL_INTERVAL,
            on_failure_destination: config.on_failure_destination,
            partial_failure_spends_retry: config.partial_failure_spends_retry,
        };
        KafkaMapping {
            report_batch_item_failures: config.report_batch_item_failures,
            function_timeout: config.function_timeout,
            cursors: Cursors::new(rules, config.partitions),
            deliveries: Vec::new(),
        }
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
            timeout: self.function_timeout,
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
        let now = world.now();
        let mut lag = 0;
        for &(partition, from, to) in &slices {
            self.cursors.ended(partition, from, to);
            lag = lag.max((partitions.len(partition) - to) as u64);
        }
        world.metrics.offset_lag(now, lag);
        let records: usize = slices.iter().map(|(_, from, to)| to - from).sum();
        let response = |outcome, retried: usize, error| TraceEvent::Response {
            invocation: number,
            outcome,
            retried: u32::try_from(retried).unwrap_or(u32::MAX),
            error,
        };
        let cursors = &mut self.cursors;
        let body = match ended {
            Ended::Failed { error_type, timed_out } => {
                world.metrics.errored(now);
                let outcome = if timed_out { "timeout" } else { "function_error" };
                world.trace.push(now, || response(outcome, records, Some(error_type)));
                for &(partition, from, to) in &slices {
                    cursors.failed(partition, from, to, true, partitions, world);
                }
                return;
            }
            Ended::Returned(body) if self.report_batch_item_failures && !lists_nothing(&body) => body,
            // Without ReportBatchItemFailures a response is a complete success.
            Ended::Returned(_) => Value::Null,
        };
        let verdict = if body.is_null() {
            Verdict::CompleteSuccess
        } else {
            let ids: Vec<(String, Option<String>)> = slices
                .iter()
                .flat_map(|&(partition, from, to)| (from..to).map(move |position| (partition, position)))
                .map(|(partition, position)| {
                    let fate = partitions.at(partition, position);
                    (fate.item_identifier(), Some(partitions.key(partition).to_string()))
                })
                .collect();
            check_kafka_response(&BatchView::from_records(ids), &body).verdict().clone()
        };
        match verdict {
            Verdict::CompleteSuccess => {
                world.trace.push(now, || response("complete_success", 0, None));
                for &(partition, from, to) in &slices {
                    cursors.succeeded(partition, from, to, partitions, world);
                }
            }
            Verdict::PartialSuccess { retried } => {
                // Each partition listed is committed before its lowest
                // listed offset and retried from it (the validator lists
                // that record first); the others are committed whole.
                // Offsets are positions in the partition.
                let count = retried.len();
                world.trace.push(now, || response("partial_success", count, None));
                for &(partition, from, to) in &slices {
                    let key = partitions.key(partition);
                    let at = retried
                        .iter()
                        .filter_map(|id| split_kafka_item_identifier(id))
                        .find(|(listed, _)| *listed == &**key)
                        .and_then(|(_, offset)| offset.parse::<usize>().ok())
                        .map_or(to, |offset| offset.clamp(from, to));
                    if at == to {
                        cursors.succeeded(partition, from, to, partitions, world);
                    } else {
                        cursors.partly_succeeded(partition, (from, at, to), partitions, world);
                    }
                }
            }
            Verdict::CompleteFailure => {
                world.trace.push(now, || response("complete_failure", records, None));
                for &(partition, from, to) in &slices {
                    cursors.failed(partition, from, to, false, partitions, world);
                }
            }
        }
    }
}
