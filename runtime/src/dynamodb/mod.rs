//! DynamoDB Streams.
//!
//! The `itemIdentifier` is `dynamodb.SequenceNumber`; the failure policies
//! are those of [`kinesis`](crate::kinesis). Item images decode into your
//! own types through [`serde_dynamo`]: take [`NewImage<T>`], [`OldImage<T>`]
//! or [`Keys<T>`] (or `Option<..>` of them when a view type or event name may
//! leave them out) and [`EventName`].

mod extract;
mod record;

pub use aws_lambda_events::dynamodb::EventRecord;
use std::borrow::Cow;
use std::future::Future;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::value::RawValue;

pub use self::record::DynamoDbRecord;
use crate::error::BatchError;
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::report::BatchReport;
use crate::response::BatchResponse;
use crate::source::{Source, SourceKind};
use crate::stream::StreamConfig;

/// The DynamoDB Streams event source (marker type).
#[derive(Debug)]
pub enum DynamoDb {}

impl crate::source::sealed::Sealed for DynamoDb {}

impl Source for DynamoDb {
    type Record<'e> = DynamoDbRecord<'e>;

    const KIND: SourceKind = SourceKind::DynamoDb;

    type Config = StreamConfig;

    fn handle<'a, H: RecordHandler<Self> + Sync>(
        handler: &'a H,
        config: &'a StreamConfig,
        event: LambdaEvent<BatchEvent>,
    ) -> impl Future<Output = Result<BatchResponse, BatchError>> + Send + 'a {
        handle(handler, config, event)
    }

    fn shorten<'a, 'e: 'a>(record: &'a DynamoDbRecord<'e>) -> &'a DynamoDbRecord<'a> {
        record
    }

    fn read_record(index: usize, raw: &RawValue) -> Result<DynamoDbRecord<'_>, BatchError> {
        DynamoDbRecord::parse(index, raw)
    }

    fn into_item_identifier<'e>(record: DynamoDbRecord<'e>) -> Cow<'e, str>
    where
        Self: 'e,
    {
        record.into_sequence_number()
    }
}

impl crate::stream::StreamSource for DynamoDb {
    const CHECKPOINT: crate::stream::Checkpoint = crate::stream::Checkpoint::Batch;
}

/// Where a DynamoDB Streams record's identifier is.
pub(crate) const ID_FIELD: &str = "dynamodb.SequenceNumber";

/// The item after the change (`dynamodb.NewImage`), decoded into `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImage<T>(pub T);

/// The item before the change (`dynamodb.OldImage`), decoded into `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldImage<T>(pub T);

/// The item's primary key (`dynamodb.Keys`), decoded into `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys<T>(pub T);

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventName {
    /// A new item (`INSERT`): only `NewImage`.
    Insert,
    /// An item changed (`MODIFY`): `NewImage` and `OldImage`, by view type.
    Modify,
    /// An item deleted (`REMOVE`), also by TTL: only `OldImage`.
    Remove,
}

/// Reads every record of a DynamoDB Streams event, in order.
///
/// # Errors
/// [`BatchError::InvalidEvent`] if the event has no `Records` array;
/// [`BatchError::MissingItemIdentifier`] if a record has no usable
/// `dynamodb.SequenceNumber`.
pub fn read_records(event: &BatchEvent) -> Result<Vec<DynamoDbRecord<'_>>, BatchError> {
    crate::source::read_records::<DynamoDb>(event)
}

/// Handles a DynamoDB Streams batch and reports what happened to each record.
///
/// # Errors
/// See [`read_records`]; nothing is handled when the event cannot be read.
pub async fn process<'e, H: RecordHandler<DynamoDb>>(
    handler: &H,
    config: &StreamConfig,
    event: &'e BatchEvent,
    cx: &Context,
) -> Result<BatchReport<'e>, BatchError> {
    crate::stream::process::<DynamoDb, H>(handler, config, event, cx).await
}

/// Handles a DynamoDB Streams invocation: [`process`], then the all-failed policy.
///
/// # Errors
/// See [`process`] and [`BatchReport::into_response`].
pub async fn handle<H: RecordHandler<DynamoDb>>(
    handler: &H,
    config: &StreamConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    crate::stream::handle::<DynamoDb, H>(handler, config, event).await
}
