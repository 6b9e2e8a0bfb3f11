//! The oracles' own view of a JSON document: read with serde_json, keys kept
//! in order and with every duplicate (a `serde_json::Value` keeps only the
//! last of two equal keys and sorts them, which is not what the project
//! reads), and strings with a lone-surrogate escape marked as undecodable
//! instead of failing the whole parse.
//!
//! Nothing here uses the project's readers (`scan.rs`, `json.rs`,
//! `event.rs`): the oracles must be able to disagree with them.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// What a lone surrogate escape (`\ud800` not followed by a low surrogate,
/// or a low surrogate alone) is replaced with before serde_json reads the
/// text: a noncharacter, so a string holding it is known to be undecodable.
pub const MARK: char = '\u{FDD0}';

/// A JSON value with object members in document order, duplicates kept.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as serde_json reads it (`u64`, `i64` or `f64`).
    Num(serde_json::Number),
    /// A string (may hold [`MARK`] if the document had lone surrogates).
    Str(String),
    /// An array.
    Arr(Vec<J>),
    /// An object: every member, in order.
    Obj(Vec<(String, J)>),
}

impl J {
    /// The value of the FIRST member named `key` (the project's rule: "if a
    /// key appears twice, the first counts").
    pub fn first(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// How many members are named `key`.
    pub fn count(&self, key: &str) -> usize {
        match self {
            J::Obj(members) => members.iter().filter(|(k, _)| k == key).count(),
            _ => 0,
        }
    }

    /// The members, if this is an object.
    pub fn members(&self) -> Option<&[(String, J)]> {
        match self {
            J::Obj(members) => Some(members),
            _ => None,
        }
    }

    /// `true` for an object.
    pub fn is_object(&self) -> bool {
        matches!(self, J::Obj(_))
    }

    /// A non-negative whole number that fits an `i64` (JSON integers only:
    /// `1.0`, `1e3` and `-0` are floats for serde_json).
    pub fn whole_number(&self) -> Option<i64> {
        match self {
            J::Num(n) => n.as_i64().filter(|n| *n >= 0),
            _ => None,
        }
    }
}

/// A document read by [`read`].
#[derive(Debug, Clone)]
pub struct Doc {
    /// The root value.
    pub root: J,
    /// `true` if lone surrogates were replaced by [`MARK`].
    pub lone: bool,
}

impl Doc {
    /// The text of a string value that decodes to a string (not one that
    /// held a lone surrogate).
    pub fn text<'a>(&self, value: &'a J) -> Option<&'a str> {
        match value {
            J::Str(s) if !(self.lone && s.contains(MARK)) => Some(s),
            _ => None,
        }
    }

    /// `true` if `value` is a string that held a lone surrogate.
    pub fn undecodable(&self, value: &J) -> bool {
        matches!(value, J::Str(s) if self.lone && s.contains(MARK))
    }
}

/// Why the oracle has no opinion on an input (only "no panic" is checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unjudged {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// serde_json does not read the text as a tree (not JSON, nesting past
    /// its recursion limit, a number out of range...).
    NotATree,
    /// The text has lone surrogates and already holds [`MARK`].
    Ambiguous,
}

/// Reads `bytes` as an ordered JSON tree.
///
/// # Errors
/// Why the oracle cannot judge the input.
pub fn read(bytes: &[u8]) -> Result<Doc, Unjudged> {
    let text = std::str::from_utf8(bytes).map_err(|_| Unjudged::NotUtf8)?;
    let (text, lone) = replace_lone_surrogates(text);
    if lone && (text_has_mark(bytes)) {
        return Err(Unjudged::Ambiguous);
    }
    let root = serde_json::from_str::<J>(&text).map_err(|_| Unjudged::NotATree)?;
    Ok(Doc { root, lone })
}

fn text_has_mark(original: &[u8]) -> bool {
    let mut buf = [0u8; 4];
    let raw = MARK.encode_utf8(&mut buf).as_bytes();
    original.windows(raw.len()).any(|w| w == raw)
        || original.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\ufdd0"))
}

/// Replaces every lone surrogate escape by `\uFDD0`. Only backslashes are
/// looked at: in JSON they appear inside strings only, and every escape is
/// stepped over whole (so `\\u` is a backslash and a `u`).
pub fn replace_lone_surrogates(text: &str) -> (std::borrow::Cow<'_, str>, bool) {
    let bytes = text.as_bytes();
    let hex4 = |at: usize| -> Option<u32> {
        let digits = bytes.get(at..at + 4)?;
        let digits = std::str::from_utf8(digits).ok()?;
        u32::from_str_radix(digits, 16).ok().filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let mut out = String::new();
    let mut copied = 0;
    let mut lone = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        let Some(unit) = hex4(i + 2) else {
            i += 2;
            continue;
        };
        let is_lone = match unit {
            0xD800..=0xDBFF => {
                let paired = bytes.get(i + 6) == Some(&b'\\')
                    && bytes.get(i + 7) == Some(&b'u')
                    && matches!(hex4(i + 8), Some(0xDC00..=0xDFFF));
                if paired {
                    i += 12;
                    continue;
                }
                true
            }
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if is_lone {
            out.push_str(&text[copied..i]);
            out.push_str("\\uFDD0");
            lone = true;
            copied = i + 6;
        }
        i += 6;
    }
    if !lone {
        return (std::borrow::Cow::Borrowed(text), false);
    }
    out.push_str(&text[copied..]);
    (std::borrow::Cow::Owned(out), true)
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<J, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = J;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<J, E> {
        Ok(J::Num(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<J, E> {
        Ok(J::Num(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<J, E> {
        serde_json::Number::from_f64(v).map(J::Num).ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<J, E> {
        Ok(J::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<J, E> {
        Ok(J::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<J>()? {
            items.push(item);
        }
        Ok(J::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, J>()? {
            members.push((key, value));
        }
        Ok(J::Obj(members))
    }
}
