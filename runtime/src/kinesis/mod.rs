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

use serde_json::value::RawValue;

pub use self::record::KinesisRecord;
use crate::error::BatchError;
use crate::kind::SourceKind;
use crate::plan::BatchPlan;
use crate::response::IdentifierShape;
use crate::source::Source;
use crate::stream::{Checkpoint, StreamConfig};

/// The Kinesis event source (marker type).
#[derive(Debug)]
pub enum Kinesis {}

impl crate::source::sealed::Sealed for Kinesis {}

impl Source for Kinesis {
    type Record<'e> = KinesisRecord<'e>;

    const KIND: SourceKind = SourceKind::Kinesis;

    type Config = StreamConfig;

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

    fn plan(config: &StreamConfig, _records: &[KinesisRecord<'_>]) -> BatchPlan {
        crate::stream::plan(config, Self::KIND, Checkpoint::Batch, IdentifierShape::Text)
    }
}

/// Where a Kinesis record's identifier is.
pub(crate) const ID_FIELD: &str = "kinesis.sequenceNumber";

/// How Lambda writes a Kinesis event: one `Records` array, each record's
/// keys (and those of its `kinesis` object) in this order.
pub(crate) const EVENT_LAYOUT: crate::wire::EventLayout = crate::wire::EventLayout {
    records: crate::wire::RecordList::Array,
    record: crate::wire::KeyOrder {
        keys: &[
            "kinesis",
            "eventSource",
            "eventVersion",
            "eventID",
            "eventName",
            "invokeIdentityArn",
            "awsRegion",
            "eventSourceARN",
        ],
        nested: &[(
            "kinesis",
            &[
                "kinesisSchemaVersion",
                "partitionKey",
                "sequenceNumber",
                "data",
                "approximateArrivalTimestamp",
            ],
        )],
    },
};
