//! The testkit's one table of field paths (`lambda_batch_testkit::wire`)
//! and the runtime's source model agree, for every source: what the testkit
//! writes through the table is what `SourceKind::identify` reads, from the
//! record and from the event the testkit hands a handler.

use lambda_batch::{BatchError, OrderingRule, RecordIdentity, SourceKind};
use lambda_batch_testkit::strategy::Batch;
use lambda_batch_testkit::{dynamodb, kafka, kinesis, sqs, wire};
use serde_json::{Value, json};

/// A record of `kind` written by the testkit's builders (Kafka: topic
/// `orders`, partition 2).
fn built(kind: SourceKind) -> Value {
    let keys = json!({"pk": {"S": "item-1"}});
    match kind {
        SourceKind::Sqs => sqs::message("m-1", "{}"),
        SourceKind::SqsFifo => sqs::fifo_message("m-1", "group-1", "{}"),
        SourceKind::Kinesis => kinesis::record(&kinesis::sequence_number(1), "key-1", b"{}"),
        SourceKind::DynamoDb => dynamodb::record("100", "INSERT", keys.clone(), Some(keys), None),
        SourceKind::Kafka => kafka::record("orders", 2, 15, Some(b"user-1"), Some(b"{}")),
        other => panic!("no builder for {other}"),
    }
}

/// A value of the same JSON type as `value`, different from it.
fn another(value: &Value) -> Value {
    match value {
        Value::Number(number) => json!(number.as_u64().expect("a whole number") + 1000),
        Value::String(text) => json!(format!("{text}7")),
        Value::Object(fields) => {
            let mut fields = fields.clone();
            fields.insert("sk".to_owned(), json!({"N": "7"}));
            Value::Object(fields)
        }
        other => panic!("no other value for {other}"),
    }
}

/// A value as the runtime's identifiers and keys hold it: a string as it
/// is, anything else as its JSON.
fn as_text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// The value the builder wrote at `path` (failing when there is none: the
/// table names a field the testkit does not write).
fn present(kind: SourceKind, record: &Value, path: wire::Path) -> &Value {
    let value = wire::get(record, path);
    assert!(!value.is_null(), "{kind}: the testkit's builder writes nothing at {path:?}");
    value
}

/// The record's identity as the runtime reads it, from the record's JSON
/// and from the event the testkit writes (the two must agree).
fn identify(kind: SourceKind, record: &Value) -> Result<RecordIdentity, BatchError> {
    let from_record = kind.identify(0, &record.to_string());
    let event = Batch::new(kind, vec![record.clone()]).to_event();
    let from_event = kind.identify_event(&event).map(|mut identities| identities.remove(0));
    assert_eq!(format!("{from_record:?}"), format!("{from_event:?}"), "{kind}: record and event disagree");
    from_record
}

#[test]
fn an_identifier_written_through_the_table_is_the_one_the_runtime_reads() {
    for kind in SourceKind::ALL {
        let paths = wire::paths(kind);
        assert_eq!(paths.kind, kind);
        let mut record = built(kind);
        let id = another(present(kind, &record, paths.identifier));
        paths.set_identifier(&mut record, id.clone());
        let identity = identify(kind, &record).unwrap_or_else(|error| panic!("{kind}: {error}"));
        let expected = match kind.ordering() {
            // Kafka names a record by its partition and offset.
            OrderingRule::KafkaPartition => format!("orders-2@{}", as_text(&id)),
            _ => as_text(&id),
        };
        assert_eq!(identity.item_identifier, expected, "{kind}");
    }
}

#[test]
fn an_identifier_removed_through_the_table_is_missing_from_the_field_the_runtime_names() {
    for kind in SourceKind::ALL {
        let paths = wire::paths(kind);
        let mut record = built(kind);
        paths.remove_identifier(&mut record);
        match identify(kind, &record) {
            Err(BatchError::MissingItemIdentifier { index: 0, field, .. }) => {
                assert_eq!(field, kind.identifier_field(), "{kind}");
            }
            other => panic!("{kind}: the identifier was removed, identify gave {other:?}"),
        }
    }
}

#[test]
fn an_ordering_key_written_through_the_table_is_the_one_the_runtime_reads() {
    for kind in SourceKind::ALL {
        let paths = wire::paths(kind);
        assert_eq!(paths.ordering_key.is_empty(), kind.ordering() == OrderingRule::None, "{kind}");
        let mut record = built(kind);
        let mut parts = Vec::new();
        for &path in paths.ordering_key {
            let value = another(present(kind, &record, path));
            parts.push(as_text(&value));
            wire::set(&mut record, path, value);
        }
        // Kafka's key is `<topic>-<partition>`.
        let expected = (!parts.is_empty()).then(|| parts.join("-"));
        let identity = identify(kind, &record).unwrap_or_else(|error| panic!("{kind}: {error}"));
        assert_eq!(identity.ordering_key, expected, "{kind}");
    }
}

#[test]
fn the_payload_is_where_a_record_carries_it() {
    for kind in SourceKind::ALL {
        let paths = wire::paths(kind);
        let record = built(kind);
        assert!(paths.has_payload(&record), "{kind}");
        let payload = wire::get(&record, paths.payload.path);
        assert!(!payload.is_null(), "{kind}: no payload at {:?}", paths.payload.path);
        let shown = paths.payload.show(&record);
        // A payload that is JSON is shown as that JSON (decoded, unescaped).
        match paths.payload.encoding {
            wire::Encoding::DynamoDbImage => assert_eq!(shown, payload.to_string(), "{kind}"),
            _ => assert_eq!(shown, "{}", "{kind}: shown as JSON"),
        }
    }
}
