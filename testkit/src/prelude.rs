//! Everything a property test of a batch handler needs:
//! `use lambda_batch_testkit::prelude::*;`.

pub use proptest::prelude::*;

pub use lambda_batch::sqs::{FifoPolicy, QueueKind, SqsConfig};
pub use lambda_batch::stream::{StreamConfig, StreamPolicy};
pub use lambda_batch::{AllFailedPolicy, observe, observed_task};

pub use crate::check::{CheckReport, Invariant, RecordView, Rules, check, check_report};
pub use crate::faults::{FaultPlan, RecordFault, fault_plan, payload_fault_plan};
pub use crate::harness::{HarnessRun, run};
pub use crate::strategy::{
    Batch, SourceKind, dynamodb_batch, json_body, json_data, kafka_batch, kafka_keyed_batch, kinesis_batch,
    sqs_batch, sqs_fifo_batch,
};
