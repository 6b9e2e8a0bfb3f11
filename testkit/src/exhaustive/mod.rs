//! Exhaustive small worlds: a handler run against every batch up to a
//! few records (4 by default) × every choice for each record (each
//! payload you give, and each fault) × every grouping of the records (FIFO
//! message groups, stream keys, Kafka partitions), smallest first, each
//! case checked with [`check_report`].
//!
//! Where proptest samples, this enumerates: no seed can miss a defect that
//! shows in a batch of 4 records, and the first broken case is a smallest
//! one (fewest records, then fewest faulted records, then fewest groups),
//! so it needs no shrinking. The first test to write for a handler:
//!
//! ```
//! use lambda_batch::kinesis::Kinesis;
//! use lambda_batch::{batch_handler, Json, RecordOutcome, Source};
//! use lambda_batch_testkit::exhaustive::{World, check_all};
//! use serde_json::json;
//!
//! #[batch_handler(kinesis)]
//! async fn handle(Json(quantity): Json<u32>) -> RecordOutcome {
//!     if quantity == 0 { RecordOutcome::failure("empty") } else { RecordOutcome::Success }
//! }
//!
//! // Every batch of 1 to 4 records carrying `1`, or a fault, in 1 or 2
//! // partition keys.
//! let world = World::new(Kinesis::KIND, [json!(1)]);
//! check_all(handle, &world, handle::CONFIG).assert_all_held();
//! ```
//!
//! What a case is made of:
//! - the records: from 1 to [`World::records`] (4 by default);
//! - each record: one of the payloads given (clean), or the first payload
//!   with an injected error (any number of records), or with one of the
//!   single faults (one record per batch by default): a panic, a
//!   corrupted payload, a delay, a hang, a missing, empty or duplicated
//!   identifier, or no payload where the source has such records (a
//!   DynamoDB `REMOVE`). See [`World::faults`];
//! - the grouping: one group for SQS standard queues; every way to put the
//!   records into at most 2 message groups (FIFO) or partition keys
//!   (Kinesis, DynamoDB items), up to renaming; every split into at most 2
//!   consecutive partitions for Kafka (whose event lists each partition's
//!   records together). See [`World::groups`].
//!
//! Identifiers are short (`m-01`) where the source allows it; Kinesis and
//! DynamoDB sequence numbers gain a digit at the second record and Kafka
//! offsets go from 9 to 10 in each partition, so comparing them as text is
//! caught. A case whose fault in the event would change nothing (a
//! duplicate identifier without a neighbour to copy) is skipped: it is
//! another case.

mod cases;
mod records;
mod report;

use std::future::Future;
use std::time::{Duration, Instant};

use lambda_batch::LambdaEvent;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;

pub use self::report::{Counterexample, Exhaustive};
use crate::check::{Rules, check_report};
use crate::faults::RecordFault;
use crate::harness::{FromBatchJson, run};
use crate::strategy::SourceKind;

/// The delay of [`RecordFault::Slow`] in the default alphabet: long enough
/// to reorder the ends of concurrent calls.
pub const SLOW: Duration = Duration::from_millis(10);

/// What [`check_all`] enumerates: the source, the payloads a clean record
/// may carry, the largest batch, the faults a record may get, and how many
/// groups a batch may have.
#[derive(Debug, Clone)]
pub struct World {
    source: SourceKind,
    payloads: Vec<Value>,
    records: usize,
    groups: usize,
    repeated_faults: Vec<RecordFault>,
    single_faults: Vec<RecordFault>,
    single_faults_per_batch: usize,
}

impl World {
    /// Batches of `source` whose clean records carry one of `payloads`
    /// (the JSON of your payload type: an SQS body, Kinesis data or a Kafka
    /// value as that JSON's text, a DynamoDB image made from it through
    /// serde_dynamo with the key attribute `pk` added), of 1 to 4 records
    /// in at most 2 groups, with the default faults (see
    /// [`World::faults`]). One payload your handler accepts is enough: the
    /// injected error stands for a record it fails. No payload means `{}`.
    pub fn new(source: SourceKind, payloads: impl IntoIterator<Item = Value>) -> Self {
        let mut payloads: Vec<Value> = payloads.into_iter().collect();
        if payloads.is_empty() {
            payloads.push(Value::Object(serde_json::Map::new()));
        }
        World {
            source,
            payloads,
            records: 4,
            groups: 2,
            repeated_faults: vec![RecordFault::Error],
            single_faults: vec![
                RecordFault::Panic,
                RecordFault::BadBody,
                RecordFault::Slow(SLOW),
                RecordFault::Hang,
                RecordFault::MissingId,
                RecordFault::EmptyId,
                RecordFault::DuplicateId,
            ],
            single_faults_per_batch: 1,
        }
    }

    /// Batches of 1 to `records` records (4 by default). The number of
    /// cases grows as the alphabet to this power, times the groupings.
    pub fn records(mut self, records: usize) -> Self {
        self.records = records;
        self
    }

    /// At most `groups` FIFO message groups, stream keys or Kafka
    /// partitions in a batch (2 by default: a failing group beside one
    /// that goes on; 4 gives every grouping of 4 records).
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups.max(1);
        self
    }

    /// The faults: `repeated` may hit any number of records of a batch (by
    /// default the error, which decides what must be reported: every
    /// pattern of failures is tried), `single` at most
    /// [`World::single_faults_per_batch`] records (by default a panic, a
    /// corrupted payload, a delay of [`SLOW`], a hang, and a missing, empty
    /// or duplicated identifier: each tests one path of the handler, which
    /// one record shows, beside any pattern of failures). A DynamoDB
    /// `REMOVE` counts as a single fault.
    pub fn faults(
        mut self,
        repeated: impl IntoIterator<Item = RecordFault>,
        single: impl IntoIterator<Item = RecordFault>,
    ) -> Self {
        self.repeated_faults = repeated.into_iter().collect();
        self.single_faults = single.into_iter().collect();
        self
    }

    /// How many records of one batch may get a single fault (1 by
    /// default).
    pub fn single_faults_per_batch(mut self, records: usize) -> Self {
        self.single_faults_per_batch = records;
        self
    }

    /// Only the faults in the event (corrupted payloads and identifier
    /// faults), for a hand-written handler that does not wrap its work in
    /// `lambda_batch::observe`: no call fault could reach it, and those
    /// cases would repeat the clean ones. Give it a payload it fails on its
    /// own too.
    pub fn in_event_faults_only(mut self) -> Self {
        self.repeated_faults.retain(|fault| fault.is_in_event());
        self.single_faults.retain(|fault| fault.is_in_event());
        self
    }

    /// The source.
    pub fn source(&self) -> SourceKind {
        self.source
    }

    /// How many cases [`check_all`] runs when every one holds (before
    /// skipping the cases whose fault in the event would change nothing).
    pub fn cases(&self) -> usize {
        (1..=self.records).map(|size| cases::of_size(self, size).len()).sum()
    }
}

/// Runs `handler` on every case of `world`, smallest first, checks each
/// run against `rules` (a `#[batch_handler]`'s `CONFIG` or a [`Rules`]
/// constructor) with [`check_report`], and stops at the first broken case.
/// Prints the summary line ("exhaustive SQS FIFO, 1 to 4 records: checked
/// 2,240 cases in 0.15 s, all held") and returns the report; call
/// [`Exhaustive::assert_all_held`] on it in a `#[test]`.
///
/// `handler` is anything [`run`] takes.
pub fn check_all<F, Fut, P, R, E>(handler: F, world: &World, rules: impl Into<Rules>) -> Exhaustive
where
    F: Fn(LambdaEvent<P>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    P: FromBatchJson,
    R: Serialize,
    E: Into<Diagnostic>,
{
    let rules = rules.into();
    let started = Instant::now();
    let mut outcome = Exhaustive::new(world.source, world.records);
    'sizes: for size in 1..=world.records {
        for case in cases::of_size(world, size) {
            let Some((batch, plan)) = records::build(world, &case) else { continue };
            let run = run(&handler, &batch, &plan);
            let report = check_report(&run, rules.clone());
            if outcome.add(run, report) {
                break 'sizes;
            }
        }
    }
    outcome.elapsed = started.elapsed();
    println!("{}", outcome.summary());
    outcome
}
