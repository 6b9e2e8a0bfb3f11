//! The engine's view of one SQS record, read leniently from the event.

use std::borrow::Cow;
use std::sync::OnceLock;

use aws_lambda_events::sqs::SqsMessage;

use crate::error::BatchError;
use crate::json::LazyParse;
use crate::scan::{self, Found, Members};
use crate::source::BatchRecord;

/// One SQS message of the batch, as the engine reads it.
///
/// Only `messageId` is read up front (AWS sends it first, so this reads a
/// few dozen bytes; written as Lambda writes it, it is found without
/// walking the record's members); the `body` is read and decoded on first use;
/// `eventSourceARN` and the `attributes` the engine uses are read together
/// on first use; the full [`SqsMessage`] is parsed only if asked for. A record whose other fields are malformed
/// is still identified, so it fails alone instead of failing the batch, and
/// a record skipped by a FIFO rule costs little more than its id.
#[derive(Debug)]
pub struct SqsRecord<'e> {
    raw: &'e str,
    /// The `messageId`, borrowed from `raw`; empty (an id never is) when it
    /// had escapes: then it is decoded in [`Later::decoded_id`]. Kept as
    /// text rather than offsets into `raw`, so that the report takes it
    /// without reading the record's text again (which a large batch no
    /// longer has in cache by then).
    id: &'e str,
    index: u32,
    /// The body, read on first use (kept beside the id: a handled record
    /// reads it, and so needs no allocation for it).
    body: OnceLock<StoredBody>,
    /// The other fields and the full parse, in one box made on first use:
    /// a record skipped by a FIFO rule costs these 88 bytes and no
    /// allocation.
    later: OnceLock<Box<Later>>,
}

/// What a record reads besides its id and body, on first use.
#[derive(Debug)]
struct Later {
    /// The `messageId`, decoded, if it had escapes.
    decoded_id: Option<Box<str>>,
    fields: OnceLock<Fields>,
    full: LazyParse<SqsMessage>,
}

impl Later {
    fn boxed(decoded_id: Option<Box<str>>) -> Box<Self> {
        Box::new(Later { decoded_id, fields: OnceLock::new(), full: LazyParse::new() })
    }
}

/// The `body` as read on first use.
#[derive(Debug)]
enum StoredBody {
    Absent,
    NotText(&'static str),
    /// A string with an escape that decodes to no character (a lone
    /// surrogate).
    Undecodable,
    /// `raw[start..end]`: a string without escapes, between its quotes.
    Borrowed(usize, usize),
    /// A string with escapes, decoded.
    Decoded(Box<str>),
}

/// The fields read on first use, besides the body. They hold offsets into
/// the record rather than borrowed text, so the record stays covariant in
/// its lifetime.
#[derive(Debug, Default)]
struct Fields {
    group_id: Option<Text>,
    queue_arn: Option<Text>,
    receive_count: Option<u32>,
    sent_timestamp_ms: Option<u64>,
}

/// A piece of the record's text, or a string decoded from it.
#[derive(Debug)]
enum Text {
    /// `raw[start..end]`.
    Span(usize, usize),
    /// A JSON string that had escapes, decoded.
    Decoded(Box<str>),
}

/// Where `part`, a slice of `raw`, starts in it.
fn offset(raw: &str, part: &str) -> usize {
    (part.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize)
}

impl Text {
    /// The span of `part`, a slice of `raw`.
    fn span(raw: &str, part: &str) -> Self {
        let start = offset(raw, part);
        Text::Span(start, start + part.len())
    }

    /// The string value `value` (a slice of `raw`), if it is one.
    fn string(raw: &str, value: &str) -> Option<Self> {
        match scan::string(value)? {
            Cow::Borrowed(text) => Some(Text::span(raw, text)),
            Cow::Owned(text) => Some(Text::Decoded(text.into_boxed_str())),
        }
    }

    fn get<'a>(&'a self, raw: &'a str) -> &'a str {
        match self {
            Text::Span(start, end) => raw.get(*start..*end).unwrap_or_default(),
            Text::Decoded(text) => text,
        }
    }
}

impl Fields {
    /// Reads the fields from the record's members (the first of each key
    /// counts). Wrong types read as absent.
    fn read(raw: &str) -> Self {
        let mut fields = Fields::default();
        let Some(members) = Members::of(raw) else { return fields };
        let (mut arn_seen, mut attributes_seen) = (false, false);
        for (key, value) in members {
            if key.is("eventSourceARN") && !arn_seen {
                fields.queue_arn = Text::string(raw, value);
                arn_seen = true;
            } else if key.is("attributes") && !attributes_seen {
                fields.read_attributes(raw, value);
                attributes_seen = true;
            }
            if arn_seen && attributes_seen {
                break;
            }
        }
        fields
    }

    fn read_attributes(&mut self, raw: &str, attributes: &str) {
        let Some(members) = Members::of(attributes) else { return };
        for (key, value) in members {
            if key.is("MessageGroupId") {
                self.group_id = self.group_id.take().or_else(|| Text::string(raw, value));
            } else if key.is("ApproximateReceiveCount") {
                self.receive_count = self.receive_count.or_else(|| string_number(value));
            } else if key.is("SentTimestamp") {
                self.sent_timestamp_ms = self.sent_timestamp_ms.or_else(|| string_number(value));
            }
        }
    }
}

/// How Lambda starts every SQS record: `messageId` first, no whitespace.
const ID_PREFIX: &str = "{\"messageId\":\"";

/// The `messageId` of a record that starts as Lambda writes it, when it is
/// not empty and has no escape: found by looking for its closing quote,
/// without walking the record's members. `None` leaves the record to the
/// general reader (which also finds an escaped or empty id, or another
/// layout).
fn leading_plain_id(raw: &str) -> Option<&str> {
    let rest = raw.strip_prefix(ID_PREFIX)?;
    let end = rest.bytes().position(|byte| byte == b'"' || byte == b'\\')?;
    (end > 0 && rest.as_bytes().get(end) == Some(&b'"')).then_some(())?;
    rest.get(..end)
}

/// A number sent as a JSON string (SQS attributes are all strings).
fn string_number<T: std::str::FromStr>(value: &str) -> Option<T> {
    scan::string(value)?.parse().ok()
}

impl<'e> SqsRecord<'e> {
    /// Reads record `index` of the batch.
    ///
    /// # Errors
    /// [`BatchError::MissingItemIdentifier`] if the record has no usable
    /// `messageId` (absent, `null`, not a string, or empty), or is not an
    /// object at all. If the key appears twice, the first counts.
    pub fn parse(index: usize, raw: &'e str) -> Result<Self, BatchError> {
        let missing = |problem| BatchError::MissingItemIdentifier { index, field: super::ID_FIELD, problem };
        let message_id = match leading_plain_id(raw) {
            Some(id) => Cow::Borrowed(id),
            None => {
                let members = Members::of(raw).ok_or_else(|| missing("the record is not a JSON object"))?;
                match members.find_decoded("messageId") {
                    None | Some(Found::Other("null")) => return Err(missing("absent or null")),
                    Some(Found::Other(_)) => return Err(missing("not a string")),
                    Some(Found::Undecodable) => {
                        return Err(missing("a string with an escape that is no character"));
                    }
                    Some(Found::String(id)) if id.is_empty() => return Err(missing("empty string")),
                    Some(Found::String(id)) => id,
                }
            }
        };
        // The index is kept in 32 bits (a Lambda event is at most a few
        // MB); a record past that is refused rather than misread.
        let index_u32 =
            u32::try_from(index).map_err(|_| missing("the record's index does not fit in 32 bits"))?;
        let record = match message_id {
            Cow::Borrowed(id) => {
                SqsRecord { raw, id, index: index_u32, body: OnceLock::new(), later: OnceLock::new() }
            }
            Cow::Owned(id) => {
                let later = OnceLock::from(Later::boxed(Some(id.into_boxed_str())));
                SqsRecord { raw, id: "", index: index_u32, body: OnceLock::new(), later }
            }
        };
        Ok(record)
    }

    /// What is read besides the id and the body, made on first use.
    fn later(&self) -> &Later {
        self.later.get_or_init(|| Later::boxed(None))
    }

    /// The body, read on first use: the members are read up to `body` (the
    /// third key in Lambda's order) and no further. A body without escapes
    /// is borrowed from the event as it is; one with escapes is decoded
    /// once (records skipped by a FIFO rule never pay for it).
    fn stored_body(&self) -> &StoredBody {
        self.body.get_or_init(|| {
            match Members::of(self.raw).and_then(|members| members.find_decoded("body")) {
                None => StoredBody::Absent,
                Some(Found::String(Cow::Borrowed(text))) => {
                    let start = offset(self.raw, text);
                    StoredBody::Borrowed(start, start + text.len())
                }
                Some(Found::String(Cow::Owned(text))) => StoredBody::Decoded(text.into_boxed_str()),
                Some(Found::Undecodable) => StoredBody::Undecodable,
                Some(Found::Other(value)) => StoredBody::NotText(scan::json_type(value)),
            }
        })
    }

    fn fields(&self) -> &Fields {
        self.later().fields.get_or_init(|| Fields::read(self.raw))
    }

    /// Position of the record in the batch, from 0.
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// The `messageId` (never empty).
    pub fn message_id(&self) -> &str {
        if self.id.is_empty() {
            let decoded = self.later.get().and_then(|later| later.decoded_id.as_deref());
            return decoded.unwrap_or_default();
        }
        self.id
    }

    /// The body text, if the record has a string `body`.
    pub fn body(&self) -> Option<&str> {
        self.body_text().ok()
    }

    /// The body text, or why there is none.
    pub(crate) fn body_text(&self) -> Result<&str, String> {
        match self.stored_body() {
            StoredBody::Borrowed(start, end) => Ok(self.raw.get(*start..*end).unwrap_or_default()),
            StoredBody::Decoded(text) => Ok(text),
            StoredBody::Absent => Err("the record has no `body`".to_owned()),
            StoredBody::NotText(found) => Err(format!("the record's `body` is a JSON {found}, not a string")),
            StoredBody::Undecodable => {
                Err("the record's `body` has a `\\u` escape that is no character (a lone surrogate)"
                    .to_owned())
            }
        }
    }

    /// The record's text from just after the opening quote of a string
    /// `body` that has not been decoded yet: for parsing a JSON body
    /// straight from its escaped text, which ends at the string's closing
    /// quote. `None` once the body was decoded, or if it is no string.
    pub(crate) fn escaped_body(&self) -> Option<&'e str> {
        if self.body.get().is_some() {
            return None;
        }
        Members::of(self.raw)?.find_from("body")?.strip_prefix('"')
    }

    /// The FIFO `MessageGroupId` attribute, if present.
    pub fn message_group_id(&self) -> Option<&str> {
        self.fields().group_id.as_ref().map(|text| text.get(self.raw))
    }

    /// `attributes.ApproximateReceiveCount`: how many times the message was
    /// received (1 on first delivery).
    pub fn receive_count(&self) -> Option<u32> {
        self.fields().receive_count
    }

    /// The queue ARN (`eventSourceARN`), if present.
    pub fn queue_arn(&self) -> Option<&str> {
        self.fields().queue_arn.as_ref().map(|text| text.get(self.raw))
    }

    /// `true` if the record comes from a FIFO queue (its ARN ends in `.fifo`).
    pub fn is_from_fifo_queue(&self) -> bool {
        self.queue_arn().is_some_and(|arn| arn.ends_with(".fifo"))
    }

    /// The record's JSON text, as received.
    pub fn raw_json(&self) -> &'e str {
        self.raw
    }

    /// The full record as `aws_lambda_events`' [`SqsMessage`], parsed on
    /// first use.
    ///
    /// # Errors
    /// The parse error, as text, if the record does not fit `SqsMessage`.
    pub fn message(&self) -> Result<&SqsMessage, &str> {
        self.later().full.get(self.raw)
    }

    pub(crate) fn into_message_id(self) -> Cow<'e, str> {
        if self.id.is_empty() {
            let decoded = self.later.into_inner().and_then(|later| later.decoded_id);
            return Cow::Owned(decoded.map(String::from).unwrap_or_default());
        }
        Cow::Borrowed(self.id)
    }
}

impl BatchRecord for SqsRecord<'_> {
    fn idempotency_key(&self) -> Result<Cow<'_, str>, String> {
        Ok(Cow::Borrowed(self.message_id()))
    }

    fn idempotency_payload(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.body().unwrap_or_default().as_bytes())
    }

    fn receive_count(&self) -> Option<u32> {
        self.fields().receive_count
    }

    fn arrival_time(&self) -> Option<f64> {
        self.fields().sent_timestamp_ms.map(|ms| ms as f64 / 1000.0)
    }

    fn raw_json(&self) -> &str {
        self.raw
    }

    fn item_identifier(&self) -> &str {
        self.message_id()
    }

    fn ordering_key(&self) -> Option<&str> {
        self.message_group_id()
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("record", message_id = %self.message_id(), index = self.index())
    }
}

#[cfg(test)]
mod tests;
