//! A Kafka topic (Amazon MSK) with its Lambda event source mapping: the
//! topic model (`partitions`) and the mapping (`kafka_mapping`) as one
//! simulation for the run loop.
//!
//! What is modelled ([Kafka: partial batch responses](lambda_batch::aws_rules#kafka-partial-batch-responses),
//! [Kafka: retries](lambda_batch::aws_rules#kafka-retries)):
//! - records of one partition are handled in offset order, one batch per
//!   partition at a time; a batch may hold records of several partitions
//!   (the event's `records` map);
//! - the response is read with the runtime's validator
//!   (`BatchView::check`): each listed partition is committed before
//!   its lowest listed offset and retried from it, the partitions not
//!   listed are committed whole; without `ReportBatchItemFailures` any
//!   response is a complete success;
//! - a function error retries every partition of the batch (in halves with
//!   `BisectBatchOnFunctionError`, which spends no retry);
//!   `MaximumRetryAttempts` (10 when unlimited with an on-failure
//!   destination) and `MaximumRecordAgeInSeconds` discard records to the
//!   on-failure destination; the topic's retention deletes records a
//!   blocked partition never got past.
//!
//! Where [AWS is silent](lambda_batch::aws_rules#where-aws-is-silent), the
//! simulator chooses:
//! - a batch leaves when the batching window of the partition whose poller
//!   woke is over, and takes along the new records of every other free
//!   partition (not retrying, not backing off), up to `BatchSize` and 6 MB;
//! - a retry (after a failure, or half of a split batch) carries its own
//!   partition's records only, so a failure is retried, split and isolated
//!   within its partition; retry counts and the record-age limit apply per
//!   partition;
//! - pollers look 500 ms after a record arrives, a retry waits 500 ms, a
//!   throttle backs off from 2 s to 60 s; a partial failure spends a retry
//!   (`partial_failure_spends_retry`);
//! - one on-failure record per partition given up: `KafkaBatchInfo` as in
//!   AWS's example for MSK, plus the records themselves as `payload`;
//! - the complete-success and complete-failure forms of a response are the
//!   validator's (the stream ones);
//! - a keyed record goes to the partition its key hashes to (a stable hash,
//!   not Kafka's murmur2), a keyless one to each partition in turn.

pub(crate) mod config;
pub(crate) mod mapping;
pub(crate) mod on_failure;
pub(crate) mod partitions;
pub(crate) mod report;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::ConfigError;
use crate::sim::core::faults::Ended;
use crate::sim::core::function::invocation::Function;
use crate::sim::core::progress::ProgressFn;
use crate::sim::core::run_loop::{self, Simulated};
use crate::sim::core::world::{Call, World};
use crate::sim::cursor::cursors::Poll;
use crate::sim::kafka::config::KafkaSimConfig;
use crate::sim::kafka::mapping::{Delivered, KafkaMapping};
use crate::sim::kafka::partitions::{Partitions, Produce};
use crate::sim::kafka::report::KafkaReport;

/// A Kafka topic and its event source mapping, in virtual time.
///
/// ```
/// use lambda_batch_testkit::sim::{InvocationResult, Invocation, KafkaSimConfig, KafkaSimulation, Payload, StreamRecordEnd};
/// let mut config = KafkaSimConfig::new("orders", 2);
/// config.maximum_retry_attempts = Some(1);
/// config.on_failure_destination = true;
/// let mut sim = KafkaSimulation::new(config).unwrap();
/// sim.produce_to(0, 0, None, b"ok");
/// sim.produce_to(0, 0, None, b"bad");
/// sim.produce_to(0, 1, None, b"ok");
/// // Reports the first bad record of each partition.
/// let report = sim.run(&mut |invocation: &Invocation<'_>| {
///     let Payload::Kafka { records } = invocation.payload else { unreachable!() };
///     InvocationResult::kafka_failures(records.iter().filter(|r| &*r.value == b"bad"))
/// });
/// let ends: Vec<_> = report.records.iter().map(|r| r.end).collect();
/// assert!(matches!(ends[..], [StreamRecordEnd::Processed(_), StreamRecordEnd::Discarded(_), StreamRecordEnd::Processed(_)]));
/// assert_eq!(report.on_failure[0]["KafkaBatchInfo"]["recordsInfo"]["orders-0"]["firstRecordOffset"], "1");
/// ```
pub struct KafkaSimulation {
    kafka: Kafka,
    world: World<KafkaEvent>,
}

impl KafkaSimulation {
    /// A simulation with this configuration.
    ///
    /// # Errors
    /// A setting AWS would refuse (e.g. `MaximumRecordAgeInSeconds` of 30,
    /// or a topic name Kafka refuses).
    pub fn new(config: KafkaSimConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(KafkaSimulation {
            world: World::new(config.seed, config.faults, config.timing, config.trace),
            kafka: Kafka {
                partitions: Partitions::new(
                    &config.source.topic,
                    config.source.partitions,
                    config.source.retention,
                ),
                mapping: KafkaMapping::new(&config),
                on_failure_destination: config.on_failure_destination,
            },
        })
    }

    /// Produces a record at virtual time `at`: with a key, to the partition
    /// the key hashes to; without, to each partition in turn. Returns the
    /// partition.
    pub fn produce(&mut self, at: Millis, key: Option<&str>, value: impl AsRef<[u8]>) -> u32 {
        self.kafka.partitions.push(at, None, key, value.as_ref(), Vec::new(), &mut self.world)
    }

    /// Produces a record to `partition` (taken modulo the partition count).
    pub fn produce_to(
        &mut self,
        at: Millis,
        partition: u32,
        key: Option<&str>,
        value: impl AsRef<[u8]>,
    ) -> u32 {
        self.kafka.partitions.push(at, Some(partition), key, value.as_ref(), Vec::new(), &mut self.world)
    }

    /// Produces a record with headers, to `partition` or, for `None`, to
    /// the one [`KafkaSimulation::produce`] picks.
    pub fn produce_with_headers(
        &mut self,
        at: Millis,
        partition: Option<u32>,
        key: Option<&str>,
        value: impl AsRef<[u8]>,
        headers: &[(&str, &[u8])],
    ) -> u32 {
        let headers = headers
            .iter()
            .map(|(name, value)| lambda_batch::kafka::KafkaHeader {
                name: (*name).to_owned(),
                value: value.to_vec(),
            })
            .collect();
        self.kafka.partitions.push(at, partition, key, value.as_ref(), headers, &mut self.world)
    }

    /// Runs until nothing is left to happen.
    pub fn run(self, function: &mut impl Function) -> KafkaReport {
        self.run_until(function, Millis::MAX, None)
    }

    /// Runs until nothing is left to happen or virtual time `until`.
    pub fn run_until(
        self,
        function: &mut impl Function,
        until: Millis,
        progress: Option<ProgressFn<'_>>,
    ) -> KafkaReport {
        run_loop::run(self.kafka, self.world, function, until, progress)
    }
}

/// The topic and its mapping, as one simulation.
struct Kafka {
    partitions: Partitions,
    mapping: KafkaMapping,
    on_failure_destination: bool,
}

/// An event of the topic or of the mapping.
enum KafkaEvent {
    Produce(Produce),
    Poll(Poll),
}

impl From<Produce> for KafkaEvent {
    fn from(event: Produce) -> Self {
        KafkaEvent::Produce(event)
    }
}

impl From<Poll> for KafkaEvent {
    fn from(event: Poll) -> Self {
        KafkaEvent::Poll(event)
    }
}

impl Simulated for Kafka {
    type Event = KafkaEvent;
    type Ticket = Delivered;
    type Report = KafkaReport;

    fn on_event(&mut self, event: KafkaEvent, world: &mut World<KafkaEvent>) -> Option<Call<'_, Delivered>> {
        match event {
            KafkaEvent::Produce(produce) => {
                let partition = self.partitions.arrive(produce, world);
                self.mapping.arrived(partition, world);
                None
            }
            KafkaEvent::Poll(poll) => self.mapping.poll(poll, &mut self.partitions, world),
        }
    }

    fn on_outcome(&mut self, batch: Delivered, ended: Ended, world: &mut World<KafkaEvent>) {
        self.mapping.on_outcome(batch, ended, &mut self.partitions, world);
    }

    fn progress(&self) -> (usize, usize) {
        self.partitions.progress()
    }

    fn report(self, world: World<KafkaEvent>) -> KafkaReport {
        KafkaReport {
            records: self.partitions.into_fates(),
            on_failure: self.mapping.into_on_failure(),
            invocations: world.metrics.invocations,
            ended_at: world.now(),
            metrics: world.metrics,
            trace: world.trace,
            deliveries: world.records_delivered,
            on_failure_destination: self.on_failure_destination,
        }
    }
}
