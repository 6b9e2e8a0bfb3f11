//! An SQS queue (standard or FIFO) with its Lambda event source mapping
//! (rules R-1 to R-4 of SEMANTICS.md).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use lambda_batch::validate::{BatchView, Verdict, check_sqs_against};

use super::clock::{Agenda, Millis};
use super::error::ConfigError;
use super::faults::{Drawn, Ended, SimFaults, Timing};
use super::function::{Function, Invocation, Payload, SqsDelivery};
use super::metrics::Metrics;
use super::progress::{Progress, ProgressFn, Ticker};
use super::rng::SimRng;
use super::sqs_config::{LAMBDA_READS_FIFO, QueueConfig, SqsMappingConfig, validate};
use super::trace::{Trace, TraceEvent};

/// Everything about one SQS simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SqsSimConfig {
    /// The queue.
    pub queue: QueueConfig,
    /// The event source mapping and function settings.
    pub mapping: SqsMappingConfig,
    /// What goes wrong.
    pub faults: SimFaults,
    /// How long invocations take.
    pub timing: Timing,
    /// The seed: the same seed and sends give the same run.
    pub seed: u64,
    /// Record a trace (off for benchmarks).
    pub trace: bool,
}

impl SqsSimConfig {
    /// A configuration with defaults for this queue, seed 0, tracing on.
    pub fn new(queue: QueueConfig) -> Self {
        SqsSimConfig {
            queue,
            mapping: SqsMappingConfig::default(),
            faults: SimFaults::none(),
            timing: Timing::default(),
            seed: 0,
            trace: true,
        }
    }
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageEnd {
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
pub struct MessageFate {
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
    pub end: MessageEnd,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct SqsReport {
    /// Every message sent, in the order of the `send` calls.
    pub messages: Vec<MessageFate>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotYetSent,
    Visible,
    InFlight { invocation: u64 },
    Done,
}

struct Message {
    fate: MessageFate,
    group: Option<u32>,
    deduplication_id: Option<Arc<str>>,
    sequence_number: u64,
    first_received_at: Option<Millis>,
    state: State,
}

struct Group {
    /// Unfinished messages in send order (finished ones are skipped and
    /// dropped from the front).
    queue: VecDeque<u32>,
    in_flight: u32,
    ready_key: Option<(u64, u32)>,
}

enum Event {
    Send(u32),
    WindowEnds,
    Invoke(usize),
    Complete(usize),
    VisibilityEnds { message: u32, receive_count: u32 },
}

struct Batch {
    number: u64,
    messages: Vec<u32>,
    received_at: Millis,
    throttles: u32,
    ended: Option<Ended>,
}

/// An SQS queue and its event source mapping in virtual time.
///
/// ```
/// use lambda_batch_testkit::sim::{FunctionResult, Invocation, QueueConfig, SqsSimConfig, SqsSimulation};
/// let mut sim = SqsSimulation::new(SqsSimConfig::new(QueueConfig::standard().with_dlq(3))).unwrap();
/// sim.send(0, "hello");
/// sim.send(0, "poison");
/// let mut function = |invocation: &Invocation<'_>| {
///     let lambda_batch_testkit::sim::Payload::Sqs { messages, .. } = invocation.payload else { unreachable!() };
///     FunctionResult::failures(messages.iter().filter(|m| &*m.body == "poison").map(|m| &*m.message_id))
/// };
/// let report = sim.run(&mut function);
/// assert_eq!(report.metrics.messages_deleted, 1);
/// assert_eq!(report.metrics.dlq_messages_visible, 1);
/// ```
pub struct SqsSimulation {
    config: SqsSimConfig,
    rng: SimRng,
    agenda: Agenda<Event>,
    messages: Vec<Message>,
    groups: Vec<Group>,
    group_names: Vec<Arc<str>>,
    group_index: HashMap<Arc<str>, u32>,
    /// Standard queue: visible messages, oldest first (may hold stale entries).
    ready: VecDeque<u32>,
    /// FIFO: unlocked groups with messages, by their head's send order.
    ready_groups: BTreeSet<(u64, u32)>,
    visible: usize,
    deduplication: HashMap<Arc<str>, Millis>,
    batches: Vec<Option<Batch>>,
    free_batches: Vec<usize>,
    running_batches: u32,
    running_functions: u32,
    concurrency: u32,
    window_opened: Option<Millis>,
    /// A FIFO receive is walking group queues.
    receiving: bool,
    by_send_time: Vec<u32>,
    oldest_cursor: usize,
    metrics: Metrics,
    trace: Trace,
    /// Batches received so far (numbers them; throttled ones included).
    batches_received: u64,
    deliveries: u64,
    finished: usize,
}

impl SqsSimulation {
    /// A simulation with this configuration.
    ///
    /// # Errors
    /// A setting AWS would refuse (e.g. a FIFO batch size above 10, or a
    /// function timeout above the visibility timeout, S-1.1.7).
    pub fn new(config: SqsSimConfig) -> Result<Self, ConfigError> {
        validate(&config.queue, &config.mapping)?;
        config.faults.validate()?;
        let concurrency = config.mapping.maximum_concurrency.unwrap_or(1000).min(5);
        Ok(SqsSimulation {
            rng: SimRng::new(config.seed),
            trace: Trace::new(config.trace),
            config,
            agenda: Agenda::new(),
            messages: Vec::new(),
            groups: Vec::new(),
            group_names: Vec::new(),
            group_index: HashMap::new(),
            ready: VecDeque::new(),
            ready_groups: BTreeSet::new(),
            visible: 0,
            deduplication: HashMap::new(),
            batches: Vec::new(),
            free_batches: Vec::new(),
            running_batches: 0,
            running_functions: 0,
            concurrency,
            window_opened: None,
            receiving: false,
            by_send_time: Vec::new(),
            oldest_cursor: 0,
            metrics: Metrics::default(),
            batches_received: 0,
            deliveries: 0,
            finished: 0,
        })
    }

    /// Sends a message to a standard queue at virtual time `at`; returns its id.
    ///
    /// # Panics
    /// Never; on a FIFO queue the message goes to group `"default"`.
    pub fn send(&mut self, at: Millis, body: &str) -> Arc<str> {
        if self.config.queue.fifo {
            return self.send_fifo(at, "default", body);
        }
        self.push(at, body, None, None)
    }

    /// Sends a message to a FIFO queue with this group; its deduplication id
    /// is its message id (never a duplicate). On a standard queue the group
    /// is kept as an attribute, as SQS does for fair queues.
    pub fn send_fifo(&mut self, at: Millis, group: &str, body: &str) -> Arc<str> {
        self.push(at, body, Some(group), None)
    }

    /// Sends a FIFO message with an explicit deduplication id: a second send
    /// with the same id within 5 minutes is accepted but not delivered (S-1.7.6).
    pub fn send_fifo_deduplicated(
        &mut self,
        at: Millis,
        group: &str,
        body: &str,
        deduplication_id: &str,
    ) -> Arc<str> {
        self.push(at, body, Some(group), Some(deduplication_id.into()))
    }

    fn push(
        &mut self,
        at: Millis,
        body: &str,
        group: Option<&str>,
        deduplication_id: Option<Arc<str>>,
    ) -> Arc<str> {
        let index = u32::try_from(self.messages.len()).unwrap_or(u32::MAX);
        let id: Arc<str> = format!("m-{:04}", index + 1).into();
        let group = group.map(|name| self.group(name));
        let deduplication_id = match (self.config.queue.fifo, deduplication_id) {
            (true, None) => Some(Arc::clone(&id)),
            (_, explicit) => explicit,
        };
        self.messages.push(Message {
            fate: MessageFate {
                id: Arc::clone(&id),
                group: group.map(|g| Arc::clone(&self.group_names[g as usize])),
                body: body.into(),
                sent_at: at,
                receive_count: 0,
                end: MessageEnd::InQueue,
            },
            group,
            deduplication_id,
            sequence_number: 18_000_000_000_000_000_000 + u64::from(index) * 1_000 + self.rng.below(1_000),
            first_received_at: None,
            state: State::NotYetSent,
        });
        self.agenda.at_in_lane(0, at, Event::Send(index));
        id
    }

    fn group(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.group_index.get(name) {
            return index;
        }
        let index = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        let name: Arc<str> = name.into();
        self.group_index.insert(Arc::clone(&name), index);
        self.group_names.push(name);
        self.groups.push(Group { queue: VecDeque::new(), in_flight: 0, ready_key: None });
        index
    }

    /// Runs until nothing is left to happen.
    pub fn run(self, function: &mut impl Function) -> SqsReport {
        self.run_until(function, Millis::MAX, None)
    }

    /// Runs until nothing is left to happen or virtual time `until`,
    /// calling `progress` about every million simulated events.
    pub fn run_until(
        mut self,
        function: &mut impl Function,
        until: Millis,
        progress: Option<ProgressFn<'_>>,
    ) -> SqsReport {
        let mut order: Vec<u32> = (0..u32::try_from(self.messages.len()).unwrap_or(u32::MAX)).collect();
        order.sort_by_key(|&m| (self.messages[m as usize].fate.sent_at, m));
        self.by_send_time = order;
        let mut ticker = Ticker::new(progress);
        while let Some(event) = self.agenda.next(until) {
            self.handle(event, function);
            ticker.tick(|events| Progress {
                now: self.agenda.now(),
                events,
                invocations: self.metrics.invocations,
                done: self.finished,
                total: self.messages.len(),
            });
        }
        let now = self.agenda.finish(until);
        self.metrics.minute(now);
        SqsReport {
            messages: self.messages.into_iter().map(|m| m.fate).collect(),
            invocations: self.metrics.invocations,
            metrics: self.metrics,
            trace: self.trace,
            deliveries: self.deliveries,
            ended_at: now,
            fifo: self.config.queue.fifo,
        }
    }

    fn handle(&mut self, event: Event, function: &mut impl Function) {
        match event {
            Event::Send(message) => self.arrive(message),
            Event::WindowEnds => {}
            Event::Invoke(slot) => self.invoke(slot, function),
            Event::Complete(slot) => self.complete(slot),
            Event::VisibilityEnds { message, receive_count } => self.visibility_ends(message, receive_count),
        }
        // Receive once everything due at this instant has happened, so
        // messages sent together are received together.
        if self.agenda.next_time() != Some(self.now()) {
            self.dispatch();
        }
    }

    fn now(&self) -> Millis {
        self.agenda.now()
    }

    fn arrive(&mut self, index: u32) {
        let now = self.now();
        let message = &self.messages[index as usize];
        if let Some(dedup) = &message.deduplication_id
            && self.config.queue.fifo
        {
            if let Some(&first) = self.deduplication.get(dedup)
                && now < first + 300_000
            {
                let (id, dedup) = (Arc::clone(&message.fate.id), Arc::clone(dedup));
                self.trace.push(now, || TraceEvent::Deduplicated { id, deduplication_id: dedup });
                self.finish(index, MessageEnd::Deduplicated(now));
                return;
            }
            self.deduplication.insert(Arc::clone(dedup), now);
        }
        let message = &mut self.messages[index as usize];
        message.state = State::Visible;
        self.visible += 1;
        self.metrics.messages_sent += 1;
        let (id, key) = (Arc::clone(&message.fate.id), message.fate.group.clone());
        self.trace.push(now, || TraceEvent::Sent { id, key, shard: None });
        match message.group.filter(|_| self.config.queue.fifo) {
            Some(group) => {
                self.groups[group as usize].queue.push_back(index);
                self.refresh_group(group);
            }
            None => self.ready.push_back(index),
        }
    }

    /// Starts batches while the mapping has capacity and messages are visible.
    fn dispatch(&mut self) {
        let now = self.now();
        self.sample_oldest_age(now);
        while self.running_batches < self.concurrency && self.visible > 0 {
            let window = self.config.mapping.batching_window;
            if window > 0 && self.visible < self.config.mapping.batch_size as usize {
                let opened = *self.window_opened.get_or_insert_with(|| {
                    self.agenda.at(now + window, Event::WindowEnds);
                    now
                });
                if now < opened + window {
                    return;
                }
            }
            let messages = self.receive();
            self.window_opened = None;
            if messages.is_empty() {
                return;
            }
            self.invocations_started(messages);
        }
    }

    fn invocations_started(&mut self, messages: Vec<u32>) {
        let now = self.now();
        self.batches_received += 1;
        let batch =
            Batch { number: self.batches_received, messages, received_at: now, throttles: 0, ended: None };
        let slot = match self.free_batches.pop() {
            Some(slot) => {
                self.batches[slot] = Some(batch);
                slot
            }
            None => {
                self.batches.push(Some(batch));
                self.batches.len() - 1
            }
        };
        self.running_batches += 1;
        self.agenda.at(now, Event::Invoke(slot));
    }

    /// Receives up to a batch of visible messages (R-1, R-4).
    fn receive(&mut self) -> Vec<u32> {
        let limit = self.config.mapping.batch_size as usize;
        let mut taken = Vec::with_capacity(limit.min(self.visible));
        let mut bytes = 0usize;
        let number = self.batches_received + 1;
        if self.config.queue.fifo {
            // Each ready group is visited once per receive, oldest head first.
            let mut visited = Vec::new();
            self.receiving = true;
            while taken.len() < limit {
                let Some((_, group)) = self.ready_groups.pop_first() else { break };
                self.groups[group as usize].ready_key = None;
                visited.push(group);
                let mut position = 0;
                while let Some(&message) = self.groups[group as usize].queue.get(position) {
                    position += 1;
                    if taken.len() == limit || bytes > 6_000_000 {
                        break;
                    }
                    if self.messages[message as usize].state == State::Visible
                        && self.take(message, number, &mut bytes)
                    {
                        taken.push(message);
                    }
                }
            }
            self.receiving = false;
            for group in visited {
                self.refresh_group(group);
            }
        } else {
            while taken.len() < limit && bytes <= 6_000_000 {
                let Some(message) = self.ready.pop_front() else { break };
                if self.messages[message as usize].state == State::Visible
                    && self.take(message, number, &mut bytes)
                {
                    taken.push(message);
                }
            }
        }
        taken
    }

    /// One receive of a visible message: expiry, redrive to the DLQ, or
    /// into the batch. Returns whether it joined the batch.
    fn take(&mut self, index: u32, invocation: u64, bytes: &mut usize) -> bool {
        let now = self.now();
        let (retention, vt, max) = (
            self.config.queue.retention,
            self.config.queue.visibility_timeout,
            self.config.queue.max_receive_count,
        );
        self.visible -= 1;
        let message = &mut self.messages[index as usize];
        if now >= message.fate.sent_at + retention {
            let at = message.fate.sent_at + retention;
            self.expire(index, at);
            return false;
        }
        if max.is_some_and(|max| message.fate.receive_count >= max) {
            let (id, count) = (Arc::clone(&message.fate.id), message.fate.receive_count);
            self.trace.push(now, || TraceEvent::MovedToDlq { id, receive_count: count });
            self.metrics.moved_to_dlq(now);
            self.finish(index, MessageEnd::MovedToDlq(now));
            return false;
        }
        message.fate.receive_count += 1;
        message.first_received_at.get_or_insert(now);
        message.state = State::InFlight { invocation };
        *bytes += message.fate.body.len() + 500;
        let (id, count) = (Arc::clone(&message.fate.id), message.fate.receive_count);
        if let Some(group) = message.group.filter(|_| self.config.queue.fifo) {
            self.groups[group as usize].in_flight += 1;
        }
        self.metrics.messages_received += 1;
        self.trace.push(now, || TraceEvent::Received { id, invocation, receive_count: count });
        self.agenda.at_in_lane(1, now + vt, Event::VisibilityEnds { message: index, receive_count: count });
        true
    }

    fn invoke(&mut self, slot: usize, function: &mut impl Function) {
        let now = self.now();
        let Some(batch) = self.batches[slot].as_mut() else { return };
        let reserved = self.config.mapping.reserved_concurrency;
        let throttled = reserved.is_some_and(|r| self.running_functions >= r)
            || self.rng.chance(self.config.faults.throttle);
        let number = batch.number;
        if throttled {
            batch.throttles += 1;
            let backoff = 1_000u64 << batch.throttles.min(5);
            let gives_up_at = batch.received_at + self.config.queue.visibility_timeout;
            self.metrics.throttled(now);
            self.trace.push(now, || TraceEvent::Throttled { invocation: number });
            self.scale_down();
            if now + backoff < gives_up_at {
                self.agenda.at(now + backoff, Event::Invoke(slot));
            } else {
                // Given up: the messages come back when their visibility
                // timeout ends, their receive counts already raised (R-3).
                self.release(slot);
            }
            return;
        }
        let deliveries: Vec<SqsDelivery> = batch
            .messages
            .iter()
            .map(|&m| {
                let message = &self.messages[m as usize];
                SqsDelivery {
                    message_id: Arc::clone(&message.fate.id),
                    body: Arc::clone(&message.fate.body),
                    group: message.fate.group.clone(),
                    deduplication_id: message.deduplication_id.clone(),
                    sequence_number: self.config.queue.fifo.then_some(message.sequence_number),
                    receive_count: message.fate.receive_count,
                    sent_at: message.fate.sent_at,
                    first_received_at: message.first_received_at.unwrap_or(now),
                }
            })
            .collect();
        let drawn = Drawn::draw(&self.config.faults, &mut self.rng, deliveries.len());
        let request_id: Arc<str> = self.rng.request_id().into();
        let timeout = self.config.mapping.function_timeout;
        let result = function.invoke(&Invocation {
            request_id: &request_id,
            attempt: 1,
            started_at: now,
            timeout,
            payload: Payload::Sqs { queue_arn: self.config.queue.arn(), messages: &deliveries },
            failing_records: &drawn.failing_records,
        });
        let records = u32::try_from(deliveries.len()).unwrap_or(u32::MAX);
        self.trace.push(now, || TraceEvent::Invoked { invocation: number, request_id, records, attempt: 1 });
        self.invocations_metric(now, deliveries.len());
        let (ended, took) = Ended::settle(result, &drawn, &self.config.timing, deliveries.len(), timeout);
        if let Some(batch) = self.batches[slot].as_mut() {
            batch.ended = Some(ended);
        }
        self.running_functions += 1;
        self.agenda.at(now + took, Event::Complete(slot));
    }

    fn invocations_metric(&mut self, now: Millis, records: usize) {
        self.metrics.invoked(now);
        self.deliveries += records as u64;
    }

    /// The invocation ended: read the outcome as Lambda does (R-2).
    fn complete(&mut self, slot: usize) {
        let now = self.now();
        self.running_functions -= 1;
        let Some(batch) = self.batches[slot].take() else { return };
        self.free_batches.push(slot);
        self.running_batches -= 1;
        let number = batch.number;
        let rbif = self.config.mapping.report_batch_item_failures;
        let delete: Vec<u32> = match batch.ended {
            Some(Ended::Failed { error_type, timed_out }) => {
                self.metrics.errored(now);
                let outcome = if timed_out { "timeout" } else { "function_error" };
                let retried = u32::try_from(batch.messages.len()).unwrap_or(u32::MAX);
                self.trace.push(now, || TraceEvent::Response {
                    invocation: number,
                    outcome,
                    retried,
                    error: Some(error_type),
                });
                if !rbif {
                    self.scale_down();
                }
                Vec::new()
            }
            Some(Ended::Returned(response)) if rbif => {
                // The validator needs the batch only to match listed ids;
                // an empty list needs none (a shortcut for speed only).
                let view = if lists_nothing(&response) {
                    BatchView::default()
                } else {
                    BatchView::from_records(batch.messages.iter().map(|&m| {
                        let message = &self.messages[m as usize];
                        (message.fate.id.to_string(), message.fate.group.as_deref().map(str::to_owned))
                    }))
                };
                let check = check_sqs_against(&view, &response, LAMBDA_READS_FIFO);
                let (outcome, delete) = match check.verdict() {
                    Verdict::CompleteSuccess => ("complete_success", batch.messages.clone()),
                    Verdict::PartialSuccess { retried } => (
                        "partial_success",
                        batch
                            .messages
                            .iter()
                            .copied()
                            .filter(|&m| !retried.iter().any(|id| **id == *self.messages[m as usize].fate.id))
                            .collect(),
                    ),
                    Verdict::CompleteFailure => ("complete_failure", Vec::new()),
                };
                let retried = u32::try_from(batch.messages.len() - delete.len()).unwrap_or(u32::MAX);
                self.trace.push(now, || TraceEvent::Response {
                    invocation: number,
                    outcome,
                    retried,
                    error: None,
                });
                self.scale_up();
                delete
            }
            Some(Ended::Returned(_)) => {
                // Without ReportBatchItemFailures any response is a full
                // success (S-0.7).
                self.trace.push(now, || TraceEvent::Response {
                    invocation: number,
                    outcome: "complete_success",
                    retried: 0,
                    error: None,
                });
                self.scale_up();
                batch.messages.clone()
            }
            None => Vec::new(),
        };
        for message in delete {
            self.delete(message, number);
        }
    }

    fn delete(&mut self, index: u32, invocation: u64) {
        let now = self.now();
        let message = &self.messages[index as usize];
        if message.state != (State::InFlight { invocation }) {
            // The receipt handle is stale: the message already came back.
            return;
        }
        if !self.config.queue.fifo && self.rng.chance(self.config.faults.lost_delete) {
            let id = Arc::clone(&message.fate.id);
            self.trace.push(now, || TraceEvent::DeleteLost { id });
            return;
        }
        let id = Arc::clone(&message.fate.id);
        self.trace.push(now, || TraceEvent::Deleted { id, invocation });
        self.metrics.deleted(now);
        self.leave_flight(index);
        self.finish(index, MessageEnd::Deleted(now));
    }

    fn visibility_ends(&mut self, index: u32, receive_count: u32) {
        let now = self.now();
        let message = &self.messages[index as usize];
        if !matches!(message.state, State::InFlight { .. }) || message.fate.receive_count != receive_count {
            return;
        }
        let retention_ends = message.fate.sent_at + self.config.queue.retention;
        self.leave_flight(index);
        if now >= retention_ends {
            self.expire(index, retention_ends);
            return;
        }
        let message = &mut self.messages[index as usize];
        message.state = State::Visible;
        self.visible += 1;
        let id = Arc::clone(&message.fate.id);
        self.trace.push(now, || TraceEvent::VisibleAgain { id, receive_count });
        match message.group.filter(|_| self.config.queue.fifo) {
            Some(group) => self.refresh_group(group),
            None => self.ready.push_back(index),
        }
    }

    /// Bookkeeping when a message stops being in flight.
    fn leave_flight(&mut self, index: u32) {
        if let Some(group) = self.messages[index as usize].group.filter(|_| self.config.queue.fifo) {
            let group_state = &mut self.groups[group as usize];
            group_state.in_flight = group_state.in_flight.saturating_sub(1);
        }
    }

    fn expire(&mut self, index: u32, at: Millis) {
        let id = Arc::clone(&self.messages[index as usize].fate.id);
        self.trace.push(self.now(), || TraceEvent::Expired { id });
        self.metrics.expired += 1;
        self.finish(index, MessageEnd::Expired(at));
    }

    fn finish(&mut self, index: u32, end: MessageEnd) {
        let message = &mut self.messages[index as usize];
        message.state = State::Done;
        message.fate.end = end;
        self.finished += 1;
        // During a receive the groups are refreshed once it ends (their
        // queues must not shift under the walk).
        if let Some(group) = message.group.filter(|_| self.config.queue.fifo && !self.receiving) {
            self.refresh_group(group);
        }
    }

    /// Keeps `ready_groups` true for `group`: listed iff nothing of it is in
    /// flight and it has a message waiting (R-4).
    fn refresh_group(&mut self, group: u32) {
        let state = &mut self.groups[group as usize];
        while let Some(&front) = state.queue.front() {
            if self.messages[front as usize].state == State::Done {
                state.queue.pop_front();
            } else {
                break;
            }
        }
        // Ready groups are served oldest head (lowest send index) first.
        let key =
            state.queue.front().filter(|_| state.in_flight == 0).map(|&front| (u64::from(front), group));
        if state.ready_key != key {
            if let Some(old) = state.ready_key.take() {
                self.ready_groups.remove(&old);
            }
            if let Some(new) = key {
                self.ready_groups.insert(new);
            }
            self.groups[group as usize].ready_key = key;
        }
    }

    fn release(&mut self, slot: usize) {
        if self.batches[slot].take().is_some() {
            self.free_batches.push(slot);
            self.running_batches -= 1;
        }
    }

    /// Coarse model of the mapping's scaling (S-1.5): halve the concurrent
    /// batches after a throttle or a function error without
    /// ReportBatchItemFailures (never below 2), add one after each
    /// invocation that returned, up to `MaximumConcurrency` (or 1,000).
    fn scale_down(&mut self) {
        self.concurrency = (self.concurrency / 2).max(2);
    }

    fn scale_up(&mut self) {
        let max = self.config.mapping.maximum_concurrency.unwrap_or(1000);
        self.concurrency = (self.concurrency + 1).min(max);
    }

    fn sample_oldest_age(&mut self, now: Millis) {
        while let Some(&front) = self.by_send_time.get(self.oldest_cursor) {
            let message = &self.messages[front as usize];
            if message.state == State::Done {
                self.oldest_cursor += 1;
                continue;
            }
            if message.state != State::NotYetSent {
                let age = now - message.fate.sent_at;
                self.metrics.oldest_message_age(now, age);
            }
            break;
        }
    }
}

/// `{"batchItemFailures": []}` exactly.
pub(crate) fn lists_nothing(response: &serde_json::Value) -> bool {
    response.as_object().is_some_and(|object| {
        object.len() == 1
            && object
                .get("batchItemFailures")
                .and_then(serde_json::Value::as_array)
                .is_some_and(Vec::is_empty)
    })
}
