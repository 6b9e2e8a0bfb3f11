//! Fault-tolerant AWS Lambda batch handlers.
//!
//! Write the code for ONE record; `#[batch_handler]` turns it into a Lambda
//! handler for a whole SQS, Kinesis, DynamoDB Streams or Kafka batch that reports
//! partial failures (`batchItemFailures`), keeps FIFO and stream checkpoint
//! order, and isolates errors and panics per record.
//!
//! ```no_run
//! use lambda_batch::{batch_handler, Json};
//!
//! #[derive(serde::Deserialize)]
//! struct Order { id: u64, quantity: u32 }
//!
//! #[batch_handler(sqs)]
//! async fn handle_order(Json(order): Json<Order>) -> Result<(), String> {
//!     if order.quantity == 0 {
//!         return Err(format!("order {} has no items", order.id));
//!     }
//!     Ok(())
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_batch::Error> {
//!     lambda_runtime::run(lambda_runtime::service_fn(handle_order)).await
//! }
//! ```
//!
//! A handler with state takes it as a `#[state]` parameter; the generated
//! handler then takes `&State` first, so it is not a `service_fn` by itself:
//! pass a closure. A poison sink takes the same `&State`, then the
//! `&PoisonRecord<'_>` and the `&Context`:
//!
//! ```no_run
//! use lambda_batch::{batch_handler, Context, PoisonRecord, RecordOutcome};
//!
//! /// What the handler shares across records and invocations.
//! struct App { table: String }
//!
//! #[batch_handler(sqs, poison_sink = park)]
//! async fn handle_order(#[state] app: &App, body: &str) -> RecordOutcome {
//!     if body.is_empty() {
//!         return RecordOutcome::poison("an empty order");
//!     }
//!     tracing::info!(table = %app.table, "order stored");
//!     RecordOutcome::Success
//! }
//!
//! /// Takes the records dropped as poison (here: logs them).
//! async fn park(app: &App, poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
//!     tracing::warn!(table = %app.table, id = poison.id, reason = poison.reason, "parked");
//!     Ok(())
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_batch::Error> {
//!     tracing_subscriber::fmt().init();
//!     let app = App { table: "orders".to_owned() };
//!     // The closure form: `service_fn(handle_order)` would not compile
//!     // (rustc's E0593), the handler takes two arguments.
//!     lambda_runtime::run(lambda_runtime::service_fn(|event| handle_order(&app, event))).await
//! }
//! ```
//!
//! The attribute keeps the record function callable as
//! `handle_order::record(...)` for unit tests, and generates
//! `async fn handle_order(event: LambdaEvent<BatchEvent>) -> Result<BatchResponse, BatchError>`.
//! Everything it does is also available without the macro: implement
//! [`RecordHandler`] (or use [`handler_fn`]) and call
//! [`BatchPipeline::handle`] (`Sqs::handle(..)`) or wrap it in a
//! [`BatchService`]; [`validate`] tells what Lambda does with any response.
//!
//! Every source delivers at least once. `#[batch_handler(sqs, idempotency = path)]`
//! (or [`idempotency::Idempotent`] by hand) claims every record's key in one
//! store call before the batch, replays records handled before
//! ([`RecordStatus::Replayed`]) and writes the results in one call after;
//! [`idempotency::idempotent`] does the same for asynchronous invocations,
//! keyed on the request id. See [`idempotency`].

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod dynamodb;
mod engine;
mod error;
mod event;
mod extract;
mod handler;
mod hash;
pub mod idempotency;
mod identify;
mod json;
pub mod kafka;
mod kind;
pub mod kinesis;
pub mod metrics;
mod observe;
mod observer;
mod outcome;
mod pipeline;
mod plan;
mod policy;
mod report;
pub mod reported;
mod response;
mod scan;
mod sequence;
mod service;
mod source;
pub mod sqs;
pub mod stream;
pub mod validate;
pub mod wire;

/// The `aws_lambda_events` event types, for hand-written handlers and tests.
pub mod aws_events {
    pub use aws_lambda_events::dynamodb::Event as DynamoDbEvent;
    pub use aws_lambda_events::kafka::KafkaEvent;
    pub use aws_lambda_events::kinesis::KinesisEvent;
    pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
    pub use aws_lambda_events::streams::{DynamoDbEventResponse, KinesisEventResponse};
}

#[doc(hidden)]
pub mod __private;
#[cfg(feature = "fault-injection")]
pub mod fault;

pub use lambda_batch_macros::batch_handler;
pub use lambda_runtime::{Context, Error, LambdaEvent};

pub use crate::error::{BatchError, EventError};
pub use crate::event::BatchEvent;
pub use crate::extract::{ExtractError, FromRecord, Json, RecordMeta};
pub use crate::handler::{HandlerFn, PoisonRecord, RecordHandler, handler_fn};
pub use crate::kind::{OrderingRule, RecordIdentity, SourceKind};
pub use crate::observe::{InjectedFailure, observe, observed_task};
pub use crate::outcome::{IntoRecordOutcome, RecordError, RecordErrorKind, RecordOutcome};
pub use crate::pipeline::BatchPipeline;
pub use crate::policy::{AllFailedPolicy, Limits};
pub use crate::report::{BatchCounts, BatchReport, RecordReport, RecordStatus};
pub use crate::response::{BatchResponse, ItemIdentifier};
pub use crate::sequence::compare_sequence_numbers;
pub use crate::service::BatchService;
pub use crate::source::{BatchRecord, Source};
