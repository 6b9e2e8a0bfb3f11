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
//! The same attribute serves every source; the parameters say what the
//! function reads from its record:
//!
//! ```
//! use lambda_batch::dynamodb::{EventName, NewImage};
//! use lambda_batch::kafka::Key;
//! use lambda_batch::{batch_handler, Json, RecordOutcome};
//!
//! #[derive(serde::Deserialize)]
//! struct Reading { sensor: String, celsius: f64 }
//!
//! /// Kinesis: `data` is base64-decoded. The first failure stops the batch and
//! /// its sequence number is the checkpoint Lambda resumes from.
//! #[batch_handler(kinesis)]
//! async fn store_reading(Json(reading): Json<Reading>) -> RecordOutcome {
//!     if !(-90.0..=60.0).contains(&reading.celsius) {
//!         // Acknowledged, never retried: a reading no retry can fix.
//!         return RecordOutcome::poison(format!("{} reported {} °C", reading.sensor, reading.celsius));
//!     }
//!     RecordOutcome::Success
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Item { id: String, units: u32 }
//!
//! /// DynamoDB Streams: keys and images are read from DynamoDB JSON.
//! #[batch_handler(dynamodb)]
//! async fn project(change: EventName, new: Option<NewImage<Item>>) -> Result<(), String> {
//!     if let (EventName::Insert, Some(NewImage(item))) = (change, new) {
//!         tracing::info!(id = item.id, units = item.units, "projected");
//!     }
//!     Ok(())
//! }
//!
//! /// Kafka (Amazon MSK or self-managed): a failure stops only its partition.
//! #[batch_handler(kafka)]
//! fn count_click(Key(user): Key<'_>, page: &str) -> Result<(), String> {
//!     let user = user.ok_or("a click without a user key")?;
//!     tracing::info!(user = ?user, page, "counted");
//!     Ok(())
//! }
//! ```
//!
//! A record function takes, in any order: the payload (`&str`, `String`,
//! `&[u8]`, `Vec<u8>`, [`Json<T>`], an [`envelope`]), the source's record
//! (`&SqsMessage`, [`kinesis::KinesisRecord`], ...), DynamoDB's keys and
//! images, Kafka's key and headers, [`RecordMeta`], `&Context`, one
//! `#[state]`, and `Option` or `Result<_, ExtractError>` of an extractor to
//! handle a bad payload itself. It returns `()`, `Result<(), E>`,
//! [`RecordOutcome`] or `Result<RecordOutcome, E>`, with `E: Display` (its
//! `source()` chain is kept when it is an error). Every option of the
//! attribute is listed on [`batch_handler`]; the guide's "Parameters,
//! results and options" chapter shows each with an example.
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
//!     lambda_runtime::tracing::init_default_subscriber();
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
//! A payload another service wrapped (an SNS notification or an EventBridge
//! event in an SQS message, an S3 event notification, CloudWatch Logs
//! subscription data in Kinesis) is unwrapped by the extractors of
//! [`envelope`]; Kafka values and keys in Avro or Protobuf, with or without
//! a Confluent or AWS Glue prefix, by `kafka::Avro<T>` and
//! `kafka::Protobuf<T>` (features `avro` and `protobuf`).
//!
//! Every source delivers at least once. `#[batch_handler(sqs, idempotency = path)]`
//! (or [`idempotency::Idempotent`] by hand) claims every record's key in one
//! store call before the batch, replays records handled before
//! ([`RecordStatus::Replayed`]) and writes the results in one call after;
//! [`idempotency::idempotent`] does the same for asynchronous invocations,
//! keyed on the request id. See [`idempotency`].
//!
//! A record function that computes more than it waits can use every core:
//! `#[batch_handler(sqs, parallel)]` (or [`parallel::Parallel`] by hand)
//! runs records on tokio's blocking threads, under the same order rules.
//!
//! [lambda-batch-testkit](https://docs.rs/lambda-batch-testkit), as a
//! dev-dependency, proves a handler keeps these promises, a hand-written
//! `lambda_runtime` handler too: it runs it on every batch of 1 to 4
//! records with every fault, samples larger batches in property tests,
//! checks every response against the rules of [`aws_rules`], and simulates Lambda's
//! deliveries and retries in virtual time.
//!
//! How Lambda delivers batches, retries them and reads a partial batch
//! response, in plain words with links to AWS's documentation, is the page
//! [`aws_rules`]: every rule this crate, its validator and the testkit's
//! simulator follow, and what they assume where AWS is silent. The guide
//! (`book/` in the repository; `mdbook serve book`) walks through every
//! source, option and the testkit with examples.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[doc = include_str!("aws_rules.md")]
pub mod aws_rules {}
pub mod dynamodb;
mod engine;
pub mod envelope;
mod error;
mod escaped_json;
mod event;
mod extract;
mod handler;
pub mod idempotency;
mod identify;
mod inflate;
mod json;
pub mod kafka;
mod kind;
pub mod kinesis;
pub mod metrics;
mod observe;
mod observer;
mod outcome;
pub mod parallel;
mod pipeline;
mod plan;
mod policy;
mod report;
pub mod reported;
mod response;
mod returned;
mod scan;
mod sequence;
mod service;
mod source;
pub mod sqs;
pub mod stream;
pub mod validate;
pub mod wire;

/// The `aws_lambda_events` types a hand-written handler or a test needs:
/// the events, their records, the responses and their failure entries, so
/// that `lambda_batch` is the only import (its
/// [`lambda_runtime`] re-export runs the function).
///
/// The record types keep their `aws_lambda_events` names where these do not
/// clash with this crate's own views of a record (`lambda_batch::kinesis::KinesisRecord`,
/// `lambda_batch::kafka::KafkaRecord`): the Kafka record is
/// `KafkaEventRecord`, DynamoDB's `EventRecord` and `StreamRecord` are
/// `DynamoDbEventRecord` and `DynamoDbStreamRecord`.
///
/// ```no_run
/// use lambda_batch::aws_events::{BatchItemFailure, SqsBatchResponse, SqsEvent};
/// use lambda_batch::lambda_runtime::{self, service_fn};
/// use lambda_batch::{Error, LambdaEvent};
///
/// /// Reports every message whose body is empty.
/// async fn handler(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
///     let mut response = SqsBatchResponse::default();
///     for message in event.payload.records {
///         if message.body.as_deref().unwrap_or_default().is_empty() {
///             tracing::warn!(id = ?message.message_id, "empty body");
///             let mut failure = BatchItemFailure::default();
///             failure.item_identifier = message.message_id.unwrap_or_default();
///             response.batch_item_failures.push(failure);
///         }
///     }
///     Ok(response)
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Error> {
///     lambda_runtime::tracing::init_default_subscriber();
///     lambda_runtime::run(service_fn(handler)).await
/// }
/// ```
pub mod aws_events {
    pub use aws_lambda_events::dynamodb::{
        Event as DynamoDbEvent, EventRecord as DynamoDbEventRecord, StreamRecord as DynamoDbStreamRecord,
    };
    pub use aws_lambda_events::kafka::{KafkaEvent, KafkaRecord as KafkaEventRecord};
    pub use aws_lambda_events::kinesis::{KinesisEvent, KinesisEventRecord};
    pub use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
    pub use aws_lambda_events::streams::{
        DynamoDbBatchItemFailure, DynamoDbEventResponse, KinesisBatchItemFailure, KinesisEventResponse,
    };
}

/// The `lambda_runtime` crate this version of lambda-batch is built
/// against (`lambda_batch::lambda_runtime::run(service_fn(..))`), so the
/// two never disagree on a version.
pub use lambda_runtime;

#[doc(hidden)]
pub mod __private;
#[cfg(feature = "fault-injection")]
pub mod fault;

pub use lambda_batch_macros::batch_handler;
pub use lambda_runtime::{Context, Error, LambdaEvent};

pub use crate::error::{BatchError, EventError};
pub use crate::event::BatchEvent;
pub use crate::extract::OptionalPayload;
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
