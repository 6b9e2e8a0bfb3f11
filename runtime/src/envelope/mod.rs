//! Envelopes: a record whose payload arrives wrapped by another AWS service.
//!
//! Each envelope is an extractor, a parameter type of a record function:
//!
//! | Parameter | Source | The record holds |
//! | --- | --- | --- |
//! | [`FromSns<T>`] | SQS | an SNS notification (SNS→SQS subscription without raw message delivery); `T` is its `Message`, parsed as JSON |
//! | [`FromEventBridge<T>`] | SQS, Kinesis | an EventBridge event (a rule's SQS or Kinesis target, no input transformer); `T` is its `detail` |
//! | [`S3Notification`] | SQS | an S3 event notification (`Records`), or the `s3:TestEvent` S3 sends when the notification is configured |
//! | [`CloudWatchLogs`] | Kinesis | CloudWatch Logs subscription data: gzip-compressed JSON, data or control message |
//!
//! Chains compose: an S3 notification sent to SNS, then to SQS, is
//! `FromSns<S3Notification>`.
//!
//! A record that is not the envelope its parameter claims fails alone, with
//! a message naming the envelope and what is missing (for example "the body
//! is not an SNS notification: no `Message` field (is raw message delivery
//! on? then take `Json<T>`)"); the other records of the batch go on.
//!
//! ```
//! use lambda_batch::envelope::FromSns;
//! use lambda_batch::batch_handler;
//!
//! #[derive(serde::Deserialize)]
//! struct Order { id: u64 }
//!
//! #[batch_handler(sqs)]
//! async fn handle(order: FromSns<Order>) -> Result<(), String> {
//!     tracing::info!(topic = %order.topic_arn, id = order.message.id, "order from SNS");
//!     Ok(())
//! }
//! ```

mod cloudwatch_logs;
mod eventbridge;
mod s3;
mod sns;

pub use self::cloudwatch_logs::{CloudWatchLogs, LogEvent, SubscriptionData};
pub use self::eventbridge::FromEventBridge;
pub use self::s3::{S3EventRecord, S3Notification, S3TestEvent};
pub use self::sns::{FromSns, SnsAttribute};
pub use crate::inflate::MAX_DECOMPRESSED_BYTES;
