//! The SQS event source mapping: it polls the queue, forms batches (batch
//! size, batching window), invokes the function, reads the response with
//! the runtime's validator exactly as Lambda does, deletes what succeeded,
//! and scales its concurrency. The queue itself is in `queue`.
//!
//! The rules modelled: [SQS: what happens to a
//! batch](lambda_batch::aws_rules#sqs-what-happens-to-a-batch), [SQS: batch size, batching
//! window and scaling](lambda_batch::aws_rules#sqs-batch-size-batching-window-and-scaling).

use std::sync::Arc;

use lambda_batch::Source;
use lambda_batch::sqs::Sqs;
use lambda_batch::validate::{BatchView, Verdict};
use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::faults::Ended;
use crate::sim::core::function::invocation::{RecordNotes, lists_nothing};
use crate::sim::core::function::payload::{Payload, SqsDelivery};
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::{Call, Completion, World};
use crate::sim::sqs::config::{LAMBDA_READS_FIFO, SqsMappingConfig};
use crate::sim::sqs::queue::{Queue, QueueEvent};
use crate::sim::sqs::report::Redelivery;

/// What the mapping schedules on the agenda.
pub(crate) enum MappingEvent {
    /// The batching window of the batch being gathered ends.
    WindowEnds,
    /// Invoke (or retry invoking, after a throttle) the batch in this slot.
    Invoke(usize),
}

struct Batch {
    number: u64,
    messages: Vec<u32>,
    received_at: Millis,
    throttles: u32,
}

/// The event source mapping of one queue.
pub(crate) struct SqsMapping {
    config: SqsMappingConfig,
    /// Batches received and not finished, by slot.
    batches: Vec<Option<Batch>>,
    free_batches: Vec<usize>,
    running_batches: u32,
    running_functions: u32,
    /// How many batches may run at once now.
    concurrency: u32,
    window_opened: Option<Millis>,
    /// Batches received so far (numbers them; throttled ones included).
    batches_received: u64,
    /// The deliveries of the invocation being made.
    deliveries: Vec<SqsDelivery>,
}

impl SqsMapping {
    /// A mapping with these settings, starting with a few concurrent batches.
    pub(crate) fn new(config: SqsMappingConfig) -> Self {
        // A new mapping starts with a few concurrent batches.
        let concurrency = config.maximum_concurrency.unwrap_or(1000).min(5);
        SqsMapping {
            config,
            batches: Vec::new(),
            free_batches: Vec::new(),
            running_batches: 0,
            running_functions: 0,
            concurrency,
            window_opened: None,
            batches_received: 0,
            deliveries: Vec::new(),
        }
    }

    /// Invocation `MappingEvent::Invoke` asks for; `None` when throttled.
    pub(crate) fn on_event<E: From<MappingEvent>>(
        &mut self,
        event: MappingEvent,
        queue: &mut Queue,
        world: &mut World<E>,
    ) -> Option<Call<'_, usize>> {
        match event {
            // Only wakes the poller: `poll` runs once the instant is over.
            MappingEvent::WindowEnds => None,
            MappingEvent::Invoke(slot) => self.invoke(slot, queue, world),
        }
    }

    /// Starts batches while the mapping has capacity and messages are visible.
    pub(crate) fn poll<E: From<MappingEvent> + From<QueueEvent>>(
        &mut self,
        queue: &mut Queue,
        world: &mut World<E>,
    ) {
        let now = world.now();
        queue.sample_oldest_age(now, &mut world.metrics);
        while self.running_batches < self.concurrency && queue.visible() > 0 {
            let window = self.config.batching_window;
            if window > 0 && queue.visible() < self.config.batch_size as usize {
                let opened = *self.window_opened.get_or_insert_with(|| {
                    world.schedule(now + window, MappingEvent::WindowEnds);
                    now
                });
                if now < opened + window {
                    return;
                }
            }
            let messages = queue.receive(self.config.batch_size as usize, self.batches_received + 1, world);
            self.window_opened = None;
            if messages.is_empty() {
                return;
            }
            self.start_batch(messages, world);
        }
    }

    fn start_batch<E: From<MappingEvent>>(&mut self, messages: Vec<u32>, world: &mut World<E>) {
        let now = world.now();
        self.batches_received += 1;
        let batch = Batch { number: self.batches_received, messages, received_at: now, throttles: 0 };
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
        world.schedule(now, MappingEvent::Invoke(slot));
    }

    fn invoke<E: From<MappingEvent>>(
        &mut self,
        slot: usize,
        queue: &mut Queue,
        world: &mut World<E>,
    ) -> Option<Call<'_, usize>> {
        let now = world.now();
        let batch = self.batches[slot].as_mut()?;
        let reserved = self.config.reserved_concurrency;
        let throttled = reserved.is_some_and(|r| self.running_functions >= r)
            || world.rng.chance(world.faults.throttle, "throttle");
        let number = batch.number;
        if throttled {
            batch.throttles += 1;
            let backoff = 1_000u64 << batch.throttles.min(5);
            let gives_up_at = batch.received_at + queue.config().visibility_timeout;
            world.metrics.throttled(now);
            world.trace.push(now, || TraceEvent::Throttled { invocation: number });
            self.scale_down();
            if now + backoff < gives_up_at {
                world.schedule(now + backoff, MappingEvent::Invoke(slot));
            } else {
                // Given up: the messages come back when their visibility
                // timeout ends, their receive counts already raised.
                if let Some(batch) = &self.batches[slot] {
                    for &message in &batch.messages {
                        queue.message(message).note(number, Redelivery::Throttled);
                    }
                }
                self.release(slot);
            }
            return None;
        }
        self.deliveries.clear();
        self.deliveries.extend(batch.messages.iter().map(|&m| queue.delivery(m, now)));
        self.running_functions += 1;
        Some(Call {
            number,
            request_id: None,
            attempt: 1,
            timeout: self.config.function_timeout,
            payload: Payload::Sqs { queue_arn: queue.config().arn(), messages: &self.deliveries },
            then: Completion::Report(slot),
        })
    }

    /// The invocation of the batch in `slot` ended: read the outcome as
    /// Lambda does and delete what succeeded.
    pub(crate) fn on_outcome<E>(
        &mut self,
        slot: usize,
        ended: Ended,
        queue: &mut Queue,
        world: &mut World<E>,
    ) {
        self.running_functions -= 1;
        let Some(batch) = self.batches[slot].take() else { return };
        self.free_batches.push(slot);
        self.running_batches -= 1;
        let number = batch.number;
        note_records(&batch.messages, number, ended.notes(), queue, world);
        let report_batch_item_failures = self.config.report_batch_item_failures;
        let delete: Vec<u32> = match ended {
            Ended::Failed { error_type, timed_out, out_of_time, notes } => {
                let cause = match (out_of_time, timed_out) {
                    (true, _) => Redelivery::OutOfTime { invocation: number },
                    (false, true) => Redelivery::TimedOut { invocation: number },
                    (false, false) => {
                        Redelivery::FunctionError { invocation: number, error_type: Arc::clone(&error_type) }
                    }
                };
                for (index, &message) in batch.messages.iter().enumerate() {
                    queue.message(message).note(number, cause_of(&notes, index, number, &cause));
                }
                world.function_failed(number, batch.messages.len(), error_type, timed_out, out_of_time);
                if !report_batch_item_failures {
                    self.scale_down();
                }
                Vec::new()
            }
            Ended::Returned { response, notes } if report_batch_item_failures => {
                for &index in &notes.parked {
                    if let Some(&message) = batch.messages.get(index) {
                        queue.message(message).note_parked(number);
                    }
                }
                let (outcome, delete) = read_response(&batch.messages, &response, queue);
                let reported = Redelivery::Reported { invocation: number };
                for (index, &message) in
                    batch.messages.iter().enumerate().filter(|(_, m)| !delete.contains(m))
                {
                    queue.message(message).note(number, cause_of(&notes, index, number, &reported));
                }
                world.responded(number, outcome, batch.messages.len() - delete.len());
                self.scale_up();
                delete
            }
            Ended::Returned { .. } => {
                // Without ReportBatchItemFailures any response is a full success.
                world.responded(number, "complete_success", 0);
                self.scale_up();
                batch.messages
            }
        };
        for message in delete {
            queue.delete(message, number, world);
        }
    }

    fn release(&mut self, slot: usize) {
        if self.batches[slot].take().is_some() {
            self.free_batches.push(slot);
            self.running_batches -= 1;
        }
    }

    /// Coarse model of the mapping's scaling: halve the concurrent batches
    /// after a throttle or a function error without
    /// ReportBatchItemFailures (never below 2), add one after each
    /// invocation that returned, up to `MaximumConcurrency` (or 1,000).
    fn scale_down(&mut self) {
        self.concurrency = (self.concurrency / 2).max(2);
    }

    fn scale_up(&mut self) {
        let max = self.config.maximum_concurrency.unwrap_or(1000);
        self.concurrency = (self.concurrency + 1).min(max);
    }
}

/// Notes in the messages' histories and the trace what the engine of
/// invocation `number` said about its records: the ones it replayed, and
/// the ones its idempotency did not run.
fn note_records<E>(
    messages: &[u32],
    number: u64,
    notes: &RecordNotes,
    queue: &mut Queue,
    world: &mut World<E>,
) {
    let now = world.now();
    for &index in &notes.replayed {
        let Some(&message) = messages.get(index) else { continue };
        if queue.message(message).note_replayed(number) {
            let id = Arc::clone(queue.id(message));
            world.trace.push(now, || TraceEvent::Replayed { id, invocation: number });
        }
    }
    for (index, why) in &notes.not_run {
        let Some(&message) = messages.get(*index) else { continue };
        let (id, why) = (Arc::clone(queue.id(message)), Arc::clone(why));
        world.trace.push(now, || TraceEvent::NotRun { id, invocation: number, why });
    }
}

/// Why record `index` of invocation `number` comes back: its idempotency
/// did not run it, or `otherwise`.
fn cause_of(notes: &RecordNotes, index: usize, number: u64, otherwise: &Redelivery) -> Redelivery {
    match notes.not_run(index) {
        Some(why) => Redelivery::NotRun { invocation: number, why: Arc::clone(why) },
        None => otherwise.clone(),
    }
}

/// Reads `response` to the batch of `messages` as Lambda does, with the
/// runtime's validator: the outcome, and the messages to delete.
fn read_response(messages: &[u32], response: &Value, queue: &Queue) -> (&'static str, Vec<u32>) {
    // The validator needs the batch only to match listed ids; an empty
    // list needs none (a shortcut for speed only).
    let view = if lists_nothing(response) {
        BatchView::default()
    } else {
        BatchView::of(
            Sqs::KIND,
            messages.iter().map(|&m| (queue.id(m).to_string(), queue.group(m).map(str::to_owned))),
        )
    };
    match view.with_fifo_rule(LAMBDA_READS_FIFO).check(response).verdict() {
        Verdict::CompleteSuccess => ("complete_success", messages.to_vec()),
        Verdict::PartialSuccess { retried } => {
            let handled = |&m: &u32| !retried.iter().any(|id| **id == **queue.id(m));
            ("partial_success", messages.iter().copied().filter(handled).collect())
        }
        Verdict::CompleteFailure => ("complete_failure", Vec::new()),
    }
}
