//! The stream event source mapping: one poller per shard, batches from
//! the checkpoint (batch size, batching window, payload limit), reading
//! the response with the runtime's validator, retries that block the
//! shard, bisection, `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`
//! and on-failure records. The shards themselves are in `shards`.
//!
//! The rules modelled: `docs/aws-rules.md#streams-retries-bisection-and-discarding`,
//! `docs/aws-rules.md#streams-what-a-partial-batch-response-may-contain`.

use std::collections::VecDeque;
use std::sync::Arc;

use lambda_batch::validate::{BatchView, Verdict, check_stream_response};
use serde_json::Value;

use super::clock::Millis;
use super::destinations::stream_on_failure;
use super::fates::RecordEnd;
use super::faults::Ended;
use super::function::{Payload, StreamDelivery, lists_nothing};
use super::run_loop::{Call, Completion, World};
use super::shards::Shards;
use super::stream_config::{StreamKind, StreamSimConfig};
use super::trace::TraceEvent;

/// What the mapping schedules on the agenda: poll this shard.
pub(crate) struct Poll(pub(crate) u32);

/// A batch handed to the function: positions `from..to` of `shard`.
pub(crate) struct Delivered {
    shard: u32,
    from: usize,
    to: usize,
    number: u64,
}

/// The mapping's reader of one shard.
#[derive(Default)]
struct Cursor {
    /// The checkpoint: position of the first record not done.
    next: usize,
    /// Batches still to retry after a bisection or a partial failure
    /// (positions, half-open), front first; each starts where the one before ends.
    pending: VecDeque<(usize, usize)>,
    attempts: u32,
    throttles: u32,
    /// An invocation is running (one at a time per shard).
    busy: bool,
    poll_at: Option<Millis>,
}

/// The event source mapping of one stream.
pub(crate) struct StreamMapping {
    config: StreamSimConfig,
    cursors: Vec<Cursor>,
    on_failure: Vec<Value>,
    /// Invocation attempts so far (numbers them; throttled ones included).
    attempts: u64,
    /// The deliveries of the invocation being made.
    deliveries: Vec<StreamDelivery>,
}

impl StreamMapping {
    pub(crate) fn new(config: StreamSimConfig) -> Self {
        let cursors = (0..config.shards).map(|_| Cursor::default()).collect();
        StreamMapping { config, cursors, on_failure: Vec::new(), attempts: 0, deliveries: Vec::new() }
    }

    /// The on-failure records sent to the destination.
    pub(crate) fn into_on_failure(self) -> Vec<Value> {
        self.on_failure
    }

    /// A record reached `shard`: its poller looks again after its interval.
    pub(crate) fn arrived<E: From<Poll>>(&mut self, shard: u32, world: &mut World<E>) {
        let at = world.now() + self.config.kind.poll_interval();
        self.schedule_poll(shard, at, world);
    }

    fn schedule_poll<E: From<Poll>>(&mut self, shard: u32, at: Millis, world: &mut World<E>) {
        let cursor = &mut self.cursors[shard as usize];
        if cursor.busy || cursor.poll_at.is_some_and(|pending| pending <= at) {
            return;
        }
        cursor.poll_at = Some(at);
        world.schedule(at, Poll(shard));
    }

    /// The next batch of a shard: the front of `pending`, or new records
    /// from the checkpoint on.
    fn next_batch<E: From<Poll>>(
        &mut self,
        shard: u32,
        shards: &mut Shards,
        world: &mut World<E>,
    ) -> Option<(usize, usize)> {
        let now = world.now();
        let batch_size = self.config.batch_size as usize;
        loop {
            let cursor = &self.cursors[shard as usize];
            if let Some(&(from, to)) = cursor.pending.front() {
                let kept = self.trim(shard, from, to, shards, world);
                let cursor = &mut self.cursors[shard as usize];
                cursor.pending.pop_front();
                if kept == from {
                    cursor.pending.push_front((from, to));
                    return Some((from, to));
                }
                if kept < to {
                    cursor.pending.push_front((kept, to));
                }
                continue;
            }
            let (from, available) = (cursor.next, shards.len(shard) - cursor.next);
            if available == 0 {
                return None;
            }
            let window = self.config.batching_window;
            let first_arrival = shards.at(shard, from).arrived_at;
            if window > 0 && available < batch_size && now < first_arrival + window {
                self.schedule_poll(shard, first_arrival + window, world);
                return None;
            }
            // At most about 6 MB, and always at least one record.
            let mut to = from + available.min(batch_size);
            let mut bytes = 0;
            for position in from..to {
                bytes += shards.size(shard, position);
                if bytes > 6_000_000 && position > from {
                    to = position;
                    break;
                }
            }
            if self.trim(shard, from, to, shards, world) > from {
                continue;
            }
            return Some((from, to));
        }
    }

    /// Drops records at the front of `from..to` that outlived the stream's
    /// retention (expired) or `MaximumRecordAgeInSeconds` (discarded).
    /// Returns the position of the first record kept.
    fn trim<E>(
        &mut self,
        shard: u32,
        from: usize,
        to: usize,
        shards: &mut Shards,
        world: &mut World<E>,
    ) -> usize {
        let expired = shards.expire_front(shard, from, to, world);
        if expired > from {
            self.advance(shard, expired);
            return expired;
        }
        if let Some(max_age) = self.config.maximum_record_age {
            let now = world.now();
            let mut old = from;
            while old < to && now.saturating_sub(shards.at(shard, old).arrived_at) > max_age {
                old += 1;
            }
            if old > from {
                let condition: Arc<str> = self.config.record_age_condition.as_str().into();
                self.discard(shard, from, old, condition, shards, world);
                return old;
            }
        }
        from
    }

    /// The poller of `shard` wakes: the invocation to make, if any.
    pub(crate) fn poll<'a, E: From<Poll>>(
        &'a mut self,
        Poll(shard): Poll,
        shards: &'a mut Shards,
        world: &mut World<E>,
    ) -> Option<Call<'a, Delivered>> {
        let now = world.now();
        self.cursors[shard as usize].poll_at = None;
        if self.cursors[shard as usize].busy {
            return None;
        }
        let (from, to) = self.next_batch(shard, shards, world)?;
        if world.rng.chance(world.faults.throttle) {
            world.metrics.throttled(now);
            let cursor = &mut self.cursors[shard as usize];
            cursor.throttles += 1;
            let backoff = (1_000u64 << cursor.throttles.min(6)).min(60_000);
            self.attempts += 1;
            let number = self.attempts;
            world.trace.push(now, || TraceEvent::Throttled { invocation: number });
            self.schedule_poll(shard, now + backoff, world);
            return None;
        }
        self.cursors[shard as usize].throttles = 0;
        self.deliveries.clear();
        self.deliveries.extend((from..to).map(|position| shards.deliver(shard, position)));
        self.attempts += 1;
        let number = self.attempts;
        self.cursors[shard as usize].busy = true;
        let shards: &'a Shards = shards;
        let (stream_arn, records) = (self.config.kind.arn(), &self.deliveries);
        let payload = match self.config.kind {
            StreamKind::Kinesis => Payload::Kinesis { stream_arn, shard_id: shards.id(shard), records },
            StreamKind::DynamoDb => Payload::DynamoDb { stream_arn, records },
        };
        Some(Call {
            number,
            request_id: None,
            attempt: 1,
            timeout: self.config.function_timeout,
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
        let cursor = &mut self.cursors[shard as usize];
        cursor.busy = false;
        if cursor.pending.front() == Some(&(from, to)) {
            cursor.pending.pop_front();
        }
        world.metrics.iterator_age(now, now.saturating_sub(shards.at(shard, to - 1).arrived_at));
        let response = |outcome, retried: usize, error| TraceEvent::Response {
            invocation: number,
            outcome,
            retried: u32::try_from(retried).unwrap_or(u32::MAX),
            error,
        };
        match ended {
            Ended::Failed { error_type, timed_out } => {
                world.metrics.errored(now);
                let outcome = if timed_out { "timeout" } else { "function_error" };
                world.trace.push(now, || response(outcome, to - from, Some(error_type)));
                self.failed(shard, from, to, true, shards, world);
            }
            Ended::Returned(response_body) if self.config.report_batch_item_failures => {
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
                        self.succeeded(shard, from, to, shards, world);
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
                        if at > from {
                            self.succeeded(shard, from, at, shards, world);
                        }
                        if self.config.partial_failure_spends_retry || at == from {
                            self.failed(shard, at, to, false, shards, world);
                        } else {
                            self.cursors[shard as usize].pending.push_front((at, to));
                            self.schedule_poll(shard, now, world);
                        }
                    }
                    Verdict::CompleteFailure => {
                        world.trace.push(now, || response("complete_failure", to - from, None));
                        self.failed(shard, from, to, false, shards, world);
                    }
                }
            }
            Ended::Returned(_) => {
                // Without ReportBatchItemFailures a response is a complete success.
                world.trace.push(now, || response("complete_success", 0, None));
                self.succeeded(shard, from, to, shards, world);
            }
        }
    }

    /// `from..to` is done: move the checkpoint past it.
    fn succeeded<E: From<Poll>>(
        &mut self,
        shard: u32,
        from: usize,
        to: usize,
        shards: &mut Shards,
        world: &mut World<E>,
    ) {
        let now = world.now();
        self.cursors[shard as usize].attempts = 0;
        for position in from..to {
            shards.end(shard, position, RecordEnd::Processed(now));
        }
        self.advance(shard, to);
        let sequence_number = Arc::clone(&shards.at(shard, to - 1).sequence_number);
        world.trace.push(now, || TraceEvent::Checkpointed { shard, sequence_number });
        self.schedule_poll(shard, now, world);
    }

    /// `from..to` failed as a whole: bisect it, retry it, or discard it once
    /// the retry limit is spent. The shard stays blocked meanwhile.
    fn failed<E: From<Poll>>(
        &mut self,
        shard: u32,
        from: usize,
        to: usize,
        function_error: bool,
        shards: &mut Shards,
        world: &mut World<E>,
    ) {
        let now = world.now();
        let cursor = &mut self.cursors[shard as usize];
        if function_error && self.config.bisect_on_error && to - from > 1 {
            // A split does not spend the retry budget.
            let middle = from + (to - from) / 2;
            cursor.pending.push_front((middle, to));
            cursor.pending.push_front((from, middle));
            let records = u32::try_from(to - from).unwrap_or(u32::MAX);
            world.trace.push(now, || TraceEvent::Bisected { shard, records });
            self.schedule_poll(shard, now, world);
            return;
        }
        cursor.attempts += 1;
        if self.config.maximum_retry_attempts.is_some_and(|max| cursor.attempts > max) {
            cursor.attempts = 0;
            self.discard(shard, from, to, "RetryAttemptsExhausted".into(), shards, world);
        } else {
            cursor.pending.push_front((from, to));
        }
        let retry_at = now + self.config.kind.poll_interval();
        self.schedule_poll(shard, retry_at, world);
    }

    /// Gives up `from..to`: skipped, with an on-failure record.
    fn discard<E>(
        &mut self,
        shard: u32,
        from: usize,
        to: usize,
        condition: Arc<str>,
        shards: &mut Shards,
        world: &mut World<E>,
    ) {
        let now = world.now();
        for position in from..to {
            shards.end(shard, position, RecordEnd::Discarded(now));
        }
        world.metrics.records_discarded += (to - from) as u64;
        self.advance(shard, to);
        let (first, last) = (shards.at(shard, from), shards.at(shard, to - 1));
        let (from_seq, to_seq) = (Arc::clone(&first.sequence_number), Arc::clone(&last.sequence_number));
        let destination = self.config.on_failure_destination;
        if destination {
            let record = stream_on_failure(
                self.config.kind,
                shards.id(shard),
                (first, last),
                to - from,
                &condition,
                now,
            );
            self.on_failure.push(record);
        }
        let records = u32::try_from(to - from).unwrap_or(u32::MAX);
        let condition_for_trace = Arc::clone(&condition);
        world.trace.push(now, || TraceEvent::Discarded {
            shard,
            from: from_seq,
            to: to_seq,
            records,
            condition,
        });
        if destination {
            world.trace.push(now, || TraceEvent::Destination {
                id: shards.id(shard).into(),
                target: "on_failure",
                condition: condition_for_trace,
            });
        }
    }

    /// Moves the checkpoint of `shard` to `position` if that is forward.
    fn advance(&mut self, shard: u32, position: usize) {
        let cursor = &mut self.cursors[shard as usize];
        cursor.next = cursor.next.max(position);
    }
}
