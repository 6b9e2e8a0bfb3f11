//! [`RecordView`]: one record as a `failing_when` predicate sees it, its
//! payload decoded the way the runtime decodes it for a handler.

use std::ops::Index;

use base64::Engine as _;
use lambda_batch::SourceKind;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::wire::{self, Encoding, Field};

/// One record of the batch, for [`Rules::failing_when`](super::Rules::failing_when):
/// the record as the event has it ([`RecordView::record`], or `view["body"]`
/// as on the JSON), and its payload decoded as the runtime decodes it for
/// a handler, whatever the source:
///
/// | source | [`payload`](RecordView::payload) is | source-specific accessor |
/// |---|---|---|
/// | SQS (standard, FIFO) | the `body` text | [`body`](RecordView::body) |
/// | Kinesis | `kinesis.data`, decoded from base64 | [`data`](RecordView::data) |
/// | DynamoDB Streams | `dynamodb.NewImage` as plain JSON (from DynamoDB JSON) | [`image`](RecordView::image), [`old_image`](RecordView::old_image) |
/// | Kafka | `value`, decoded from base64 | [`value`](RecordView::value), [`key`](RecordView::key) |
///
/// [`json`](RecordView::json) decodes the payload into your type (for
/// DynamoDB through `serde_dynamo`, as `NewImage<T>` does), so one
/// predicate reads the same for every source:
///
/// ```
/// use lambda_batch::Source as _;
/// use lambda_batch::kinesis::Kinesis;
/// use lambda_batch_testkit::check::RecordView;
/// use lambda_batch_testkit::kinesis;
///
/// #[derive(serde::Deserialize)]
/// struct Order { quantity: u8 }
///
/// fn empty_order(record: &RecordView) -> bool {
///     record.json::<Order>().is_some_and(|order| order.quantity == 0)
/// }
///
/// let record = kinesis::record("42", "key-1", br#"{"quantity": 0}"#);
/// assert!(empty_order(&RecordView::new(Kinesis::KIND, &record)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    source: SourceKind,
    record: &'a Value,
}

impl<'a> RecordView<'a> {
    /// A view of `record`, a record of a `source` event.
    pub fn new(source: SourceKind, record: &'a Value) -> Self {
        RecordView { source, record }
    }

    /// The source of the record.
    pub fn source(&self) -> SourceKind {
        self.source
    }

    /// The record as the event has it, envelope included (attributes,
    /// `eventName`, partition key, headers ...).
    pub fn record(&self) -> &'a Value {
        self.record
    }

    /// The payload's bytes, decoded (see the table above); `None` when the
    /// record has none (a DynamoDB `REMOVE`) or it does not decode (bad
    /// base64, a DynamoDB image that is not DynamoDB JSON).
    pub fn payload(&self) -> Option<Vec<u8>> {
        let paths = wire::paths(self.source);
        if !paths.has_payload(self.record) {
            return None;
        }
        match paths.payload.encoding {
            Encoding::DynamoDbImage => self.image().and_then(|image| serde_json::to_vec(&image).ok()),
            _ => self.bytes(&paths.payload),
        }
    }

    /// The payload as UTF-8 text, if it is.
    pub fn text(&self) -> Option<String> {
        self.payload().and_then(|bytes| String::from_utf8(bytes).ok())
    }

    /// The payload decoded as JSON into `T` (DynamoDB: the new image,
    /// through `serde_dynamo`); `None` when it does not decode.
    pub fn json<T: DeserializeOwned>(&self) -> Option<T> {
        let paths = wire::paths(self.source);
        match paths.payload.encoding {
            Encoding::DynamoDbImage if paths.has_payload(self.record) => {
                item(wire::get(self.record, paths.payload.path))
            }
            Encoding::DynamoDbImage => None,
            _ => serde_json::from_slice(&self.payload()?).ok(),
        }
    }

    /// SQS: the message `body`.
    pub fn body(&self) -> Option<&'a str> {
        self.text_field("body")
    }

    /// Kinesis: `kinesis.data`, decoded from base64.
    pub fn data(&self) -> Option<Vec<u8>> {
        self.shown("data").and_then(|field| self.bytes(&field))
    }

    /// Kafka: the `value`, decoded from base64.
    pub fn value(&self) -> Option<Vec<u8>> {
        self.shown("value").and_then(|field| self.bytes(&field))
    }

    /// Kafka: the record `key`, decoded from base64 (`None` without one).
    pub fn key(&self) -> Option<Vec<u8>> {
        self.shown("key").and_then(|field| self.bytes(&field))
    }

    /// DynamoDB Streams: the `NewImage` as plain JSON (`{"id": "1"}` for
    /// `{"id": {"S": "1"}}`); `None` without one.
    pub fn image(&self) -> Option<Value> {
        self.shown("new").and_then(|field| item(wire::get(self.record, field.path)))
    }

    /// DynamoDB Streams: the `OldImage` as plain JSON; `None` without one.
    pub fn old_image(&self) -> Option<Value> {
        self.shown("old").and_then(|field| item(wire::get(self.record, field.path)))
    }

    /// The field labelled `label` in the wire table's shown fields.
    fn shown(&self, label: &str) -> Option<Field> {
        wire::paths(self.source).shown.iter().find(|field| field.label == label).copied()
    }

    fn text_field(&self, label: &str) -> Option<&'a str> {
        let field = self.shown(label).filter(|field| field.encoding == Encoding::Text)?;
        wire::get(self.record, field.path).as_str()
    }

    /// A text or base64 field's bytes.
    fn bytes(&self, field: &Field) -> Option<Vec<u8>> {
        let text = wire::get(self.record, field.path).as_str()?;
        match field.encoding {
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.decode(text).ok(),
            _ => Some(text.as_bytes().to_vec()),
        }
    }
}

/// A DynamoDB JSON attribute map decoded by `serde_dynamo` into `T`.
fn item<T: DeserializeOwned>(image: &Value) -> Option<T> {
    if !image.is_object() {
        return None;
    }
    let item: serde_dynamo::Item = serde_json::from_value(image.clone()).ok()?;
    serde_dynamo::from_item(item).ok()
}

/// `view["body"]`: the record's own field, as on the JSON.
impl Index<&str> for RecordView<'_> {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        &self.record[key]
    }
}
