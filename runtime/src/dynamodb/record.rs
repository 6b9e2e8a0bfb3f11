//! The engine's view of one DynamoDB Streams record, read leniently.

use std::borrow::Cow;

use aws_lambda_events::dynamodb::EventRecord;
use serde_json::value::RawValue;

use crate::error::BatchError;
use crate::json::{LazyParse, members, string_field};
use crate::source::BatchRecord;

/// One DynamoDB Streams record of the batch, as the engine reads it.
///
/// `dynamodb.SequenceNumber` (the identifier), `eventName` and the raw
/// `Keys`, `NewImage` and `OldImage` are read up front; images are decoded
/// into your type by the extractors, and the full [`EventRecord`] is parsed
/// on first use.
#[derive(Debug)]
pub struct DynamoDbRecord<'e> {
    index: usize,
    raw: &'e RawValue,
    sequence_number: Cow<'e, str>,
    event_name: Option<Cow<'e, str>>,
    keys: Option<&'e RawValue>,
    new_image: Option<&'e RawValue>,
    old_image: Option<&'e RawValue>,
    created: Option<f64>,
    full: LazyParse<EventRecord>,
}

impl<'e> DynamoDbRecord<'e> {
    /// Reads record `index` of the batch.
    ///
    /// # Errors
    /// [`BatchError::MissingItemIdentifier`] if the record has no usable
    /// `dynamodb.SequenceNumber`, or is not an object.
    pub fn parse(index: usize, raw: &'e RawValue) -> Result<Self, BatchError> {
        let broken = |problem| BatchError::MissingItemIdentifier { index, field: super::ID_FIELD, problem };
        let [event_name, dynamodb] = members(raw, ["eventName", "dynamodb"])
            .ok_or_else(|| broken("the record is not a JSON object"))?;
        let dynamodb = dynamodb.ok_or_else(|| broken("the record has no `dynamodb` object"))?;
        let [sequence_number, keys, new_image, old_image, created] = members(
            dynamodb,
            ["SequenceNumber", "Keys", "NewImage", "OldImage", "ApproximateCreationDateTime"],
        )
        .ok_or_else(|| broken("the record's `dynamodb` is not an object"))?;
        Ok(DynamoDbRecord {
            index,
            raw,
            sequence_number: crate::sequence::sequence_number(sequence_number, index, super::ID_FIELD)?,
            event_name: event_name.and_then(|raw| string_field(raw).ok()),
            keys,
            new_image,
            old_image,
            created: created.and_then(|raw| serde_json::from_str(raw.get()).ok()),
            full: LazyParse::new(),
        })
    }

    /// Position of the record in the batch, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The `dynamodb.SequenceNumber` (a non-empty decimal string).
    pub fn sequence_number(&self) -> &str {
        &self.sequence_number
    }

    /// The `eventName` as sent (`INSERT`, `MODIFY` or `REMOVE`).
    pub fn event_name(&self) -> Option<&str> {
        self.event_name.as_deref()
    }

    /// The raw `Keys`, `NewImage` and `OldImage` attribute maps (DynamoDB
    /// JSON), when present and not `null`.
    pub fn raw_images(&self) -> (Option<&'e str>, Option<&'e str>, Option<&'e str>) {
        (self.keys.map(RawValue::get), self.new_image.map(RawValue::get), self.old_image.map(RawValue::get))
    }

    /// The raw `Keys`, `NewImage`, `OldImage`.
    pub(crate) fn image_values(&self) -> [Option<&'e RawValue>; 3] {
        [self.keys, self.new_image, self.old_image]
    }

    /// The record's JSON text, as received.
    pub fn raw_json(&self) -> &'e str {
        self.raw.get()
    }

    /// The full record as `aws_lambda_events`' [`EventRecord`], parsed on
    /// first use.
    ///
    /// # Errors
    /// The parse error, as text, if the record does not fit the type.
    pub fn event_record(&self) -> Result<&EventRecord, &str> {
        self.full.get(self.raw.get())
    }

    pub(crate) fn into_sequence_number(self) -> Cow<'e, str> {
        self.sequence_number
    }
}

impl BatchRecord for DynamoDbRecord<'_> {
    fn idempotency_key(&self) -> Result<Cow<'_, str>, String> {
        let record = self.event_record().map_err(|error| format!("the record cannot be read: {error}"))?;
        match record.event_id.as_str() {
            "" => Err("the DynamoDB Streams record has no `eventID`".to_owned()),
            id => Ok(Cow::Borrowed(id)),
        }
    }

    fn idempotency_payload(&self) -> Cow<'_, [u8]> {
        let mut payload = Vec::new();
        for image in self.image_values() {
            payload.extend_from_slice(image.map_or("null", RawValue::get).as_bytes());
            payload.push(b'\n');
        }
        Cow::Owned(payload)
    }

    fn arrival_time(&self) -> Option<f64> {
        self.created
    }

    fn raw_json(&self) -> &str {
        self.raw.get()
    }

    fn item_identifier(&self) -> &str {
        &self.sequence_number
    }

    fn ordering_key(&self) -> Option<&str> {
        self.keys.map(RawValue::get)
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("record", sequence_number = %self.sequence_number, index = self.index)
    }
}
