//! Batch events as the bytes Lambda sends: each record's keys in Lambda's
//! order, Kafka's records grouped by partition.
//!
//! `serde_json::Value` sorts object keys, so `value.to_string()` puts an SQS
//! record's `messageId` after its `body`: a handler that reads the first keys
//! of a record would be tested on an order Lambda never sends. Events written
//! here keep Lambda's order. Each source module keeps its own layout (the
//! order of its record's keys, and how its event lists records); this module
//! only writes with it.
//!
//! ```
//! use lambda_batch::sqs::Sqs;
//! use lambda_batch::{wire, BatchEvent, Source};
//! use serde_json::json;
//!
//! let records = [json!({"body": "hello", "messageId": "m1"})];
//! let text = wire::event_json(Sqs::KIND, &records);
//! assert_eq!(text, r#"{"Records":[{"messageId":"m1","body":"hello"}]}"#);
//! let event = BatchEvent::from_records(Sqs::KIND, &records);
//! assert_eq!(event.records().unwrap()[0].get(), r#"{"messageId":"m1","body":"hello"}"#);
//! ```

use serde_json::Value;

use crate::event::BatchEvent;
use crate::kind::SourceKind;

/// How Lambda writes one source's events.
#[derive(Debug)]
pub(crate) struct EventLayout {
    /// How the event lists its records.
    pub(crate) records: RecordList,
    /// The order of a record's keys.
    pub(crate) record: KeyOrder,
}

/// How an event lists its records.
#[derive(Debug)]
pub(crate) enum RecordList {
    /// One array: `{"Records": [...]}`.
    Array,
    /// Kafka: `{"records": {"<topic>-<partition>": [...]}}`, each record
    /// under the key made of its `topic` and `partition` fields.
    ByPartition {
        /// The record's topic field.
        topic: &'static str,
        /// The record's partition field.
        partition: &'static str,
    },
}

/// An object's keys in the order Lambda writes them, and the order of the
/// objects nested (one level) under some of them. Keys not listed come last,
/// sorted.
#[derive(Debug)]
pub(crate) struct KeyOrder {
    /// The keys, in order.
    pub(crate) keys: &'static [&'static str],
    /// For a key holding an object: that object's keys, in order.
    pub(crate) nested: &'static [(&'static str, &'static [&'static str])],
}

/// The text of an event of `kind` holding `records`, as Lambda writes it:
/// `{"Records":[...]}` (SQS, Kinesis, DynamoDB Streams), or for Kafka
/// `{"records":{"<topic>-<partition>":[...]}}`, records grouped by partition
/// (partitions in the order they first appear, each one's records in the
/// given order). Each record's keys come in Lambda's order; keys Lambda does
/// not send come last, sorted.
///
/// ```
/// use lambda_batch::kafka::Kafka;
/// use lambda_batch::{wire, Source};
/// use serde_json::json;
/// let records = [
///     json!({"offset": 7, "partition": 0, "topic": "orders", "value": "e30="}),
///     json!({"offset": 3, "partition": 1, "topic": "orders", "value": "e30="}),
/// ];
/// assert_eq!(
///     wire::event_json(Kafka::KIND, &records),
///     r#"{"records":{"orders-0":[{"topic":"orders","partition":0,"offset":7,"value":"e30="}],"orders-1":[{"topic":"orders","partition":1,"offset":3,"value":"e30="}]}}"#
/// );
/// ```
pub fn event_json(kind: SourceKind, records: &[Value]) -> String {
    event_json_with(kind, &[], records)
}

/// [`event_json`] with event-level `members` written first, in the given
/// order (as Kafka's `eventSource`, `eventSourceArn` and `bootstrapServers`).
///
/// ```
/// use lambda_batch::kafka::Kafka;
/// use lambda_batch::{wire, Source};
/// let text = wire::event_json_with(Kafka::KIND, &[("eventSource", "aws:kafka")], &[]);
/// assert_eq!(text, r#"{"eventSource":"aws:kafka","records":{}}"#);
/// ```
pub fn event_json_with(kind: SourceKind, members: &[(&str, &str)], records: &[Value]) -> String {
    let layout = kind.event_layout();
    let mut out = String::from("{");
    for (name, value) in members {
        push_key(&mut out, name);
        out.push_str(&Value::from(*value).to_string());
        out.push(',');
    }
    match &layout.records {
        RecordList::Array => {
            out.push_str(r#""Records":"#);
            push_records(&mut out, records.iter(), &layout.record);
        }
        RecordList::ByPartition { .. } => {
            out.push_str(r#""records":{"#);
            for (n, (key, list)) in by_partition(kind, records.iter()).into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                push_key(&mut out, &key);
                push_records(&mut out, list.into_iter(), &layout.record);
            }
            out.push('}');
        }
    }
    out.push('}');
    out
}

/// The records in the order the event lists them, which is the engine's
/// record order: Kafka's grouped by partition (partitions in the order they
/// first appear, each one's records in the given order); the others as
/// given.
pub fn event_order(kind: SourceKind, records: Vec<Value>) -> Vec<Value> {
    match kind.event_layout().records {
        RecordList::Array => records,
        RecordList::ByPartition { .. } => {
            let order: Vec<usize> = by_partition(kind, records.iter().enumerate())
                .into_iter()
                .flat_map(|(_, list)| list.into_iter().map(|(index, _)| index))
                .collect();
            let mut slots: Vec<Option<Value>> = records.into_iter().map(Some).collect();
            order.into_iter().filter_map(|index| slots[index].take()).collect()
        }
    }
}

/// The key of the partition the event lists `record` under: Kafka's
/// `<topic>-<partition>`, from the record's fields as they are (a field of
/// another type is written as its JSON). `None` for sources whose events
/// list their records in one array.
///
/// ```
/// use lambda_batch::{kafka::Kafka, sqs::Sqs, wire, Source};
/// let record = serde_json::json!({"topic": "orders", "partition": 2, "offset": 9});
/// assert_eq!(wire::partition_key(Kafka::KIND, &record).as_deref(), Some("orders-2"));
/// assert_eq!(wire::partition_key(Sqs::KIND, &record), None);
/// ```
pub fn partition_key(kind: SourceKind, record: &Value) -> Option<String> {
    let RecordList::ByPartition { topic, partition } = kind.event_layout().records else { return None };
    let topic = &record[topic];
    let partition = &record[partition];
    let topic = topic.as_str().map_or_else(|| topic.to_string(), str::to_owned);
    let partition = partition.as_i64().map_or_else(|| partition.to_string(), |p| p.to_string());
    Some(format!("{topic}-{partition}"))
}

impl BatchEvent {
    /// The event of `kind` holding `records`, read from
    /// [`wire::event_json`](event_json)'s text: the payload a handler gets,
    /// record keys in Lambda's order.
    pub fn from_records(kind: SourceKind, records: &[Value]) -> BatchEvent {
        // The text is always JSON; were it not, the handler would see an
        // event without records and fail the invocation (nothing acknowledged).
        BatchEvent::from_json(&event_json(kind, records)).unwrap_or_else(|_| BatchEvent::from(Value::Null))
    }
}

/// `items` grouped by partition key, partitions in order of first appearance.
fn by_partition<T, I>(kind: SourceKind, items: I) -> Vec<(String, Vec<T>)>
where
    I: Iterator<Item = T>,
    T: Copy + Keyed,
{
    let mut partitions: Vec<(String, Vec<T>)> = Vec::new();
    for item in items {
        let key = partition_key(kind, item.record()).unwrap_or_default();
        match partitions.iter_mut().find(|(name, _)| *name == key) {
            Some((_, list)) => list.push(item),
            None => partitions.push((key, vec![item])),
        }
    }
    partitions
}

/// A record, or a record with its index.
trait Keyed {
    fn record(&self) -> &Value;
}

impl Keyed for &Value {
    fn record(&self) -> &Value {
        self
    }
}

impl Keyed for (usize, &Value) {
    fn record(&self) -> &Value {
        self.1
    }
}

fn push_key(out: &mut String, key: &str) {
    out.push_str(&Value::from(key).to_string());
    out.push(':');
}

fn push_records<'a>(out: &mut String, records: impl Iterator<Item = impl Keyed + 'a>, order: &KeyOrder) {
    out.push('[');
    for (index, record) in records.enumerate() {
        if index > 0 {
            out.push(',');
        }
        write(out, record.record(), order.keys, order.nested);
    }
    out.push(']');
}

/// Writes `value`, an object's keys in `keys` order then the others sorted,
/// and the objects under `nested` keys in their own order.
fn write(out: &mut String, value: &Value, keys: &[&str], nested: &[(&str, &'static [&'static str])]) {
    let Value::Object(fields) = value else {
        out.push_str(&value.to_string());
        return;
    };
    let known = keys.iter().filter_map(|key| fields.get_key_value(*key));
    let others = fields.iter().filter(|(key, _)| !keys.contains(&key.as_str()));
    out.push('{');
    for (index, (key, value)) in known.chain(others).enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_key(out, key);
        match nested.iter().find(|(name, _)| name == key) {
            Some((_, inner)) => write(out, value, inner, &[]),
            None => out.push_str(&value.to_string()),
        }
    }
    out.push('}');
}
