//! SQS events shaped as Lambda sends them.

use lambda_batch::sqs::Sqs;
use lambda_batch::{BatchEvent, Source};
use serde_json::{Value, json};

/// The ARN of the standard queue the builders use.
pub const STANDARD_QUEUE_ARN: &str = "arn:aws:sqs:eu-west-1:123456789012:orders";
/// The ARN of the FIFO queue the builders use (ends in `.fifo`).
pub const FIFO_QUEUE_ARN: &str = "arn:aws:sqs:eu-west-1:123456789012:orders.fifo";

/// A standard-queue record with this `messageId` and body.
pub fn message(message_id: &str, body: &str) -> Value {
    json!({
        "messageId": message_id,
        "receiptHandle": format!("AQEB{message_id}"),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1700000000000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1700000000005"
        },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": STANDARD_QUEUE_ARN,
        "awsRegion": "eu-west-1"
    })
}

/// A FIFO-queue record with this `messageId`, `MessageGroupId` and body.
pub fn fifo_message(message_id: &str, group_id: &str, body: &str) -> Value {
    let mut record = message(message_id, body);
    record["eventSourceARN"] = json!(FIFO_QUEUE_ARN);
    let attributes = &mut record["attributes"];
    attributes["MessageGroupId"] = json!(group_id);
    attributes["MessageDeduplicationId"] = json!(format!("dedup-{message_id}"));
    attributes["SequenceNumber"] = json!(format!("188000000000000000{:02}", message_id.len() % 100));
    record
}

/// `{"Records": [...]}` from records.
pub fn event_value(records: impl IntoIterator<Item = Value>) -> Value {
    json!({ "Records": records.into_iter().collect::<Vec<_>>() })
}

/// The batch event from records, read from [`event_json`]'s text (record
/// keys in the order Lambda sends them).
pub fn event(records: impl IntoIterator<Item = Value>) -> BatchEvent {
    let records: Vec<Value> = records.into_iter().collect();
    // The text is always valid JSON; were it not, the same records in
    // sorted key order would still be read, never an empty batch.
    BatchEvent::from_json(&event_json(records.iter().cloned()))
        .unwrap_or_else(|_| BatchEvent::from(event_value(records)))
}

/// `{"Records": [...]}` as JSON text, each record's keys in the order Lambda
/// sends them (`messageId` first; keys Lambda does not send come last).
/// `serde_json::Value` sorts keys, so `event_value(..).to_string()` would
/// put `messageId` after `body`; use this text where the order matters, as
/// in benchmarks.
///
/// ```
/// use lambda_batch_testkit::sqs::{event_json, message};
/// let json = event_json([message("m1", "hello")]);
/// assert!(json.starts_with(r#"{"Records":[{"messageId":"m1","receiptHandle":"#));
/// ```
pub fn event_json(records: impl IntoIterator<Item = Value>) -> String {
    let records: Vec<Value> = records.into_iter().collect();
    crate::wire::event_text(Sqs::KIND, &records)
}
