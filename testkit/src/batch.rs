//! A generated batch: its source, its records, and the bytes the handler
//! gets.

use std::fmt;

use lambda_batch::{BatchEvent, RecordIdentity};
use serde_json::Value;

pub use lambda_batch::SourceKind;

/// A generated batch: its source and its records, in the order the event
/// lists them.
///
/// The handler gets [`Batch::json`]: the exact bytes Lambda would send,
/// record keys in Lambda's order (Kafka records grouped by partition).
#[derive(Clone, PartialEq)]
pub struct Batch {
    /// The source.
    pub source: SourceKind,
    records: Vec<Value>,
}

impl Batch {
    /// A batch of `records` from `source`. Kafka records are grouped by
    /// partition (stable, partitions in order of first appearance), as the
    /// event lists them.
    pub fn new(source: SourceKind, records: Vec<Value>) -> Self {
        Batch { source, records: lambda_batch::wire::event_order(source, records) }
    }

    /// The event as Lambda sends it: the bytes the harness hands to the
    /// handler.
    pub fn json(&self) -> String {
        crate::wire::event_text(self.source, &self.records)
    }

    /// The event as a JSON value (object keys sorted: for inspection only).
    pub fn event(&self) -> Value {
        serde_json::from_str(&self.json()).unwrap_or(Value::Null)
    }

    /// The event as the handler payload, read from [`Batch::json`].
    pub fn to_event(&self) -> BatchEvent {
        BatchEvent::from_json(&self.json()).unwrap_or_else(|_| BatchEvent::from(Value::Null))
    }

    /// The records, in the order the event lists them (the engine's record
    /// indices).
    pub fn records(&self) -> &[Value] {
        &self.records
    }

    /// Each record's identifier and ordering key, read by the engine's own
    /// reader for the source (`None` for a record that cannot be named).
    pub fn identities(&self) -> Vec<Option<RecordIdentity>> {
        self.records
            .iter()
            .enumerate()
            .map(|(index, record)| self.source.identify(index, &record.to_string()).ok())
            .collect()
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// `true` for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shrunk counterexamples read best as the ids and payloads, one
        // record a line under `{:#?}` (as proptest prints them), payloads
        // that are JSON shown as JSON rather than as escaped strings.
        let records: Vec<Shown> = self
            .records()
            .iter()
            .enumerate()
            .map(|(index, record)| Shown(describe_record(self.source, index, record)))
            .collect();
        f.debug_struct("Batch").field("source", &self.source).field("records", &records).finish()
    }
}

/// Text that `Debug` writes as it is (no quotes, no escapes).
struct Shown(String);

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One record for a counterexample: its identifier and `[ordering key]` as
/// the runtime reads them (or the raw identifier field of a record that
/// cannot be named), then the fields the wire table shows.
fn describe_record(source: SourceKind, index: usize, record: &Value) -> String {
    let paths = crate::wire::paths(source);
    let mut out = match source.identify(index, &record.to_string()) {
        Ok(RecordIdentity { item_identifier, ordering_key: Some(key) }) => {
            format!("{item_identifier} [{key}]")
        }
        Ok(identity) => identity.item_identifier,
        Err(_) => format!("unnamed ({}: {})", source.identifier_field(), paths.identifier(record)),
    };
    for field in paths.shown {
        out.push_str(&format!(" {}={}", field.label, field.show(record)));
    }
    out
}
