//! A deterministic simulator of how Lambda delivers and retries, in
//! virtual time, running real handlers.
//!
//! - [`SqsSimulation`]: an SQS queue (standard or FIFO) and its event
//!   source mapping: visibility timeout, receive count, redrive to a DLQ,
//!   retention, FIFO group locking and deduplication, batch size and
//!   window, ReportBatchItemFailures on or off (the response read by the
//!   runtime's validator, exactly as Lambda reads it), function errors,
//!   throttles and a coarse concurrency backoff.
//! - [`StreamSimulation`]: Kinesis or DynamoDB Streams shards:
//!   checkpoints, bisection, `MaximumRetryAttempts`,
//!   `MaximumRecordAgeInSeconds`, on-failure records, blocked shards.
//! - [`KafkaSimulation`]: a Kafka topic (Amazon MSK): partitions and
//!   offsets, batches holding records of several partitions, the partial
//!   batch response applied per partition (committed before the lowest
//!   listed offset, retried from it; partitions not listed committed),
//!   bisection, `MaximumRetryAttempts` (10 when unlimited with an on-failure
//!   destination), `MaximumRecordAgeInSeconds`, the on-failure destination
//!   with the discarded records, retention, `OffsetLag`.
//! - [`AsyncSimulation`]: asynchronous invocation: retries after about 1 and
//!   2 minutes, throttle backoff up to the maximum event age, the DLQ
//!   message and the destinations' invocation records, the same request id
//!   on every retry, spontaneous duplicates.
//!
//! - [`FaultyStore`]: an idempotency store for handlers using
//!   `lambda_batch::idempotency`, shared by every invocation of a run as a
//!   DynamoDB table is, that is unreachable, throttled, slow or loses
//!   writes as its [`StoreFaults`] say, drawn from a seed (and enumerated
//!   by [`every_fault_schedule`]); its journal says what it was asked.
//!   Records the engine replays (`RecordStatus::Replayed`: handled in an
//!   earlier delivery, not run again) are counted in each fate
//!   (`replayed`), traced, and drawn on the timeline; records its
//!   idempotency did not run come back with [`Redelivery::NotRun`].
//!
//! The stream and Kafka simulations share their mapping settings:
//! [`StreamSimConfig`] and [`KafkaSimConfig`] are one [`CursorSimConfig`]
//! with their own `source` ([`StreamSource`], [`KafkaSource`]).
//!
//! The function is anything implementing [`Function`]: a closure over an
//! [`Invocation`], or a real handler through [`lambda_function`] (a
//! `#[batch_handler]` function runs unchanged, on events rendered exactly
//! as Lambda sends them). A real handler runs on the simulation's clock:
//! its awaits take virtual time, invocations that overlap run together
//! (copies of a message in flight at once: [`InvocationFaults::duplicate`],
//! [`Timing::jitter`]), and Lambda stops one still running at the function
//! timeout. [`every_fault_schedule`] runs a small scenario once per way its
//! faults can fall. Every run yields a [`Trace`] (JSON lines),
//! [`Metrics`] (CloudWatch names) and, with [`timeline::write_html`], a
//! page with one lane per message. The same seed gives the same run.
//!
//! The AWS behaviour modelled is described in [`lambda_batch::aws_rules`]; where
//! AWS is silent, each simulation's documentation says what it assumes.
//!
//! ```
//! use lambda_batch::{batch_handler, RecordOutcome};
//! use lambda_batch_testkit::sim::{lambda_function, InvocationFaults, QueueConfig, SqsSimConfig, SqsSimulation};
//!
//! #[batch_handler(sqs_fifo)]
//! async fn handle(body: &str) -> RecordOutcome {
//!     if body == "bad" { RecordOutcome::failure("bad body") } else { RecordOutcome::Success }
//! }
//!
//! let mut config = SqsSimConfig::new(QueueConfig::fifo().with_dlq(3));
//! config.faults = InvocationFaults { timeout: 0.1, ..InvocationFaults::none() };
//! let mut sim = SqsSimulation::new(config).unwrap();
//! for body in ["a", "bad", "c"] {
//!     sim.send_fifo(0, "g1", body);
//! }
//! let report = sim.run(&mut lambda_function(handle));
//! lambda_batch_testkit::sim::check::nothing_lost(&report).unwrap();
//! // "bad" goes to the DLQ after 3 receives, and so does "c": it was in
//! // every batch behind "bad", skipped and reported, so its receive count
//! // rose too. (A FIFO queue with a DLQ needs a higher maxReceiveCount
//! // than the failures one message may have.)
//! assert_eq!(report.metrics.dlq_messages_visible, 2);
//! ```

// How it is built (each folder depends only on the ones above it):
// - `core/`: what every simulation shares. `clock` (virtual ms, the agenda),
//   `rng` (the seeded generator), `stable_hash`, `world` (what the loop lends
//   a simulation: clock, generator, faults, metrics, trace; an invocation's
//   start and end), `run_loop` (the one loop: a simulation is a
//   `run_loop::Simulated`; the loop draws the `faults`, invokes the
//   function, records the `trace`, `metrics` and `progress`), `error` (what
//   AWS refuses), and `function/`: the function under test (`invocation`:
//   what it is given and returns; `payload`: the deliveries by source;
//   `render`: the events as Lambda sends them; `clockwork`: a real handler's
//   invocations run together on the simulation's clock; `lambda`: a real
//   handler as a function).
// - `cursor/`: what the stream and Kafka mappings share: `config` (their
//   settings and range checks, `CursorSimConfig`), `cursors` (per shard or
//   partition: checkpoint, pending retries, bisection, retry and age
//   limits, discards) over `logs` (what a shard or partition model
//   offers), `outcome` (reading an invocation's end), `on_failure` (the
//   on-failure record's envelope).
// - One folder per source, each a model of where items wait, the event
//   source mapping (or invoker) that reads it, joined in its `mod.rs` as
//   the simulation, with its `config` and `report` (the items' histories):
//   `sqs/` (`queue` over `message`, `groups` for FIFO, `mapping`), `stream/` (`shards`,
//   `mapping`, `on_failure`), `kafka/` (`partitions`, `mapping`,
//   `on_failure`), `async_invoke/` (`invoker`, `destinations`).
// - `check/` (the invariants, by source) and `timeline/` (the SQS page)
//   read the reports; `schedules` runs a scenario once per fault schedule
//   (the generator's fault draws replaced by a script).
// - `idempotency/` (the `FaultyStore`: `faults`, `journal`, `store`) stands
//   beside the sources: the handler calls it, the simulation never does; it
//   uses only `core`'s generator and errors.
mod async_invoke;
pub mod check;
mod core;
mod cursor;
mod idempotency;
mod kafka;
mod schedules;
mod sqs;
mod stream;
pub mod timeline;

pub use self::async_invoke::AsyncSimulation;
pub use self::async_invoke::config::AsyncConfig;
pub use self::async_invoke::report::{AsyncEventEnd, AsyncEventFate, AsyncReport};
pub use self::core::clock::{EPOCH_MS, Millis};
pub use self::core::error::ConfigError;
pub use self::core::faults::{InvocationFaults, Timing};

/// The old name of [`InvocationFaults`] (before 0.1).
#[deprecated(
    since = "0.1.0",
    note = "renamed `InvocationFaults`: the faults of invocations the simulation injects"
)]
pub type SimFaults = InvocationFaults;
pub use self::core::function::invocation::{Function, Invocation, InvocationResult};
pub use self::core::function::lambda::{LambdaFunction, lambda_function};
pub use self::core::function::payload::{KafkaDelivery, Payload, SqsDelivery, StreamDelivery};
pub use self::core::metrics::{Metrics, MinuteMetrics};
pub use self::core::progress::{Progress, ProgressFn};
pub use self::core::trace::{Trace, TraceEntry, TraceEvent};
pub use self::cursor::config::CursorSimConfig;
pub use self::cursor::logs::StreamRecordEnd;
pub use self::idempotency::{FaultyStore, StoreEntry, StoreFaults, WriteOutcome};
pub use self::kafka::KafkaSimulation;
pub use self::kafka::config::{KafkaSimConfig, KafkaSource};
pub use self::kafka::report::{KafkaRecordFate, KafkaReport};
pub use self::schedules::{
    FaultSchedule, MAX_SCHEDULES, ScheduleSummary, every_fault_schedule, replay_schedule,
};
pub use self::sqs::SqsSimulation;
pub use self::sqs::config::{QueueConfig, SqsMappingConfig, SqsSimConfig};
pub use self::sqs::report::{Redelivery, SqsMessageEnd, SqsMessageFate, SqsReport};
pub use self::stream::StreamSimulation;
pub use self::stream::config::{StreamKind, StreamSimConfig, StreamSource};
pub use self::stream::report::{StreamRecordFate, StreamReport};
