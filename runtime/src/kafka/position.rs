//! Reading a Kafka record's `partition` and `offset` (whole numbers from
//! 0) and its `topic`, with the problems named as a user reads them. Kept
//! apart from the record type so that the event reader can check a record
//! against the partition it sits under without depending on the source.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::json::{member_texts, string_text};

/// A non-negative integer field (`partition`, `offset`), from its JSON
/// text (validated JSON: no sign `+`, no leading zeros, so Rust's integer
/// syntax reads JSON's whole numbers, but for `-0`, which serde_json reads
/// as a float and refuses for an integer field: so is it here).
pub(crate) fn position(text: Option<&str>) -> Result<i64, &'static str> {
    let text = text.ok_or("absent")?;
    match text.parse::<i64>() {
        Ok(0) if text.starts_with('-') => Err("not a whole number"),
        Ok(number) if number >= 0 => Ok(number),
        Ok(_) => Err("negative"),
        Err(_) if text == "null" => Err("null"),
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => Err("too large"),
        Err(_) => Err("not a whole number"),
    }
}

/// What is wrong with a record's `partition` or `offset` (`name`), as a
/// user reads it; `null` told apart from absent.
pub(crate) fn position_problem(name: &'static str, problem: &'static str, record: &RawValue) -> &'static str {
    let problem = match problem {
        "absent" if crate::json::member_is_null(record, name) => "null",
        problem => problem,
    };
    match (name, problem) {
        ("partition", "absent") => "`partition` is absent",
        ("partition", "null") => "`partition` is null",
        ("partition", "negative") => "`partition` is negative",
        ("partition", "too large") => "`partition` is larger than a Kafka partition can be (2^63 - 1)",
        ("partition", _) => "`partition` is not a whole number",
        (_, "absent") => "`offset` is absent",
        (_, "null") => "`offset` is null",
        (_, "negative") => "`offset` is negative",
        (_, "too large") => "`offset` is larger than a Kafka offset can be (2^63 - 1)",
        _ => "`offset` is not a whole number",
    }
}

/// A record's `topic` (a non-empty string) and `partition` (a whole number
/// from 0), when both can be read.
pub(crate) fn topic_and_partition(raw: &RawValue) -> Option<(Cow<'_, str>, i64)> {
    let [topic, partition] = member_texts(raw.get(), ["topic", "partition"])?;
    let topic = string_text(topic?).ok().filter(|topic| !topic.is_empty())?;
    Some((topic, position(partition).ok()?))
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "a test fails loudly on what it does not expect")]
mod tests {
    use super::*;

    /// `text` as a record's raw member value.
    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("valid JSON")
    }

    #[test]
    fn accepts_exactly_the_numbers_serde_json_reads_as_unsigned() {
        // serde_json reads `-0` as the float -0.0, which no integer type
        // takes: a position is refused where a `u64` field would be.
        assert!(serde_json::from_str::<u64>("-0").is_err(), "serde_json refuses -0 for u64");
        for text in ["-0", "-0.0", "0.0", "1.0", "1e2", "-1", "\"7\"", "true", "[]", "9223372036854775808"] {
            assert!(serde_json::from_str::<u64>(text).is_err() || text.starts_with('9'), "{text}");
            assert!(position(Some(raw(text).get())).is_err(), "{text} is refused");
        }
        for text in ["0", "7", "9223372036854775807"] {
            let expected = serde_json::from_str::<u64>(text).expect("unsigned");
            assert_eq!(position(Some(raw(text).get())).map(|n| n as u64), Ok(expected), "{text}");
        }
        let offset = raw("-0");
        let problem = position(Some(offset.get())).expect_err("-0 is refused");
        let record = raw(r#"{"topic":"t","partition":0,"offset":-0}"#);
        assert_eq!(position_problem("offset", problem, &record), "`offset` is not a whole number");
        assert_eq!(position(Some(raw("null").get())), Err("null"));
        assert_eq!(position(None), Err("absent"));
    }

    #[test]
    fn a_partition_of_minus_zero_is_no_partition() {
        let record = raw(r#"{"topic":"t","partition":-0,"offset":1}"#);
        assert_eq!(topic_and_partition(&record), None);
        let record = raw(r#"{"topic":"t","partition":0,"offset":1}"#);
        assert_eq!(topic_and_partition(&record), Some((Cow::Borrowed("t"), 0)));
    }
}
