//! Events rendered exactly as Lambda sends them, for real handlers.

use base64::Engine as _;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::sim::core::clock::EPOCH_MS;
use crate::sim::core::function::payload::{KafkaDelivery, Payload, SqsDelivery, StreamDelivery};
use crate::sim::core::stable_hash::fnv;

const REGION: &str = "eu-west-1";

/// The event JSON text of an invocation carrying `payload`.
pub(crate) fn event(payload: &Payload<'_>) -> String {
    let rendered = match *payload {
        Payload::Sqs { queue_arn, messages } => {
            let records: Vec<_> = messages.iter().map(|message| SqsRecord::new(message, queue_arn)).collect();
            serde_json::to_string(&Records { records })
        }
        Payload::Kinesis { stream_arn, shard_id, records } => {
            let records: Vec<_> =
                records.iter().map(|record| KinesisRecord::new(record, stream_arn, shard_id)).collect();
            serde_json::to_string(&Records { records })
        }
        Payload::DynamoDb { stream_arn, records } => {
            let records: Vec<_> =
                records.iter().map(|record| DynamoDbRecord::new(record, stream_arn)).collect();
            serde_json::to_string(&Records { records })
        }
        Payload::Kafka { records } => Ok(kafka_event(records)),
        Payload::Async { event } => serde_json::to_string(event),
    };
    // Serializing these types into a String cannot fail.
    rendered.unwrap_or_default()
}

#[derive(Serialize)]
struct Records<T> {
    #[serde(rename = "Records")]
    records: Vec<T>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SqsRecord<'a> {
    message_id: &'a str,
    receipt_handle: String,
    body: &'a str,
    attributes: SqsAttributes<'a>,
    message_attributes: Empty,
    event_source: &'static str,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
    aws_region: &'static str,
}

impl<'a> SqsRecord<'a> {
    fn new(message: &'a SqsDelivery, queue_arn: &'a str) -> Self {
        SqsRecord {
            message_id: &message.message_id,
            receipt_handle: format!("AQEB{}-{}", message.message_id, message.receive_count),
            body: &message.body,
            attributes: SqsAttributes {
                approximate_receive_count: message.receive_count.to_string(),
                sent_timestamp: (EPOCH_MS + message.sent_at).to_string(),
                sender_id: "AIDAIENQZJOLO23YVJ4VO",
                approximate_first_receive_timestamp: (EPOCH_MS + message.first_received_at).to_string(),
                sequence_number: message.sequence_number.map(|n| format!("{n:020}")),
                message_group_id: message.group.as_deref(),
                message_deduplication_id: message.deduplication_id.as_deref(),
            },
            message_attributes: Empty,
            event_source: "aws:sqs",
            event_source_arn: queue_arn,
            aws_region: REGION,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SqsAttributes<'a> {
    approximate_receive_count: String,
    sent_timestamp: String,
    sender_id: &'static str,
    approximate_first_receive_timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_deduplication_id: Option<&'a str>,
}

struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KinesisRecord<'a> {
    kinesis: KinesisData<'a>,
    event_source: &'static str,
    event_version: &'static str,
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: &'static str,
    invoke_identity_arn: &'static str,
    aws_region: &'static str,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KinesisData<'a> {
    kinesis_schema_version: &'static str,
    partition_key: &'a str,
    sequence_number: &'a str,
    data: String,
    approximate_arrival_timestamp: f64,
}

impl<'a> KinesisRecord<'a> {
    fn new(record: &'a StreamDelivery, stream_arn: &'a str, shard_id: &str) -> Self {
        KinesisRecord {
            kinesis: KinesisData {
                kinesis_schema_version: "1.0",
                partition_key: &record.key,
                sequence_number: &record.sequence_number,
                data: base64::engine::general_purpose::STANDARD.encode(record.data.as_bytes()),
                approximate_arrival_timestamp: seconds(record.arrived_at),
            },
            event_source: "aws:kinesis",
            event_version: "1.0",
            event_id: format!("{shard_id}:{}", record.sequence_number),
            event_name: "aws:kinesis:record",
            invoke_identity_arn: "arn:aws:iam::123456789012:role/lambda-role",
            aws_region: REGION,
            event_source_arn: stream_arn,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DynamoDbRecord<'a> {
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: &'static str,
    event_version: &'static str,
    event_source: &'static str,
    aws_region: &'static str,
    dynamodb: StreamRecord<'a>,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StreamRecord<'a> {
    approximate_creation_date_time: f64,
    keys: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_image: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_image: Option<&'a RawValue>,
    sequence_number: &'a str,
    size_bytes: usize,
    stream_view_type: &'static str,
}

impl<'a> DynamoDbRecord<'a> {
    fn new(record: &'a StreamDelivery, stream_arn: &'a str) -> Self {
        let event_name = record.event_name.unwrap_or("INSERT");
        // A put checks that the image is JSON; `null` stands in otherwise.
        let image = serde_json::from_str::<&RawValue>(&record.data).ok();
        let (new_image, old_image) = if event_name == "REMOVE" { (None, image) } else { (image, None) };
        DynamoDbRecord {
            event_id: format!("{:032x}", fnv(record.sequence_number.as_bytes())),
            event_name,
            event_version: "1.1",
            event_source: "aws:dynamodb",
            aws_region: REGION,
            dynamodb: StreamRecord {
                approximate_creation_date_time: seconds(record.arrived_at).floor(),
                keys: serde_json::json!({ "id": { "S": &*record.key } }),
                new_image,
                old_image,
                sequence_number: &record.sequence_number,
                size_bytes: record.data.len() + record.key.len(),
                stream_view_type: "NEW_AND_OLD_IMAGES",
            },
            event_source_arn: stream_arn,
        }
    }
}

/// The text of a Kafka event holding `records` (partitions in the order
/// they first appear), written by the testkit's event writer so the keys
/// come in Lambda's order.
pub(crate) fn kafka_event(records: &[KafkaDelivery]) -> String {
    let records: Vec<Value> = records.iter().map(kafka_record).collect();
    crate::wire::event_text(<lambda_batch::kafka::Kafka as lambda_batch::Source>::KIND, &records)
}

/// A Kafka record as Lambda writes it: `key` and `value` in base64,
/// `headers` as `[{"<name>": [bytes]}]`.
fn kafka_record(record: &KafkaDelivery) -> Value {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let headers: Vec<Value> = record
        .headers
        .iter()
        .map(|header| {
            let mut entry = serde_json::Map::new();
            entry.insert(header.name.clone(), Value::from(header.value.clone()));
            Value::Object(entry)
        })
        .collect();
    serde_json::json!({
        "topic": &*record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": EPOCH_MS + record.produced_at,
        "timestampType": "CREATE_TIME",
        "key": record.key.as_deref().map(|key| encode(key.as_bytes())),
        "value": encode(&record.value),
        "headers": headers,
    })
}

fn seconds(at: u64) -> f64 {
    (EPOCH_MS + at) as f64 / 1000.0
}
