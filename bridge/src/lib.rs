//! A local event source mapping: run an SQS batch handler against a real
//! SQS API (moto's server, ElasticMQ, LocalStack, or AWS itself), in
//! process, with the queue doing what it does on AWS.
//!
//! [`Bridge`] receives batches with `aws-sdk-sqs` (every system and message
//! attribute Lambda passes on), builds the event Lambda would send (its
//! field names and key order, the queue's ARN and region), invokes the
//! handler with a real `lambda_runtime::Context` (fresh request id, the
//! deadline of the function timeout), then applies the response the way
//! Lambda does:
//!
//! - the response is read by lambda-batch's own validator
//!   ([`lambda_batch::validate`]); when Lambda would accept it, every
//!   message it does not list is deleted (`DeleteMessageBatch`), and the
//!   listed ones come back after the visibility timeout, so the queue's
//!   redrive policy moves them to its DLQ after `maxReceiveCount` receives;
//! - a response Lambda rejects (an unknown `itemIdentifier`, not JSON, ...),
//!   a returned error, a panic or a timeout deletes nothing: the whole batch
//!   comes back, and the bridge pauses before the next poll (exponential,
//!   capped);
//! - FIFO queues: SQS hands out a group's messages in order, one batch at a
//!   time; a response that reports a failed message but not a later one of
//!   its group would let the later one overtake it: by default the bridge
//!   keeps those too ([`FifoOrder`]) and says so;
//! - nothing is deleted that the handler did not acknowledge.
//!
//! ```no_run
//! use std::time::Duration;
//! use lambda_batch::{batch_handler, Json};
//! use lambda_batch_bridge::{Bridge, BridgeConfig, ClientSettings};
//!
//! #[derive(serde::Deserialize)]
//! struct Order { id: u64, quantity: u32 }
//!
//! #[batch_handler(sqs)]
//! async fn handle_order(Json(order): Json<Order>) -> Result<(), String> {
//!     if order.quantity == 0 { Err(format!("order {} is empty", order.id)) } else { Ok(()) }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     tracing_subscriber::fmt().init();
//!     let client = ClientSettings::new()
//!         .endpoint_url("http://127.0.0.1:4566")
//!         .region("us-east-1")
//!         .static_credentials("test", "test")
//!         .client()
//!         .await?;
//!     let config = BridgeConfig::new("http://127.0.0.1:4566/000000000000/orders")
//!         .function_timeout(Duration::from_secs(10));
//!     let mut bridge = Bridge::new(client, config).await?;
//!     // Until Ctrl-C; `drain` stops once the queue is empty.
//!     bridge.run_until(&handle_order, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//!     Ok(())
//! }
//! ```
//!
//! What it does not do like Lambda (one poller, no scaling, approximate
//! counts): see the crate's README.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod backoff;
mod bridge;
mod client;
mod config;
mod context;
mod error;
mod event;
mod invoke;
mod plan;
mod queue;
mod summary;

pub use crate::bridge::Bridge;
pub use crate::client::ClientSettings;
pub use crate::config::{Backoff, BridgeConfig, ConfigError, FifoOrder};
pub use crate::error::BridgeError;
pub use crate::invoke::{FunctionError, Handler};
pub use crate::queue::QueueCounts;
pub use crate::summary::{Counters, DrainLimits, DrainSummary, PollOutcome, PollSummary, StopReason};

/// The SQS SDK the bridge uses, to create queues and send messages with the
/// same client.
pub use aws_sdk_sqs;

/// The crate README's Rust blocks, compiled as doc tests (not run: they
/// need an SQS endpoint).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeSnippets;
