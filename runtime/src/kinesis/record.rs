//! The engine's view of one Kinesis record, read leniently from the event.

use std::borrow::Cow;
use std::sync::OnceLock;

use aws_lambda_events::kinesis::KinesisEventRecord;
use base64::Engine as _;
use serde_json::value::RawValue;

use crate::error::BatchError;
use crate::json::{LazyParse, members, string_field};
use crate::source::BatchRecord;

/// One Kinesis record of the batch, as the engine reads it.
///
/// `kinesis.sequenceNumber` (the identifier), `partitionKey`, `data` and
/// `approximateArrivalTimestamp` are read up front; `data` is base64-decoded
/// and the full [`KinesisEventRecord`] parsed on first use.
#[derive(Debug)]
pub struct KinesisRecord<'e> {
    index: usize,
    raw: &'e RawValue,
    sequence_number: Cow<'e, str>,
    partition_key: Option<Cow<'e, str>>,
    data: Option<Result<Cow<'e, str>, &'static str>>,
    arrival: Option<f64>,
    decoded: OnceLock<Result<Vec<u8>, String>>,
    full: LazyParse<KinesisEventRecord>,
}

impl<'e> KinesisRecord<'e> {
    /// Reads record `index` of the batch.
    ///
    /// # Errors
    /// [`BatchError::MissingItemIdentifier`] if the record has no usable
    /// `kinesis.sequenceNumber` (absent, `null`, empty, or not a decimal
    /// string), or is not an object.
    pub fn parse(index: usize, raw: &'e RawValue) -> Result<Self, BatchError> {
        let not_object =
            |problem| BatchError::MissingItemIdentifier { index, field: super::ID_FIELD, problem };
        let [kinesis] =
            members(raw, ["kinesis"]).ok_or_else(|| not_object("the record is not a JSON object"))?;
        let kinesis = kinesis.ok_or_else(|| not_object("the record has no `kinesis` object"))?;
        let [sequence_number, partition_key, data, arrival] =
            members(kinesis, ["sequenceNumber", "partitionKey", "data", "approximateArrivalTimestamp"])
                .ok_or_else(|| not_object("the record's `kinesis` is not an object"))?;
        let sequence_number = crate::sequence::sequence_number(sequence_number, index, super::ID_FIELD)?;
        Ok(KinesisRecord {
            index,
            raw,
            sequence_number,
            partition_key: partition_key.and_then(|raw| string_field(raw).ok()),
            data: data.map(string_field),
            arrival: arrival.and_then(|raw| serde_json::from_str(raw.get()).ok()),
            decoded: OnceLock::new(),
            full: LazyParse::new(),
        })
    }

    /// Position of the record in the batch, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The `kinesis.sequenceNumber` (a non-empty decimal string).
    pub fn sequence_number(&self) -> &str {
        &self.sequence_number
    }

    /// The `kinesis.partitionKey`, if present.
    pub fn partition_key(&self) -> Option<&str> {
        self.partition_key.as_deref()
    }

    /// `kinesis.approximateArrivalTimestamp`, in epoch seconds.
    pub fn approximate_arrival_timestamp(&self) -> Option<f64> {
        self.arrival
    }

    /// The record's `data`, base64-decoded on first use.
    ///
    /// # Errors
    /// Why there are no bytes: no `data`, not a string, or not base64.
    pub fn data(&self) -> Result<&[u8], &str> {
        self.decoded
            .get_or_init(|| match &self.data {
                None => Err("the record has no `kinesis.data`".to_owned()),
                Some(Err(found)) => Err(format!("`kinesis.data` is a JSON {found}, not a base64 string")),
                Some(Ok(text)) => base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|error| format!("`kinesis.data` is not valid base64: {error}")),
            })
            .as_deref()
            .map_err(String::as_str)
    }

    /// The record's JSON text, as received.
    pub fn raw_json(&self) -> &'e str {
        self.raw.get()
    }

    /// The full record as `aws_lambda_events`' [`KinesisEventRecord`],
    /// parsed on first use.
    ///
    /// # Errors
    /// The parse error, as text, if the record does not fit the type.
    pub fn event_record(&self) -> Result<&KinesisEventRecord, &str> {
        self.full.get(self.raw.get())
    }

    pub(crate) fn into_sequence_number(self) -> Cow<'e, str> {
        self.sequence_number
    }
}

impl BatchRecord for KinesisRecord<'_> {
    fn idempotency_key(&self) -> Result<Cow<'_, str>, String> {
        let record = self.event_record().map_err(|error| format!("the record cannot be read: {error}"))?;
        match record.event_id.as_deref() {
            Some(id) if !id.is_empty() => Ok(Cow::Borrowed(id)),
            _ => Err("the Kinesis record has no `eventID`".to_owned()),
        }
    }

    fn idempotency_payload(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.data().unwrap_or_default())
    }

    fn arrival_time(&self) -> Option<f64> {
        self.arrival
    }

    fn raw_json(&self) -> &str {
        self.raw.get()
    }

    fn item_identifier(&self) -> &str {
        &self.sequence_number
    }

    fn ordering_key(&self) -> Option<&str> {
        self.partition_key()
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("record", sequence_number = %self.sequence_number, index = self.index)
    }
}
