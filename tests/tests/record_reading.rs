//! The SQS record reader (a hand-written scanner over JSON that serde has
//! validated) reads exactly what serde_json reads, whatever the key order,
//! spacing, escapes and value types.

use lambda_batch::sqs::SqsRecord;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Strings with the characters that need escapes, and some that do not.
fn text() -> impl Strategy<Value = String> {
    "[a-z0-9 \"\\\\/\n\t\r\u{1}\u{1f}é€😀{}\\[\\]:,]{0,12}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Quarters print and read back exactly.
        (-4_000_000i64..4_000_000).prop_map(|quarters| Value::from(quarters as f64 / 4.0)),
        text().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A field that is usually a string, sometimes another type, sometimes absent.
fn field(strings: impl Strategy<Value = String>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => strings.prop_map(|s| Some(Value::String(s))),
        1 => value().prop_map(Some),
        1 => Just(None),
    ]
}

#[derive(Debug, Clone)]
struct Written {
    /// Keys and values in the order written.
    members: Vec<(String, Value)>,
    /// Per member: write the key with `\u` escapes.
    escaped_keys: Vec<bool>,
    /// Per member: pretty-print the value.
    pretty: Vec<bool>,
}

impl Written {
    fn json(&self) -> String {
        let members: Vec<String> = self
            .members
            .iter()
            .zip(&self.escaped_keys)
            .zip(&self.pretty)
            .map(|(((key, value), &escaped), &pretty)| {
                let key = if escaped {
                    format!(
                        "\"{}\"",
                        key.encode_utf16().map(|unit| format!("\\u{unit:04x}")).collect::<String>()
                    )
                } else {
                    serde_json::to_string(key).unwrap()
                };
                let value = if pretty {
                    serde_json::to_string_pretty(value).unwrap()
                } else {
                    serde_json::to_string(value).unwrap()
                };
                format!("{key} :\n {value}")
            })
            .collect();
        format!(" {{ {} }}", members.join(" ,\t"))
    }

    fn as_value(&self) -> Value {
        Value::Object(self.members.iter().cloned().collect::<Map<String, Value>>())
    }
}

fn record() -> impl Strategy<Value = Written> {
    let attributes = (field("g-[a-z0-9]{0,6}"), field("[0-9]{1,3}"), field("[0-9]{1,13}"), any::<bool>())
        .prop_map(|(group, count, sent, as_object)| {
            if !as_object {
                return Some(json!("not an object"));
            }
            let mut map = Map::new();
            for (key, value) in
                [("MessageGroupId", group), ("ApproximateReceiveCount", count), ("SentTimestamp", sent)]
            {
                if let Some(value) = value {
                    map.insert(key.to_owned(), value);
                }
            }
            Some(Value::Object(map))
        });
    let extra = prop::collection::vec(("x[a-z]{0,5}", value()), 0..3);
    (field(text()), field(text()), field("arn:aws:sqs:[a-z]{0,4}(\\.fifo)?"), attributes, extra)
        .prop_flat_map(|(id, body, arn, attributes, extra)| {
            let mut members: Vec<(String, Value)> = extra;
            for (key, value) in
                [("messageId", id), ("body", body), ("eventSourceARN", arn), ("attributes", attributes)]
            {
                if let Some(value) = value {
                    members.push((key.to_owned(), value));
                }
            }
            let n = members.len();
            (
                Just(members).prop_shuffle(),
                prop::collection::vec(prop::bool::weighted(0.2), n),
                prop::collection::vec(any::<bool>(), n),
            )
        })
        .prop_map(|(members, escaped_keys, pretty)| Written { members, escaped_keys, pretty })
}

fn string_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(value, |value, key| value.as_object()?.get(*key))?.as_str()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn the_scanner_reads_what_serde_reads(written in record()) {
        let json = written.json();
        let expected = written.as_value();
        // The engine only ever reads text that serde_json validated.
        prop_assert_eq!(&serde_json::from_str::<Value>(&json).unwrap(), &expected);
        let record = SqsRecord::parse(0, &json);
        match string_at(&expected, &["messageId"]) {
            Some(id) if !id.is_empty() => {
                let record = record.map_err(|e| TestCaseError::fail(format!("{e} in {json}")))?;
                prop_assert_eq!(record.message_id(), id);
                prop_assert_eq!(record.body(), string_at(&expected, &["body"]), "body of {}", json);
                prop_assert_eq!(record.queue_arn(), string_at(&expected, &["eventSourceARN"]));
                prop_assert_eq!(record.message_group_id(), string_at(&expected, &["attributes", "MessageGroupId"]));
                let count = string_at(&expected, &["attributes", "ApproximateReceiveCount"]).and_then(|c| c.parse().ok());
                prop_assert_eq!(record.receive_count(), count);
                prop_assert_eq!(record.raw_json(), json.as_str());
            }
            _ => prop_assert!(record.is_err(), "a record without a usable messageId was read: {}", json),
        }
    }
}

#[test]
fn a_record_that_is_not_an_object_has_no_message_id() {
    for json in ["[]", "\"m1\"", "12", "null"] {
        assert!(SqsRecord::parse(0, json).is_err(), "{json}");
    }
}

#[test]
fn the_first_of_two_equal_keys_counts() {
    let record =
        SqsRecord::parse(0, r#"{"messageId":"first","body":"a","messageId":"second","body":"b"}"#).unwrap();
    assert_eq!(record.message_id(), "first");
    assert_eq!(record.body(), Some("a"));
}
