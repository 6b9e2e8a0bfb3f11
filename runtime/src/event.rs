//! The invocation payload of a batch handler, read leniently.

use std::str::FromStr;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::EventError;

/// The raw event a batch handler receives: `{"Records": [...]}` as JSON text.
///
/// It is the payload type of every generated handler
/// (`LambdaEvent<BatchEvent>`). It accepts any JSON when `lambda_runtime`
/// deserializes it; the records are read one by one later, so one malformed
/// record never fails the others, and an event without a `Records` array
/// becomes a clear [`EventError`] instead of a deserialization failure.
///
/// ```
/// use lambda_batch::BatchEvent;
/// let event: BatchEvent = serde_json::json!({"Records": []}).into();
/// assert_eq!(event.as_json(), r#"{"Records":[]}"#);
/// let event: BatchEvent = r#"{"Records": []}"#.parse().unwrap();
/// # let _ = event;
/// ```
#[derive(Debug, Clone)]
pub struct BatchEvent {
    raw: Box<RawValue>,
}

#[derive(Deserialize)]
struct Envelope<'e> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<&'e RawValue>,
}

impl BatchEvent {
    /// Reads an event from JSON text.
    ///
    /// # Errors
    /// [`EventError::NotJson`] if the text is not JSON.
    pub fn from_json(json: &str) -> Result<Self, EventError> {
        serde_json::from_str(json).map(|raw| BatchEvent { raw }).map_err(EventError::NotJson)
    }

    /// Reads an event from JSON bytes.
    ///
    /// # Errors
    /// [`EventError::NotJson`] if the bytes are not JSON.
    pub fn from_slice(json: &[u8]) -> Result<Self, EventError> {
        serde_json::from_slice(json).map(|raw| BatchEvent { raw }).map_err(EventError::NotJson)
    }

    /// The event's JSON text, as received.
    pub fn as_json(&self) -> &str {
        self.raw.get()
    }

    /// The event as a `serde_json::Value` (a copy).
    ///
    /// # Errors
    /// Never in practice: the text was valid JSON when the event was made.
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(self.raw.get())
    }

    /// The raw JSON of each record, in order.
    ///
    /// # Errors
    /// An [`EventError`] if the event is not an object with a `Records` array.
    pub fn records(&self) -> Result<Vec<&RawValue>, EventError> {
        let text = self.raw.get();
        let found = json_type(text);
        if found != "object" {
            return Err(EventError::NotAnObject { found });
        }
        let envelope: Envelope<'_> = serde_json::from_str(text).map_err(EventError::Malformed)?;
        let records = match envelope.records {
            None => return Err(EventError::MissingRecords),
            Some(raw) if raw.get() == "null" => return Err(EventError::MissingRecords),
            Some(raw) => raw,
        };
        let found = json_type(records.get());
        if found != "array" {
            return Err(EventError::RecordsNotArray { found });
        }
        serde_json::from_str(records.get()).map_err(EventError::Malformed)
    }
}

/// The JSON type name of a valid JSON text, from its first character.
pub(crate) fn json_type(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "boolean",
        _ => "number",
    }
}

impl<'de> Deserialize<'de> for BatchEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(|raw| BatchEvent { raw })
    }
}

impl FromStr for BatchEvent {
    type Err = EventError;
    fn from_str(json: &str) -> Result<Self, Self::Err> {
        Self::from_json(json)
    }
}

impl From<serde_json::Value> for BatchEvent {
    fn from(value: serde_json::Value) -> Self {
        let raw = serde_json::value::to_raw_value(&value).unwrap_or_else(|_| unreachable_raw_value());
        BatchEvent { raw }
    }
}

impl From<&serde_json::Value> for BatchEvent {
    fn from(value: &serde_json::Value) -> Self {
        let raw = serde_json::value::to_raw_value(value).unwrap_or_else(|_| unreachable_raw_value());
        BatchEvent { raw }
    }
}

/// `to_raw_value` of a `Value` cannot fail (map keys are strings); if it ever
/// did, `null` makes the handler report a clear `MissingRecords` error.
#[cold]
fn unreachable_raw_value() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).unwrap_or_else(|_| unreachable!("`null` is JSON"))
}
