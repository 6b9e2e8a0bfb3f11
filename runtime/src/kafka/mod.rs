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
//! base64, or whose payload does not parse, fails that record alone. An
//! event that contradicts itself (both `Records` and `records`, or a record
//! whose `topic` and `partition` name another partition than the key it
//! sits under) fails the invocation
//! ([`EventError::RecordsAndKafkaRecords`](crate::EventError::RecordsAndKafkaRecords),
//! [`EventError::KafkaRecordUnderOtherPartition`](crate::EventError::KafkaRecordUnderOtherPartition)).

/// `into_inner`, `Deref` and `DerefMut` for the decoded-payload wrappers
/// (`Avro<T>`, `AvroKey<T>`, `Protobuf<T>`, `ProtobufKey<T>`), written once
/// for all four. Defined before the modules that use it.
#[cfg(any(feature = "avro", feature = "protobuf"))]
macro_rules! decoded_wrapper {
    ($name:ident) => {
        impl<T> $name<T> {
            /// The decoded value.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> std::ops::DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
    };
}

#[cfg(feature = "avro")]
mod avro;
mod extract;
#[cfg(any(feature = "avro", feature = "protobuf"))]
mod framing;
pub(crate) mod position;
#[cfg(feature = "protobuf")]
mod protobuf;
mod record;

use std::borrow::Cow;

pub use aws_lambda_events::kafka::KafkaRecord as KafkaEventRecord;
use serde_json::value::RawValue;

#[cfg(feature = "avro")]
pub use self::avro::{Avro, AvroKey, MAX_AVRO_ALLOCATION_BYTES, WriterSchema};
pub use self::extract::{Headers, Key};
#[cfg(any(feature = "avro", feature = "protobuf"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "avro", feature = "protobuf"))))]
pub use self::framing::WireFormat;
#[cfg(feature = "protobuf")]
pub use self::protobuf::{Protobuf, ProtobufKey};
pub use self::record::{KafkaHeader, KafkaRecord};
use crate::error::BatchError;
#[cfg(any(feature = "avro", feature = "protobuf"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "avro", feature = "protobuf"))))]
pub use crate::inflate::MAX_DECOMPRESSED_BYTES;
use crate::kind::SourceKind;
use crate::plan::BatchPlan;
use crate::response::IdentifierShape;
use crate::source::Source;
use crate::stream::{Checkpoint, StreamConfig};

/// The Kafka event source (marker type): Amazon MSK or self-managed Kafka.
#[derive(Debug)]
pub enum Kafka {}

impl crate::source::sealed::Sealed for Kafka {}

impl Source for Kafka {
    type Record<'e> = KafkaRecord<'e>;

    const KIND: SourceKind = SourceKind::Kafka;

    type Config = StreamConfig;

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

    fn plan(config: &StreamConfig, _records: &[KafkaRecord<'_>]) -> BatchPlan {
        crate::stream::plan(config, Self::KIND, Checkpoint::PerOrderingKey, IdentifierShape::KafkaPosition)
    }
}

/// Where a Kafka record's identifier comes from.
pub(crate) const ID_FIELD: &str = "topic, partition and offset";

/// How Lambda writes a Kafka event: a `records` object of partitions
/// (`<topic>-<partition>`), each record's keys in this order.
pub(crate) const EVENT_LAYOUT: crate::wire::EventLayout = crate::wire::EventLayout {
    records: crate::wire::RecordList::ByPartition { topic: "topic", partition: "partition" },
    record: crate::wire::KeyOrder {
        keys: &["topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers"],
        nested: &[],
    },
};
