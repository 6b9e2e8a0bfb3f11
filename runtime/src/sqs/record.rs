//! The engine's view of one SQS record, read leniently from the event.

use std::borrow::Cow;
use std::sync::OnceLock;

use aws_lambda_events::sqs::SqsMessage;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::engine::BatchRecord;
use crate::error::BatchError;
use crate::json::{LazyParse, object, string_field, string_number};

/// One SQS message of the batch, as the engine reads it.
///
/// Only `messageId`, `body`, `eventSourceARN` and `attributes.MessageGroupId`
/// are read up front; the full [`SqsMessage`] is parsed on first use. A
/// record whose other fields are malformed is still identified, so it fails
/// alone instead of failing the batch.
#[derive(Debug)]
pub struct SqsRecord<'e> {
    index: usize,
    raw: &'e RawValue,
    message_id: Cow<'e, str>,
    body: Option<&'e RawValue>,
    unescaped_body: OnceLock<String>,
    group_id: Option<Cow<'e, str>>,
    queue_arn: Option<Cow<'e, str>>,
    receive_count: Option<u32>,
    sent_timestamp_ms: Option<u64>,
    full: LazyParse<SqsMessage>,
}

/// The `body` field as found.
#[derive(Debug)]
enum Body<'a> {
    Absent,
    Text(&'a str),
    NotText(&'static str),
}

#[derive(Deserialize)]
struct Head<'e> {
    #[serde(rename = "messageId", borrow, default)]
    message_id: Option<&'e RawValue>,
    #[serde(borrow, default)]
    body: Option<&'e RawValue>,
    #[serde(rename = "eventSourceARN", borrow, default)]
    queue_arn: Option<&'e RawValue>,
    #[serde(borrow, default)]
    attributes: Option<&'e RawValue>,
}

#[derive(Deserialize)]
struct Attributes<'e> {
    #[serde(rename = "MessageGroupId", borrow, default)]
    group_id: Option<&'e RawValue>,
    #[serde(rename = "ApproximateReceiveCount", borrow, default)]
    receive_count: Option<&'e RawValue>,
    #[serde(rename = "SentTimestamp", borrow, default)]
    sent_timestamp: Option<&'e RawValue>,
}

impl<'e> SqsRecord<'e> {
    /// Reads record `index` of the batch.
    ///
    /// # Errors
    /// [`BatchError::MissingItemIdentifier`] if the record has no usable
    /// `messageId` (absent, `null`, not a string, or empty), or is not an
    /// object at all.
    pub fn parse(index: usize, raw: &'e RawValue) -> Result<Self, BatchError> {
        let missing = |problem| BatchError::MissingItemIdentifier { index, field: "messageId", problem };
        let not_object = || missing("the record is not a JSON object");
        if crate::event::json_type(raw.get()) != "object" {
            return Err(not_object());
        }
        let head: Head<'e> = serde_json::from_str(raw.get()).map_err(|_| not_object())?;
        let message_id = match head.message_id.map(string_field) {
            None => return Err(missing("absent or null")),
            Some(Err(_)) => return Err(missing("not a string")),
            Some(Ok(id)) if id.is_empty() => return Err(missing("empty string")),
            Some(Ok(id)) => id,
        };
        let body = head.body;
        let attributes = head.attributes.and_then(object::<Attributes<'e>>);
        let group_id = attributes.as_ref().and_then(|a| a.group_id).and_then(|raw| string_field(raw).ok());
        let receive_count = string_number(attributes.as_ref().and_then(|a| a.receive_count));
        let sent_timestamp_ms = string_number(attributes.as_ref().and_then(|a| a.sent_timestamp));
        let queue_arn = head.queue_arn.and_then(|raw| string_field(raw).ok());
        Ok(SqsRecord {
            index,
            raw,
            message_id,
            body,
            unescaped_body: OnceLock::new(),
            group_id,
            queue_arn,
            receive_count,
            sent_timestamp_ms,
            full: LazyParse::new(),
        })
    }

    /// Position of the record in the batch, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The `messageId` (never empty).
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The body text, if the record has a string `body`.
    pub fn body(&self) -> Option<&str> {
        match self.decoded_body() {
            Body::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The body text, or why there is none.
    pub(crate) fn body_text(&self) -> Result<&str, String> {
        match self.decoded_body() {
            Body::Text(text) => Ok(text),
            Body::Absent => Err("the record has no `body`".to_owned()),
            Body::NotText(found) => Err(format!("the record's `body` is a JSON {found}, not a string")),
        }
    }

    /// The FIFO `MessageGroupId` attribute, if present.
    pub fn message_group_id(&self) -> Option<&str> {
        self.group_id.as_deref()
    }

    /// The body text. A body without escapes is borrowed from the event as
    /// it is; one with escapes is unescaped once, on first use (records
    /// skipped by a FIFO rule never pay for it).
    fn decoded_body(&self) -> Body<'_> {
        let Some(raw) = self.body else { return Body::Absent };
        let text = raw.get();
        if !text.starts_with('"') {
            return Body::NotText(crate::event::json_type(text));
        }
        let inner = &text[1..text.len() - 1];
        if !inner.contains('\\') {
            // Valid JSON (checked when the event was read) without escapes:
            // the text between the quotes is the string.
            return Body::Text(inner);
        }
        let unescaped = self.unescaped_body.get_or_init(|| serde_json::from_str(text).unwrap_or_default());
        Body::Text(unescaped)
    }

    /// `attributes.ApproximateReceiveCount`: how many times the message was
    /// received (1 on first delivery).
    pub fn receive_count(&self) -> Option<u32> {
        self.receive_count
    }

    /// The queue ARN (`eventSourceARN`), if present.
    pub fn queue_arn(&self) -> Option<&str> {
        self.queue_arn.as_deref()
    }

    /// `true` if the record comes from a FIFO queue (its ARN ends in `.fifo`).
    pub fn is_from_fifo_queue(&self) -> bool {
        self.queue_arn.as_deref().is_some_and(|arn| arn.ends_with(".fifo"))
    }

    /// The record's JSON text, as received.
    pub fn raw_json(&self) -> &'e str {
        self.raw.get()
    }

    /// The full record as `aws_lambda_events`' [`SqsMessage`], parsed on
    /// first use.
    ///
    /// # Errors
    /// The parse error, as text, if the record does not fit `SqsMessage`.
    pub fn message(&self) -> Result<&SqsMessage, &str> {
        self.full.get(self.raw)
    }

    pub(crate) fn into_message_id(self) -> Cow<'e, str> {
        self.message_id
    }
}

impl BatchRecord for SqsRecord<'_> {
    const SOURCE: &'static str = "sqs";

    fn receive_count(&self) -> Option<u32> {
        self.receive_count
    }

    fn arrival_time(&self) -> Option<f64> {
        self.sent_timestamp_ms.map(|ms| ms as f64 / 1000.0)
    }

    fn raw_json(&self) -> &str {
        self.raw.get()
    }

    fn item_identifier(&self) -> &str {
        &self.message_id
    }

    fn ordering_key(&self) -> Option<&str> {
        self.message_group_id()
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("record", message_id = %self.message_id, index = self.index)
    }
}
