//! The event oracle: what records an event holds and what each one is
//! called, written from the rules in the guide (book/), docs/DESIGN.md ("The
//! source model", "Reading a record leniently", "Kafka", "Streams") and
//! runtime/src/aws_rules.md, over the ordered tree of [`crate::json`].

use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::kafka::Kafka;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::{OrderingRule, Source, SourceKind};

use crate::json::{Doc, J};

/// What the oracle says an event is.
#[derive(Debug)]
pub enum Shape<'a> {
    /// Not a batch event: the handler must fail with
    /// `LambdaBatch.InvalidEvent` and call nothing.
    Invalid(&'static str),
    /// The records, in the order the engine must see them (Kafka: the
    /// partitions one after the other, in the order of the event).
    Records(Vec<&'a J>),
}

/// The records of an event.
///
/// - the event is an object;
/// - `Records` (SQS, Kinesis, DynamoDB) and Kafka's `records` never come
///   together: an event with both keys is invalid;
/// - either key written twice, or `null`, or of the wrong type, makes the
///   event invalid;
/// - Kafka's `records` is an object whose every value is an array; the
///   arrays are concatenated in document order (every member, even two
///   partitions under the same key); a record whose own `topic` and
///   `partition` can be read (as for its identifier) and name another
///   partition than the key it sits under makes the event invalid.
pub fn shape<'a>(doc: &Doc, root: &'a J) -> Shape<'a> {
    let Some(members) = root.members() else { return Shape::Invalid("not an object") };
    let find = |key: &str| members.iter().filter(|(k, _)| k == key).map(|(_, v)| v).collect::<Vec<_>>();
    let records = find("Records");
    let kafka = find("records");
    if !records.is_empty() && !kafka.is_empty() {
        return Shape::Invalid("both `Records` and `records`");
    }
    match records.as_slice() {
        [] => {}
        [J::Arr(items)] => return Shape::Records(items.iter().collect()),
        [_] => return Shape::Invalid("`Records` is not an array"),
        _ => return Shape::Invalid("`Records` twice"),
    }
    match kafka.as_slice() {
        [] => Shape::Invalid("no `Records` nor `records`"),
        [J::Obj(partitions)] => {
            let mut all = Vec::new();
            for (key, partition) in partitions {
                let J::Arr(items) = partition else {
                    return Shape::Invalid("a Kafka partition is not an array");
                };
                let elsewhere = items.iter().any(|record| {
                    record.is_object()
                        && kafka_partition(doc, record)
                            .is_some_and(|(topic, p)| format!("{topic}-{p}") != *key)
                });
                if elsewhere {
                    return Shape::Invalid("a Kafka record under another partition's key");
                }
                all.extend(items.iter());
            }
            Shape::Records(all)
        }
        [_] => Shape::Invalid("`records` is not an object"),
        _ => Shape::Invalid("`records` twice"),
    }
}

pub fn is_decimal(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Compares two decimal strings as whole numbers (an implementation of the
/// rule in runtime/src/aws_rules.md, "Streams: checkpoints and sequence numbers").
pub fn cmp_decimal(a: &str, b: &str) -> std::cmp::Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The record's identifier for `kind`, or `None` if the record cannot be
/// named (and the engine must then fail the invocation).
///
/// - SQS: the first `messageId`, a non-empty string that decodes;
/// - Kinesis: the first `kinesis` (an object), its first `sequenceNumber`,
///   a non-empty string of digits;
/// - DynamoDB: the first `dynamodb` (an object), its first
///   `SequenceNumber`, a non-empty string of digits;
/// - Kafka: the first `topic` (a non-empty string that decodes), `partition`
///   and `offset` (whole numbers from 0, fitting an i64), as
///   `<topic>-<partition>@<offset>`.
pub fn identifier(kind: SourceKind, doc: &Doc, record: &J) -> Option<String> {
    if !record.is_object() {
        return None;
    }
    match kind {
        <Kinesis as Source>::KIND => sequence_number(doc, record, "kinesis", "sequenceNumber"),
        <DynamoDb as Source>::KIND => sequence_number(doc, record, "dynamodb", "SequenceNumber"),
        <Kafka as Source>::KIND => {
            let (topic, partition, offset) = kafka_position(doc, record)?;
            Some(format!("{topic}-{partition}@{offset}"))
        }
        // SQS, standard or FIFO.
        _ => doc.text(record.first("messageId")?).filter(|id| !id.is_empty()).map(str::to_owned),
    }
}

fn sequence_number(doc: &Doc, record: &J, outer: &str, field: &str) -> Option<String> {
    let inner = record.first(outer)?;
    if !inner.is_object() {
        return None;
    }
    doc.text(inner.first(field)?).filter(|n| is_decimal(n)).map(str::to_owned)
}

/// A Kafka record's topic, partition and offset.
pub fn kafka_position<'a>(doc: &Doc, record: &'a J) -> Option<(&'a str, i64, i64)> {
    let (topic, partition) = kafka_partition(doc, record)?;
    let offset = record.first("offset")?.whole_number()?;
    Some((topic, partition, offset))
}

/// A Kafka record's topic and partition, where both can be read.
pub fn kafka_partition<'a>(doc: &Doc, record: &'a J) -> Option<(&'a str, i64)> {
    let topic = doc.text(record.first("topic")?).filter(|t| !t.is_empty())?;
    let partition = record.first("partition")?.whole_number()?;
    Some((topic, partition))
}

/// The record's ordering key, where the oracle can tell it from the tree.
///
/// - SQS standard: none;
/// - SQS FIFO: `attributes.MessageGroupId` where the first `attributes` is
///   an object and its first `MessageGroupId` a string that decodes
///   ("the first of each key counts. Wrong types read as absent.",
///   runtime/src/sqs/record.rs);
/// - Kinesis: the first `kinesis.partitionKey`, if a string that decodes;
/// - Kafka: `<topic>-<partition>`;
/// - DynamoDB: `Unknown` (the key is the raw text of `dynamodb.Keys`; see
///   [`dynamodb_keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderingKey {
    /// The key, or `None` when the record has none.
    Known(Option<String>),
    /// The oracle cannot say (DynamoDB's raw text).
    Unknown,
}

/// See [`OrderingKey`].
pub fn ordering_key(kind: SourceKind, doc: &Doc, record: &J) -> OrderingKey {
    match kind {
        <Kinesis as Source>::KIND => OrderingKey::Known(
            record
                .first("kinesis")
                .and_then(|inner| inner.first("partitionKey"))
                .and_then(|key| doc.text(key))
                .map(str::to_owned),
        ),
        <Kafka as Source>::KIND => OrderingKey::Known(
            kafka_position(doc, record).map(|(topic, partition, _)| format!("{topic}-{partition}")),
        ),
        <DynamoDb as Source>::KIND => OrderingKey::Unknown,
        _ if kind.ordering() == OrderingRule::MessageGroup => {
            OrderingKey::Known(message_group(doc, record).map(str::to_owned))
        }
        // SQS standard.
        _ => OrderingKey::Known(None),
    }
}

/// The FIFO message group of an SQS record (first `attributes`, first
/// `MessageGroupId`, a string that decodes).
pub fn message_group<'a>(doc: &Doc, record: &'a J) -> Option<&'a str> {
    let attributes = record.first("attributes")?;
    doc.text(attributes.first("MessageGroupId")?)
}

/// `attributes.ApproximateReceiveCount` of an SQS record (first of each
/// key, a string holding a `u32`).
pub fn receive_count(doc: &Doc, record: &J) -> Option<u32> {
    let attributes = record.first("attributes")?;
    doc.text(attributes.first("ApproximateReceiveCount")?)?.parse().ok()
}

/// The first `eventSourceARN` of an SQS record, if a string that decodes.
pub fn queue_arn<'a>(doc: &Doc, record: &'a J) -> Option<&'a str> {
    doc.text(record.first("eventSourceARN")?)
}

/// A DynamoDB record's first `dynamodb.Keys`, as a tree (the engine's key is
/// its raw text, which must read back to this tree); `null` reads as absent
/// ("a `null` image (AWS's null-items sample) reads as absent", DESIGN.md).
pub fn dynamodb_keys<'a>(record: &'a J) -> Option<&'a J> {
    record.first("dynamodb")?.first("Keys").filter(|keys| **keys != J::Null)
}
