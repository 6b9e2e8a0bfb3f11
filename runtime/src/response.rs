//! The partial batch response, valid by construction.

use std::collections::HashSet;
use std::fmt;

use rustc_hash::FxBuildHasher;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

/// The identifier of one record of the current batch, as listed in a
/// [`BatchResponse`]: an SQS `messageId`, a stream sequence number, or a
/// Kafka partition and offset.
///
/// It can only come from a response the engine built from records it read,
/// and it is never empty, so a [`BatchResponse`] cannot name a record that
/// is not in the batch, nor an empty or `null` identifier.
///
/// Kafka's `itemIdentifier` is not a string but an object,
/// `{"partition": "<topic>-<partition>", "offset": <number>}`; its text form
/// ([`as_str`](Self::as_str)) is `<topic>-<partition>@<offset>` (`@` cannot
/// appear in a Kafka topic name), and [`kafka_position`](Self::kafka_position)
/// gives the two parts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemIdentifier<'a>(&'a str);

impl<'a> ItemIdentifier<'a> {
    /// The identifier as text (for Kafka, `<topic>-<partition>@<offset>`).
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// For a Kafka record, its partition (`<topic>-<partition>`) and offset.
    pub fn kafka_position(&self) -> Option<(&'a str, i64)> {
        split_kafka_identifier(self.0)
    }
}

/// How many identifiers a response may list, and their length in all.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ResponseSize {
    /// How many identifiers.
    pub(crate) ids: usize,
    /// Their length in all, in bytes.
    pub(crate) bytes: usize,
}

impl ResponseSize {
    /// The size of a response listing `ids`.
    pub(crate) fn of<'a>(ids: impl Iterator<Item = &'a str>) -> Self {
        let mut size = ResponseSize::default();
        ids.for_each(|id| size.add(id));
        size
    }

    /// Counts one more identifier, `id`.
    pub(crate) fn add(&mut self, id: &str) {
        self.ids += 1;
        self.bytes += id.len();
    }
}

/// The JSON form of the identifiers in a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum IdentifierShape {
    /// A string (SQS, Kinesis, DynamoDB Streams).
    #[default]
    Text,
    /// `{"partition": "<topic>-<partition>", "offset": <number>}` (Kafka).
    KafkaPosition,
}

impl fmt::Debug for ItemIdentifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for ItemIdentifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What a batch handler returns to Lambda: the records to retry.
///
/// Serializes to `{"batchItemFailures":[{"itemIdentifier":"..."}]}`, with
/// failures in record order and each identifier once. An empty list means
/// every record succeeded.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
/// use lambda_batch::{handler_fn, BatchEvent, BatchPipeline, Context};
/// let event: BatchEvent = serde_json::json!({"Records": [
///     {"messageId": "m1", "body": "ok"},
///     {"messageId": "m2", "body": "boom"},
/// ]}).into();
/// let handler = handler_fn(|record: &SqsRecord<'_>, _cx: &Context| {
///     if record.body() == Some("boom") { Err("bad record") } else { Ok(()) }
/// });
/// let report = Sqs::process(&handler, &SqsConfig::new(), &event, &Context::default())
///     .await
///     .unwrap();
/// let response = report.into_response().unwrap();
/// assert_eq!(
///     serde_json::to_string(&response).unwrap(),
///     r#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#
/// );
/// # });
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BatchResponse {
    /// The identifiers, one after the other (one allocation for the whole
    /// response rather than one per failed record).
    text: String,
    /// Where each identifier ends in `text`.
    ends: Vec<usize>,
    /// How the identifiers are written.
    shape: IdentifierShape,
}

impl BatchResponse {
    /// Builds a response from identifiers read from records, in record
    /// order, keeping the first of any repeated identifier and leaving out
    /// empty ones (which the record readers never produce). `size` is how
    /// many there may be and their length in all (to size the buffers once).
    pub(crate) fn from_failures<'a>(
        ids: impl IntoIterator<Item = &'a str>,
        size: ResponseSize,
        shape: IdentifierShape,
    ) -> Self {
        let mut seen: HashSet<&str, FxBuildHasher> =
            HashSet::with_capacity_and_hasher(size.ids, FxBuildHasher);
        Self::from_distinct_failures(ids.into_iter().filter(|id| seen.insert(id)), size, shape)
    }

    /// [`from_failures`](Self::from_failures) for identifiers known to be
    /// distinct (one per stream partition, say): none is looked up again.
    pub(crate) fn from_distinct_failures<'a>(
        ids: impl IntoIterator<Item = &'a str>,
        size: ResponseSize,
        shape: IdentifierShape,
    ) -> Self {
        let mut response = BatchResponse {
            text: String::with_capacity(size.bytes),
            ends: Vec::with_capacity(size.ids),
            shape,
        };
        for id in ids {
            if !id.is_empty() {
                response.text.push_str(id);
                response.ends.push(response.text.len());
            }
        }
        response
    }

    /// The identifiers Lambda will retry, in record order.
    pub fn failures(&self) -> impl ExactSizeIterator<Item = ItemIdentifier<'_>> + '_ {
        (0..self.ends.len()).map(|index| {
            let start = index.checked_sub(1).map_or(0, |previous| self.ends[previous]);
            ItemIdentifier(self.text.get(start..self.ends[index]).unwrap_or_default())
        })
    }

    /// `true` when no record is to be retried.
    pub fn is_complete_success(&self) -> bool {
        self.ends.is_empty()
    }

    /// `true` when the identifiers are Kafka positions.
    pub fn is_kafka(&self) -> bool {
        self.shape == IdentifierShape::KafkaPosition
    }

    /// The same response as `aws_lambda_events`' SQS type (the identifiers
    /// as text).
    pub fn to_sqs_response(&self) -> aws_lambda_events::sqs::SqsBatchResponse {
        let mut response = aws_lambda_events::sqs::SqsBatchResponse::default();
        response.set_failures(self.failures().map(|id| id.as_str().to_owned()));
        response
    }
}

impl fmt::Debug for BatchResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchResponse").field("failures", &self.failures().collect::<Vec<_>>()).finish()
    }
}

impl Serialize for BatchResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Failures<'a>(&'a BatchResponse);
        struct Failure<'a>(ItemIdentifier<'a>, IdentifierShape);
        struct KafkaPosition<'a>(&'a str, i64);
        impl Serialize for KafkaPosition<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("partition", self.0)?;
                map.serialize_entry("offset", &self.1)?;
                map.end()
            }
        }
        impl Serialize for Failures<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.ends.len()))?;
                for id in self.0.failures() {
                    seq.serialize_element(&Failure(id, self.0.shape))?;
                }
                seq.end()
            }
        }
        impl Serialize for Failure<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                // Only a Kafka identifier is split (text ones are written as
                // they are, without looking for an `@`).
                let position = match self.1 {
                    IdentifierShape::KafkaPosition => self.0.kafka_position(),
                    IdentifierShape::Text => None,
                };
                match position {
                    Some((partition, offset)) => {
                        map.serialize_entry("itemIdentifier", &KafkaPosition(partition, offset))?;
                    }
                    None => map.serialize_entry("itemIdentifier", self.0.as_str())?,
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("batchItemFailures", &Failures(self))?;
        map.end()
    }
}

/// The text form of a Kafka record's identifier,
/// `<topic>-<partition>@<offset>` (`@` cannot appear in a topic name).
pub(crate) fn kafka_identifier(topic: &str, partition: i64, offset: i64) -> String {
    use std::fmt::Write as _;
    // One allocation of the right size: this runs once per record.
    let mut id = String::with_capacity(topic.len() + 2 * 20 + 2);
    id.push_str(topic);
    // Writing to a `String` cannot fail.
    let _ = write!(id, "-{partition}@{offset}");
    id
}

/// A Kafka partition's key, `<topic>-<partition>`: its key in the event's
/// `records` map and the `partition` of an `itemIdentifier`.
pub(crate) fn kafka_partition_key(topic: &str, partition: i64) -> String {
    format!("{topic}-{partition}")
}

/// Splits a Kafka identifier's text form, `<topic>-<partition>@<offset>`.
pub(crate) fn split_kafka_identifier(id: &str) -> Option<(&str, i64)> {
    let (partition, offset) = id.rsplit_once('@')?;
    Some((partition, offset.parse().ok()?))
}

/// The identifiers of the lowest offset of each partition among `ids`, in
/// the order their partitions first appear.
pub(crate) fn lowest_per_partition<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut lowest: Vec<(&'a str, i64, &'a str)> = Vec::new();
    for id in ids {
        let Some((partition, offset)) = split_kafka_identifier(id) else { continue };
        match lowest.iter_mut().find(|(p, _, _)| *p == partition) {
            Some(entry) if offset < entry.1 => *entry = (partition, offset, id),
            Some(_) => {}
            None => lowest.push((partition, offset, id)),
        }
    }
    lowest.into_iter().map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_identifier_is_listed_once_in_record_order_and_empty_ones_never() {
        let ids = ["m2", "m1", "", "m2", "m3", "m1"];
        let response =
            BatchResponse::from_failures(ids, ResponseSize::of(ids.into_iter()), IdentifierShape::Text);
        let listed: Vec<&str> = response.failures().map(|id| id.as_str()).collect();
        assert_eq!(listed, ["m2", "m1", "m3"]);
    }
}
