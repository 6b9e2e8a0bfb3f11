//! Parsing the JSON document that a JSON string holds, straight from the
//! string's escaped text, without decoding it into a copy first.
//!
//! An SQS body that is JSON arrives escaped inside the event's JSON
//! (`"body":"{\"id\":7}"`). Decoding it into a new string and then parsing
//! that costs a pass over the text and an allocation per record; this
//! reader parses the escaped text directly, and a string of the document
//! without escapes is borrowed from the event as it is.
//!
//! It is a quick path, not a second JSON parser with opinions of its own:
//! it either produces exactly what serde_json produces from the decoded
//! text, or gives up ([`GaveUp`]) and the caller decodes the text and asks
//! serde_json, which then decides (with its own error). Numbers other than
//! plain non-negative integers are handed to serde_json itself, so float
//! rounding and every serde_json feature are serde_json's. It gives up on
//! anything it does not read exactly as serde_json does: `\u` escapes
//! outside strings, a `\u` escape inside a string that stands for the
//! document's own quote or backslash or for a control character, bytes,
//! serde_json's raw values, nesting past [`MAX_DEPTH`], a type asking for a
//! JSON type the text does not have, any error the type raises, and
//! everything when serde_json's `arbitrary_precision` feature is on
//! (numbers then read differently).
//!
//! Only the escapes that JSON allows (the text comes from a JSON string
//! serde_json validated) are expected; anything else gives up, never
//! panics.

mod access;
mod deserializer;
mod reader;

use std::fmt;

use serde::de;

use self::reader::Reader;

/// Why the quick path stopped: the caller then decodes the string and
/// parses it with serde_json.
#[derive(Debug)]
pub(crate) struct GaveUp;

impl fmt::Display for GaveUp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("left to serde_json")
    }
}

impl std::error::Error for GaveUp {}

impl de::Error for GaveUp {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        GaveUp
    }
}

/// Deeper nesting than this is left to serde_json (whose own limit is
/// 128), so the quick path never recurses further than serde_json would.
pub(crate) const MAX_DEPTH: usize = 100;

/// `T` parsed from `escaped`, the text of a JSON string that holds a JSON
/// document, from just after its opening quote (the string ends at its
/// closing quote; what follows is not read), exactly as serde_json parses
/// the decoded document; [`GaveUp`] when that is left to serde_json.
pub(crate) fn from_escaped<'r, T: de::Deserialize<'r>>(escaped: &'r str) -> Result<T, GaveUp> {
    if numbers_keep_their_text() {
        return Err(GaveUp);
    }
    let mut reader = Reader::new(escaped);
    let value = T::deserialize(&mut reader)?;
    if reader.at_end() { Ok(value) } else { Err(GaveUp) }
}

/// `true` if serde_json was built with `arbitrary_precision` (a feature
/// any crate of the build can turn on): its numbers then keep their text,
/// which the quick path does not imitate.
fn numbers_keep_their_text() -> bool {
    static KEEPS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KEEPS.get_or_init(|| {
        serde_json::from_str::<serde_json::Number>("1.10").is_ok_and(|n| n.to_string() == "1.10")
    })
}

#[cfg(test)]
mod tests;
