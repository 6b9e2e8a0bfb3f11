//! Events as the bytes Lambda sends: keys in Lambda's order.
//!
//! `serde_json::Value` sorts object keys, so `value.to_string()` would put an
//! SQS record's `messageId` after its `body`, and a handler that reads the
//! first keys of a record would be tested on an order Lambda never sends.
//! Every event the testkit hands to a handler is written here.

use lambda_batch::SourceKind;
use serde_json::Value;

/// An object's keys in the order Lambda writes them, and the order of the
/// objects nested under some of them. Keys not listed come last, sorted.
struct KeyOrder {
    keys: &'static [&'static str],
    nested: &'static [(&'static str, KeyOrder)],
}

const SQS_RECORD: KeyOrder = KeyOrder {
    keys: &[
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ],
    nested: &[],
};

const KINESIS_RECORD: KeyOrder = KeyOrder {
    keys: &[
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    ],
    nested: &[(
        "kinesis",
        KeyOrder {
            keys: &[
                "kinesisSchemaVersion",
                "partitionKey",
                "sequenceNumber",
                "data",
                "approximateArrivalTimestamp",
            ],
            nested: &[],
        },
    )],
};

const DYNAMODB_RECORD: KeyOrder = KeyOrder {
    keys: &["eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb", "eventSourceARN"],
    nested: &[(
        "dynamodb",
        KeyOrder {
            keys: &[
                "ApproximateCreationDateTime",
                "Keys",
                "NewImage",
                "OldImage",
                "SequenceNumber",
                "SizeBytes",
                "StreamViewType",
            ],
            nested: &[],
        },
    )],
};

const KAFKA_RECORD: KeyOrder = KeyOrder {
    keys: &["topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers"],
    nested: &[],
};

/// The bytes of an event of `kind` holding `records`, as Lambda writes it:
/// `{"Records": [...]}`, or for Kafka the records grouped by partition
/// (`{"eventSource": "aws:kafka", ..., "records": {"<topic>-<partition>": [...]}}`,
/// partitions in the order they first appear).
pub(crate) fn event_text(kind: SourceKind, records: &[Value]) -> String {
    let order = match kind {
        SourceKind::Kinesis => &KINESIS_RECORD,
        SourceKind::DynamoDb => &DYNAMODB_RECORD,
        SourceKind::Kafka => return kafka_event_text(records),
        _ => &SQS_RECORD,
    };
    let mut out = String::from(r#"{"Records":["#);
    for (index, record) in records.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write(&mut out, record, order);
    }
    out.push_str("]}");
    out
}

/// The ARN of the MSK cluster of generated Kafka events.
pub(crate) const KAFKA_CLUSTER_ARN: &str =
    "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/a1b2c3d4-5678-90ab-cdef-11111EXAMPLE-1";

/// The key of a Kafka record's partition in the event's `records` map.
pub(crate) fn kafka_partition_key(record: &Value) -> String {
    let topic = record["topic"].as_str().map_or_else(|| record["topic"].to_string(), str::to_owned);
    let partition =
        record["partition"].as_i64().map_or_else(|| record["partition"].to_string(), |p| p.to_string());
    format!("{topic}-{partition}")
}

fn kafka_event_text(records: &[Value]) -> String {
    let mut partitions: Vec<(String, Vec<&Value>)> = Vec::new();
    for record in records {
        let key = kafka_partition_key(record);
        match partitions.iter_mut().find(|(name, _)| *name == key) {
            Some((_, list)) => list.push(record),
            None => partitions.push((key, vec![record])),
        }
    }
    let mut out = format!(
        r#"{{"eventSource":"aws:kafka","eventSourceArn":"{KAFKA_CLUSTER_ARN}","bootstrapServers":"b-1.orders.kafka.eu-west-1.amazonaws.com:9098","records":{{"#
    );
    for (n, (key, list)) in partitions.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(key.as_str()).to_string());
        out.push_str(":[");
        for (index, record) in list.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            write(&mut out, record, &KAFKA_RECORD);
        }
        out.push(']');
    }
    out.push_str("}}");
    out
}

fn write(out: &mut String, value: &Value, order: &KeyOrder) {
    let Value::Object(fields) = value else {
        out.push_str(&value.to_string());
        return;
    };
    let known = order.keys.iter().filter_map(|key| fields.get_key_value(*key));
    let others = fields.iter().filter(|(key, _)| !order.keys.contains(&key.as_str()));
    out.push('{');
    for (index, (key, value)) in known.chain(others).enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(key.as_str()).to_string());
        out.push(':');
        match order.nested.iter().find(|(name, _)| name == key) {
            Some((_, nested)) => write(out, value, nested),
            None => out.push_str(&value.to_string()),
        }
    }
    out.push('}');
}
