//! SQS messages as the records of the event Lambda would send.

use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lambda_batch::Source;
use lambda_batch::sqs::Sqs;
use serde_json::{Map, Value, json};

use crate::queue::QueueFacts;

/// A received message that can be handed to the function: its record and
/// the receipt handle to delete it with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Received {
    /// The record as Lambda writes it.
    pub(crate) record: Value,
    /// `messageId`.
    pub(crate) message_id: String,
    /// The receipt handle of this receive.
    pub(crate) receipt_handle: String,
}

/// Why a received message cannot be handed on (never from SQS itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unusable {
    /// No `MessageId`: its failure could not be reported.
    #[error("a message without a MessageId")]
    NoMessageId,
    /// No `ReceiptHandle`: it could not be deleted.
    #[error("a message without a ReceiptHandle")]
    NoReceiptHandle,
}

/// The record Lambda builds from a received message: `messageId`,
/// `receiptHandle`, `body`, `attributes` (system attributes, every value a
/// string), `messageAttributes` (each with `stringValue` / `binaryValue`
/// when set, `stringListValues`, `binaryListValues`, `dataType`; binary
/// values in base64), `md5OfBody`, `eventSource`, `eventSourceARN`,
/// `awsRegion`.
pub(crate) fn record(message: &Message, queue: &QueueFacts) -> Result<Received, Unusable> {
    let message_id = message.message_id().filter(|id| !id.is_empty()).ok_or(Unusable::NoMessageId)?;
    let receipt_handle =
        message.receipt_handle().filter(|handle| !handle.is_empty()).ok_or(Unusable::NoReceiptHandle)?;
    let attributes: Map<String, Value> = message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_owned(), Value::from(value.as_str())))
        .collect();
    let message_attributes: Map<String, Value> = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), message_attribute(value)))
        .collect();
    let mut record = json!({
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": message.body().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.arn,
        "awsRegion": queue.region,
    });
    if let Some(md5) = message.md5_of_body() {
        record["md5OfBody"] = Value::from(md5);
    }
    Ok(Received { record, message_id: message_id.to_owned(), receipt_handle: receipt_handle.to_owned() })
}

fn message_attribute(value: &MessageAttributeValue) -> Value {
    let mut attribute = Map::new();
    if let Some(text) = value.string_value() {
        attribute.insert("stringValue".to_owned(), Value::from(text));
    }
    if let Some(blob) = value.binary_value() {
        attribute.insert("binaryValue".to_owned(), Value::from(STANDARD.encode(blob.as_ref())));
    }
    attribute.insert("stringListValues".to_owned(), Value::from(value.string_list_values().to_vec()));
    attribute.insert(
        "binaryListValues".to_owned(),
        Value::from(
            value.binary_list_values().iter().map(|blob| STANDARD.encode(blob.as_ref())).collect::<Vec<_>>(),
        ),
    );
    attribute.insert("dataType".to_owned(), Value::from(value.data_type()));
    Value::Object(attribute)
}

/// The messages of one poll that can be handed to the function, in the
/// order received.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Batch {
    /// One record per message.
    pub(crate) records: Vec<Received>,
    /// Messages that cannot be handed on (left in the queue), and why.
    pub(crate) unusable: Vec<Unusable>,
}

/// The batch of the messages one poll received. A message received twice
/// (a standard queue may deliver a message more than once) is one record,
/// to be deleted with its latest receipt handle.
pub(crate) fn batch(messages: &[Message], queue: &QueueFacts) -> Batch {
    let mut batch = Batch::default();
    for message in messages {
        match record(message, queue) {
            Ok(received) => {
                match batch.records.iter_mut().find(|earlier| earlier.message_id == received.message_id) {
                    Some(earlier) => earlier.receipt_handle = received.receipt_handle,
                    None => batch.records.push(received),
                }
            }
            Err(unusable) => batch.unusable.push(unusable),
        }
    }
    batch
}

/// The event's text, `{"Records": [...]}`, each record's keys in the order
/// Lambda writes them (the runtime's writer, the one every test event of
/// this project goes through).
pub(crate) fn event_text(records: &[Received]) -> String {
    let records: Vec<Value> = records.iter().map(|received| received.record.clone()).collect();
    lambda_batch::wire::event_json(Sqs::KIND, &records)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_sqs::primitives::Blob;
    use aws_sdk_sqs::types::MessageSystemAttributeName;

    use super::*;

    fn queue() -> QueueFacts {
        QueueFacts {
            arn: "arn:aws:sqs:us-east-1:123456789012:orders.fifo".to_owned(),
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
            fifo: true,
            visibility_timeout: Duration::from_secs(30),
            max_receive_count: None,
        }
    }

    fn message() -> Message {
        Message::builder()
            .message_id("m-1")
            .receipt_handle("handle-1")
            .body("{\"id\": 1}")
            .md5_of_body("0123456789abcdef0123456789abcdef")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "2")
            .attributes(MessageSystemAttributeName::MessageGroupId, "customer-1")
            .message_attributes(
                "source",
                MessageAttributeValue::builder().data_type("String").string_value("web").build().unwrap(),
            )
            .message_attributes(
                "raw",
                MessageAttributeValue::builder()
                    .data_type("Binary.bytes")
                    .binary_value(Blob::new(vec![1, 2, 255]))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn writes_the_record_lambda_would_send() {
        let received = record(&message(), &queue()).unwrap();
        assert_eq!(received.message_id, "m-1");
        assert_eq!(received.receipt_handle, "handle-1");
        let text = event_text(&[received]);
        assert!(
            text.starts_with(r#"{"Records":[{"messageId":"m-1","receiptHandle":"handle-1","body":"{\"id\": 1}","attributes":{"#),
            "{text}"
        );
        assert!(
            text.ends_with(
                r#""md5OfBody":"0123456789abcdef0123456789abcdef","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:orders.fifo","awsRegion":"us-east-1"}]}"#
            ),
            "{text}"
        );
        let event: Value = serde_json::from_str(&text).unwrap();
        let record = &event["Records"][0];
        assert_eq!(
            record["attributes"],
            json!({"ApproximateReceiveCount": "2", "MessageGroupId": "customer-1"})
        );
        assert_eq!(
            record["messageAttributes"],
            json!({
                "source": {"stringValue": "web", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                "raw": {"binaryValue": "AQL/", "stringListValues": [], "binaryListValues": [], "dataType": "Binary.bytes"},
            })
        );
        // What the handlers of this project read it with.
        let parsed: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.records[0].message_id.as_deref(), Some("m-1"));
        assert_eq!(parsed.records[0].event_source_arn.as_deref(), Some(queue().arn.as_str()));
    }

    #[test]
    fn a_message_received_twice_is_one_record_with_the_latest_receipt_handle() {
        let again =
            Message::builder().message_id("m-1").receipt_handle("handle-2").body("{\"id\": 1}").build();
        let other = Message::builder().message_id("m-2").receipt_handle("handle-3").body("x").build();
        let broken = Message::builder().body("no id").build();
        let batch = batch(&[message(), other, again, broken], &queue());
        let records: Vec<(&str, &str)> = batch
            .records
            .iter()
            .map(|received| (received.message_id.as_str(), received.receipt_handle.as_str()))
            .collect();
        assert_eq!(records, [("m-1", "handle-2"), ("m-2", "handle-3")]);
        assert_eq!(batch.unusable, [Unusable::NoMessageId]);
    }

    #[test]
    fn refuses_a_message_it_could_not_report_or_delete() {
        let no_id = Message::builder().receipt_handle("h").body("b").build();
        assert_eq!(record(&no_id, &queue()), Err(Unusable::NoMessageId));
        let no_handle = Message::builder().message_id("m").body("b").build();
        assert_eq!(record(&no_handle, &queue()), Err(Unusable::NoReceiptHandle));
    }
}
