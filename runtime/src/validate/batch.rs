//! What a checker knows of a batch, and reading a response's identifiers.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::Value;

use super::{FifoRule, Finding, Problem, ResponseCheck, Severity, Verdict};
use crate::event::BatchEvent;
use crate::kind::{OrderingRule, SourceKind};

/// A batch as Lambda reads responses to it: its source, each record's
/// identifier and ordering key (SQS `MessageGroupId`) in order, and for
/// SQS the FIFO rule a response must keep. Read it once with
/// [`BatchView::read`], then check any response against it with
/// [`check`](BatchView::check) or [`check_text`](BatchView::check_text).
///
/// ```
/// use lambda_batch::validate::{BatchView, Verdict};
/// use lambda_batch::{BatchEvent, SourceKind};
/// let event = BatchEvent::from_json(r#"{"Records": [
///     {"kinesis": {"sequenceNumber": "999"}},
///     {"kinesis": {"sequenceNumber": "1000"}},
///     {"kinesis": {"sequenceNumber": "1001"}}
/// ]}"#).unwrap();
/// let batch = BatchView::read(SourceKind::Kinesis, &event);
/// let check = batch.check_text(r#"{"batchItemFailures": [{"itemIdentifier": "1000"}]}"#);
/// assert_eq!(check.verdict(), &Verdict::PartialSuccess { retried: vec!["1000".into(), "1001".into()] });
/// assert!(check.is_valid());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchView {
    pub(crate) kind: SourceKind,
    pub(crate) fifo: FifoRule,
    pub(crate) records: Vec<(String, Option<String>)>,
}

impl Default for BatchView {
    /// An empty SQS standard batch.
    fn default() -> Self {
        BatchView { kind: SourceKind::sqs_queue(false), fifo: FifoRule::None, records: Vec::new() }
    }
}

impl BatchView {
    /// A view of a `kind` batch from `(identifier, ordering key)` pairs in
    /// batch order (identifiers in the text form of
    /// [`ItemIdentifier::as_str`](crate::ItemIdentifier::as_str)).
    ///
    /// ```
    /// use lambda_batch::{validate::BatchView, SourceKind};
    /// let view = BatchView::of(SourceKind::SqsFifo, [("m-1".to_owned(), Some("g".to_owned()))]);
    /// assert_eq!(view.ids().collect::<Vec<_>>(), ["m-1"]);
    /// ```
    pub fn of(kind: SourceKind, records: impl IntoIterator<Item = (String, Option<String>)>) -> Self {
        BatchView { kind, fifo: FifoRule::default_for(kind), records: records.into_iter().collect() }
    }

    /// The FIFO rule responses must keep (SQS only; the default is
    /// [`FifoRule::GroupSuffix`] for [`SourceKind::SqsFifo`], which every
    /// correct FIFO handler keeps, and [`FifoRule::None`] otherwise).
    pub fn with_fifo_rule(mut self, rule: FifoRule) -> Self {
        self.fifo = rule;
        self
    }

    /// The source of the batch.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// The FIFO rule responses are checked against.
    pub fn fifo_rule(&self) -> FifoRule {
        self.fifo
    }

    /// Checks a response (as JSON) against this batch: what Lambda does
    /// with it, and every rule it breaks.
    pub fn check(&self, response: &Value) -> ResponseCheck {
        match self.kind.ordering() {
            OrderingRule::KafkaPartition => super::kafka::check(self, response),
            _ if self.kind.is_stream() => super::stream::check(self, response),
            _ => super::sqs::check(self, response),
        }
    }

    /// Checks a response given as text: text that is not JSON is a complete
    /// failure (as AWS documents for SQS; AWS does not say for streams and
    /// Kafka, and this takes it as one); otherwise as [`check`](Self::check).
    pub fn check_text(&self, response: &str) -> ResponseCheck {
        match serde_json::from_str::<Value>(response) {
            Ok(value) => self.check(&value),
            Err(error) => ResponseCheck {
                verdict: Verdict::CompleteFailure,
                findings: vec![error_finding(self.kind, Problem::NotJson(error.to_string()))],
            },
        }
    }

    /// Reads an event of source `kind` with the source's own record reader
    /// (the one the engine uses): each record's identifier and ordering key.
    /// Records that cannot be named are left out (they cannot be listed in a
    /// response).
    ///
    /// ```
    /// use lambda_batch::{validate::BatchView, BatchEvent, SourceKind};
    /// let event = BatchEvent::from_json(r#"{"records": {"orders-0": [
    ///     {"topic": "orders", "partition": 0, "offset": 7}
    /// ]}}"#).unwrap();
    /// let view = BatchView::read(SourceKind::Kafka, &event);
    /// assert_eq!(view.ids().collect::<Vec<_>>(), ["orders-0@7"]);
    /// ```
    pub fn read(kind: SourceKind, event: &BatchEvent) -> Self {
        let records: Vec<(String, Option<String>)> = event
            .records()
            .map(|records| {
                records
                    .iter()
                    .enumerate()
                    .filter_map(|(index, raw)| kind.identify(index, raw.get()).ok())
                    .map(|identity| (identity.item_identifier, identity.ordering_key))
                    .collect()
            })
            .unwrap_or_default();
        BatchView::of(kind, records)
    }

    /// Each record's identifier and ordering key, in batch order.
    pub fn records(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.records.iter().map(|(id, key)| (id.as_str(), key.as_deref()))
    }

    /// The identifiers in batch order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.records.iter().map(|(id, _)| id.as_str())
    }
}

pub(crate) fn error_finding(source: SourceKind, problem: Problem) -> Finding {
    Finding::new(Severity::Error, source, problem)
}

/// The identifiers listed, or `None` when the response is a complete failure.
pub(crate) fn read_identifiers<'r>(
    batch: &BatchView,
    source: SourceKind,
    response: &'r Value,
    findings: &mut Vec<Finding>,
) -> Option<HashSet<Cow<'r, str>>> {
    let failures = match response {
        Value::Null => return Some(HashSet::new()),
        Value::Object(map) => match map.get("batchItemFailures") {
            None | Some(Value::Null) => return Some(HashSet::new()),
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                findings.push(error_finding(source, Problem::FailuresNotArray { found: value_type(other) }));
                return None;
            }
        },
        other => {
            findings.push(error_finding(source, Problem::NotAnObject { found: value_type(other) }));
            return None;
        }
    };
    let known: HashSet<&str> = batch.ids().collect();
    let mut listed = HashSet::new();
    let mut complete_failure = false;
    for (index, entry) in failures.iter().enumerate() {
        let mut fail = |problem| {
            findings.push(error_finding(source, problem));
            complete_failure = true;
        };
        let Some(entry) = entry.as_object() else {
            fail(Problem::EntryNotObject { index });
            continue;
        };
        if let Some(key) = entry.keys().find(|k| *k != "itemIdentifier") {
            fail(Problem::UnknownKey { index, key: key.clone() });
        }
        let id: Cow<'r, str> = match (entry.get("itemIdentifier"), source.ordering()) {
            (None, _) => {
                fail(Problem::MissingIdentifier { index });
                continue;
            }
            (Some(Value::Null), _) => {
                fail(Problem::NullIdentifier { index });
                continue;
            }
            (Some(Value::String(id)), _) if id.is_empty() => {
                fail(Problem::EmptyIdentifier { index });
                continue;
            }
            (Some(position), OrderingRule::KafkaPartition) => match kafka_position(position) {
                Some(id) => Cow::Owned(id),
                None => {
                    fail(Problem::NotKafkaPosition { index });
                    continue;
                }
            },
            (Some(Value::String(id)), _) => Cow::Borrowed(id.as_str()),
            (Some(_), _) => {
                fail(Problem::IdentifierNotString { index });
                continue;
            }
        };
        if !known.contains(&*id) {
            fail(Problem::NotInBatch { index, id: id.into_owned() });
        } else if listed.contains(&id) {
            findings.push(Finding::new(
                Severity::Warning,
                source,
                Problem::Duplicate { id: id.into_owned() },
            ));
        } else {
            listed.insert(id);
        }
    }
    (!complete_failure).then_some(listed)
}

/// A Kafka `itemIdentifier`, `{"partition": "<topic>-<partition>", "offset": n}`,
/// in the text form the report keeps (`<topic>-<partition>@<offset>`).
fn kafka_position(value: &Value) -> Option<String> {
    let object = value.as_object()?;
    if object.len() != 2 {
        return None;
    }
    let partition = object.get("partition")?.as_str().filter(|p| !p.is_empty())?;
    let offset = object.get("offset")?.as_i64().filter(|o| *o >= 0)?;
    Some(format!("{partition}@{offset}"))
}

pub(crate) fn value_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
