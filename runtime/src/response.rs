//! The partial batch response, valid by construction.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

/// The identifier of one record of the current batch: an SQS `messageId`
/// or a stream sequence number, as listed in a [`BatchResponse`].
///
/// It can only come from a response the engine built from records it read,
/// and it is never empty, so a [`BatchResponse`] cannot name a record that
/// is not in the batch, nor an empty or `null` identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemIdentifier<'a>(&'a str);

impl<'a> ItemIdentifier<'a> {
    /// The identifier as text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Debug for ItemIdentifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for ItemIdentifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What a batch handler returns to Lambda: the records to retry.
///
/// Serializes to `{"batchItemFailures":[{"itemIdentifier":"..."}]}`, with
/// failures in record order and each identifier once. An empty list means
/// every record succeeded.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use lambda_batch::{sqs, BatchEvent, Context};
/// let event: BatchEvent = serde_json::json!({"Records": [
///     {"messageId": "m1", "body": "ok"},
///     {"messageId": "m2", "body": "boom"},
/// ]}).into();
/// let handler = sqs::handler_fn(|record: &sqs::SqsRecord<'_>, _cx: &Context| {
///     if record.body() == Some("boom") { Err("bad record") } else { Ok(()) }
/// });
/// let report = sqs::process(&handler, &sqs::SqsConfig::new(), &event, &Context::default())
///     .await
///     .unwrap();
/// let response = report.into_response().unwrap();
/// assert_eq!(
///     serde_json::to_string(&response).unwrap(),
///     r#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#
/// );
/// # });
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BatchResponse {
    /// The identifiers, one after the other (one allocation for the whole
    /// response rather than one per failed record).
    text: String,
    /// Where each identifier ends in `text`.
    ends: Vec<usize>,
}

impl BatchResponse {
    /// Builds a response from identifiers read from records, in record
    /// order, keeping the first of any repeated identifier and leaving out
    /// empty ones (which the record readers never produce).
    /// `expected` is how many there may be (to size the buffers once).
    pub(crate) fn from_failures<'a>(ids: impl IntoIterator<Item = &'a str>, expected: usize) -> Self {
        let mut response = BatchResponse { text: String::new(), ends: Vec::with_capacity(expected) };
        let mut seen = crate::hash::StrSet::with_capacity_and_hasher(expected, Default::default());
        for id in ids {
            if !id.is_empty() && seen.insert(id) {
                response.text.push_str(id);
                response.ends.push(response.text.len());
            }
        }
        response
    }

    /// The identifiers Lambda will retry, in record order.
    pub fn failures(&self) -> impl ExactSizeIterator<Item = ItemIdentifier<'_>> + '_ {
        (0..self.ends.len()).map(|index| {
            let start = index.checked_sub(1).map_or(0, |previous| self.ends[previous]);
            ItemIdentifier(self.text.get(start..self.ends[index]).unwrap_or_default())
        })
    }

    /// `true` when no record is to be retried.
    pub fn is_complete_success(&self) -> bool {
        self.ends.is_empty()
    }

    /// The same response as `aws_lambda_events`' SQS type.
    pub fn to_sqs_response(&self) -> aws_lambda_events::sqs::SqsBatchResponse {
        let mut response = aws_lambda_events::sqs::SqsBatchResponse::default();
        response.set_failures(self.failures().map(|id| id.as_str().to_owned()));
        response
    }
}

impl fmt::Debug for BatchResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchResponse").field("failures", &self.failures().collect::<Vec<_>>()).finish()
    }
}

impl Serialize for BatchResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Failures<'a>(&'a BatchResponse);
        struct Failure<'a>(ItemIdentifier<'a>);
        impl Serialize for Failures<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.ends.len()))?;
                for id in self.0.failures() {
                    seq.serialize_element(&Failure(id))?;
                }
                seq.end()
            }
        }
        impl Serialize for Failure<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("itemIdentifier", self.0.as_str())?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("batchItemFailures", &Failures(self))?;
        map.end()
    }
}
