//! DynamoDB Streams events shaped as Lambda sends them.

use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::{BatchEvent, Source};
use serde_json::{Value, json};

/// The ARN of the table stream the builders use.
pub const STREAM_ARN: &str =
    "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000";

/// A record: `event_name` is `INSERT`, `MODIFY` or `REMOVE`; images are
/// DynamoDB JSON attribute maps (`{"id": {"S": "1"}}`), `None` to leave out.
pub fn record(
    sequence_number: &str,
    event_name: &str,
    keys: Value,
    new_image: Option<Value>,
    old_image: Option<Value>,
) -> Value {
    let mut change = json!({
        "ApproximateCreationDateTime": 1_700_000_000,
        "Keys": keys,
        "SequenceNumber": sequence_number,
        "SizeBytes": 64,
        "StreamViewType": "NEW_AND_OLD_IMAGES"
    });
    if let Some(image) = new_image {
        change["NewImage"] = image;
    }
    if let Some(image) = old_image {
        change["OldImage"] = image;
    }
    json!({
        "eventID": format!("event-{sequence_number}"),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": change,
        "eventSourceARN": STREAM_ARN
    })
}

/// `{"Records": [...]}` as JSON text, keys in the order Lambda sends them.
pub fn event_json(records: impl IntoIterator<Item = Value>) -> String {
    let records: Vec<Value> = records.into_iter().collect();
    crate::wire::event_text(DynamoDb::KIND, &records)
}

/// `{"Records": [...]}` as a batch event, read from [`event_json`]'s text.
pub fn event(records: impl IntoIterator<Item = Value>) -> BatchEvent {
    let records: Vec<Value> = records.into_iter().collect();
    BatchEvent::from_json(&event_json(records.iter().cloned()))
        .unwrap_or_else(|_| BatchEvent::from(crate::sqs::event_value(records)))
}
