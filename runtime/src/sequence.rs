//! Stream sequence numbers: decimal strings of varying length, compared as
//! whole numbers, never as plain strings (as strings `"100"` sorts before `"99"`). See
//! [Streams: checkpoints and sequence
//! numbers](crate::aws_rules#streams-checkpoints-and-sequence-numbers).

use std::cmp::Ordering;

/// Compares two sequence numbers as non-negative integers of any size.
///
/// ```
/// use std::cmp::Ordering;
/// use lambda_batch::compare_sequence_numbers;
/// assert_eq!(compare_sequence_numbers("999", "1000"), Ordering::Less); // "999" > "1000" as strings
/// assert_eq!(compare_sequence_numbers("007", "7"), Ordering::Equal);
/// ```
pub fn compare_sequence_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `true` for a non-empty string of ASCII digits.
pub(crate) fn is_sequence_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a stream record's sequence number field (`field` names it in the
/// error): a non-empty string of digits.
pub(crate) fn sequence_number<'e>(
    raw: Option<&'e serde_json::value::RawValue>,
    index: usize,
    field: &'static str,
) -> Result<std::borrow::Cow<'e, str>, crate::error::BatchError> {
    let missing = |problem| crate::error::BatchError::MissingItemIdentifier { index, field, problem };
    match raw.map(crate::json::string_field) {
        None => Err(missing("absent or null")),
        Some(Err(_)) => Err(missing("not a string")),
        Some(Ok(number)) if number.is_empty() => Err(missing("empty string")),
        Some(Ok(number)) if !is_sequence_number(&number) => Err(missing("not a decimal number")),
        Some(Ok(number)) => Ok(number),
    }
}
