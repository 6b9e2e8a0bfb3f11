//! Classic batch-handler defects, each planted alone into an otherwise
//! correct handler, must be caught by the testkit's documented default
//! tests (strategies + `fault_plan` + `run` + `check`, or the simulator
//! with its checks) with a shrunk counterexample, for every proptest seed;
//! the correct handlers must pass for every seed (no false alarms).
//!
//! The handlers are hand-written `lambda_runtime` handlers (SQS standard
//! and FIFO, Kinesis, DynamoDB Streams typed with `aws_lambda_events`,
//! Kafka, asynchronous invocation) and `#[batch_handler]` functions. Some
//! hand-written ones do not call `observe` (`unobserved`, `guard`): there a
//! defect the check cannot see must fail as NOT CHECKED (no silent pass),
//! and a correct handler passes only with its opt-out named.
//!
//! `DEFECT_SEEDS` sets the number of seeds (3 by default; the table in the
//! closing note of the work that added this used 20):
//!
//! ```text
//! DEFECT_SEEDS=20 cargo test --release -p lambda-batch-tests --test main defects:: -- --nocapture
//! ```

mod generated;
mod guard;
mod idempotency;
pub(crate) mod kafka;
pub(crate) mod model;
mod poison;
pub(crate) mod redelivery;
pub(crate) mod sqs;
pub(crate) mod streams;
pub(crate) mod suite;
mod time;
mod unobserved;

use suite::run_suite;

#[test]
fn every_planted_defect_is_caught_and_every_correct_handler_passes() {
    let seeds = std::env::var("DEFECT_SEEDS").ok().and_then(|seeds| seeds.parse().ok()).unwrap_or(3);
    let mut cases = sqs::cases();
    cases.extend(streams::cases());
    cases.extend(kafka::cases());
    cases.extend(redelivery::cases());
    cases.extend(generated::cases());
    cases.extend(unobserved::cases());
    cases.extend(guard::cases());
    cases.extend(time::cases());
    cases.extend(poison::cases());
    cases.extend(idempotency::cases());
    let problems = run_suite(&cases, seeds);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
