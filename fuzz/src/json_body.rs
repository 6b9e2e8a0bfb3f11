//! The oracle of the `json_body` target: arbitrary bytes as the escaped
//! text of an SQS body. `Json<T>` on the record must give exactly what
//! serde_json gives on the body that serde_json itself decoded from the
//! record: the same value, or an error (then serde_json's own).

use std::collections::BTreeMap;

use lambda_batch::sqs::{Sqs, SqsRecord};
use lambda_batch::{Context, FromRecord, Json};
use serde::Deserialize;
use serde_json::Value;

/// A body type with the serde shapes the quick path reads its own way.
#[derive(Debug, PartialEq, Deserialize)]
enum Shape {
    Unit,
    Newtype(Option<i64>),
    Tuple(u8, String),
    Struct { big: u128, ratio: f32 },
}

#[derive(Debug, PartialEq, Deserialize)]
struct Typed {
    shapes: Vec<Shape>,
    #[serde(default)]
    names: BTreeMap<String, char>,
    #[serde(default)]
    flag: Option<bool>,
}

/// Checks one input: the record `{"messageId":"m","body":"<data>"}`, when
/// that is valid JSON (the engine only reads records serde_json validated).
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let json = format!(r#"{{"messageId":"m","body":"{text}"}}"#);
    let Ok(record_value) = serde_json::from_str::<Value>(&json) else { return };
    let Some(body) = record_value.get("body").and_then(Value::as_str) else { return };
    agree::<Value>(&json, body);
    agree::<Typed>(&json, body);
    agree::<Vec<Option<u64>>>(&json, body);
}

fn agree<T>(json: &str, body: &str)
where
    T: for<'r> Deserialize<'r> + PartialEq + std::fmt::Debug,
{
    let record = SqsRecord::parse(0, json).expect("a record with a messageId");
    let cx = Context::default();
    let read = <Json<T> as FromRecord<'_, Sqs>>::from_record(&record, &cx).map(|Json(value)| value);
    let expected = serde_json::from_str::<T>(body);
    match (&read, &expected) {
        (Ok(read), Ok(expected)) => assert_eq!(read, expected, "Json read another value from {body:?}"),
        (Err(_), Err(_)) => {}
        _ => panic!("Json read {read:?}, serde_json {expected:?}, from the body {body:?}"),
    }
}
