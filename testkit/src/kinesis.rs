//! Kinesis events shaped as Lambda sends them.

use base64::Engine as _;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::{BatchEvent, Source};
use serde_json::{Value, json};

/// The ARN of the stream the builders use.
pub const STREAM_ARN: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";

/// A record with this sequence number, partition key and (raw) data; the
/// data is base64-encoded as Lambda does.
pub fn record(sequence_number: &str, partition_key: &str, data: &[u8]) -> Value {
    json!({
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64::engine::general_purpose::STANDARD.encode(data),
            "approximateArrivalTimestamp": 1_700_000_000.123
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": format!("shardId-000000000000:{sequence_number}"),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "eu-west-1",
        "eventSourceARN": STREAM_ARN
    })
}

/// A 56-digit sequence number like Kinesis's, increasing with `n`.
pub fn sequence_number(n: u64) -> String {
    format!("4956816737{n:046}")
}

/// `{"Records": [...]}` as JSON text, keys in the order Lambda sends them.
pub fn event_json(records: impl IntoIterator<Item = Value>) -> String {
    let records: Vec<Value> = records.into_iter().collect();
    crate::wire::event_text(Kinesis::KIND, &records)
}

/// `{"Records": [...]}` as a batch event, read from [`event_json`]'s text.
pub fn event(records: impl IntoIterator<Item = Value>) -> BatchEvent {
    let records: Vec<Value> = records.into_iter().collect();
    BatchEvent::from_json(&event_json(records.iter().cloned()))
        .unwrap_or_else(|_| BatchEvent::from(crate::sqs::event_value(records)))
}
