//! SQS standard and FIFO queues.
//!
//! Handle a batch with [`Sqs::process`](crate::BatchPipeline::process) (a
//! [`BatchReport`](crate::BatchReport) with each record's status) or
//! [`Sqs::handle`](crate::BatchPipeline::handle) (the Lambda response), with
//! any [`RecordHandler<Sqs>`](crate::RecordHandler): one made by
//! `#[batch_handler]`, one from [`handler_fn`](crate::handler_fn), or your own.
//!
//! Rules kept:
//! - standard queue: every record is handled, and failures are reported by
//!   `messageId` ([`StandardPolicy::Continue`]), or a failure stops the later
//!   records, which are reported without being called
//!   ([`StandardPolicy::StopAtFirstFailure`]);
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

pub use aws_lambda_events::sqs::SqsMessage;
use serde_json::value::RawValue;

pub use self::config::{FifoPolicy, QueueKind, SqsConfig, StandardPolicy};
pub use self::record::SqsRecord;
use crate::error::BatchError;
use crate::kind::SourceKind;
use crate::plan::{BatchPlan, ResponseRule, StopRule};
use crate::response::IdentifierShape;
use crate::source::Source;

/// The SQS event source (marker type).
#[derive(Debug)]
pub enum Sqs {}

impl crate::source::sealed::Sealed for Sqs {}

impl Source for Sqs {
    type Record<'e> = SqsRecord<'e>;

    const KIND: SourceKind = SourceKind::Sqs;

    type Config = SqsConfig;

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

    fn plan(config: &SqsConfig, records: &[SqsRecord<'_>]) -> BatchPlan {
        // Every record of a batch comes from the one queue the mapping reads:
        // the first ARN tells (reading it for every record would cost a full
        // pass over records that a FIFO rule may never call).
        let fifo = config.queue_kind() == QueueKind::Fifo
            || records.iter().find_map(SqsRecord::queue_arn).is_some_and(|arn| arn.ends_with(".fifo"));
        let (source, stop, limits) = match (fifo, config.fifo_policy()) {
            (false, _) => match config.standard_policy() {
                StandardPolicy::Continue => (Self::KIND, StopRule::Nothing, config.limits()),
                StandardPolicy::StopAtFirstFailure => {
                    (Self::KIND, StopRule::Everything, config.limits().with_concurrency(1))
                }
            },
            // Stop-at-first runs one record at a time: a record running
            // beside a failed one could succeed and still have to be reported.
            (true, FifoPolicy::StopAtFirstFailure) => {
                (SourceKind::sqs_queue(true), StopRule::Everything, config.limits().with_concurrency(1))
            }
            (true, FifoPolicy::SkipFailedGroup) => {
                (SourceKind::sqs_queue(true), StopRule::SameKey, config.limits())
            }
        };
        BatchPlan {
            source,
            stop,
            ordered: fifo,
            limits,
            max_receive_count: config.max_receive_count(),
            drop_over_budget: config.drop_over_budget(),
            response: ResponseRule::EveryRetried,
            shape: IdentifierShape::Text,
            all_failed: config.all_failed_policy(),
        }
    }
}

/// Where an SQS record's identifier is.
pub(crate) const ID_FIELD: &str = "messageId";

/// How Lambda writes an SQS event: one `Records` array, each record's keys
/// in this order.
pub(crate) const EVENT_LAYOUT: crate::wire::EventLayout = crate::wire::EventLayout {
    records: crate::wire::RecordList::Array,
    record: crate::wire::KeyOrder {
        keys: &[
            "messageId",
            "receiptHandle",
            "body",
            "attributes",
            "messageAttributes",
            "md5OfBody",
            "eventSource",
            "eventSourceARN",
            "awsRegion",
        ],
        nested: &[],
    },
};
