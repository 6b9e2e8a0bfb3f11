//! Everything a property test of a batch handler needs:
//! `use lambda_batch_testkit::prelude::*;`.

pub use proptest::prelude::*;

pub use crate::check::{Rules, check};
pub use crate::faults::{FaultPlan, TestFault, fault_plan};
pub use crate::harness::{RunOutcome, run};
pub use crate::strategy::{
    Batch, SourceKind, dynamodb_batch, json_body, json_data, kafka_batch, kinesis_batch, sqs_batch,
    sqs_fifo_batch,
};
