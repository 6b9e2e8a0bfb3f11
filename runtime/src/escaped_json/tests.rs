//! The quick path gives serde_json's answer or gives up, and it is taken
//! for the documents JSON bodies usually are.

#![allow(clippy::expect_used, reason = "a test fails loudly on what it does not expect")]

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{GaveUp, from_escaped};

/// The JSON string holding `document`, as serde_json writes strings, from
/// just after its opening quote, and the rest of a record after it (which
/// the reader must not read).
fn escaped(document: &str) -> String {
    let quoted = serde_json::to_string(document).expect("a string");
    format!("{},\"attributes\":{{\"a\":\"b\"}}}}", &quoted[1..])
}

/// The same, written as other encoders may: `/` as `\/`, every character
/// outside ASCII as `\u` escapes.
fn escaped_verbosely(document: &str) -> String {
    let mut out = String::new();
    for character in document.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(character),
            other => {
                let mut units = [0u16; 2];
                for unit in other.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push_str("\"}");
    out
}

#[derive(Debug, PartialEq, Deserialize)]
enum Status {
    Open,
    Held { reason: String },
    Moved(u32),
}

#[derive(Debug, PartialEq, Deserialize)]
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
}

const DOCUMENTS: &[&str] = &[
    r#"{"id":7,"name":"plain","note":null,"price":12.5,"delta":-3,"big":null,"tags":["a","b"],"status":"Open","extra":{},"pair":[true,"x"]}"#,
    "{ \"id\" : 0 ,\n\t\"name\":\"x\",\"note\":\"with \\\"quotes\\\" and \\\\ and \\n and \\u00e9 and \\ud83d\\ude00\",\"price\":1e3,\"delta\":0,\"big\":340282366920938463463374607431768211455,\"tags\":[],\"status\":{\"Held\":{\"reason\":\"caf\u{e9} / \u{1f600}\"}},\"extra\":{\"k\":[1,2.5,-0,null,{\"deep\":[[]]}]},\"pair\":[false,\"\u{e9}\"]}",
    r#"{"id":1,"name":"n","note":"a/b","price":0.1,"delta":9007199254740993,"big":1,"tags":["\u0041"],"status":{"Moved":4},"extra":{"a":"b"},"pair":[true,"\n"]}"#,
];

/// Every document above, however written (with `\u` escapes, 128-bit
/// numbers, enums, maps and floats), is read by the quick path, as
/// serde_json reads it from the decoded text.
#[test]
fn what_it_reads_is_what_serde_json_reads_from_the_decoded_text() {
    for document in DOCUMENTS {
        let expected: Order<'_> = serde_json::from_str(document).expect("a valid order");
        let value: Value = serde_json::from_str(document).expect("JSON");
        for text in [escaped(document), escaped_verbosely(document)] {
            let order = from_escaped::<Order<'_>>(&text).expect("read without serde_json's help");
            assert_eq!(order, expected, "{text}");
            assert_eq!(
                from_escaped::<Value>(&text).expect("read without serde_json's help"),
                value,
                "{text}"
            );
        }
    }
}

#[test]
fn a_string_without_escapes_is_borrowed_from_the_escaped_text() {
    let text = escaped(DOCUMENTS[0]);
    let order = from_escaped::<Order<'_>>(&text).expect("read without serde_json's help");
    assert!(text.as_bytes().as_ptr_range().contains(&order.name.as_ptr()));
}

#[test]
fn it_gives_up_wherever_serde_json_would_refuse_or_read_differently() {
    for document in [
        r#"{"a":1,}"#,
        r#"{"a":1}x"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"[1,2"#,
        r#"{"a" 1}"#,
        r#"{'a':1}"#,
        "{\"a\":\"tab\there\"}",
        r#"{"a":"\ud800"}"#,
        r#"{"a":tru}"#,
        r#"{"a":nul}"#,
        "",
        "   ",
    ] {
        assert!(serde_json::from_str::<Value>(document).is_err(), "serde_json refuses {document}");
        assert!(matches!(from_escaped::<Value>(&escaped(document)), Err(GaveUp)), "{document}");
    }
    // Deeper than the quick path goes: serde_json decides.
    let deep = format!("{}{}", "[".repeat(super::MAX_DEPTH + 1), "]".repeat(super::MAX_DEPTH + 1));
    assert!(from_escaped::<Value>(&escaped(&deep)).is_err());
    // A type asking for a JSON type the text does not have.
    assert!(from_escaped::<String>(&escaped("7")).is_err());
    assert!(from_escaped::<u32>(&escaped("\"7\"")).is_err());
    // serde_json's raw values are left to serde_json.
    assert!(from_escaped::<Box<serde_json::value::RawValue>>(&escaped("[1]")).is_err());
}

#[test]
fn escapes_outside_strings_are_whitespace_or_left_to_serde_json() {
    assert_eq!(
        from_escaped::<Vec<u8>>(r#"[1,\n2,\t3,\r4]"}"#).expect("whitespace escapes"),
        vec![1, 2, 3, 4]
    );
    // A `\u` escape outside a string is legal in the string, but left to serde_json.
    assert!(from_escaped::<Vec<u8>>(r#"\u005b1]""#).is_err());
    // An escape that is no JSON escape, or text that ends early, never panics.
    for text in [r#"[\q]""#, r"[\", r#"[\"a"#, r#"[\"a""#, r#"{\"a\":1"#, "[1", "", "\"", r#"[\"\\"#] {
        assert!(from_escaped::<Value>(text).is_err(), "{text}");
    }
}
