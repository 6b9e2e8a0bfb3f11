//! Small JSON helpers for reading records leniently.

use std::borrow::Cow;

use serde_json::value::RawValue;

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
    // The text is a member of validated JSON, so it parses; were it not,
    // the member would read as absent.
    Some(member_texts(raw.get(), names)?.map(|text| text.and_then(|text| serde_json::from_str(text).ok())))
}

/// [`members`] as JSON text, taken from `text` (a JSON object serde_json
/// validated) without parsing the values again. The walk stops as soon as
/// every name is found.
pub(crate) fn member_texts<'e, const N: usize>(
    text: &'e str,
    names: [&str; N],
) -> Option<[Option<&'e str>; N]> {
    let mut found: [Option<Option<&'e str>>; N] = [None; N];
    let mut missing = N;
    for (key, value) in crate::scan::Members::of(text)? {
        if let Some(slot) = names
            .iter()
            .zip(found.iter_mut())
            .find_map(|(name, slot)| (slot.is_none() && key.is(name)).then_some(slot))
        {
            // `null` reads as absent, as serde reads `Option` fields.
            *slot = Some((value != "null").then_some(value));
            missing -= 1;
            if missing == 0 {
                break;
            }
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
    string_text(raw.get())
}

/// [`string_field`] on a value's JSON text.
pub(crate) fn string_text(text: &str) -> Result<Cow<'_, str>, &'static str> {
    crate::scan::string(text).ok_or_else(|| crate::scan::json_type(text))
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
