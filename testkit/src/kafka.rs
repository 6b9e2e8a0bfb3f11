//! Kafka events shaped as Lambda sends them (Amazon MSK; self-managed
//! Kafka differs only in `eventSource` and has no `eventSourceArn`).

use base64::Engine as _;
use lambda_batch::kafka::Kafka;
use lambda_batch::{BatchEvent, Source};
use serde_json::{Map, Value, json};

/// The ARN of the MSK cluster the builders use.
pub const CLUSTER_ARN: &str = crate::wire::KAFKA_CLUSTER_ARN;

/// A record of `topic`'s `partition` at `offset`, with `key` and `value`
/// base64-encoded as Lambda does (`None` writes `null`) and one header.
pub fn record(topic: &str, partition: u32, offset: u64, key: Option<&[u8]>, value: Option<&[u8]>) -> Value {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "timestamp": 1_700_000_000_000_u64 + offset,
        "timestampType": "CREATE_TIME",
        "key": key.map(encode),
        "value": value.map(encode),
        "headers": [{"source": b"testkit".to_vec()}]
    })
}

/// The event text, `{"eventSource": "aws:kafka", ..., "records": {"<topic>-<partition>": [...]}}`,
/// with records grouped by their `topic` and `partition`, partitions in the
/// order they first appear, each partition's records in the given order.
pub fn event_json(records: impl IntoIterator<Item = Value>) -> String {
    let records: Vec<Value> = records.into_iter().collect();
    crate::wire::event_text(Kafka::KIND, &records)
}

/// The event as a [`BatchEvent`].
pub fn event(records: impl IntoIterator<Item = Value>) -> BatchEvent {
    let text = event_json(records);
    // The text is always valid JSON; were it not, the handler would see an
    // event without records and fail the invocation (nothing acknowledged).
    BatchEvent::from_json(&text).unwrap_or_else(|_| BatchEvent::from(Value::Object(Map::new())))
}
