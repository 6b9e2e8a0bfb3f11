//! The partial batch response, valid by construction.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

/// The identifier of one record of the current batch: an SQS `messageId`
/// (later also a stream sequence number).
///
/// It can only be made by the engine from a record it read, and it is never
/// empty, so a [`BatchResponse`] cannot name a record that is not in the
/// batch, nor an empty or `null` identifier.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemIdentifier(Box<str>);

impl ItemIdentifier {
    /// Made only from an identifier read from a record; `None` if empty.
    pub(crate) fn from_record(id: &str) -> Option<Self> {
        (!id.is_empty()).then(|| ItemIdentifier(id.into()))
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ItemIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ItemIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResponse {
    failures: Vec<ItemIdentifier>,
}

impl BatchResponse {
    /// Builds a response from identifiers in record order, keeping the first
    /// of any repeated identifier.
    pub(crate) fn from_failures(ids: impl IntoIterator<Item = ItemIdentifier>) -> Self {
        let mut failures: Vec<ItemIdentifier> = ids.into_iter().collect();
        // Identifiers are unique in a well-formed batch: check cheaply first.
        let mut seen = std::collections::HashSet::with_capacity(failures.len());
        if !failures.iter().all(|id| seen.insert(id.as_str())) {
            let mut kept = std::collections::HashSet::with_capacity(failures.len());
            failures.retain(|id| kept.insert(id.clone()));
        }
        BatchResponse { failures }
    }

    /// The identifiers Lambda will retry, in record order.
    pub fn failures(&self) -> &[ItemIdentifier] {
        &self.failures
    }

    /// `true` when no record is to be retried.
    pub fn is_complete_success(&self) -> bool {
        self.failures.is_empty()
    }

    /// The same response as `aws_lambda_events`' SQS type.
    pub fn to_sqs_response(&self) -> aws_lambda_events::sqs::SqsBatchResponse {
        let mut response = aws_lambda_events::sqs::SqsBatchResponse::default();
        response.set_failures(self.failures.iter().map(|id| id.as_str().to_owned()));
        response
    }
}

impl Serialize for BatchResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Failures<'a>(&'a [ItemIdentifier]);
        struct Failure<'a>(&'a ItemIdentifier);
        impl Serialize for Failures<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for id in self.0 {
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
        map.serialize_entry("batchItemFailures", &Failures(&self.failures))?;
        map.end()
    }
}
