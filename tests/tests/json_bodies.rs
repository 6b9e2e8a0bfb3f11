//! `Json<T>` on an SQS body reads the body's JSON straight from the event's
//! escaped text when it can: whatever the document, however the event
//! escapes it, the outcome is exactly what serde_json gives on the decoded
//! body (the same value, or an error with serde_json's own message).

use std::collections::BTreeMap;
use std::error::Error as _;

use lambda_batch::sqs::{Sqs, SqsRecord};
use lambda_batch::{Context, FromRecord, Json};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Status {
    Open,
    Held { reason: String },
    Moved(u32),
    Split(i8, bool),
}

/// A body type with every kind of field handlers use, one borrowed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order<'a> {
    id: u64,
    #[serde(borrow)]
    name: &'a str,
    note: Option<String>,
    price: f64,
    delta: i64,
    big: Option<u128>,
    tags: Vec<String>,
    status: Status,
    extra: BTreeMap<String, Value>,
    pair: (bool, char),
    #[serde(default)]
    missing: Option<u8>,
}

/// Strings with the characters that need escapes, at both levels, and some
/// that do not.
fn text() -> impl Strategy<Value = String> {
    "[a-z0-9 \"\\\\/\n\t\u{1}\u{1f}é€😀{}\\[\\]:,]{0,10}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Open),
        text().prop_map(|reason| Status::Held { reason }),
        any::<u32>().prop_map(Status::Moved),
        (any::<i8>(), any::<bool>()).prop_map(|(a, b)| Status::Split(a, b)),
    ]
}

/// An order as JSON text (its borrowed name has no escapes, as serde needs).
fn order_document() -> impl Strategy<Value = String> {
    (
        (any::<u64>(), "[a-z0-9 é😀]{0,8}", prop::option::of(text()), any::<f64>(), any::<i64>()),
        (prop::option::of(any::<u128>()), prop::collection::vec(text(), 0..3), status()),
        (prop::collection::btree_map(text(), value(), 0..3), any::<bool>(), any::<char>()),
    )
        .prop_filter("finite", |((_, _, _, price, _), _, _)| price.is_finite())
        .prop_map(|((id, name, note, price, delta), (big, tags, status), (extra, flag, letter))| {
            let order = Order {
                id,
                name: &name,
                note,
                price,
                delta,
                big,
                tags,
                status,
                extra,
                pair: (flag, letter),
                missing: None,
            };
            serde_json::to_string(&order).expect("an order serializes")
        })
}

/// A document: valid JSON (compact or pretty), or one with a mistake
/// (a character inserted, or the text cut short).
fn document(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (valid, 0..4u8, any::<prop::sample::Index>(), prop::sample::select(&b"{}[]:,\"\\ 0-.eE+tfnu"[..]))
        .prop_map(|(document, change, at, inserted)| {
            let mut cut = at.index(document.len() + 1);
            while !document.is_char_boundary(cut) {
                cut -= 1;
            }
            match change {
                0 => document[..cut].to_owned(),
                1 => format!("{}{}{}", &document[..cut], inserted as char, &document[cut..]),
                2 => serde_json::from_str::<Value>(&document)
                    .map_or(document.clone(), |value| serde_json::to_string_pretty(&value).expect("pretty")),
                _ => document,
            }
        })
}

/// A scalar token, valid or nearly: numbers with leading zeros, stray
/// points and exponents, truncated literals, strings with every escape,
/// unknown escapes and lone surrogates.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?0?[0-9]{0,21}(\\.[0-9]{0,2})?([eE][-+]?[0-9]{0,3})?",
        prop::sample::select(
            &["true", "false", "null", "tru", "nul", "fals", "truex", "-", "1.", ".5", "+1"][..]
        )
        .prop_map(str::to_owned),
        text().prop_map(|text| serde_json::to_string(&text).expect("a string")),
        "\"([a-z \u{e9}\u{1f600}]|\\\\[\"\\\\/bfnrtux]|\\\\u[0-9a-fA-F]{4}|\\\\u[dD][89abAB][0-9a-f]{2}){0,6}\"?",
    ]
}

/// Text close to JSON: arrays and objects of tokens (valid when every
/// token is), and loose sequences of tokens and punctuation.
fn near_json() -> impl Strategy<Value = String> {
    let punctuation =
        prop::sample::select(&["{", "}", "[", "]", ":", ",", " ", "\n", "\t"][..]).prop_map(str::to_owned);
    prop_oneof![
        prop::collection::vec(token(), 0..5).prop_map(|tokens| format!("[{}]", tokens.join(","))),
        prop::collection::vec((token(), token()), 0..4).prop_map(|members| {
            let members: Vec<_> = members.iter().map(|(key, value)| format!("{key}:{value}")).collect();
            format!("{{{}}}", members.join(", "))
        }),
        prop::collection::vec(prop_oneof![token(), punctuation], 1..10).prop_map(|parts| parts.concat()),
    ]
}

/// How the event escapes the body: as serde_json does, with `\/` and `\u`
/// for every character outside ASCII, with `\u` for every character, or
/// with `\u` for characters picked at random (the bits of the number say
/// which: the first of every 64, and so on).
#[derive(Debug, Clone, Copy)]
enum Escaping {
    SerdeJson,
    Verbose,
    EveryCharacter,
    Some(u64),
}

fn escaping() -> impl Strategy<Value = Escaping> {
    prop_oneof![
        Just(Escaping::SerdeJson),
        Just(Escaping::Verbose),
        Just(Escaping::EveryCharacter),
        any::<u64>().prop_map(Escaping::Some),
    ]
}

/// An SQS record whose body is `body`, escaped as `escaping` says.
fn record_json(body: &str, escaping: Escaping) -> String {
    let quoted = match escaping {
        Escaping::SerdeJson => serde_json::to_string(body).expect("a string"),
        Escaping::Verbose | Escaping::EveryCharacter | Escaping::Some(_) => {
            let mut out = String::from("\"");
            for (at, character) in body.chars().enumerate() {
                let plain = match escaping {
                    Escaping::Some(bits) => bits & (1 << (at % 64)) == 0 && matches!(character, ' '..='~'),
                    escaping => matches!(escaping, Escaping::Verbose) && matches!(character, ' '..='~'),
                };
                match character {
                    '"' if plain => out.push_str("\\\""),
                    '\\' if plain => out.push_str("\\\\"),
                    '/' if plain => out.push_str("\\/"),
                    _ if plain => out.push(character),
                    _ => {
                        for unit in character.encode_utf16(&mut [0u16; 2]) {
                            out.push_str(&format!("\\u{unit:04X}"));
                        }
                    }
                }
            }
            out.push('"');
            out
        }
    };
    format!(r#"{{"messageId":"m1","receiptHandle":"r","body":{quoted},"attributes":{{"a":"{{\"b\"}}"}}}}"#)
}

/// `Json<T>` on the record, and serde_json on the decoded body, agree:
/// both read the same value, or both fail with serde_json's message.
fn agree<'r, T>(record: &'r SqsRecord<'r>, cx: &'r Context) -> Result<Option<T>, TestCaseError>
where
    T: Deserialize<'r> + PartialEq + std::fmt::Debug,
{
    // Read first: once the body was decoded (by `body()`), `Json` parses
    // the decoded copy.
    let read = <Json<T> as FromRecord<'r, Sqs>>::from_record(record, cx);
    let body = record.body().expect("a string body");
    match (read, serde_json::from_str::<T>(body)) {
        (Ok(Json(read)), Ok(expected)) => {
            prop_assert_eq!(&read, &expected, "body {}", body);
            Ok(Some(read))
        }
        (Err(error), Err(expected)) => {
            let source = error.source().map(ToString::to_string);
            prop_assert_eq!(source, Some(expected.to_string()), "body {}", body);
            Ok(None)
        }
        (read, expected) => {
            Err(TestCaseError::fail(format!("read {read:?}, serde_json {expected:?}, body {body}")))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

    #[test]
    fn any_json_body_reads_as_serde_json_reads_it(body in document(value().prop_map(|v| v.to_string())), escaping in escaping()) {
        let json = record_json(&body, escaping);
        let record = SqsRecord::parse(0, &json).expect("an id");
        let cx = Context::default();
        agree::<Value>(&record, &cx)?;
        agree::<Vec<Value>>(&record, &cx)?;
        agree::<BTreeMap<String, Option<f64>>>(&record, &cx)?;
    }

    #[test]
    fn text_close_to_json_reads_as_serde_json_reads_it(body in near_json(), escaping in escaping()) {
        let json = record_json(&body, escaping);
        let record = SqsRecord::parse(0, &json).expect("an id");
        let cx = Context::default();
        agree::<Value>(&record, &cx)?;
        agree::<Vec<Option<f64>>>(&record, &cx)?;
        agree::<Vec<u64>>(&record, &cx)?;
        agree::<Vec<i128>>(&record, &cx)?;
        agree::<Vec<String>>(&record, &cx)?;
        agree::<BTreeMap<String, Value>>(&record, &cx)?;
    }

    #[test]
    fn a_typed_body_reads_as_serde_json_reads_it(body in document(order_document()), escaping in escaping()) {
        let json = record_json(&body, escaping);
        let record = SqsRecord::parse(0, &json).expect("an id");
        let cx = Context::default();
        agree::<Order<'_>>(&record, &cx)?;
        agree::<Status>(&record, &cx)?;
    }
}

/// The escaped-text path is really taken for bodies as producers write them:
/// a borrowed string points into the event's own text, not into a decoded
/// copy of the body.
#[test]
fn a_json_body_is_read_from_the_event_without_a_decoded_copy() {
    let body = json!({
        "id": 7, "name": "plain", "note": "caf\u{e9} \"quoted\"", "price": 12.5, "delta": -3, "big": null,
        "tags": ["a"], "status": {"Held": {"reason": "r"}}, "extra": {"k": [1, {"x": null}]}, "pair": [true, "x"]
    })
    .to_string();
    for escaping in [Escaping::SerdeJson, Escaping::Verbose] {
        let json = record_json(&body, escaping);
        let record = SqsRecord::parse(0, &json).expect("an id");
        let cx = Context::default();
        let Json(order) =
            <Json<Order<'_>> as FromRecord<'_, Sqs>>::from_record(&record, &cx).expect("an order");
        assert!(
            json.as_bytes().as_ptr_range().contains(&order.name.as_ptr()),
            "{escaping:?}: the name was not borrowed from the event's text"
        );
        assert_eq!(order.note.as_deref(), Some("caf\u{e9} \"quoted\""));
    }
}

/// A `"` or `\` of the document written as a `\u` escape inside one of its
/// strings is that character: it ends the string or starts an escape,
/// exactly as in the decoded body.
#[test]
fn a_quote_or_backslash_written_as_a_unicode_escape_means_what_it_means_decoded() {
    let cx = Context::default();
    for quoted in [
        r#""[\"a\u0022, \"]""#,
        r#""[\"a\u0022, 1]""#,
        r#""[\"a\u005c\", 1]""#,
        r#""[\"a\u005c\u0022\", 1]""#,
        r#""[\"a\u005cn\"]""#,
        r#""{\"k\u0022:1}""#,
    ] {
        let json = format!(r#"{{"messageId":"m1","body":{quoted}}}"#);
        let record = SqsRecord::parse(0, &json).expect("an id");
        agree::<Value>(&record, &cx).unwrap_or_else(|error| panic!("{quoted}: {error}"));
    }
}
