//! Kinesis and DynamoDB Streams shards with their event source mapping
//! (rule R-5 of SEMANTICS.md).

use std::collections::VecDeque;
use std::sync::Arc;

use lambda_batch::validate::{BatchView, Verdict, check_stream_response};
use serde_json::{Value, json};

use super::clock::{Agenda, Millis};
use super::error::ConfigError;
use super::faults::{Drawn, Ended};
use super::function::{Function, Invocation, Payload, StreamDelivery};
use super::metrics::Metrics;
use super::progress::{Progress, ProgressFn, Ticker};
use super::render::fnv;
use super::rng::SimRng;
use super::stream_config::{StreamKind, StreamSimConfig};
use super::trace::{Trace, TraceEvent};

/// How a stream record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEnd {
    /// The checkpoint moved past it after a successful batch.
    Processed(Millis),
    /// Given up (retries or age) and skipped, with an on-failure record.
    Discarded(Millis),
    /// Trimmed by the stream's retention before it was processed.
    Expired(Millis),
    /// Not done when the run stopped.
    Pending,
}

/// One record's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFate {
    /// The sequence number.
    pub sequence_number: Arc<str>,
    /// The partition key (Kinesis) or item key (DynamoDB).
    pub key: Arc<str>,
    /// The shard it went to.
    pub shard: u32,
    /// When it arrived.
    pub arrived_at: Millis,
    /// How many invocations carried it.
    pub deliveries: u32,
    /// How it ended.
    pub end: RecordEnd,
}

/// The result of a stream run.
#[derive(Debug, Clone)]
pub struct StreamReport {
    /// Every record, in the order of the `put` calls.
    pub records: Vec<RecordFate>,
    /// The on-failure records sent to the destination (S-2.3.5 shape).
    pub on_failure: Vec<Value>,
    /// The metrics.
    pub metrics: Metrics,
    /// The trace.
    pub trace: Trace,
    /// Invocations made.
    pub invocations: u64,
    /// Records delivered, over all invocations.
    pub deliveries: u64,
    /// Virtual time at the end.
    pub ended_at: Millis,
}

struct Record {
    fate: RecordFate,
    data: Arc<str>,
    event_name: Option<&'static str>,
}

#[derive(Default)]
struct Shard {
    /// Records (indices) in arrival order.
    records: Vec<u32>,
    /// The checkpoint: position of the first record not done.
    next: usize,
    /// Batches still to retry after a bisection or a partial failure
    /// (positions, half-open), front first; each starts where the one before ends.
    pending: VecDeque<(usize, usize)>,
    attempts: u32,
    throttles: u32,
    busy: bool,
    /// How the invocation in flight ended (one at a time per shard).
    ended: Option<Ended>,
    poll_at: Option<Millis>,
    counter: u64,
}

enum Event {
    Arrive(u32),
    Poll(u32),
    Complete { shard: u32, from: usize, to: usize, number: u64 },
}

/// Shards of a Kinesis stream or DynamoDB stream with their event source
/// mapping, in virtual time.
///
/// ```
/// use lambda_batch_testkit::sim::{FunctionResult, Invocation, StreamKind, StreamSimConfig, StreamSimulation};
/// let mut config = StreamSimConfig::new(StreamKind::Kinesis);
/// config.maximum_retry_attempts = Some(2);
/// let mut sim = StreamSimulation::new(config).unwrap();
/// sim.put(0, "sensor-1", "21.5");
/// sim.put(0, "sensor-1", "not a number");
/// sim.put(0, "sensor-1", "22.0");
/// let report = sim.run(&mut |_: &Invocation<'_>| FunctionResult::error("Handled", "always fails"));
/// assert_eq!(report.metrics.records_discarded, 3);
/// assert_eq!(report.on_failure.len(), 1);
/// ```
pub struct StreamSimulation {
    config: StreamSimConfig,
    rng: SimRng,
    agenda: Agenda<Event>,
    records: Vec<Record>,
    shards: Vec<Shard>,
    on_failure: Vec<Value>,
    metrics: Metrics,
    trace: Trace,
    /// Invocation attempts so far (numbers them; throttled ones included).
    attempts: u64,
    deliveries: u64,
    finished: usize,
}

impl StreamSimulation {
    /// A simulation with this configuration.
    ///
    /// # Errors
    /// A setting AWS would refuse (e.g. `MaximumRecordAgeInSeconds` of 30).
    pub fn new(config: StreamSimConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let shards = (0..config.shards).map(|_| Shard::default()).collect();
        Ok(StreamSimulation {
            rng: SimRng::new(config.seed),
            trace: Trace::new(config.trace),
            config,
            agenda: Agenda::new(),
            records: Vec::new(),
            shards,
            on_failure: Vec::new(),
            metrics: Metrics::default(),
            attempts: 0,
            deliveries: 0,
            finished: 0,
        })
    }

    /// Puts a record with this partition key (Kinesis data) at virtual time `at`.
    pub fn put(&mut self, at: Millis, key: &str, data: &str) {
        self.push(at, key, data, None);
    }

    /// Puts a DynamoDB stream record for item `key` (`Keys: {"id": {"S": key}}`):
    /// `event_name` is `INSERT`, `MODIFY` or `REMOVE`; `image` is the item in
    /// DynamoDB JSON (`NewImage`, or `OldImage` for `REMOVE`).
    pub fn put_item(&mut self, at: Millis, key: &str, event_name: &'static str, image: &Value) {
        self.push(at, key, &image.to_string(), Some(event_name));
    }

    fn push(&mut self, at: Millis, key: &str, data: &str, event_name: Option<&'static str>) {
        let index = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        let shard = u32::try_from(fnv(key.as_bytes()) % u64::from(self.config.shards)).unwrap_or(0);
        self.records.push(Record {
            fate: RecordFate {
                sequence_number: "".into(),
                key: key.into(),
                shard,
                arrived_at: at,
                deliveries: 0,
                end: RecordEnd::Pending,
            },
            data: data.into(),
            event_name,
        });
        self.agenda.at_in_lane(0, at, Event::Arrive(index));
    }

    /// Runs until nothing is left to happen.
    pub fn run(self, function: &mut impl Function) -> StreamReport {
        self.run_until(function, Millis::MAX, None)
    }

    /// Runs until nothing is left to happen or virtual time `until`.
    pub fn run_until(
        mut self,
        function: &mut impl Function,
        until: Millis,
        progress: Option<ProgressFn<'_>>,
    ) -> StreamReport {
        let mut ticker = Ticker::new(progress);
        while let Some(event) = self.agenda.next(until) {
            match event {
                Event::Arrive(record) => self.arrive(record),
                Event::Poll(shard) => self.poll(shard, function),
                Event::Complete { shard, from, to, number } => self.complete(shard, from, to, number),
            }
            ticker.tick(|events| Progress {
                now: self.agenda.now(),
                events,
                invocations: self.metrics.invocations,
                done: self.finished,
                total: self.records.len(),
            });
        }
        let now = self.agenda.finish(until);
        self.metrics.minute(now);
        StreamReport {
            records: self.records.into_iter().map(|r| r.fate).collect(),
            on_failure: self.on_failure,
            invocations: self.metrics.invocations,
            metrics: self.metrics,
            trace: self.trace,
            deliveries: self.deliveries,
            ended_at: now,
        }
    }

    fn arrive(&mut self, index: u32) {
        let now = self.agenda.now();
        let record = &mut self.records[index as usize];
        let shard = &mut self.shards[record.fate.shard as usize];
        shard.counter += 1;
        let sequence_number: Arc<str> = match self.config.kind {
            // 56 digits, non-consecutive, like Kinesis's.
            StreamKind::Kinesis => format!(
                "4959033827149025660855969{:02}{:029}",
                record.fate.shard % 100,
                shard.counter * 1_000 + self.rng.below(1_000)
            )
            .into(),
            // DynamoDB: 21 digits.
            StreamKind::DynamoDb => {
                format!("{:021}", 100_000_000_000_000_000_000u128 + u128::from(shard.counter) * 100).into()
            }
        };
        record.fate.sequence_number = Arc::clone(&sequence_number);
        shard.records.push(index);
        let (key, shard_index) = (Arc::clone(&record.fate.key), record.fate.shard);
        self.trace.push(now, || TraceEvent::Sent {
            id: sequence_number,
            key: Some(key),
            shard: Some(shard_index),
        });
        self.schedule_poll(shard_index, now + self.config.kind.poll_interval());
    }

    fn schedule_poll(&mut self, shard: u32, at: Millis) {
        let state = &mut self.shards[shard as usize];
        if state.busy || state.poll_at.is_some_and(|pending| pending <= at) {
            return;
        }
        state.poll_at = Some(at);
        self.agenda.at(at, Event::Poll(shard));
    }

    /// The next batch of a shard: the front of `pending`, or new records
    /// from the checkpoint on.
    fn next_batch(&mut self, shard: u32) -> Option<(usize, usize)> {
        let now = self.agenda.now();
        let batch_size = self.config.batch_size as usize;
        loop {
            let state = &self.shards[shard as usize];
            if let Some(&(from, to)) = state.pending.front() {
                let kept = self.trim(shard, from, to);
                let state = &mut self.shards[shard as usize];
                state.pending.pop_front();
                if kept == from {
                    state.pending.push_front((from, to));
                    return Some((from, to));
                }
                if kept < to {
                    state.pending.push_front((kept, to));
                }
                continue;
            }
            let available = state.records.len() - state.next;
            if available == 0 {
                return None;
            }
            let window = self.config.batching_window;
            let first_arrival = self.records[state.records[state.next] as usize].fate.arrived_at;
            if window > 0 && available < batch_size && now < first_arrival + window {
                self.schedule_poll(shard, first_arrival + window);
                return None;
            }
            let (from, mut to) = (state.next, state.next + available.min(batch_size));
            let mut bytes = 0;
            for position in from..to {
                bytes += self.records[state.records[position] as usize].data.len() + 300;
                if bytes > 6_000_000 && position > from {
                    to = position;
                    break;
                }
            }
            if self.trim(shard, from, to) > from {
                continue;
            }
            return Some((from, to));
        }
    }

    /// Drops records at the front of `from..to` that outlived the stream's
    /// retention (expired) or `MaximumRecordAgeInSeconds` (discarded).
    /// Returns the position of the first record kept.
    fn trim(&mut self, shard: u32, from: usize, to: usize) -> usize {
        let now = self.agenda.now();
        let age_of = |sim: &Self, position: usize| {
            let record = sim.shards[shard as usize].records[position];
            now.saturating_sub(sim.records[record as usize].fate.arrived_at)
        };
        let mut expired = from;
        while expired < to && age_of(self, expired) > self.config.retention {
            let record = self.shards[shard as usize].records[expired];
            let at = self.records[record as usize].fate.arrived_at + self.config.retention;
            let id = Arc::clone(&self.records[record as usize].fate.sequence_number);
            self.trace.push(now, || TraceEvent::Expired { id });
            self.metrics.expired += 1;
            self.end_record(record, RecordEnd::Expired(at));
            expired += 1;
        }
        if expired > from {
            self.advance(shard, expired);
            return expired;
        }
        if let Some(max_age) = self.config.maximum_record_age {
            let mut old = from;
            while old < to && age_of(self, old) > max_age {
                old += 1;
            }
            if old > from {
                let condition: Arc<str> = self.config.record_age_condition.as_str().into();
                self.discard(shard, from, old, condition);
                return old;
            }
        }
        from
    }

    fn poll(&mut self, shard: u32, function: &mut impl Function) {
        let now = self.agenda.now();
        self.shards[shard as usize].poll_at = None;
        if self.shards[shard as usize].busy {
            return;
        }
        let Some((from, to)) = self.next_batch(shard) else { return };
        if self.rng.chance(self.config.faults.throttle) {
            self.metrics.throttled(now);
            let state = &mut self.shards[shard as usize];
            state.throttles += 1;
            let backoff = (1_000u64 << state.throttles.min(6)).min(60_000);
            self.attempts += 1;
            let number = self.attempts;
            self.trace.push(now, || TraceEvent::Throttled { invocation: number });
            self.schedule_poll(shard, now + backoff);
            return;
        }
        self.shards[shard as usize].throttles = 0;
        let positions: Vec<u32> = self.shards[shard as usize].records[from..to].to_vec();
        let deliveries: Vec<StreamDelivery> = positions
            .iter()
            .map(|&r| {
                let record = &mut self.records[r as usize];
                record.fate.deliveries += 1;
                StreamDelivery {
                    sequence_number: Arc::clone(&record.fate.sequence_number),
                    key: Arc::clone(&record.fate.key),
                    data: Arc::clone(&record.data),
                    event_name: record.event_name,
                    arrived_at: record.fate.arrived_at,
                }
            })
            .collect();
        let drawn = Drawn::draw(&self.config.faults, &mut self.rng, deliveries.len());
        let request_id: Arc<str> = self.rng.request_id().into();
        let shard_id = format!("shardId-{shard:012}");
        let stream_arn = self.config.kind.arn();
        let payload = match self.config.kind {
            StreamKind::Kinesis => Payload::Kinesis { stream_arn, shard_id: &shard_id, records: &deliveries },
            StreamKind::DynamoDb => Payload::DynamoDb { stream_arn, records: &deliveries },
        };
        let timeout = self.config.function_timeout;
        let result = function.invoke(&Invocation {
            request_id: &request_id,
            attempt: 1,
            started_at: now,
            timeout,
            payload,
            failing_records: &drawn.failing_records,
        });
        self.attempts += 1;
        let number = self.attempts;
        let count = u32::try_from(deliveries.len()).unwrap_or(u32::MAX);
        self.trace.push(now, || TraceEvent::Invoked {
            invocation: number,
            request_id,
            records: count,
            attempt: 1,
        });
        self.metrics.invoked(now);
        self.deliveries += deliveries.len() as u64;
        let (ended, took) = Ended::settle(result, &drawn, &self.config.timing, deliveries.len(), timeout);
        let state = &mut self.shards[shard as usize];
        state.ended = Some(ended);
        state.busy = true;
        self.agenda.at(now + took, Event::Complete { shard, from, to, number });
    }

    fn complete(&mut self, shard: u32, from: usize, to: usize, number: u64) {
        let now = self.agenda.now();
        let state = &mut self.shards[shard as usize];
        state.busy = false;
        let ended = state.ended.take();
        if state.pending.front() == Some(&(from, to)) {
            state.pending.pop_front();
        }
        let last = self.shards[shard as usize].records[to - 1];
        let age = now.saturating_sub(self.records[last as usize].fate.arrived_at);
        self.metrics.iterator_age(now, age);
        match ended {
            Some(Ended::Failed { error_type, timed_out }) => {
                self.metrics.errored(now);
                let outcome = if timed_out { "timeout" } else { "function_error" };
                let retried = u32::try_from(to - from).unwrap_or(u32::MAX);
                self.trace.push(now, || TraceEvent::Response {
                    invocation: number,
                    outcome,
                    retried,
                    error: Some(error_type),
                });
                self.failed(shard, from, to, true);
            }
            Some(Ended::Returned(response)) if self.config.report_batch_item_failures => {
                let view = if super::sqs::lists_nothing(&response) {
                    BatchView::default()
                } else {
                    BatchView::from_records(
                        self.shards[shard as usize].records[from..to]
                            .iter()
                            .map(|&r| (self.records[r as usize].fate.sequence_number.to_string(), None)),
                    )
                };
                let check = check_stream_response(&view, &response);
                match check.verdict() {
                    Verdict::CompleteSuccess => {
                        self.trace.push(now, || TraceEvent::Response {
                            invocation: number,
                            outcome: "complete_success",
                            retried: 0,
                            error: None,
                        });
                        self.succeeded(shard, from, to);
                    }
                    Verdict::PartialSuccess { retried } => {
                        // Checkpoint before the lowest reported sequence
                        // number; retry from it (S-2.4.3). The validator
                        // lists ids in batch order; the lowest is the first.
                        let lowest = retried.first().cloned().unwrap_or_default();
                        let at = (from..to)
                            .find(|&p| {
                                *self.records[self.shards[shard as usize].records[p] as usize]
                                    .fate
                                    .sequence_number
                                    == *lowest
                            })
                            .unwrap_or(from);
                        let count = u32::try_from(to - at).unwrap_or(u32::MAX);
                        self.trace.push(now, || TraceEvent::Response {
                            invocation: number,
                            outcome: "partial_success",
                            retried: count,
                            error: None,
                        });
                        if at > from {
                            self.succeeded(shard, from, at);
                        }
                        if self.config.partial_failure_spends_retry || at == from {
                            self.failed(shard, at, to, false);
                        } else {
                            self.shards[shard as usize].pending.push_front((at, to));
                            self.schedule_poll(shard, now);
                        }
                    }
                    Verdict::CompleteFailure => {
                        let count = u32::try_from(to - from).unwrap_or(u32::MAX);
                        self.trace.push(now, || TraceEvent::Response {
                            invocation: number,
                            outcome: "complete_failure",
                            retried: count,
                            error: None,
                        });
                        self.failed(shard, from, to, false);
                    }
                }
            }
            Some(Ended::Returned(_)) => {
                // Without ReportBatchItemFailures a response is a complete success.
                self.trace.push(now, || TraceEvent::Response {
                    invocation: number,
                    outcome: "complete_success",
                    retried: 0,
                    error: None,
                });
                self.succeeded(shard, from, to);
            }
            None => {}
        }
    }

    /// `from..to` is done: move the checkpoint past it.
    fn succeeded(&mut self, shard: u32, from: usize, to: usize) {
        let now = self.agenda.now();
        let state = &mut self.shards[shard as usize];
        state.attempts = 0;
        for position in from..to {
            let record = self.shards[shard as usize].records[position];
            self.end_record(record, RecordEnd::Processed(now));
        }
        self.advance(shard, to);
        let last = self.shards[shard as usize].records[to - 1];
        let sequence_number = Arc::clone(&self.records[last as usize].fate.sequence_number);
        self.trace.push(now, || TraceEvent::Checkpointed { shard, sequence_number });
        self.schedule_poll(shard, now);
    }

    /// `from..to` failed as a whole: bisect it, retry it, or discard it once
    /// the retry limit is spent (R-5). The shard stays blocked meanwhile.
    fn failed(&mut self, shard: u32, from: usize, to: usize, function_error: bool) {
        let now = self.agenda.now();
        let state = &mut self.shards[shard as usize];
        if function_error && self.config.bisect_on_error && to - from > 1 {
            // A split does not spend the retry budget (S-2.3.3).
            let middle = from + (to - from) / 2;
            state.pending.push_front((middle, to));
            state.pending.push_front((from, middle));
            let records = u32::try_from(to - from).unwrap_or(u32::MAX);
            self.trace.push(now, || TraceEvent::Bisected { shard, records });
            self.schedule_poll(shard, now);
            return;
        }
        state.attempts += 1;
        if self.config.maximum_retry_attempts.is_some_and(|max| state.attempts > max) {
            state.attempts = 0;
            self.discard(shard, from, to, "RetryAttemptsExhausted".into());
        } else {
            state.pending.push_front((from, to));
        }
        let retry_at = now + self.config.kind.poll_interval();
        self.schedule_poll(shard, retry_at);
    }

    /// Gives up `from..to`: skipped, with an on-failure record (S-2.3.4).
    fn discard(&mut self, shard: u32, from: usize, to: usize, condition: Arc<str>) {
        let now = self.agenda.now();
        let positions: Vec<u32> = self.shards[shard as usize].records[from..to].to_vec();
        for &record in &positions {
            self.end_record(record, RecordEnd::Discarded(now));
        }
        self.metrics.records_discarded += positions.len() as u64;
        self.advance(shard, to);
        let first = &self.records[positions[0] as usize].fate;
        let last = &self.records[positions[positions.len() - 1] as usize].fate;
        let (from_seq, to_seq) = (Arc::clone(&first.sequence_number), Arc::clone(&last.sequence_number));
        if self.config.on_failure_destination {
            self.on_failure.push(self.on_failure_record(shard, &positions, &condition));
        }
        let records = u32::try_from(positions.len()).unwrap_or(u32::MAX);
        let shard_id: Arc<str> = format!("shardId-{shard:012}").into();
        let destination = self.config.on_failure_destination;
        let condition_for_trace = Arc::clone(&condition);
        self.trace.push(now, || TraceEvent::Discarded {
            shard,
            from: from_seq,
            to: to_seq,
            records,
            condition,
        });
        if destination {
            self.trace.push(now, || TraceEvent::Destination {
                id: shard_id,
                target: "on_failure",
                condition: condition_for_trace,
            });
        }
    }

    /// The on-failure record: metadata only, no data (S-2.3.5).
    fn on_failure_record(&self, shard: u32, positions: &[u32], condition: &str) -> Value {
        let now = self.agenda.now();
        let first = &self.records[positions[0] as usize].fate;
        let last = &self.records[positions[positions.len() - 1] as usize].fate;
        let iso = |at: Millis| super::async_invoke::iso8601(at);
        let info = json!({
            "shardId": format!("shardId-{shard:012}"),
            "startSequenceNumber": &*first.sequence_number,
            "endSequenceNumber": &*last.sequence_number,
            "approximateArrivalOfFirstRecord": iso(first.arrived_at),
            "approximateArrivalOfLastRecord": iso(last.arrived_at),
            "batchSize": positions.len(),
            "streamArn": self.config.kind.arn(),
        });
        let info_key = match self.config.kind {
            StreamKind::Kinesis => "KinesisBatchInfo",
            StreamKind::DynamoDb => "DDBStreamBatchInfo",
        };
        let mut record = json!({
            "requestContext": {
                "requestId": format!("{:08x}-0000-4000-8000-{:012x}", now, fnv(first.sequence_number.as_bytes()) & 0xffff_ffff_ffff),
                "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:test-function",
                "condition": condition,
                "approximateInvokeCount": first.deliveries,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": iso(now),
        });
        record[info_key] = info;
        record
    }

    /// Moves the checkpoint of `shard` to `position` if that is forward.
    fn advance(&mut self, shard: u32, position: usize) {
        let state = &mut self.shards[shard as usize];
        state.next = state.next.max(position);
    }

    fn end_record(&mut self, record: u32, end: RecordEnd) {
        let fate = &mut self.records[record as usize].fate;
        if fate.end == RecordEnd::Pending {
            fate.end = end;
            self.finished += 1;
        }
    }
}
