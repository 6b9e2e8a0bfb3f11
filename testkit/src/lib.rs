//! Prove lambda-batch handlers right with property tests.
//!
//! - [`strategy`]: proptest strategies for SQS (standard and FIFO), Kinesis,
//!   DynamoDB Streams and Kafka batches of the shape Lambda sends (Kinesis
//!   and DynamoDB sequence numbers that change digit count within a batch);
//! - [`faults`]: fault plans: errors, panics, corrupted payloads, delays,
//!   hangs, and missing, empty or duplicated identifiers
//!   ([`fault_plan`](faults::fault_plan)); only the faults that are in the
//!   event, for a hand-written handler that does not call
//!   `lambda_batch::observe` ([`payload_fault_plan`](faults::payload_fault_plan));
//! - [`exhaustive`]: every batch of up to 4 records × every fault × every
//!   grouping, checked one by one ([`check_all`](exhaustive::check_all)):
//!   the first test to write, finished in seconds, with a smallest
//!   counterexample;
//! - [`harness::run`]: runs any batch handler (a `#[batch_handler]`
//!   function or a hand-written one) on a batch with a fault plan, on a
//!   paused tokio clock, failing the invocation on a panic or past the
//!   deadline as Lambda's runtime would, and returns the response and the
//!   calls made (the engine's, or the hand-written handler's work wrapped in
//!   `lambda_batch::observe`);
//! - [`check`]: the invariants, for a `#[batch_handler]`'s `CONFIG` or the
//!   [`Rules`](check::Rules) a hand-written handler follows;
//!   [`check::check`] returns `Result<(), TestCaseError>` so proptest
//!   shrinks, and fails for an invariant it could not check unless the
//!   rules accept that by name ([`Rules::accepting_unchecked`](check::Rules::accepting_unchecked));
//!   [`check::check_report`] also says which invariants could not be
//!   checked, why, and which opt-outs applied;
//! - [`sim`]: a virtual-time simulator of Lambda's deliveries and retries,
//!   with an idempotency store that fails on purpose
//!   ([`sim::FaultyStore`]) to prove a handler's effects happen once;
//! - [`context`], [`sqs`], [`kinesis`], [`dynamodb`], [`kafka`]: hand-made events and a
//!   Lambda-shaped `Context`;
//! - [`envelope`]: SQS bodies and Kinesis data wrapped as AWS wraps them
//!   (SNS, EventBridge, S3, CloudWatch Logs), with strategies; features
//!   `avro` and `protobuf` add Kafka values in those formats behind
//!   Confluent and AWS Glue prefixes ([`kafka`]);
//! - [`emf`]: a checker for CloudWatch Embedded Metric Format lines, such
//!   as `lambda_batch::metrics` writes;
//! - [`wire`]: where the testkit writes each source's identifier, ordering
//!   key and payload (the one table of field paths; events are written by
//!   `lambda_batch::wire`, in Lambda's key order).
//!
//! ```
//! use lambda_batch::{batch_handler, Json, RecordOutcome};
//! use lambda_batch_testkit::prelude::*;
//!
//! #[batch_handler(sqs)]
//! async fn handle(Json(quantity): Json<u32>) -> RecordOutcome {
//!     if quantity == 0 { RecordOutcome::failure("empty") } else { RecordOutcome::Success }
//! }
//!
//! let mut runner = proptest::test_runner::TestRunner::default();
//! runner
//!     .run(&(sqs_batch(json_body(0u32..5), 0..20), fault_plan(20, 0.2)), |(batch, faults)| {
//!         check(&run(handle, &batch, &faults), handle::CONFIG)
//!     })
//!     .unwrap();
//! ```
//!
//! The first test to write runs the handler on every small batch instead
//! of a sample; one per source (a Kinesis handler keyed by partition, a
//! Kafka handler reading values, a DynamoDB Streams handler reading new
//! images):
//!
//! ```
//! use lambda_batch::dynamodb::{DynamoDb, NewImage};
//! use lambda_batch::kafka::Kafka;
//! use lambda_batch::kinesis::Kinesis;
//! use lambda_batch::{batch_handler, Json, RecordOutcome, Source};
//! use lambda_batch_testkit::exhaustive::{check_all, World};
//! use lambda_batch_testkit::prelude::*;
//! use serde_json::json;
//!
//! #[derive(serde::Deserialize)]
//! struct Reading { celsius: i32 }
//!
//! #[batch_handler(kinesis)]
//! async fn telemetry(Json(reading): Json<Reading>) -> RecordOutcome {
//!     if reading.celsius > 100 { RecordOutcome::failure("sensor out of range") } else { RecordOutcome::Success }
//! }
//!
//! #[batch_handler(kafka)]
//! async fn clicks(value: &str) -> Result<(), String> {
//!     if value.is_empty() { Err("an empty click".to_owned()) } else { Ok(()) }
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Order { id: String }
//!
//! #[batch_handler(dynamodb)]
//! async fn orders(image: Option<NewImage<Order>>) -> Result<(), String> {
//!     match image {
//!         Some(NewImage(order)) if order.id.is_empty() => Err("an order without an id".to_owned()),
//!         _ => Ok(()),
//!     }
//! }
//!
//! check_all(telemetry, &World::new(Kinesis::KIND, [json!({"celsius": 21})]), telemetry::CONFIG)
//!     .assert_all_held();
//! check_all(clicks, &World::new(Kafka::KIND, [json!({"page": "/"})]), clicks::CONFIG).assert_all_held();
//! check_all(orders, &World::new(DynamoDb::KIND, [json!({"id": "o-1"})]), orders::CONFIG).assert_all_held();
//! ```
//!
//! The simulator ([`sim`]) then runs the real handler over many invocations:
//! retries, redeliveries, handler time against the function timeout, copies
//! of a message in flight at once, and every fault schedule of a small
//! scenario ([`sim::every_fault_schedule`]).
//!
//! The guide (`book/` in the repository) explains each part with examples;
//! the AWS behaviour the checks and the simulator follow is explained in
//! [`lambda_batch::aws_rules`].
//!
//! Fault injection uses lambda-batch's `fault-injection` feature, which this
//! crate turns on: the engine looks up a task-local fault plan at its single
//! call site, and so does `lambda_batch::observe` in a hand-written handler.
//! A build of your function without the testkit has no hook, and `observe`
//! is then just the work, awaited.

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "harness")]
mod batch;
#[cfg(feature = "harness")]
pub mod check;
pub mod dynamodb;
pub mod emf;
pub mod envelope;
#[cfg(feature = "harness")]
pub mod exhaustive;
#[cfg(feature = "harness")]
pub mod faults;
#[cfg(feature = "harness")]
mod format;
#[cfg(feature = "harness")]
pub mod harness;
pub mod kafka;
pub mod kinesis;
#[cfg(feature = "harness")]
pub mod prelude;
#[cfg(feature = "harness")]
pub mod sim;
pub mod sqs;
#[cfg(feature = "harness")]
pub mod strategy;
pub mod wire;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::Context;

/// A context like Lambda's for a 15-minute function: request id
/// `"test-request-id"`, deadline 15 minutes from now.
///
/// Unlike `Context::default()`, whose deadline is the Unix epoch (already
/// past), this one is safe for deadline-aware code.
pub fn context() -> Context {
    context_with_budget(Duration::from_secs(15 * 60))
}

/// A context whose deadline is `budget` from now.
pub fn context_with_budget(budget: Duration) -> Context {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut cx = Context::default();
    cx.request_id = "test-request-id".to_owned();
    cx.deadline = u64::try_from((now + budget).as_millis()).unwrap_or(u64::MAX);
    cx.invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:test-function".to_owned();
    cx
}
