//! End-to-end invariants of a simulated run (SQS, streams, Kafka,
//! asynchronous invocation), each returning
//! `Result<(), TestCaseError>` so proptest shrinks the schedule.

mod async_invoke;
mod common;
mod kafka;
mod sqs;
mod stream;

pub use self::async_invoke::effects_exactly_once;
pub use self::common::first_handlings_in_order;
pub use self::kafka::{
    kafka_effects_exactly_once, kafka_first_handlings_in_order, kafka_nothing_lost,
    kafka_nothing_lost_or_unhandled, kafka_progress,
};
pub use self::sqs::{
    fifo_order, message_effects_exactly_once, nothing_lost, nothing_lost_or_unhandled, progress,
};
pub use self::stream::{
    stream_effects_exactly_once, stream_nothing_lost, stream_nothing_lost_or_unhandled, stream_progress,
};
