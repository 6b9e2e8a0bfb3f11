//! The SQS queue model, standard or FIFO: messages, visibility timeouts,
//! receive counts, redrive to a DLQ, retention, FIFO message groups and
//! deduplication. What polls the queue is in `sqs_mapping`.
//!
//! The rules modelled: [SQS: visibility timeout, redrive and
//! retention](lambda_batch::aws_rules#sqs-visibility-timeout-redrive-and-retention), [FIFO
//! queues: ordering and message
//! groups](lambda_batch::aws_rules#fifo-queues-ordering-and-message-groups).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::sim::core::clock::Millis;
use crate::sim::core::function::payload::SqsDelivery;
use crate::sim::core::metrics::Metrics;
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::{ARRIVALS, TIMERS, World};
use crate::sim::sqs::config::QueueConfig;
use crate::sim::sqs::groups::Groups;
use crate::sim::sqs::message::{Message, Sent, State};
use crate::sim::sqs::report::{Redelivery, SqsMessageEnd, SqsMessageFate};

/// What the queue schedules on the agenda.
pub(crate) enum QueueEvent {
    /// A send reaches the queue.
    Send(u32),
    /// The visibility timeout of a receive ends.
    VisibilityEnds { message: u32, receive_count: u32 },
}

/// An SQS queue. Messages are numbered in the order of the sends.
pub(crate) struct Queue {
    config: QueueConfig,
    messages: Vec<Message>,
    /// FIFO message groups (on a standard queue only their names are used).
    groups: Groups,
    /// Standard queue: visible messages, oldest first (may hold stale entries).
    ready: VecDeque<u32>,
    visible: usize,
    deduplication: HashMap<Arc<str>, Millis>,
    /// A FIFO receive is walking group queues.
    receiving: bool,
    by_send_time: Vec<u32>,
    oldest_cursor: usize,
    finished: usize,
}

impl Queue {
    /// An empty queue.
    pub(crate) fn new(config: QueueConfig) -> Self {
        Queue {
            config,
            messages: Vec::new(),
            groups: Groups::default(),
            ready: VecDeque::new(),
            visible: 0,
            deduplication: HashMap::new(),
            receiving: false,
            by_send_time: Vec::new(),
            oldest_cursor: 0,
            finished: 0,
        }
    }

    /// The queue's settings.
    pub(crate) fn config(&self) -> &QueueConfig {
        &self.config
    }

    /// Messages visible now.
    pub(crate) fn visible(&self) -> usize {
        self.visible
    }

    /// Messages that ended, and messages sent.
    pub(crate) fn progress(&self) -> (usize, usize) {
        (self.finished, self.messages.len())
    }

    /// Every message's history, in send order.
    pub(crate) fn into_fates(self) -> Vec<SqsMessageFate> {
        self.messages.into_iter().map(|m| m.fate).collect()
    }

    /// Accepts a send at `at`: the message reaches the queue then. A FIFO
    /// send without a deduplication id uses its message id (never a duplicate).
    pub(crate) fn push<E: From<QueueEvent>>(
        &mut self,
        at: Millis,
        body: &str,
        group: Option<&str>,
        deduplication_id: Option<Arc<str>>,
        world: &mut World<E>,
    ) -> Arc<str> {
        let index = u32::try_from(self.messages.len()).unwrap_or(u32::MAX);
        let id: Arc<str> = format!("m-{:04}", index + 1).into();
        let group = group.map(|name| self.groups.id(name));
        let deduplication_id = match (self.config.fifo, deduplication_id) {
            (true, None) => Some(Arc::clone(&id)),
            (_, explicit) => explicit,
        };
        let sequence_number = 18_000_000_000_000_000_000 + u64::from(index) * 1_000 + world.rng.below(1_000);
        let group_name = group.map(|g| Arc::clone(self.groups.name(g)));
        let sent = Sent { id: Arc::clone(&id), group, group_name, body: body.into(), at, deduplication_id };
        self.messages.push(Message::new(sent, sequence_number));
        world.schedule_in_lane(ARRIVALS, at, QueueEvent::Send(index));
        id
    }

    /// Before a run: orders the messages by send time, for the age of the
    /// oldest message.
    pub(crate) fn start(&mut self) {
        let mut order: Vec<u32> = (0..u32::try_from(self.messages.len()).unwrap_or(u32::MAX)).collect();
        order.sort_by_key(|&m| (self.messages[m as usize].fate.sent_at, m));
        self.by_send_time = order;
    }

    /// A send arrives, or a visibility timeout ends.
    pub(crate) fn on_event<E: From<QueueEvent>>(&mut self, event: QueueEvent, world: &mut World<E>) {
        match event {
            QueueEvent::Send(message) => self.arrive(message, world),
            QueueEvent::VisibilityEnds { message, receive_count } => {
                self.visibility_ends(message, receive_count, world);
            }
        }
    }

    fn arrive<E>(&mut self, index: u32, world: &mut World<E>) {
        let now = world.now();
        let message = &self.messages[index as usize];
        if let Some(dedup) = &message.deduplication_id
            && self.config.fifo
        {
            // A FIFO queue accepts but does not deliver a send whose
            // deduplication id it saw in the last 5 minutes.
            if let Some(&first) = self.deduplication.get(dedup)
                && now < first + 300_000
            {
                let (id, dedup) = (Arc::clone(&message.fate.id), Arc::clone(dedup));
                world.trace.push(now, || TraceEvent::Deduplicated { id, deduplication_id: dedup });
                self.finish(index, SqsMessageEnd::Deduplicated(now));
                return;
            }
            self.deduplication.insert(Arc::clone(dedup), now);
        }
        let message = &mut self.messages[index as usize];
        message.state = State::Visible;
        self.visible += 1;
        world.metrics.messages_sent += 1;
        let (id, key) = (Arc::clone(&message.fate.id), message.fate.group.clone());
        world.trace.push(now, || TraceEvent::Sent { id, key, shard: None });
        match message.group.filter(|_| self.config.fifo) {
            Some(group) => {
                self.groups.push(group, index);
                self.refresh_group(group);
            }
            None => self.ready.push_back(index),
        }
    }

    /// Receives up to `limit` visible messages (about 6 MB at most) for
    /// invocation `number`. A standard queue returns the oldest visible
    /// messages; a FIFO queue walks the groups with nothing in flight,
    /// oldest first, taking each group's messages in order.
    pub(crate) fn receive<E: From<QueueEvent>>(
        &mut self,
        limit: usize,
        number: u64,
        world: &mut World<E>,
    ) -> Vec<u32> {
        let mut taken = Vec::with_capacity(limit.min(self.visible));
        let mut bytes = 0usize;
        if self.config.fifo {
            // Each ready group is visited once per receive, oldest head first.
            let mut visited = Vec::new();
            self.receiving = true;
            while taken.len() < limit {
                let Some(group) = self.groups.pop_ready() else { break };
                visited.push(group);
                let mut position = 0;
                while let Some(message) = self.groups.queued(group, position) {
                    position += 1;
                    if taken.len() == limit || bytes > 6_000_000 {
                        break;
                    }
                    if self.messages[message as usize].state == State::Visible
                        && self.take(message, number, &mut bytes, world)
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
            let mut twice = Vec::new();
            while taken.len() < limit && bytes <= 6_000_000 {
                let Some(message) = self.ready.pop_front() else { break };
                if self.messages[message as usize].state == State::Visible
                    && self.take(message, number, &mut bytes, world)
                {
                    taken.push(message);
                    if world.rng.chance(world.faults.duplicate, "duplicate") {
                        twice.push(message);
                    }
                }
            }
            for message in twice {
                self.deliver_twice(message, world);
            }
        }
        taken
    }

    /// A standard queue hands a message just received to the next receive
    /// as well: it is visible again at once (the `duplicate` fault), and the
    /// first receive's handle goes stale.
    fn deliver_twice<E>(&mut self, index: u32, world: &mut World<E>) {
        let message = &mut self.messages[index as usize];
        message.fate.redeliveries.push(Redelivery::DeliveredTwice);
        message.state = State::Visible;
        self.visible += 1;
        self.ready.push_back(index);
        let id = Arc::clone(&message.fate.id);
        world.trace.push(world.now(), || TraceEvent::DeliveredTwice { id });
    }

    /// Message `index`, to note what happened to its current receive.
    pub(crate) fn message(&mut self, index: u32) -> &mut Message {
        &mut self.messages[index as usize]
    }

    /// One receive of a visible message: expiry, redrive to the DLQ, or
    /// into the batch. Returns whether it joined the batch.
    fn take<E: From<QueueEvent>>(
        &mut self,
        index: u32,
        invocation: u64,
        bytes: &mut usize,
        world: &mut World<E>,
    ) -> bool {
        let now = world.now();
        let (retention, vt, max) =
            (self.config.retention, self.config.visibility_timeout, self.config.max_receive_count);
        self.visible -= 1;
        let message = &mut self.messages[index as usize];
        if now >= message.fate.sent_at + retention {
            let at = message.fate.sent_at + retention;
            self.expire(index, at, world);
            return false;
        }
        // The redrive policy moves a message received `maxReceiveCount`
        // times to the DLQ on its next receive.
        if max.is_some_and(|max| message.fate.receive_count >= max) {
            let (id, count) = (Arc::clone(&message.fate.id), message.fate.receive_count);
            world.trace.push(now, || TraceEvent::MovedToDlq { id, receive_count: count });
            world.metrics.moved_to_dlq(now);
            self.finish(index, SqsMessageEnd::MovedToDlq(now));
            return false;
        }
        message.fate.receive_count += 1;
        message.cause = None;
        message.fate.parked = false;
        message.first_received_at.get_or_insert(now);
        message.state = State::InFlight { invocation };
        *bytes += message.fate.body.len() + 500;
        let (id, count) = (Arc::clone(&message.fate.id), message.fate.receive_count);
        if let Some(group) = message.group.filter(|_| self.config.fifo) {
            self.groups.enter_flight(group);
        }
        world.metrics.messages_received += 1;
        world.trace.push(now, || TraceEvent::Received { id, invocation, receive_count: count });
        let ends = QueueEvent::VisibilityEnds { message: index, receive_count: count };
        world.schedule_in_lane(TIMERS, now + vt, ends);
        true
    }

    /// A received message as the event source mapping hands it to the function.
    pub(crate) fn delivery(&self, index: u32, now: Millis) -> SqsDelivery {
        self.messages[index as usize].delivery(self.config.fifo, now)
    }

    /// The `messageId`.
    pub(crate) fn id(&self, index: u32) -> &Arc<str> {
        &self.messages[index as usize].fate.id
    }

    /// The `MessageGroupId`, if any.
    pub(crate) fn group(&self, index: u32) -> Option<&str> {
        self.messages[index as usize].fate.group.as_deref()
    }

    /// Deletes a message received for `invocation`. A stale receipt handle
    /// (the message came back since) deletes nothing; on a standard queue a
    /// delete may not take (the `lost_delete` fault).
    pub(crate) fn delete<E>(&mut self, index: u32, invocation: u64, world: &mut World<E>) {
        let now = world.now();
        let message = &self.messages[index as usize];
        if message.state != (State::InFlight { invocation }) {
            return;
        }
        if !self.config.fifo && world.rng.chance(world.faults.lost_delete, "lost_delete") {
            self.messages[index as usize].note(invocation, Redelivery::DeleteLost);
            let id = Arc::clone(&self.messages[index as usize].fate.id);
            world.trace.push(now, || TraceEvent::DeleteLost { id });
            return;
        }
        let id = Arc::clone(&message.fate.id);
        world.trace.push(now, || TraceEvent::Deleted { id, invocation });
        world.metrics.deleted(now);
        self.leave_flight(index);
        self.finish(index, SqsMessageEnd::Deleted(now));
    }

    fn visibility_ends<E>(&mut self, index: u32, receive_count: u32, world: &mut World<E>) {
        let now = world.now();
        let message = &mut self.messages[index as usize];
        let State::InFlight { invocation } = message.state else { return };
        if message.fate.receive_count != receive_count {
            return;
        }
        // No outcome yet: the visibility timeout ended while its
        // invocation still ran.
        let cause = message.cause.take().unwrap_or(Redelivery::StillRunning { invocation });
        message.fate.redeliveries.push(cause);
        let retention_ends = message.fate.sent_at + self.config.retention;
        self.leave_flight(index);
        if now >= retention_ends {
            self.expire(index, retention_ends, world);
            return;
        }
        let message = &mut self.messages[index as usize];
        message.state = State::Visible;
        self.visible += 1;
        let id = Arc::clone(&message.fate.id);
        world.trace.push(now, || TraceEvent::VisibleAgain { id, receive_count });
        match message.group.filter(|_| self.config.fifo) {
            Some(group) => self.refresh_group(group),
            None => self.ready.push_back(index),
        }
    }

    /// Bookkeeping when a message stops being in flight.
    fn leave_flight(&mut self, index: u32) {
        if let Some(group) = self.messages[index as usize].group.filter(|_| self.config.fifo) {
            self.groups.leave_flight(group);
        }
    }

    fn expire<E>(&mut self, index: u32, at: Millis, world: &mut World<E>) {
        let id = Arc::clone(&self.messages[index as usize].fate.id);
        world.trace.push(world.now(), || TraceEvent::Expired { id });
        world.metrics.expired += 1;
        self.finish(index, SqsMessageEnd::Expired(at));
    }

    fn finish(&mut self, index: u32, end: SqsMessageEnd) {
        let message = &mut self.messages[index as usize];
        message.state = State::Done;
        message.fate.end = end;
        self.finished += 1;
        // During a receive the groups are refreshed once it ends (their
        // queues must not shift under the walk).
        if let Some(group) = message.group.filter(|_| self.config.fifo && !self.receiving) {
            self.refresh_group(group);
        }
    }

    fn refresh_group(&mut self, group: u32) {
        let messages = &self.messages;
        self.groups.refresh(group, |message| messages[message as usize].state == State::Done);
    }

    /// Samples `ApproximateAgeOfOldestMessage`: the oldest message sent
    /// and not yet ended.
    pub(crate) fn sample_oldest_age(&mut self, now: Millis, metrics: &mut Metrics) {
        while let Some(&front) = self.by_send_time.get(self.oldest_cursor) {
            let message = &self.messages[front as usize];
            if message.state == State::Done {
                self.oldest_cursor += 1;
                continue;
            }
            if message.state != State::NotYetSent {
                metrics.oldest_message_age(now, now - message.fate.sent_at);
            }
            break;
        }
    }
}
