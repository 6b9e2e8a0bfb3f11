//! Kinesis and DynamoDB Streams shards with their event source mapping:
//! the stream model (`shards`) and the mapping (`stream_mapping`) as one
//! simulation for the run loop.

pub(crate) mod config;
pub(crate) mod mapping;
pub(crate) mod on_failure;
pub(crate) mod report;
pub(crate) mod shards;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::ConfigError;
use crate::sim::core::faults::Ended;
use crate::sim::core::function::invocation::Function;
use crate::sim::core::progress::ProgressFn;
use crate::sim::core::run_loop::{self, Simulated};
use crate::sim::core::world::{Call, World};
use crate::sim::cursor::cursors::Poll;
use crate::sim::stream::config::StreamSimConfig;
use crate::sim::stream::mapping::{Delivered, StreamMapping};
use crate::sim::stream::report::StreamReport;
use crate::sim::stream::shards::{Arrive, Shards};

/// Shards of a Kinesis stream or DynamoDB stream with their event source
/// mapping, in virtual time.
///
/// ```
/// use lambda_batch_testkit::sim::{InvocationResult, Invocation, StreamKind, StreamSimConfig, StreamSimulation};
/// let mut config = StreamSimConfig::new(StreamKind::Kinesis);
/// config.maximum_retry_attempts = Some(2);
/// let mut sim = StreamSimulation::new(config).unwrap();
/// sim.put(0, "sensor-1", "21.5");
/// sim.put(0, "sensor-1", "not a number");
/// sim.put(0, "sensor-1", "22.0");
/// let report = sim.run(&mut |_: &Invocation<'_>| InvocationResult::error("Handled", "always fails"));
/// assert_eq!(report.metrics.records_discarded, 3);
/// assert_eq!(report.on_failure.len(), 1);
/// ```
pub struct StreamSimulation {
    stream: Stream,
    world: World<StreamEvent>,
}

impl StreamSimulation {
    /// A simulation with this configuration.
    ///
    /// # Errors
    /// A setting AWS would refuse (e.g. `MaximumRecordAgeInSeconds` of 30).
    pub fn new(config: StreamSimConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(StreamSimulation {
            world: World::new(config.seed, config.faults, config.timing, config.trace),
            stream: Stream {
                shards: Shards::new(config.source.kind, config.source.shards, config.source.retention),
                mapping: StreamMapping::new(&config),
            },
        })
    }

    /// Puts a record with this partition key (Kinesis data) at virtual time `at`.
    pub fn put(&mut self, at: Millis, key: &str, data: &str) {
        self.stream.shards.push(at, key, data, None, &mut self.world);
    }

    /// Puts a DynamoDB stream record for item `key` (`Keys: {"id": {"S": key}}`):
    /// `event_name` is `INSERT`, `MODIFY` or `REMOVE`; `image` is the item in
    /// DynamoDB JSON (`NewImage`, or `OldImage` for `REMOVE`).
    pub fn put_item(&mut self, at: Millis, key: &str, event_name: &'static str, image: &Value) {
        self.stream.shards.push(at, key, &image.to_string(), Some(event_name), &mut self.world);
    }

    /// Runs until nothing is left to happen.
    pub fn run(self, function: &mut impl Function) -> StreamReport {
        self.run_until(function, Millis::MAX, None)
    }

    /// Runs until nothing is left to happen or virtual time `until`.
    pub fn run_until(
        self,
        function: &mut impl Function,
        until: Millis,
        progress: Option<ProgressFn<'_>>,
    ) -> StreamReport {
        run_loop::run(self.stream, self.world, function, until, progress)
    }
}

/// The shards and their mapping, as one simulation.
struct Stream {
    shards: Shards,
    mapping: StreamMapping,
}

/// An event of the stream or of the mapping.
enum StreamEvent {
    Arrive(Arrive),
    Poll(Poll),
}

impl From<Arrive> for StreamEvent {
    fn from(event: Arrive) -> Self {
        StreamEvent::Arrive(event)
    }
}

impl From<Poll> for StreamEvent {
    fn from(event: Poll) -> Self {
        StreamEvent::Poll(event)
    }
}

impl Simulated for Stream {
    type Event = StreamEvent;
    type Ticket = Delivered;
    type Report = StreamReport;

    fn on_event(
        &mut self,
        event: StreamEvent,
        world: &mut World<StreamEvent>,
    ) -> Option<Call<'_, Delivered>> {
        match event {
            StreamEvent::Arrive(arrive) => {
                let shard = self.shards.arrive(arrive, world);
                self.mapping.arrived(shard, world);
                None
            }
            StreamEvent::Poll(poll) => self.mapping.poll(poll, &mut self.shards, world),
        }
    }

    fn on_outcome(&mut self, batch: Delivered, ended: Ended, world: &mut World<StreamEvent>) {
        self.mapping.on_outcome(batch, ended, &mut self.shards, world);
    }

    fn progress(&self) -> (usize, usize) {
        self.shards.progress()
    }

    fn report(self, world: World<StreamEvent>) -> StreamReport {
        StreamReport {
            records: self.shards.into_fates(),
            on_failure: self.mapping.into_on_failure(),
            invocations: world.metrics.invocations,
            ended_at: world.now(),
            metrics: world.metrics,
            trace: world.trace,
            deliveries: world.records_delivered,
        }
    }
}
