//! The engine's view of one Kafka record, read leniently from the event.

use std::borrow::Cow;
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::value::RawValue;

use super::KafkaEventRecord;
use super::position::{position, position_problem};
use crate::error::BatchError;
use crate::json::{LazyParse, member_texts, string_text};
use crate::source::BatchRecord;

/// One Kafka record of the batch, as the engine reads it.
///
/// `topic`, `partition` and `offset` (together the identifier) and
/// `timestamp` are read up front; `key`, `value` and `headers` are decoded
/// on first use, and the full `aws_lambda_events` record parsed only when
/// asked for.
#[derive(Debug)]
pub struct KafkaRecord<'e> {
    index: usize,
    raw: &'e RawValue,
    topic: Cow<'e, str>,
    partition: i64,
    offset: i64,
    /// `<topic>-<partition>@<offset>`; the partition is the part before `@`.
    item_identifier: String,
    /// The JSON text of `timestamp`, read as a number when asked for.
    timestamp: Option<&'e str>,
    /// The JSON text of `key`, `value` and `headers` (`null` as absent).
    key: Option<&'e str>,
    value: Option<&'e str>,
    headers: Option<&'e str>,
    decoded_key: OnceLock<Result<Option<Vec<u8>>, String>>,
    decoded_value: OnceLock<Result<Vec<u8>, String>>,
    decoded_headers: OnceLock<Result<Vec<KafkaHeader>, String>>,
    full: LazyParse<KafkaEventRecord>,
}

/// One Kafka record header: a name and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaHeader {
    /// The header's name.
    pub name: String,
    /// The header's value.
    pub value: Vec<u8>,
}

impl<'e> KafkaRecord<'e> {
    /// Reads record `index` of the batch.
    ///
    /// # Errors
    /// [`BatchError::MissingItemIdentifier`] if the record is not an object,
    /// or its `topic` (a non-empty string), `partition` or `offset` (whole
    /// numbers from 0) is missing or unusable.
    pub fn parse(index: usize, raw: &'e RawValue) -> Result<Self, BatchError> {
        let broken = |problem| BatchError::MissingItemIdentifier { index, field: super::ID_FIELD, problem };
        // One walk over the members, values taken as text (serde_json
        // validated them while reading the event): no serde call per field.
        let [topic, partition, offset, timestamp, key, value, headers] =
            member_texts(raw.get(), ["topic", "partition", "offset", "timestamp", "key", "value", "headers"])
                .ok_or_else(|| broken("the record is not a JSON object"))?;
        let topic = match topic.map(string_text) {
            None => return Err(broken("`topic` is absent")),
            Some(Err(_)) => return Err(broken("`topic` is not a string")),
            Some(Ok(topic)) if topic.is_empty() => return Err(broken("`topic` is empty")),
            Some(Ok(topic)) => topic,
        };
        let partition =
            position(partition).map_err(|problem| broken(position_problem("partition", problem, raw)))?;
        let offset = position(offset).map_err(|problem| broken(position_problem("offset", problem, raw)))?;
        Ok(KafkaRecord {
            index,
            raw,
            item_identifier: crate::response::kafka_identifier(&topic, partition, offset),
            topic,
            partition,
            offset,
            timestamp,
            key,
            value,
            headers,
            decoded_key: OnceLock::new(),
            decoded_value: OnceLock::new(),
            decoded_headers: OnceLock::new(),
            full: LazyParse::new(),
        })
    }

    /// Position of the record in the batch (partitions one after the other,
    /// in the order of the event), from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The partition number within the topic.
    pub fn partition(&self) -> i64 {
        self.partition
    }

    /// `<topic>-<partition>`: the key of the event's `records` map, and the
    /// `partition` of the `itemIdentifier`.
    pub fn partition_key(&self) -> &str {
        crate::response::split_kafka_identifier(&self.item_identifier).map_or("", |(partition, _)| partition)
    }

    /// The offset within the partition.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The record's `timestamp`, in epoch milliseconds.
    pub fn timestamp_ms(&self) -> Option<f64> {
        // A JSON number's text is in Rust's float syntax; any other value
        // (a string, `true`) does not parse.
        self.timestamp.and_then(|text| text.parse::<f64>().ok()).filter(|ms| ms.is_finite())
    }

    /// The record's `value`, base64-decoded on first use.
    ///
    /// # Errors
    /// Why there are no bytes: no `value` (a tombstone), not a string, or
    /// not base64.
    pub fn value(&self) -> Result<&[u8], &str> {
        self.decoded_value
            .get_or_init(|| match decode(self.value, "value")? {
                Some(bytes) => Ok(bytes),
                None => {
                    Err("the record has no `value` (a tombstone); take `&KafkaRecord` to handle records \
                             without a value"
                        .to_owned())
                }
            })
            .as_deref()
            .map_err(String::as_str)
    }

    /// The record's `key`, base64-decoded on first use; `None` when the
    /// record has no key.
    ///
    /// # Errors
    /// The key is not a string or not base64.
    pub fn key(&self) -> Result<Option<&[u8]>, &str> {
        match self.decoded_key.get_or_init(|| decode(self.key, "key")) {
            Ok(key) => Ok(key.as_deref()),
            Err(message) => Err(message),
        }
    }

    /// The record's headers, in order, decoded on first use.
    ///
    /// # Errors
    /// The headers are not a list of `{"name": [bytes]}` objects.
    pub fn headers(&self) -> Result<&[KafkaHeader], &str> {
        self.decoded_headers.get_or_init(|| decode_headers(self.headers)).as_deref().map_err(String::as_str)
    }

    /// The record's JSON text, as received.
    pub fn raw_json(&self) -> &'e str {
        self.raw.get()
    }

    /// The full record as `aws_lambda_events`' Kafka record, parsed on
    /// first use.
    ///
    /// # Errors
    /// The parse error, as text, if the record does not fit the type.
    pub fn event_record(&self) -> Result<&KafkaEventRecord, &str> {
        self.full.get(self.raw.get())
    }

    pub(crate) fn into_item_identifier(self) -> String {
        self.item_identifier
    }
}

/// Decodes a base64 field; `Ok(None)` when absent or `null`.
fn decode(text: Option<&str>, field: &str) -> Result<Option<Vec<u8>>, String> {
    let Some(text) = text else { return Ok(None) };
    // Borrowed from the event unless the text has escapes (JSON allows
    // `\/`, which base64 uses): one vectorized search, no copy.
    let text =
        string_text(text).map_err(|found| format!("`{field}` is a JSON {found}, not a base64 string"))?;
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map(Some)
        .map_err(|error| format!("`{field}` is not valid base64: {error}"))
}

/// Decodes `headers`: `[{"name": [104, 105]}, ...]` (bytes as numbers, which
/// Java-based producers may write as signed bytes, -128 to 127).
fn decode_headers(text: Option<&str>) -> Result<Vec<KafkaHeader>, String> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let shape = || "`headers` is not a list of `{\"name\": [bytes]}` objects".to_owned();
    let list: Option<Vec<std::collections::BTreeMap<String, Vec<i64>>>> =
        serde_json::from_str(text).map_err(|_| shape())?;
    let mut headers = Vec::new();
    for entry in list.unwrap_or_default() {
        for (name, bytes) in entry {
            let value = bytes
                .into_iter()
                .map(|byte| match byte {
                    -128..=-1 => Ok((byte + 256) as u8),
                    0..=255 => Ok(byte as u8),
                    _ => Err(format!("header `{name}` has a byte out of range: {byte}")),
                })
                .collect::<Result<Vec<u8>, String>>()?;
            headers.push(KafkaHeader { name, value });
        }
    }
    Ok(headers)
}

impl BatchRecord for KafkaRecord<'_> {
    fn idempotency_key(&self) -> Result<Cow<'_, str>, String> {
        Ok(Cow::Borrowed(&self.item_identifier))
    }

    fn idempotency_payload(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.value().unwrap_or_default())
    }

    fn arrival_time(&self) -> Option<f64> {
        self.timestamp_ms().map(|ms| ms / 1000.0)
    }

    fn raw_json(&self) -> &str {
        self.raw.get()
    }

    fn item_identifier(&self) -> &str {
        &self.item_identifier
    }

    fn ordering_key(&self) -> Option<&str> {
        Some(self.partition_key())
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!(
            "record",
            partition = self.partition_key(),
            offset = self.offset,
            index = self.index
        )
    }
}
