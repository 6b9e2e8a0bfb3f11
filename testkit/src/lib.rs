//! Test support for lambda-batch handlers.
//!
//! For now: a Lambda-shaped [`Context`](lambda_runtime::Context) with a real
//! deadline ([`context`]) and builders for events of the shape Lambda sends
//! ([`sqs`], [`kinesis`], [`dynamodb`]). Property-test strategies, invariant checks, fault
//! injection and the delivery simulator come next.
//!
//! ```
//! use lambda_batch_testkit::{context, sqs};
//! let event = sqs::event([sqs::message("m1", "hello"), sqs::fifo_message("m2", "g1", "hi")]);
//! let cx = context();
//! assert!(cx.deadline > 0);
//! # let _ = event;
//! ```

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod check;
pub mod dynamodb;
pub mod faults;
pub mod harness;
pub mod kinesis;
pub mod prelude;
pub mod sqs;
pub mod strategy;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::Context;

/// A context like Lambda's for a 15-minute function: request id
/// `"test-request-id"`, deadline 15 minutes from now.
///
/// Unlike `Context::default()`, whose deadline is the Unix epoch (already
/// past), this one is safe for deadline-aware code.
pub fn context() -> Context {
    context_with_budget(Duration::from_secs(15 * 60))
}

/// A context whose deadline is `budget` from now.
pub fn context_with_budget(budget: Duration) -> Context {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut cx = Context::default();
    cx.request_id = "test-request-id".to_owned();
    cx.deadline = u64::try_from((now + budget).as_millis()).unwrap_or(u64::MAX);
    cx.invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:test-function".to_owned();
    cx
}
