//! Kafka events shaped as Lambda sends them (Amazon MSK; self-managed
//! Kafka differs only in `eventSource` and has no `eventSourceArn`).

use base64::Engine as _;
use lambda_batch::BatchEvent;
use serde_json::{Map, Value, json};

/// The ARN of the MSK cluster the builders use.
pub const CLUSTER_ARN: &str =
    "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/a1b2c3d4-5678-90ab-cdef-11111EXAMPLE-1";

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
    let mut partitions: Vec<(String, Vec<Value>)> = Vec::new();
    for record in records {
        let key = format!(
            "{}-{}",
            record["topic"].as_str().unwrap_or("unknown"),
            record["partition"].as_u64().map_or_else(|| record["partition"].to_string(), |p| p.to_string())
        );
        match partitions.iter_mut().find(|(name, _)| *name == key) {
            Some((_, list)) => list.push(record),
            None => partitions.push((key, vec![record])),
        }
    }
    // Written by hand: `serde_json::Map` sorts its keys, and the order of
    // the partitions is the order in which the engine meets them.
    let mut text = String::from(r#"{"eventSource":"aws:kafka","eventSourceArn":""#);
    text.push_str(CLUSTER_ARN);
    text.push_str(r#"","bootstrapServers":"b-1.orders.kafka.eu-west-1.amazonaws.com:9098","records":{"#);
    for (n, (key, list)) in partitions.iter().enumerate() {
        if n > 0 {
            text.push(',');
        }
        text.push_str(&Value::String(key.clone()).to_string());
        text.push(':');
        text.push_str(&Value::Array(list.clone()).to_string());
    }
    text.push_str("}}");
    text
}

/// The event as a [`BatchEvent`].
pub fn event(records: impl IntoIterator<Item = Value>) -> BatchEvent {
    let text = event_json(records);
    BatchEvent::from_json(&text).unwrap_or_else(|_| BatchEvent::from(Value::Object(Map::new())))
}
