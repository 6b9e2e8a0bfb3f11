//! Small JSON helpers for reading records leniently.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};
use serde_json::value::RawValue;

/// A JSON string, borrowed from the event when it has no escapes.
struct CowStr<'e>(Cow<'e, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CowStrVisitor;
        impl<'de> Visitor<'de> for CowStrVisitor {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(CowStrVisitor)
    }
}

/// The values of the members named `names` in the JSON object `raw`, as
/// raw JSON (`null` as absent), in one walk over its members; `None` if
/// `raw` is not an object.
///
/// Lenient the way every source reader is: if a key appears twice the
/// first counts, and a key that cannot be decoded (a lone-surrogate
/// escape) is skipped, so one odd member never makes the record
/// unreadable (serde's derived structs reject both).
pub(crate) fn members<'e, const N: usize>(
    raw: &'e RawValue,
    names: [&str; N],
) -> Option<[Option<&'e RawValue>; N]> {
    let mut found: [Option<Option<&'e RawValue>>; N] = [None; N];
    for (key, value) in crate::scan::Members::of(raw.get())? {
        if let Some(slot) = names
            .iter()
            .zip(found.iter_mut())
            .find_map(|(name, slot)| (slot.is_none() && key.is(name)).then_some(slot))
        {
            // `null` reads as absent, as serde reads `Option` fields.
            *slot = Some(serde_json::from_str::<Option<&RawValue>>(value).ok().flatten());
        }
    }
    Some(found.map(Option::flatten))
}

/// `true` if the first member `name` of the object `raw` is `null` (which
/// [`members`] reads as absent).
pub(crate) fn member_is_null(raw: &RawValue, name: &str) -> bool {
    crate::scan::Members::of(raw.get())
        .and_then(|mut members| members.find(|(key, _)| key.is(name)))
        .is_some_and(|(_, value)| value.trim() == "null")
}

/// A JSON value that should be a string: its text, or the JSON type found.
pub(crate) fn string_field(raw: &RawValue) -> Result<Cow<'_, str>, &'static str> {
    serde_json::from_str::<CowStr<'_>>(raw.get()).map(|s| s.0).map_err(|_| crate::scan::json_type(raw.get()))
}

/// A value parsed from a record's JSON on first use, and kept (boxed: a
/// record that never asks for it costs one word).
#[derive(Debug)]
pub(crate) struct LazyParse<T>(std::sync::OnceLock<Box<Result<T, String>>>);

impl<T: serde::de::DeserializeOwned> LazyParse<T> {
    pub(crate) fn new() -> Self {
        LazyParse(std::sync::OnceLock::new())
    }

    /// The parsed value, or the parse error as text.
    pub(crate) fn get(&self, raw: &str) -> Result<&T, &str> {
        self.0
            .get_or_init(|| Box::new(serde_json::from_str(raw).map_err(|e| e.to_string())))
            .as_ref()
            .as_ref()
            .map_err(String::as_str)
    }
}
