//! Tests of the SQS record reader.

#![allow(clippy::expect_used, reason = "a test fails loudly on what it does not expect")]

use super::*;

#[test]
fn a_record_is_88_bytes_so_a_skipped_one_costs_little() {
    assert_eq!(size_of::<SqsRecord<'_>>(), 88);
}

#[test]
fn the_id_is_found_in_lambdas_layout_and_in_any_other() {
    let read = |raw: &str| SqsRecord::parse(0, raw).map(|record| record.message_id().to_owned());
    // As Lambda writes it: found without walking the members.
    assert_eq!(leading_plain_id(r#"{"messageId":"m1","body":"b"}"#), Some("m1"));
    assert_eq!(read(r#"{"messageId":"m1","body":"b"}"#).ok().as_deref(), Some("m1"));
    // Escaped, empty, spaced, or not first: the general reader decides,
    // and reads the same id (the first key counts).
    for (raw, id) in [
        (r#"{"messageId":"m\u0031"}"#, Some("m1")),
        (r#"{"messageId":"a\"b"}"#, Some("a\"b")),
        (r#"{ "messageId":"m2"}"#, Some("m2")),
        (r#"{"body":"{\"messageId\":\"no\"}","messageId":"m3"}"#, Some("m3")),
        (r#"{"messageId":""}"#, None),
        (r#"{"messageId":null}"#, None),
        (r#"{"messageId":7}"#, None),
    ] {
        assert_eq!(leading_plain_id(raw), None, "{raw}");
        assert_eq!(read(raw).ok().as_deref(), id, "{raw}");
    }
}

#[test]
fn an_escaped_id_is_decoded_and_kept_to_the_report() {
    let record = SqsRecord::parse(3, r#"{"messageId":"m\u0031","body":"b"}"#).expect("an id");
    assert_eq!((record.message_id(), record.index(), record.body()), ("m1", 3, Some("b")));
    assert_eq!(record.into_message_id(), "m1");
    let plain = SqsRecord::parse(0, r#"{"messageId":"m2"}"#).expect("an id");
    assert!(matches!(plain.into_message_id(), Cow::Borrowed("m2")));
}
