//! A generated batch: its source, its records, and the bytes the handler
//! gets.

use std::fmt;

use base64::Engine as _;
use lambda_batch::{BatchEvent, RecordIdentity};
use serde_json::Value;

pub use lambda_batch::SourceKind;

/// A generated batch: its source and its records, in the order the event
/// lists them.
///
/// The handler gets [`Batch::json`]: the exact bytes Lambda would send,
/// record keys in Lambda's order (Kafka records grouped by partition).
#[derive(Clone, PartialEq)]
pub struct Batch {
    /// The source.
    pub source: SourceKind,
    records: Vec<Value>,
}

impl Batch {
    /// A batch of `records` from `source`. Kafka records are grouped by
    /// partition (stable, partitions in order of first appearance), as the
    /// event lists them.
    pub fn new(source: SourceKind, records: Vec<Value>) -> Self {
        let records = if source == SourceKind::Kafka {
            let mut partitions: Vec<(String, Vec<Value>)> = Vec::new();
            for record in records {
                let key = crate::wire::kafka_partition_key(&record);
                match partitions.iter_mut().find(|(name, _)| *name == key) {
                    Some((_, list)) => list.push(record),
                    None => partitions.push((key, vec![record])),
                }
            }
            partitions.into_iter().flat_map(|(_, list)| list).collect()
        } else {
            records
        };
        Batch { source, records }
    }

    /// The event as Lambda sends it: the bytes the harness hands to the
    /// handler.
    pub fn json(&self) -> String {
        crate::wire::event_text(self.source, &self.records)
    }

    /// The event as a JSON value (object keys sorted: for inspection only).
    pub fn event(&self) -> Value {
        serde_json::from_str(&self.json()).unwrap_or(Value::Null)
    }

    /// The event as the handler payload, read from [`Batch::json`].
    pub fn to_event(&self) -> BatchEvent {
        BatchEvent::from_json(&self.json()).unwrap_or_else(|_| BatchEvent::from(Value::Null))
    }

    /// The records, in the order the event lists them (the engine's record
    /// indices).
    pub fn records(&self) -> &[Value] {
        &self.records
    }

    /// Each record's identifier and ordering key, read by the engine's own
    /// reader for the source (`None` for a record that cannot be named).
    pub fn identities(&self) -> Vec<Option<RecordIdentity>> {
        self.records
            .iter()
            .enumerate()
            .map(|(index, record)| self.source.identify(index, &record.to_string()).ok())
            .collect()
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// `true` for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shrunk counterexamples read best as the ids and payloads.
        let records: Vec<String> = self.records().iter().map(|r| describe_record(self.source, r)).collect();
        f.debug_struct("Batch").field("source", &self.source).field("records", &records).finish()
    }
}

fn describe_record(source: SourceKind, record: &Value) -> String {
    let decoded = |data: &Value| {
        data.as_str()
            .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .map_or_else(|| data.to_string(), |bytes| format!("{:?}", String::from_utf8_lossy(&bytes)))
    };
    match source {
        SourceKind::Kinesis => format!(
            "{} key={} data={}",
            record["kinesis"]["sequenceNumber"],
            record["kinesis"]["partitionKey"],
            decoded(&record["kinesis"]["data"])
        ),
        SourceKind::DynamoDb => format!(
            "{} {} keys={} new={} old={}",
            record["dynamodb"]["SequenceNumber"],
            record["eventName"],
            record["dynamodb"]["Keys"],
            record["dynamodb"]["NewImage"],
            record["dynamodb"]["OldImage"]
        ),
        SourceKind::Kafka => format!(
            "{}@{} key={} value={}",
            crate::wire::kafka_partition_key(record),
            record["offset"],
            decoded(&record["key"]),
            decoded(&record["value"])
        ),
        _ => {
            let group = record["attributes"]["MessageGroupId"]
                .as_str()
                .map(|g| format!(" group={g}"))
                .unwrap_or_default();
            format!("{}{group} body={}", record["messageId"], record["body"])
        }
    }
}
