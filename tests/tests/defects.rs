//! Classic batch-handler defects, each planted alone into an otherwise
//! correct handler, must be caught by the testkit's documented default
//! tests (strategies + `fault_plan` + `run` + `check`, or the simulator
//! with its checks) with a shrunk counterexample, for every proptest seed;
//! the correct handlers must pass for every seed (no false alarms).
//!
//! The handlers are hand-written `lambda_runtime` handlers (SQS standard
//! and FIFO, Kinesis, DynamoDB Streams typed with `aws_lambda_events`,
//! Kafka, asynchronous invocation) and `#[batch_handler]` functions.
//!
//! `DEFECT_SEEDS` sets the number of seeds (3 by default; the table in the
//! closing note of the work that added this used 20):
//!
//! ```text
//! DEFECT_SEEDS=20 cargo test --release -p lambda-batch-tests --test main defects:: -- --nocapture
//! ```

mod generated;
pub(crate) mod kafka;
pub(crate) mod model;
mod redelivery;
pub(crate) mod sqs;
pub(crate) mod streams;
pub(crate) mod suite;

use suite::run_suite;

#[test]
fn every_planted_defect_is_caught_and_every_correct_handler_passes() {
    let seeds = std::env::var("DEFECT_SEEDS").ok().and_then(|seeds| seeds.parse().ok()).unwrap_or(3);
    let mut cases = sqs::cases();
    cases.extend(streams::cases());
    cases.extend(kafka::cases());
    cases.extend(redelivery::cases());
    cases.extend(generated::cases());
    let problems = run_suite(&cases, seeds);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
