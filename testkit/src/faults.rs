//! Fault plans: which records fail, panic, carry a bad payload, run slowly
//! or hang, injected without changing the handler's code.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use lambda_batch::fault::Fault;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::json;

use crate::strategy::{Batch, SourceKind};

/// A fault for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestFault {
    /// The call fails without running the handler.
    Error,
    /// The call panics.
    Panic,
    /// The payload is corrupted in the event (SQS body, Kinesis data,
    /// DynamoDB images, Kafka value), so the handler's extractors see bad
    /// input.
    BadBody,
    /// The call waits this long first (on the harness's paused clock).
    Slow(Duration),
    /// The call never finishes (the deadline guard must cut it off).
    Hang,
}

/// Faults by record index. Indices past the batch's end are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    faults: BTreeMap<usize, TestFault>,
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds a fault for record `index`.
    pub fn with(mut self, index: usize, fault: TestFault) -> Self {
        self.faults.insert(index, fault);
        self
    }

    /// The fault of record `index`, if any.
    pub fn get(&self, index: usize) -> Option<TestFault> {
        self.faults.get(&index).copied()
    }

    /// The faults the engine injects (all but [`TestFault::BadBody`]).
    pub(crate) fn engine_faults(&self) -> std::collections::HashMap<usize, Fault> {
        self.faults
            .iter()
            .filter_map(|(&index, fault)| {
                let fault = match fault {
                    TestFault::Error => Fault::Error,
                    TestFault::Panic => Fault::Panic,
                    TestFault::Slow(delay) => Fault::Delay(*delay),
                    TestFault::Hang => Fault::Hang,
                    TestFault::BadBody => return None,
                };
                Some((index, fault))
            })
            .collect()
    }

    /// The batch with [`TestFault::BadBody`] applied to its records.
    pub(crate) fn corrupt(&self, batch: &Batch) -> Batch {
        let mut batch = batch.clone();
        let source = batch.source;
        let bad_bytes = || json!(base64::engine::general_purpose::STANDARD.encode(b"\xff{corrupt"));
        for (index, record) in batch.records_mut().iter_mut().enumerate() {
            if self.get(index) != Some(TestFault::BadBody) {
                continue;
            }
            match source {
                SourceKind::Kinesis => record["kinesis"]["data"] = bad_bytes(),
                SourceKind::DynamoDb => {
                    for image in ["NewImage", "OldImage", "Keys"] {
                        record["dynamodb"][image] = json!("corrupt");
                    }
                }
                SourceKind::Kafka => record["value"] = bad_bytes(),
                _ => record["body"] = json!("{\"corrupt"),
            }
        }
        batch
    }
}

/// Plans for batches of up to `records` records where each record has a
/// fault with probability `probability` (0.0 to 1.0), of any kind.
pub fn fault_plan(records: usize, probability: f64) -> BoxedStrategy<FaultPlan> {
    let fault = prop_oneof![
        Just(TestFault::Error),
        Just(TestFault::Panic),
        Just(TestFault::BadBody),
        (1u64..50).prop_map(|ms| TestFault::Slow(Duration::from_millis(ms))),
        Just(TestFault::Hang),
    ];
    proptest::collection::vec(proptest::option::weighted(probability.clamp(0.0, 1.0), fault), records)
        .prop_map(|faults| FaultPlan {
            faults: faults.into_iter().enumerate().filter_map(|(i, f)| f.map(|f| (i, f))).collect(),
        })
        .boxed()
}
