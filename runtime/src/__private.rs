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
pub use crate::returned::returned;
/// The traits the generated call of the record function brings in scope,
/// and the types they name.
pub mod returns {
    pub use crate::returned::{
        BoxedErrorReturn, BoxedErrorTag, ErrorReturn, ErrorTag, OkValue, PlainReturn, PlainTag, Returned,
    };
}
pub use crate::sqs::{FifoPolicy, QueueKind, Sqs, SqsConfig, SqsRecord, StandardPolicy};
pub use crate::stream::{StreamConfig, StreamPolicy};

pub use crate::idempotency::BatchIdempotency;
pub use crate::metrics::Metrics;
pub use crate::outcome::RecordError;
pub use crate::parallel::{IN_FLIGHT_PER_CORE, Parallel};
pub use crate::report::{BatchReport, RecordStatus};

/// `metrics` as is; a function so a wrong type is reported at the user's
/// `metrics = path`.
pub fn as_metrics(metrics: &Metrics) -> &Metrics {
    metrics
}

/// `settings` as the trait object `RecordHandler::idempotency` returns; a
/// function so a wrong type is reported at the user's `idempotency = path`.
pub fn as_batch_idempotency<S: crate::source::Source, I: BatchIdempotency<S>>(
    settings: &I,
) -> &dyn BatchIdempotency<S> {
    settings
}

/// A value a `parallel` record function takes: it moves to a worker
/// thread, so it must be `Send` and own its data.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot move to a worker thread, which `parallel` needs",
    label = "not `Send`",
    note = "`parallel` runs the record function on another thread: take parameters that are `Send` and own their data, or remove `parallel`"
)]
pub trait ParallelArg: Send + 'static {}

impl<T: Send + 'static> ParallelArg for T {}

/// `value`, checked to be a [`ParallelArg`]; spanned at the parameter's type.
pub fn parallel_arg<T: ParallelArg>(value: T) -> T {
    value
}
