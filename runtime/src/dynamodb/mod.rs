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

use serde_json::value::RawValue;

pub use self::record::DynamoDbRecord;
use crate::error::BatchError;
use crate::kind::SourceKind;
use crate::plan::BatchPlan;
use crate::response::IdentifierShape;
use crate::source::Source;
use crate::stream::{Checkpoint, StreamConfig};

/// The DynamoDB Streams event source (marker type).
#[derive(Debug)]
pub enum DynamoDb {}

impl crate::source::sealed::Sealed for DynamoDb {}

impl Source for DynamoDb {
    type Record<'e> = DynamoDbRecord<'e>;

    const KIND: SourceKind = SourceKind::DynamoDb;

    type Config = StreamConfig;

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

    fn plan(config: &StreamConfig, _records: &[DynamoDbRecord<'_>]) -> BatchPlan {
        crate::stream::plan(config, Self::KIND, Checkpoint::Batch, IdentifierShape::Text)
    }
}

/// Where a DynamoDB Streams record's identifier is.
pub(crate) const ID_FIELD: &str = "dynamodb.SequenceNumber";

/// How Lambda writes a DynamoDB Streams event: one `Records` array, each
/// record's keys (and those of its `dynamodb` object) in this order.
pub(crate) const EVENT_LAYOUT: crate::wire::EventLayout = crate::wire::EventLayout {
    records: crate::wire::RecordList::Array,
    record: crate::wire::KeyOrder {
        keys: &[
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        ],
        nested: &[(
            "dynamodb",
            &[
                "ApproximateCreationDateTime",
                "Keys",
                "NewImage",
                "OldImage",
                "SequenceNumber",
                "SizeBytes",
                "StreamViewType",
            ],
        )],
    },
};

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
