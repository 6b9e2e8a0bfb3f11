//! Amazon MSK and self-managed Apache Kafka.
//!
//! A Kafka event holds records of one or more partitions
//! (`{"records": {"<topic>-<partition>": [...]}}`); the engine handles them
//! in batch order, one partition's records in offset order. The
//! `itemIdentifier` of a failed record is an object,
//! `{"partition": "<topic>-<partition>", "offset": <number>}`, as described
//! in AWS's [Kafka error handling
//! page](https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html)
//! (partial batch responses need the event source mapping in provisioned
//! mode with `ReportBatchItemFailures`).
//!
//! Under [`StreamPolicy::Checkpoint`](crate::stream::StreamPolicy::Checkpoint)
//! (the default) a failure stops the later records *of its partition* and
//! the response names the lowest offset not handled of each partition, so
//! Lambda commits each partition just before it; other partitions go on.
//! Under `Continue` every record is handled and every failure reported.
//!
//! A record without a usable `topic`, `partition` or `offset` fails the
//! invocation (its failure could not be reported); a `value` that is not
//! base64, or whose payload does not parse, fails that record alone.

mod extract;
mod record;

use std::borrow::Cow;
use std::future::Future;

pub use aws_lambda_events::kafka::KafkaRecord as KafkaEventRecord;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::value::RawValue;

pub use self::extract::{Headers, Key};
pub use self::record::{KafkaHeader, KafkaRecord};
use crate::error::BatchError;
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::report::BatchReport;
use crate::response::BatchResponse;
use crate::source::{Source, SourceKind};
use crate::stream::StreamConfig;

/// The Kafka event source (marker type): Amazon MSK or self-managed Kafka.
#[derive(Debug)]
pub enum Kafka {}

impl crate::source::sealed::Sealed for Kafka {}

impl Source for Kafka {
    type Record<'e> = KafkaRecord<'e>;

    const KIND: SourceKind = SourceKind::Kafka;

    type Config = StreamConfig;

    fn handle<'a, H: RecordHandler<Self> + Sync>(
        handler: &'a H,
        config: &'a StreamConfig,
        event: LambdaEvent<BatchEvent>,
    ) -> impl Future<Output = Result<BatchResponse, BatchError>> + Send + 'a {
        handle(handler, config, event)
    }

    fn shorten<'a, 'e: 'a>(record: &'a KafkaRecord<'e>) -> &'a KafkaRecord<'a> {
        record
    }

    fn read_record(index: usize, raw: &RawValue) -> Result<KafkaRecord<'_>, BatchError> {
        KafkaRecord::parse(index, raw)
    }

    fn into_item_identifier<'e>(record: KafkaRecord<'e>) -> Cow<'e, str>
    where
        Self: 'e,
    {
        Cow::Owned(record.into_item_identifier())
    }
}

impl crate::stream::StreamSource for Kafka {
    const CHECKPOINT: crate::stream::Checkpoint = crate::stream::Checkpoint::PerOrderingKey;
}

/// Where a Kafka record's identifier comes from.
pub(crate) const ID_FIELD: &str = "topic, partition and offset";

/// Splits a Kafka identifier's text form, `<topic>-<partition>@<offset>`.
pub(crate) fn split_item_identifier(id: &str) -> Option<(&str, i64)> {
    let (partition, offset) = id.rsplit_once('@')?;
    Some((partition, offset.parse().ok()?))
}

/// The identifiers of the lowest offset of each partition among `ids`, in
/// the order their partitions first appear.
pub(crate) fn lowest_per_partition<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut lowest: Vec<(&'a str, i64, &'a str)> = Vec::new();
    for id in ids {
        let Some((partition, offset)) = split_item_identifier(id) else { continue };
        match lowest.iter_mut().find(|(p, _, _)| *p == partition) {
            Some(entry) if offset < entry.1 => *entry = (partition, offset, id),
            Some(_) => {}
            None => lowest.push((partition, offset, id)),
        }
    }
    lowest.into_iter().map(|(_, _, id)| id).collect()
}

/// Reads every record of a Kafka event, partition after partition, in the
/// order of the event.
///
/// # Errors
/// [`BatchError::InvalidEvent`] if the event has no `records` map of
/// arrays; [`BatchError::MissingItemIdentifier`] if a record has no usable
/// `topic`, `partition` or `offset`.
pub fn read_records(event: &BatchEvent) -> Result<Vec<KafkaRecord<'_>>, BatchError> {
    crate::source::read_records::<Kafka>(event)
}

/// Handles a Kafka batch and reports what happened to each record.
///
/// # Errors
/// See [`read_records`]; nothing is handled when the event cannot be read.
pub async fn process<'e, H: RecordHandler<Kafka>>(
    handler: &H,
    config: &StreamConfig,
    event: &'e BatchEvent,
    cx: &Context,
) -> Result<BatchReport<'e>, BatchError> {
    crate::stream::process::<Kafka, H>(handler, config, event, cx).await
}

/// Handles a Kafka invocation: [`process`], then the all-failed policy.
///
/// # Errors
/// See [`process`] and [`BatchReport::into_response`].
pub async fn handle<H: RecordHandler<Kafka>>(
    handler: &H,
    config: &StreamConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError> {
    crate::stream::handle::<Kafka, H>(handler, config, event).await
}
