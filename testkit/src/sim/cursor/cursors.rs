//! What the stream and Kafka event source mappings share: one reader (a
//! cursor) per shard or partition, batches from its checkpoint (batch size,
//! batching window, payload limit), retries that block it, bisection,
//! `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds` and discarding with
//! an on-failure record. How a response is read, and what an invocation
//! carries, stay with each mapping (`stream_mapping`, `kafka_mapping`).
//!
//! The rules modelled: [Streams: retries, bisection and
//! discarding](lambda_batch::aws_rules#streams-retries-bisection-and-discarding), [Kafka:
//! retries](lambda_batch::aws_rules#kafka-retries).

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::World;
use crate::sim::cursor::logs::{Logs, StreamRecordEnd};

/// What a mapping schedules on the agenda: poll this shard or partition.
pub(crate) struct Poll(pub(crate) u32);

/// The payload limit of a batch (about 6 MB, with the metadata).
pub(crate) const PAYLOAD_LIMIT: usize = 6_000_000;

/// The mapping settings the cursors apply.
pub(crate) struct Rules {
    /// `BatchSize`.
    pub(crate) batch_size: usize,
    /// `MaximumBatchingWindowInSeconds`, as ms.
    pub(crate) batching_window: Millis,
    /// `MaximumRecordAgeInSeconds`, as ms; `None` for unlimited.
    pub(crate) maximum_record_age: Option<Millis>,
    /// The on-failure condition of records discarded by age.
    pub(crate) record_age_condition: Arc<str>,
    /// `BisectBatchOnFunctionError`.
    pub(crate) bisect_on_error: bool,
    /// The retry limit applied; `None` for unlimited.
    pub(crate) maximum_retry_attempts: Option<u32>,
    /// How long a poller waits before it looks again, and before a retry.
    pub(crate) poll_interval: Millis,
    /// An on-failure destination is configured.
    pub(crate) on_failure_destination: bool,
    /// A partial failure spends a retry attempt.
    pub(crate) partial_failure_spends_retry: bool,
    /// `ReportBatchItemFailures`: the response is read, not taken as a
    /// complete success.
    pub(crate) report_batch_item_failures: bool,
    /// The function timeout (ms).
    pub(crate) function_timeout: Millis,
}

/// The reader of one shard or partition.
#[derive(Default)]
struct Cursor {
    /// The checkpoint: position of the first record not done.
    next: usize,
    /// Batches still to retry after a bisection or a partial failure
    /// (positions, half-open), front first; each starts where the one before ends.
    pending: VecDeque<(usize, usize)>,
    attempts: u32,
    throttles: u32,
    /// An invocation is running (one at a time per shard or partition).
    busy: bool,
    poll_at: Option<Millis>,
    /// Backing off (a retry, a throttle) until then: not joined to another
    /// log's batch before (Kafka).
    held_until: Millis,
}

/// Room left in a batch: records and bytes.
#[derive(Clone, Copy)]
pub(crate) struct Room {
    /// Records that still fit.
    pub(crate) records: usize,
    /// Bytes that still fit.
    pub(crate) bytes: usize,
}

/// The cursors of every shard or partition of one mapping, and what they
/// discarded.
pub(crate) struct Cursors {
    rules: Rules,
    cursors: Vec<Cursor>,
    on_failure: Vec<Value>,
    /// Invocation attempts so far (numbers them; throttled ones included).
    attempts: u64,
}

impl Cursors {
    /// One cursor per log, each at the start.
    pub(crate) fn new(rules: Rules, logs: u32) -> Self {
        let cursors = (0..logs).map(|_| Cursor::default()).collect();
        Cursors { rules, cursors, on_failure: Vec::new(), attempts: 0 }
    }

    /// The mapping settings applied.
    pub(crate) fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The on-failure records sent to the destination.
    pub(crate) fn into_on_failure(self) -> Vec<Value> {
        self.on_failure
    }

    /// A record reached `log`: its poller looks again after its interval.
    pub(crate) fn arrived<E: From<Poll>>(&mut self, log: u32, world: &mut World<E>) {
        let at = world.now() + self.rules.poll_interval;
        self.schedule_poll(log, at, world);
    }

    fn schedule_poll<E: From<Poll>>(&mut self, log: u32, at: Millis, world: &mut World<E>) {
        let cursor = &mut self.cursors[log as usize];
        if cursor.busy || cursor.poll_at.is_some_and(|pending| pending <= at) {
            return;
        }
        cursor.poll_at = Some(at);
        world.schedule(at, Poll(log));
    }

    /// The poller of `log` wakes: the positions of its next batch and the
    /// invocation's number, unless it is busy, has nothing, or is throttled
    /// (then it backs off).
    pub(crate) fn begin<E: From<Poll>>(
        &mut self,
        Poll(log): Poll,
        logs: &mut impl Logs,
        world: &mut World<E>,
    ) -> Option<(usize, usize, u64)> {
        let now = world.now();
        self.cursors[log as usize].poll_at = None;
        if self.cursors[log as usize].busy {
            return None;
        }
        let room = Room { records: self.rules.batch_size, bytes: PAYLOAD_LIMIT };
        let (from, to) = self.next_batch(log, logs, world, room, true)?;
        self.attempts += 1;
        let number = self.attempts;
        let cursor = &mut self.cursors[log as usize];
        if world.rng.chance(world.faults.throttle, "throttle") {
            world.metrics.throttled(now);
            cursor.throttles += 1;
            let backoff = (1_000u64 << cursor.throttles.min(6)).min(60_000);
            cursor.held_until = now + backoff;
            world.trace.push(now, || TraceEvent::Throttled { invocation: number });
            self.schedule_poll(log, now + backoff, world);
            return None;
        }
        cursor.throttles = 0;
        cursor.busy = true;
        Some((from, to, number))
    }

    /// Adds `log` to a batch being built (Kafka: a batch carries the new
    /// records of every free partition): its next batch if it is free, not
    /// retrying or backing off, and fits in `room`. No batching window: the
    /// batch leaves now anyway.
    pub(crate) fn join<E: From<Poll>>(
        &mut self,
        log: u32,
        room: Room,
        logs: &mut impl Logs,
        world: &mut World<E>,
    ) -> Option<(usize, usize)> {
        let cursor = &self.cursors[log as usize];
        if cursor.busy || !cursor.pending.is_empty() || cursor.held_until > world.now() || room.records == 0 {
            return None;
        }
        let (from, to) = self.next_batch(log, logs, world, room, false)?;
        let bytes: usize = (from..to).map(|position| logs.size(log, position)).sum();
        if to - from > room.records || bytes > room.bytes {
            return None;
        }
        self.cursors[log as usize].busy = true;
        Some((from, to))
    }

    /// The next batch of `log`: the front of `pending`, or new records from
    /// the checkpoint on (at most `room`, and always at least one record).
    fn next_batch<E: From<Poll>>(
        &mut self,
        log: u32,
        logs: &mut impl Logs,
        world: &mut World<E>,
        room: Room,
        wait_for_window: bool,
    ) -> Option<(usize, usize)> {
        let now = world.now();
        loop {
            let cursor = &self.cursors[log as usize];
            if let Some(&(from, to)) = cursor.pending.front() {
                let kept = self.trim(log, from, to, logs, world);
                let cursor = &mut self.cursors[log as usize];
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
            let (from, available) = (cursor.next, logs.len(log) - cursor.next);
            if available == 0 {
                return None;
            }
            let window = self.rules.batching_window;
            let first_arrival = logs.arrived_at(log, from);
            if wait_for_window
                && window > 0
                && available < self.rules.batch_size
                && now < first_arrival + window
            {
                self.schedule_poll(log, first_arrival + window, world);
                return None;
            }
            let mut to = from + available.min(room.records.max(1));
            let mut bytes = 0;
            for position in from..to {
                bytes += logs.size(log, position);
                if bytes > room.bytes && position > from {
                    to = position;
                    break;
                }
            }
            if self.trim(log, from, to, logs, world) > from {
                continue;
            }
            return Some((from, to));
        }
    }

    /// Drops records at the front of `from..to` that outlived the retention
    /// (expired) or `MaximumRecordAgeInSeconds` (discarded). Returns the
    /// position of the first record kept.
    fn trim<E>(
        &mut self,
        log: u32,
        from: usize,
        to: usize,
        logs: &mut impl Logs,
        world: &mut World<E>,
    ) -> usize {
        let expired = logs.expire_front(log, from, to, world);
        if expired > from {
            self.advance(log, expired);
            return expired;
        }
        if let Some(max_age) = self.rules.maximum_record_age {
            let now = world.now();
            let mut old = from;
            while old < to && now.saturating_sub(logs.arrived_at(log, old)) > max_age {
                old += 1;
            }
            if old > from {
                let condition = Arc::clone(&self.rules.record_age_condition);
                self.discard(log, from, old, condition, logs, world);
                return old;
            }
        }
        from
    }

    /// Whether `from..to` is a retry of `log` (after a failure or a split).
    pub(crate) fn is_retry(&self, log: u32, from: usize, to: usize) -> bool {
        self.cursors[log as usize].pending.front() == Some(&(from, to))
    }

    /// The invocation that carried `from..to` of `log` ended (its outcome is
    /// applied next).
    pub(crate) fn ended(&mut self, log: u32, from: usize, to: usize) {
        let cursor = &mut self.cursors[log as usize];
        cursor.busy = false;
        if cursor.pending.front() == Some(&(from, to)) {
            cursor.pending.pop_front();
        }
    }

    /// `from..to` is done: move the checkpoint past it.
    pub(crate) fn succeeded<E: From<Poll>>(
        &mut self,
        log: u32,
        from: usize,
        to: usize,
        logs: &mut impl Logs,
        world: &mut World<E>,
    ) {
        let now = world.now();
        self.cursors[log as usize].attempts = 0;
        for position in from..to {
            logs.end(log, position, StreamRecordEnd::Processed(now));
        }
        self.advance(log, to);
        world.trace.push(now, || logs.checkpointed(log, to - 1));
        self.schedule_poll(log, now, world);
    }

    /// Records `from..at` of the batch `from..to` are done and `at..to`
    /// come back (a partial batch response naming `at` first).
    pub(crate) fn partly_succeeded<E: From<Poll>>(
        &mut self,
        log: u32,
        (from, at, to): (usize, usize, usize),
        logs: &mut impl Logs,
        world: &mut World<E>,
    ) {
        if at > from {
            self.succeeded(log, from, at, logs, world);
        }
        if self.rules.partial_failure_spends_retry || at == from {
            self.failed(log, at, to, false, logs, world);
        } else {
            self.cursors[log as usize].pending.push_front((at, to));
            self.schedule_poll(log, world.now(), world);
        }
    }

    /// `from..to` failed as a whole: bisect it, retry it, or discard it once
    /// the retry limit is spent. The log stays blocked meanwhile.
    pub(crate) fn failed<E: From<Poll>>(
        &mut self,
        log: u32,
        from: usize,
        to: usize,
        function_error: bool,
        logs: &mut impl Logs,
        world: &mut World<E>,
    ) {
        let now = world.now();
        let cursor = &mut self.cursors[log as usize];
        if function_error && self.rules.bisect_on_error && to - from > 1 {
            // A split does not spend the retry budget.
            let middle = from + (to - from) / 2;
            cursor.pending.push_front((middle, to));
            cursor.pending.push_front((from, middle));
            let records = u32::try_from(to - from).unwrap_or(u32::MAX);
            world.trace.push(now, || logs.bisected(log, records));
            self.schedule_poll(log, now, world);
            return;
        }
        cursor.attempts += 1;
        let retry_at = now + self.rules.poll_interval;
        cursor.held_until = retry_at;
        if self.rules.maximum_retry_attempts.is_some_and(|max| cursor.attempts > max) {
            cursor.attempts = 0;
            self.discard(log, from, to, "RetryAttemptsExhausted".into(), logs, world);
        } else {
            cursor.pending.push_front((from, to));
        }
        self.schedule_poll(log, retry_at, world);
    }

    /// Gives up `from..to`: skipped, with an on-failure record.
    fn discard<E>(
        &mut self,
        log: u32,
        from: usize,
        to: usize,
        condition: Arc<str>,
        logs: &mut impl Logs,
        world: &mut World<E>,
    ) {
        let now = world.now();
        for position in from..to {
            logs.end(log, position, StreamRecordEnd::Discarded(now));
        }
        world.metrics.records_discarded += (to - from) as u64;
        self.advance(log, to);
        let destination = self.rules.on_failure_destination;
        if destination {
            self.on_failure.push(logs.on_failure(log, from, to, &condition, now));
        }
        let condition_for_trace = Arc::clone(&condition);
        world.trace.push(now, || logs.discarded(log, from, to, condition));
        if destination {
            world.trace.push(now, || TraceEvent::Destination {
                id: logs.name(log),
                target: "on_failure",
                condition: condition_for_trace,
            });
        }
    }

    /// Moves the checkpoint of `log` to `position` if that is forward.
    fn advance(&mut self, log: u32, position: usize) {
        let cursor = &mut self.cursors[log as usize];
        cursor.next = cursor.next.max(position);
    }
}
