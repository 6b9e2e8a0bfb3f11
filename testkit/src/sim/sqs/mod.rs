//! An SQS queue (standard or FIFO) with its Lambda event source mapping:
//! the queue model (`queue`) and the mapping (`sqs_mapping`) as one
//! simulation for the run loop.

pub(crate) mod config;
pub(crate) mod groups;
pub(crate) mod mapping;
pub(crate) mod message;
pub(crate) mod queue;
pub(crate) mod report;

use std::sync::Arc;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::ConfigError;
use crate::sim::core::faults::Ended;
use crate::sim::core::function::invocation::Function;
use crate::sim::core::progress::ProgressFn;
use crate::sim::core::run_loop::{self, Simulated};
use crate::sim::core::world::{Call, World};
use crate::sim::sqs::config::{SqsSimConfig, validate};
use crate::sim::sqs::mapping::{MappingEvent, SqsMapping};
use crate::sim::sqs::queue::{Queue, QueueEvent};
use crate::sim::sqs::report::SqsReport;

/// An SQS queue and its event source mapping in virtual time.
///
/// ```
/// use lambda_batch_testkit::sim::{InvocationResult, Invocation, QueueConfig, SqsSimConfig, SqsSimulation};
/// let mut sim = SqsSimulation::new(SqsSimConfig::new(QueueConfig::standard().with_dlq(3))).unwrap();
/// sim.send(0, "hello");
/// sim.send(0, "poison");
/// let mut function = |invocation: &Invocation<'_>| {
///     let lambda_batch_testkit::sim::Payload::Sqs { messages, .. } = invocation.payload else { unreachable!() };
///     InvocationResult::failures(messages.iter().filter(|m| &*m.body == "poison").map(|m| &*m.message_id))
/// };
/// let report = sim.run(&mut function);
/// assert_eq!(report.metrics.messages_deleted, 1);
/// assert_eq!(report.metrics.dlq_messages_visible, 1);
/// ```
pub struct SqsSimulation {
    sqs: Sqs,
    world: World<SqsEvent>,
}

impl SqsSimulation {
    /// A simulation with this configuration.
    ///
    /// # Errors
    /// A setting AWS would refuse (e.g. a FIFO batch size above 10, or a
    /// function timeout above the queue's visibility timeout).
    pub fn new(config: SqsSimConfig) -> Result<Self, ConfigError> {
        validate(&config.queue, &config.mapping)?;
        config.faults.validate()?;
        Ok(SqsSimulation {
            world: World::new(config.seed, config.faults, config.timing, config.trace),
            sqs: Sqs { queue: Queue::new(config.queue), mapping: SqsMapping::new(config.mapping) },
        })
    }

    /// Sends a message to a standard queue at virtual time `at`; returns its id.
    ///
    /// # Panics
    /// Never; on a FIFO queue the message goes to group `"default"`.
    pub fn send(&mut self, at: Millis, body: &str) -> Arc<str> {
        if self.sqs.queue.config().fifo {
            return self.send_fifo(at, "default", body);
        }
        self.sqs.queue.push(at, body, None, None, &mut self.world)
    }

    /// Sends a message to a FIFO queue with this group; its deduplication id
    /// is its message id (never a duplicate). On a standard queue the group
    /// is kept as an attribute, as SQS does for fair queues.
    pub fn send_fifo(&mut self, at: Millis, group: &str, body: &str) -> Arc<str> {
        self.sqs.queue.push(at, body, Some(group), None, &mut self.world)
    }

    /// Sends a FIFO message with an explicit deduplication id: a second send
    /// with the same id within 5 minutes is accepted but not delivered.
    pub fn send_fifo_deduplicated(
        &mut self,
        at: Millis,
        group: &str,
        body: &str,
        deduplication_id: &str,
    ) -> Arc<str> {
        self.sqs.queue.push(at, body, Some(group), Some(deduplication_id.into()), &mut self.world)
    }

    /// Runs until nothing is left to happen.
    pub fn run(self, function: &mut impl Function) -> SqsReport {
        self.run_until(function, Millis::MAX, None)
    }

    /// Runs until nothing is left to happen or virtual time `until`,
    /// calling `progress` about every million simulated events.
    pub fn run_until(
        self,
        function: &mut impl Function,
        until: Millis,
        progress: Option<ProgressFn<'_>>,
    ) -> SqsReport {
        run_loop::run(self.sqs, self.world, function, until, progress)
    }
}

/// The queue and its mapping, as one simulation.
struct Sqs {
    queue: Queue,
    mapping: SqsMapping,
}

/// An event of the queue or of the mapping.
enum SqsEvent {
    Queue(QueueEvent),
    Mapping(MappingEvent),
}

impl From<QueueEvent> for SqsEvent {
    fn from(event: QueueEvent) -> Self {
        SqsEvent::Queue(event)
    }
}

impl From<MappingEvent> for SqsEvent {
    fn from(event: MappingEvent) -> Self {
        SqsEvent::Mapping(event)
    }
}

impl Simulated for Sqs {
    type Event = SqsEvent;
    type Ticket = usize;
    type Report = SqsReport;

    fn start(&mut self, _world: &mut World<SqsEvent>) {
        self.queue.start();
    }

    fn on_event(&mut self, event: SqsEvent, world: &mut World<SqsEvent>) -> Option<Call<'_, usize>> {
        match event {
            SqsEvent::Queue(event) => {
                self.queue.on_event(event, world);
                None
            }
            SqsEvent::Mapping(event) => self.mapping.on_event(event, &mut self.queue, world),
        }
    }

    fn on_outcome(&mut self, slot: usize, ended: Ended, world: &mut World<SqsEvent>) {
        self.mapping.on_outcome(slot, ended, &mut self.queue, world);
    }

    /// The mapping receives once everything due at this instant has
    /// happened, so messages sent together are received together.
    fn instant_over(&mut self, world: &mut World<SqsEvent>) {
        self.mapping.poll(&mut self.queue, world);
    }

    fn progress(&self) -> (usize, usize) {
        self.queue.progress()
    }

    fn report(self, world: World<SqsEvent>) -> SqsReport {
        SqsReport {
            fifo: self.queue.config().fifo,
            max_receive_count: self.queue.config().max_receive_count,
            messages: self.queue.into_fates(),
            invocations: world.metrics.invocations,
            ended_at: world.now(),
            metrics: world.metrics,
            trace: world.trace,
            deliveries: world.records_delivered,
        }
    }
}
