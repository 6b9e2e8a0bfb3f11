//! Support for the code `#[batch_handler]` generates. Not a public API: it
//! may change in any release.

pub use lambda_runtime::{Context, LambdaEvent};

pub use crate::dynamodb::{DynamoDb, DynamoDbRecord};
pub use crate::error::BatchError;
pub use crate::event::BatchEvent;
pub use crate::extract::FromRecord;
pub use crate::handler::{PoisonRecord, RecordHandler};
pub use crate::kafka::{Kafka, KafkaRecord};
pub use crate::kinesis::{Kinesis, KinesisRecord};
pub use crate::outcome::{IntoRecordOutcome, RecordOutcome};
pub use crate::pipeline::handle;
pub use crate::plan::BatchPlan;
pub use crate::policy::AllFailedPolicy;
pub use crate::policy::Limits;
pub use crate::response::BatchResponse;
pub use crate::sqs::{FifoPolicy, QueueKind, Sqs, SqsConfig, SqsRecord};
pub use crate::stream::{StreamConfig, StreamPolicy};

/// `handle::<Sqs, _>`, under the name the macro used before the pipeline
/// was generic.
pub async fn sqs_handle<H: RecordHandler<Sqs>>(
    handler: &H,
    config: &SqsConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    handle::<Sqs, H>(handler, config, event).await
}

/// `handle::<Kinesis, _>`.
pub async fn kinesis_handle<H: RecordHandler<Kinesis>>(
    handler: &H,
    config: &StreamConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    handle::<Kinesis, H>(handler, config, event).await
}

/// `handle::<DynamoDb, _>`.
pub async fn dynamodb_handle<H: RecordHandler<DynamoDb>>(
    handler: &H,
    config: &StreamConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    handle::<DynamoDb, H>(handler, config, event).await
}

/// `handle::<Kafka, _>`.
pub async fn kafka_handle<H: RecordHandler<Kafka>>(
    handler: &H,
    config: &StreamConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    handle::<Kafka, H>(handler, config, event).await
}
