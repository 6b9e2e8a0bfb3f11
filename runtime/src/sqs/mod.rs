//! SQS standard and FIFO queues.
//!
//! Use [`process`] (a [`BatchReport`] with each record's status) or
//! [`handle`] (the Lambda response) with any [`RecordHandler<Sqs>`]: one made
//! by `#[batch_handler]`, one from [`handler_fn`], or your own.
//!
//! Rules kept:
//! - every record is handled, and failures are reported by `messageId`;
//! - FIFO (an `eventSourceARN` ending in `.fifo`, or [`QueueKind::Fifo`]):
//!   after a failure, the later records are reported and not called
//!   ([`FifoPolicy::StopAtFirstFailure`]), or only the later records of the
//!   failing message group ([`FifoPolicy::SkipFailedGroup`]);
//! - a panic fails its record only;
//! - a record without a usable `messageId` fails the invocation
//!   ([`BatchError::MissingItemIdentifier`]).

mod config;
mod extract;
mod record;

use std::borrow::Cow;
use std::future::Future;

pub use aws_lambda_events::sqs::SqsMessage;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::value::RawValue;

pub use self::config::{FifoPolicy, QueueKind, SqsConfig};
pub use self::record::SqsRecord;
use crate::engine::{self, Plan, StopRule};
use crate::error::BatchError;
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::outcome::{IntoRecordOutcome, RecordOutcome};
use crate::report::{BatchReport, ResponseRule};
use crate::response::BatchResponse;
use crate::source::{Source, SourceKind};

/// The SQS event source (marker type).
#[derive(Debug)]
pub enum Sqs {}

impl crate::source::sealed::Sealed for Sqs {}

impl Source for Sqs {
    type Record<'e> = SqsRecord<'e>;

    const KIND: SourceKind = SourceKind::Sqs;

    type Config = SqsConfig;

    fn handle<'a, H: RecordHandler<Self> + Sync>(
        handler: &'a H,
        config: &'a SqsConfig,
        event: LambdaEvent<BatchEvent>,
    ) -> impl Future<Output = Result<BatchResponse, BatchError>> + Send + 'a {
        handle(handler, config, event)
    }

    fn shorten<'a, 'e: 'a>(record: &'a SqsRecord<'e>) -> &'a SqsRecord<'a> {
        record
    }

    fn read_record(index: usize, raw: &RawValue) -> Result<SqsRecord<'_>, BatchError> {
        SqsRecord::parse(index, raw.get())
    }

    fn into_item_identifier<'e>(record: SqsRecord<'e>) -> Cow<'e, str>
    where
        Self: 'e,
    {
        record.into_message_id()
    }
}

/// Where an SQS record's identifier is.
pub(crate) const ID_FIELD: &str = "messageId";

/// Reads every record of an SQS event, in order.
///
/// # Errors
/// [`BatchError::InvalidEvent`] if the event has no `Records` array;
/// [`BatchError::MissingItemIdentifier`] if a record has no usable
/// `messageId`.
pub fn read_records(event: &BatchEvent) -> Result<Vec<SqsRecord<'_>>, BatchError> {
    crate::source::read_records::<Sqs>(event)
}

/// Handles an SQS batch and reports what happened to each record.
///
/// # Errors
/// See [`read_records`]; nothing is handled when the event cannot be read.
pub async fn process<'e, H: RecordHandler<Sqs>>(
    handler: &H,
    config: &SqsConfig,
    event: &'e BatchEvent,
    cx: &Context,
) -> Result<BatchReport<'e>, BatchError> {
    let records = read_records(event)?;
    // Every record of a batch comes from the one queue the mapping reads:
    // the first ARN tells (reading it for every record would cost a full
    // pass over records that a FIFO rule may never call).
    let fifo = config.queue_kind() == QueueKind::Fifo
        || records.iter().find_map(SqsRecord::queue_arn).is_some_and(|arn| arn.ends_with(".fifo"));
    let rule = match (fifo, config.fifo_policy_kind()) {
        (false, _) => StopRule::Nothing,
        (true, FifoPolicy::StopAtFirstFailure) => StopRule::Everything,
        (true, FifoPolicy::SkipFailedGroup) => StopRule::SameKey,
    };
    // FIFO with stop-at-first runs one record at a time: a record running
    // beside a failed one could succeed and still have to be reported.
    let limits = match (fifo, config.fifo_policy_kind()) {
        (true, FifoPolicy::StopAtFirstFailure) => config.run_limits().concurrency(1),
        _ => config.run_limits(),
    };
    let source = if fifo { SourceKind::SqsFifo } else { SourceKind::Sqs };
    let plan = Plan {
        source,
        stop: rule,
        ordered: fifo,
        limits,
        max_receive_count: config.max_receive_count_budget(),
        drop_over_budget: config.drops_over_budget(),
    };
    let statuses = engine::run::<Sqs, H>(&records, plan, handler, cx).await;
    let report = BatchReport::new(
        records.into_iter().map(SqsRecord::into_message_id),
        statuses,
        config.all_failed_policy(),
        ResponseRule::EveryRetried,
        source,
    );
    report.log_summary();
    Ok(report)
}

/// Handles an SQS invocation: [`process`], then the all-failed policy.
///
/// # Errors
/// See [`process`] and [`BatchReport::into_response`].
pub async fn handle<H: RecordHandler<Sqs>>(
    handler: &H,
    config: &SqsConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    let (payload, context) = event.into_parts();
    crate::stream::log_failure(
        SourceKind::Sqs,
        process(handler, config, &payload, &context).await.and_then(BatchReport::into_response),
    )
}

/// A [`RecordHandler<Sqs>`] from a plain function of the record and context.
///
/// ```
/// use lambda_batch::{sqs, Context};
/// let handler = sqs::handler_fn(|record: &sqs::SqsRecord<'_>, _cx: &Context| {
///     if record.body() == Some("boom") { Err("bad record") } else { Ok(()) }
/// });
/// # let _ = handler;
/// ```
pub fn handler_fn<F, O>(function: F) -> HandlerFn<F>
where
    F: Fn(&SqsRecord<'_>, &Context) -> O,
    O: IntoRecordOutcome,
{
    HandlerFn(function)
}

/// The handler made by [`handler_fn`].
#[derive(Debug, Clone, Copy)]
pub struct HandlerFn<F>(F);

impl<F, O> RecordHandler<Sqs> for HandlerFn<F>
where
    F: Fn(&SqsRecord<'_>, &Context) -> O,
    O: IntoRecordOutcome,
{
    fn handle<'a>(
        &'a self,
        record: &'a SqsRecord<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = RecordOutcome> + Send + 'a {
        let outcome = (self.0)(record, cx).into_record_outcome();
        async move { outcome }
    }
}
