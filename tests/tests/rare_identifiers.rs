//! Rare shapes drawn often enough (issue 21, item 4): a handler defect that
//! shows only on a missing identifier is found by `fault_plan` on every
//! seed, and the counterexample shrinks to one or two records. Prints, per
//! defect, the seeds that caught it and the shrunk batch sizes (not
//! asserted: which case proptest meets first is luck); asserts that every
//! seed caught it. `DEFECT_SEEDS` sets the seeds (3 by default):
//!
//! ```text
//! DEFECT_SEEDS=100 cargo test --release -p lambda-batch-tests --test main rare_identifiers:: -- --nocapture
//! ```

use std::collections::BTreeMap;

use proptest::test_runner::TestError;

use lambda_batch_testkit::prelude::*;

use crate::defects::model::{bodies, orders};
use crate::defects::sqs::{Standard, standard};
use crate::defects::streams::{DynamoDb, dynamodb};
use crate::defects::suite::runner;

fn seeds() -> u64 {
    std::env::var("DEFECT_SEEDS").ok().and_then(|seeds| seeds.parse().ok()).unwrap_or(3)
}

/// Runs `test` for every seed: the shrunk batch size of each seed that
/// caught the defect, and how many seeds did not.
fn sizes(
    test: impl Fn(&mut proptest::test_runner::TestRunner) -> Result<(), TestError<(Batch, FaultPlan)>>,
) -> (BTreeMap<usize, u64>, u64) {
    let mut sizes = BTreeMap::new();
    let mut escaped = 0;
    for seed in 0..seeds() {
        match test(&mut runner(seed, 256)) {
            Err(TestError::Fail(_, (batch, _))) => *sizes.entry(batch.len()).or_insert(0) += 1,
            _ => escaped += 1,
        }
    }
    (sizes, escaped)
}

fn report(defect: &str, (sizes, escaped): (BTreeMap<usize, u64>, u64)) {
    let caught: u64 = sizes.values().sum();
    let shrunk: Vec<String> =
        sizes.iter().map(|(records, seeds)| format!("{records} records: {seeds}")).collect();
    println!("{defect}: caught on {caught}/{} seeds; shrunk to {}", caught + escaped, shrunk.join(", "));
    assert_eq!(escaped, 0, "{defect}: escaped {escaped} seeds");
}

#[test]
fn a_dynamodb_record_without_sequence_number_dropped_is_found_on_every_seed() {
    let defect = DynamoDb::DropsRecordWithoutSequenceNumber;
    report(
        "DynamoDB: record without a sequence number dropped",
        sizes(|runner| {
            runner.run(&(dynamodb_batch(orders(), 1..20, 1..=4), fault_plan(20, 0.2)), |(batch, plan)| {
                check(&run(|event| dynamodb(event, defect), &batch, &plan), Rules::stream_checkpoint())
            })
        }),
    );
}

#[test]
fn an_sqs_message_without_id_dropped_is_found_on_every_seed() {
    report(
        "SQS: message without an id dropped",
        sizes(|runner| {
            runner.run(&(sqs_batch(bodies(), 1..20), fault_plan(20, 0.2)), |(batch, plan)| {
                check(
                    &run(|event| standard(event, Standard::DropsUnnamedMessage), &batch, &plan),
                    Rules::sqs(),
                )
            })
        }),
    );
}
