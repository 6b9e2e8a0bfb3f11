//! A hand-written Kafka handler (typed `aws_lambda_events` event), correct
//! and with one planted defect each, tested the documented way.

use std::panic::AssertUnwindSafe;

use base64::Engine as _;
use futures_util::FutureExt as _;
use lambda_batch::aws_events::KafkaEvent;
use lambda_batch::{Error, LambdaEvent, observe};
use lambda_batch_testkit::prelude::*;
use serde_json::{Value, json};

use super::model::{Order, data, decide};
use super::suite::{Case, Written, outcome};

/// One defect planted into the Kafka handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kafka {
    Correct,
    /// Picks each partition's lowest failed offset by comparing text.
    ComparesOffsetsAsText,
    /// Reports each partition's highest failed offset.
    ReportsTheHighestFailure,
}

/// A Kafka handler that goes on after a failure and reports, per
/// partition, the lowest failed offset (Lambda retries the partition from
/// there).
pub(crate) async fn kafka(event: LambdaEvent<KafkaEvent>, defect: Kafka) -> Result<Value, Error> {
    let mut failures = Vec::new();
    for (partition, records) in &event.payload.records {
        let mut failed: Vec<i64> = Vec::new();
        for record in records {
            let id = format!("{partition}@{}", record.offset);
            let work = async {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(record.value.as_deref().unwrap_or_default())?;
                let order: Order = serde_json::from_slice(&bytes)?;
                decide(&order)
            };
            if !matches!(AssertUnwindSafe(observe(&id, work)).catch_unwind().await, Ok(Ok(()))) {
                failed.push(record.offset);
            }
        }
        let first = match defect {
            Kafka::Correct => failed.iter().min().copied(),
            Kafka::ComparesOffsetsAsText => {
                failed.iter().map(i64::to_string).min().map(|text| text.parse()).transpose()?
            }
            Kafka::ReportsTheHighestFailure => failed.iter().max().copied(),
        };
        if let Some(offset) = first {
            failures.push(json!({"itemIdentifier": {"partition": partition, "offset": offset}}));
        }
    }
    Ok(json!({ "batchItemFailures": failures }))
}

pub(crate) fn cases() -> Vec<Case> {
    let case = |defect: Kafka, rules: fn() -> Rules, what: Option<&'static str>| Case {
        source: "Kafka",
        written: Written::ByHand,
        defect: what,
        cases: 256,
        test: Box::new(move |runner| {
            outcome(runner.run(&(kafka_batch(data(), 1..20, 1..=3), fault_plan(20, 0.2)), |(batch, plan)| {
                check(&run(|event| kafka(event, defect), &batch, &plan), rules())
            }))
        }),
    };
    let kafka_case = |defect: Kafka, what: Option<&'static str>| case(defect, Rules::stream_continue, what);
    vec![
        kafka_case(Kafka::Correct, None),
        kafka_case(Kafka::ComparesOffsetsAsText, Some("offsets compared as text")),
        kafka_case(Kafka::ReportsTheHighestFailure, Some("checkpoint at the highest failure of a partition")),
        // The same handler under checkpoint rules: its response is right
        // (Lambda retries from the first failure), but it goes on running
        // the partition's later records.
        case(
            Kafka::Correct,
            Rules::stream_checkpoint,
            Some("observed, checkpoint rules: goes on in a partition after its failure"),
        ),
    ]
}
