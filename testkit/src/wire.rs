//! The fields the testkit writes into records, for every source: the one
//! table of field paths the builders, fault plans and counterexamples use.
//!
//! Which field names a record, which key orders it and what a handler
//! decodes belong to the runtime's source modules: the testkit asks
//! [`SourceKind::identify`], [`SourceKind::identifier_field`] and
//! [`SourceKind::ordering`] for them. What is left here is where the testkit
//! writes: the identifier its faults remove, empty or duplicate, the
//! ordering key, and the payload it corrupts and shows. Events are written
//! by the runtime's writer ([`lambda_batch::wire`]: each source's key order
//! and `Records` layout), with the event-level members of this table.
//!
//! | source | identifier | ordering key | payload |
//! |---|---|---|---|
//! | SQS | `messageId` | none | `body`, text |
//! | SQS FIFO | `messageId` | `attributes.MessageGroupId` | `body`, text |
//! | Kinesis | `kinesis.sequenceNumber` | `kinesis.partitionKey` | `kinesis.data`, base64 |
//! | DynamoDB Streams | `dynamodb.SequenceNumber` | `dynamodb.Keys` | `dynamodb.NewImage`, DynamoDB JSON |
//! | Kafka | `offset` (with `topic` and `partition`) | `topic`, `partition` | `value`, base64 |

use base64::Engine as _;
use lambda_batch::SourceKind;
use serde_json::Value;

/// A field's place in a record: the keys from the record's root.
pub type Path = &'static [&'static str];

/// How the testkit writes a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// JSON as it is (an SQS body, an event name).
    Text,
    /// Bytes in base64, as Lambda writes Kinesis data and Kafka keys and values.
    Base64,
    /// A DynamoDB JSON attribute map (`{"id": {"S": "1"}}`).
    DynamoDbImage,
}

/// One field of a record: what to call it, where it is, how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name in counterexamples.
    pub label: &'static str,
    /// Where it is.
    pub path: Path,
    /// How it is written.
    pub encoding: Encoding,
}

impl Field {
    /// The field's value in `record`, for a counterexample: a payload that
    /// is JSON (an SQS body, base64-decoded Kinesis data or Kafka value) as
    /// that JSON, unescaped (`{"id":1}`); other text as a quoted string
    /// (`"{\"corrupt"`); bytes that are not UTF-8 lossily, quoted; anything
    /// else (a DynamoDB image) as its JSON.
    pub fn show(&self, record: &Value) -> String {
        let value = get(record, self.path);
        let text = match self.encoding {
            Encoding::Base64 => {
                value.as_str().and_then(base64_decode).map(|bytes| match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
                })
            }
            Encoding::Text => value.as_str().map(str::to_owned),
            Encoding::DynamoDbImage => None,
        };
        match text {
            Some(text) if serde_json::from_str::<Value>(&text).is_ok() => text,
            Some(text) => format!("{text:?}"),
            None => value.to_string(),
        }
    }
}

/// Where the testkit writes one source's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordPaths {
    /// The source.
    pub kind: SourceKind,
    /// The field the identifier faults remove, empty or copy (for Kafka the
    /// `offset`: with `topic` and `partition`, the identifier).
    pub identifier: Path,
    /// The fields the ordering key is made of, none where the source keeps
    /// no order (Kafka: `topic` and `partition`).
    pub ordering_key: &'static [Path],
    /// The payload a handler decodes, which [`RecordFault::BadBody`](crate::faults::RecordFault::BadBody) corrupts.
    pub payload: Field,
    /// A field value that means the record carries no payload (DynamoDB
    /// `REMOVE`: no new image).
    pub no_payload_when: Option<(Path, &'static str)>,
    /// The fields a counterexample shows besides the record's identity.
    pub shown: &'static [Field],
    /// The event's own members, written before its records.
    pub event_members: &'static [(&'static str, &'static str)],
}

impl RecordPaths {
    /// The record's identifier field (`null` when absent).
    pub fn identifier<'a>(&self, record: &'a Value) -> &'a Value {
        get(record, self.identifier)
    }

    /// Sets the record's identifier field.
    pub fn set_identifier(&self, record: &mut Value, value: Value) {
        set(record, self.identifier, value);
    }

    /// Removes the record's identifier field.
    pub fn remove_identifier(&self, record: &mut Value) {
        remove(record, self.identifier);
    }

    /// Whether the record carries a payload (not a DynamoDB `REMOVE`).
    pub fn has_payload(&self, record: &Value) -> bool {
        !self.no_payload_when.is_some_and(|(path, value)| *get(record, path) == *value)
    }
}

const fn text(label: &'static str, path: Path) -> Field {
    Field { label, path, encoding: Encoding::Text }
}

const fn base64(label: &'static str, path: Path) -> Field {
    Field { label, path, encoding: Encoding::Base64 }
}

const fn image(label: &'static str, path: Path) -> Field {
    Field { label, path, encoding: Encoding::DynamoDbImage }
}

/// The ARN of the MSK cluster of generated Kafka events.
pub(crate) const KAFKA_CLUSTER_ARN: &str =
    "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/a1b2c3d4-5678-90ab-cdef-11111EXAMPLE-1";

/// SQS standard queues.
pub(crate) const SQS: RecordPaths = RecordPaths {
    kind: SourceKind::Sqs,
    identifier: &["messageId"],
    ordering_key: &[],
    payload: text("body", &["body"]),
    no_payload_when: None,
    shown: &[text("body", &["body"])],
    event_members: &[],
};

/// SQS FIFO queues.
pub(crate) const SQS_FIFO: RecordPaths =
    RecordPaths { kind: SourceKind::SqsFifo, ordering_key: &[&["attributes", "MessageGroupId"]], ..SQS };

/// Kinesis Data Streams.
pub(crate) const KINESIS: RecordPaths = RecordPaths {
    kind: SourceKind::Kinesis,
    identifier: &["kinesis", "sequenceNumber"],
    ordering_key: &[&["kinesis", "partitionKey"]],
    payload: base64("data", &["kinesis", "data"]),
    no_payload_when: None,
    shown: &[base64("data", &["kinesis", "data"])],
    event_members: &[],
};

/// DynamoDB Streams.
pub(crate) const DYNAMODB: RecordPaths = RecordPaths {
    kind: SourceKind::DynamoDb,
    identifier: &["dynamodb", "SequenceNumber"],
    ordering_key: &[&["dynamodb", "Keys"]],
    payload: image("new", &["dynamodb", "NewImage"]),
    no_payload_when: Some((&["eventName"], "REMOVE")),
    shown: &[
        text("event", &["eventName"]),
        image("new", &["dynamodb", "NewImage"]),
        image("old", &["dynamodb", "OldImage"]),
    ],
    event_members: &[],
};

/// Kafka (Amazon MSK).
pub(crate) const KAFKA: RecordPaths = RecordPaths {
    kind: SourceKind::Kafka,
    identifier: &["offset"],
    ordering_key: &[&["topic"], &["partition"]],
    payload: base64("value", &["value"]),
    no_payload_when: None,
    shown: &[base64("key", &["key"]), base64("value", &["value"])],
    event_members: &[
        ("eventSource", "aws:kafka"),
        ("eventSourceArn", KAFKA_CLUSTER_ARN),
        ("bootstrapServers", "b-1.orders.kafka.eu-west-1.amazonaws.com:9098"),
    ],
};

/// Where the testkit writes `kind`'s fields.
///
/// ```
/// use lambda_batch::SourceKind;
/// use lambda_batch_testkit::wire;
/// let mut record = lambda_batch_testkit::kinesis::record("42", "key-1", b"{}");
/// let paths = wire::paths(SourceKind::Kinesis);
/// paths.set_identifier(&mut record, "43".into());
/// assert_eq!(SourceKind::Kinesis.identify(0, &record.to_string()).unwrap().item_identifier, "43");
/// ```
pub fn paths(kind: SourceKind) -> &'static RecordPaths {
    match kind {
        SourceKind::SqsFifo => &SQS_FIFO,
        SourceKind::Kinesis => &KINESIS,
        SourceKind::DynamoDb => &DYNAMODB,
        SourceKind::Kafka => &KAFKA,
        _ => &SQS,
    }
}

/// The value at `path` (`null` when absent).
pub fn get(record: &Value, path: Path) -> &Value {
    path.iter().fold(record, |value, key| &value[*key])
}

/// Sets the value at `path`, making the objects on the way as needed.
pub fn set(record: &mut Value, path: Path, value: Value) {
    *path.iter().fold(record, |slot, key| &mut slot[*key]) = value;
}

/// The value at `path`, if present, to change in place.
pub fn get_mut(record: &mut Value, path: Path) -> Option<&mut Value> {
    path.iter().try_fold(record, |value, key| value.get_mut(*key))
}

/// Removes the value at `path`, if present.
pub fn remove(record: &mut Value, path: Path) {
    let Some((last, parent)) = path.split_last() else { return };
    if let Some(Value::Object(fields)) = get_mut(record, parent) {
        fields.remove(*last);
    }
}

/// The bytes of an event of `kind` holding `records`, as Lambda writes it
/// ([`lambda_batch::wire::event_json_with`], with this table's event-level
/// members: for Kafka `{"eventSource": "aws:kafka", ..., "records": {..}}`).
pub(crate) fn event_text(kind: SourceKind, records: &[Value]) -> String {
    lambda_batch::wire::event_json_with(kind, paths(kind).event_members, records)
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
