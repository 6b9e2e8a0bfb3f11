//! Kinesis Data Streams.
//!
//! The `itemIdentifier` is `kinesis.sequenceNumber`. Under
//! [`StreamPolicy::Checkpoint`](crate::stream::StreamPolicy::Checkpoint)
//! (the default) the first failure stops the batch and only its sequence
//! number is reported, so Lambda checkpoints just before it and nothing that
//! succeeded is replayed; under `Continue` every record is handled and every
//! failure reported.

mod extract;
mod record;

pub use aws_lambda_events::kinesis::KinesisEventRecord;
use std::borrow::Cow;
use std::future::Future;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::value::RawValue;

pub use self::record::KinesisRecord;
use crate::error::BatchError;
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::report::BatchReport;
use crate::response::BatchResponse;
use crate::source::{Source, SourceKind};
use crate::stream::StreamConfig;

/// The Kinesis event source (marker type).
#[derive(Debug)]
pub enum Kinesis {}

impl crate::source::sealed::Sealed for Kinesis {}

impl Source for Kinesis {
    type Record<'e> = KinesisRecord<'e>;

    const KIND: SourceKind = SourceKind::Kinesis;

    type Config = StreamConfig;

    fn handle<'a, H: RecordHandler<Self> + Sync>(
        handler: &'a H,
        config: &'a StreamConfig,
        event: LambdaEvent<BatchEvent>,
    ) -> impl Future<Output = Result<BatchResponse, BatchError>> + Send + 'a {
        handle(handler, config, event)
    }

    fn shorten<'a, 'e: 'a>(record: &'a KinesisRecord<'e>) -> &'a KinesisRecord<'a> {
        record
    }

    fn read_record(index: usize, raw: &RawValue) -> Result<KinesisRecord<'_>, BatchError> {
        KinesisRecord::parse(index, raw)
    }

    fn into_item_identifier<'e>(record: KinesisRecord<'e>) -> Cow<'e, str>
    where
        Self: 'e,
    {
        record.into_sequence_number()
    }
}

impl crate::stream::StreamSource for Kinesis {
    const CHECKPOINT: crate::stream::Checkpoint = crate::stream::Checkpoint::Batch;
}

/// Where a Kinesis record's identifier is.
pub(crate) const ID_FIELD: &str = "kinesis.sequenceNumber";

/// Reads every record of a Kinesis event, in order.
///
/// # Errors
/// [`BatchError::InvalidEvent`] if the event has no `Records` array;
/// [`BatchError::MissingItemIdentifier`] if a record has no usable
/// `kinesis.sequenceNumber`.
pub fn read_records(event: &BatchEvent) -> Result<Vec<KinesisRecord<'_>>, BatchError> {
    crate::source::read_records::<Kinesis>(event)
}

/// Handles a Kinesis batch and reports what happened to each record.
///
/// # Errors
/// See [`read_records`]; nothing is handled when the event cannot be read.
pub async fn process<'e, H: RecordHandler<Kinesis>>(
    handler: &H,
    config: &StreamConfig,
    event: &'e BatchEvent,
    cx: &Context,
) -> Result<BatchReport<'e>, BatchError> {
    crate::stream::process::<Kinesis, H>(handler, config, event, cx).await
}

/// Handles a Kinesis invocation: [`process`], then the all-failed policy.
///
/// # Errors
/// See [`process`] and [`BatchReport::into_response`].
pub async fn handle<H: RecordHandler<Kinesis>>(
    handler: &H,
    config: &StreamConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    crate::stream::handle::<Kinesis, H>(handler, config, event).await
}
