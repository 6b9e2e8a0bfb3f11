//! Tests of the record scanner.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on what it does not expect")]

use super::*;

fn members(text: &str) -> Vec<(String, String)> {
    Members::of(text).unwrap().map(|(k, v)| (k.0.trim_matches('"').to_owned(), v.to_owned())).collect()
}

#[test]
fn walks_members_of_any_shape() {
    let text = r#" { "a" : 1 , "b":{"x":[1,{"y":"}"}]},"c":"q\"}\\","d":null,"e":[],"f":-1.5e3 } "#;
    let found = members(text);
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c", "d", "e", "f"]);
    assert_eq!(found[1].1, r#"{"x":[1,{"y":"}"}]}"#);
    assert_eq!(found[2].1, r#""q\"}\\""#);
    assert_eq!(found[5].1, "-1.5e3");
    assert!(members("{}").is_empty());
    assert!(Members::of("[1]").is_none());
}

#[test]
fn stops_on_text_that_is_not_an_object_without_panicking() {
    for broken in [
        r#"{"a""#,
        r#"{"a":"#,
        r#"{"a":1"#,
        r#"{"a" 1}"#,
        r#"{"a":"x}"#,
        r#"{"a":[1}"#,
        "{1:2}",
        r#"{"a":1 "b":2}"#,
    ] {
        let mut walk = Members::of(broken).unwrap();
        while walk.next().is_some() {}
        assert!(walk.is_broken(), "{broken}");
    }
    let mut fine = Members::of(r#"{"a":1}"#).unwrap();
    while fine.next().is_some() {}
    assert!(!fine.is_broken());
}

#[test]
fn decodes_strings_as_serde_json_does() {
    for text in [
        r#""plain""#,
        r#""a\"b\\c\/d\n\t\r\b\f""#,
        r#""caf\u00e9 \ud83d\ude00 \u0041""#,
        r#""{\"order\":1,\"items\":[\"x\"]}""#,
        r#""""#,
    ] {
        let expected: String = serde_json::from_str(text).unwrap();
        assert_eq!(string(text).unwrap(), expected, "{text}");
    }
    assert!(matches!(string(r#""no escapes""#), Some(Cow::Borrowed("no escapes"))));
    assert_eq!(string("12"), None);
    assert_eq!(string(r#""\ud83d alone""#), None);
    assert_eq!(string(r#""\q""#), None);
    assert_eq!(string(r#""a"b""#), None);
}

#[test]
fn matches_escaped_keys_by_their_decoded_text() {
    let (key, _) = Members::of(r#"{"message\u0049d":"m"}"#).unwrap().next().unwrap();
    assert!(key.is("messageId"));
    assert!(!key.is("body"));
}
