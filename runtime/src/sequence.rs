//! Stream sequence numbers: decimal strings of varying length, compared as
//! whole numbers, never as plain strings (as strings `"100"` sorts before
//! `"99"`). See `docs/aws-rules.md#streams-checkpoints-and-sequence-numbers`.

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
