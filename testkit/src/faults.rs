//! Fault plans: which records fail, panic, carry a bad payload, run slowly,
//! hang, or lose their identifier, injected without changing the handler's
//! code.
//!
//! Two kinds of fault, by how they reach the handler:
//! - in the event ([`RecordFault::BadBody`] and the identifier faults): the
//!   record's bytes change, so they reach every handler;
//! - in the call ([`RecordFault::Error`], [`RecordFault::Panic`],
//!   [`RecordFault::Slow`], [`RecordFault::Hang`]): the engine applies them to a
//!   `#[batch_handler]`'s record calls, and `lambda_batch::observe` to a
//!   hand-written handler's per-record work. A hand-written handler that
//!   does not call `observe` gets none of them: test it with
//!   [`payload_fault_plan`], which draws only faults that reach it.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use lambda_batch::OrderingRule;
use lambda_batch::fault::CallFault;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{Value, json};

use crate::strategy::{Batch, SourceKind};
use crate::wire::{self, Encoding, RecordPaths};

/// A fault for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFault {
    /// The call fails without running the handler's work.
    Error,
    /// The call panics.
    Panic,
    /// The payload is corrupted in the event (SQS body and Kafka value: not
    /// JSON; Kinesis data: not UTF-8; DynamoDB: `NewImage` with every
    /// attribute but the key of another type, still valid DynamoDB JSON), so
    /// the handler's decoding fails. A DynamoDB `REMOVE` record (no new
    /// image; a handler need not read its old one) is left alone.
    BadBody,
    /// The call waits this long first (on the harness's paused clock).
    Slow(Duration),
    /// The call never finishes (the deadline guard must cut it off).
    Hang,
    /// The record's identifier (`messageId`, sequence number, Kafka
    /// `offset`) is missing from the event.
    MissingId,
    /// The record's identifier is empty (`""`).
    EmptyId,
    /// The record's identifier is the one of the record just before it (the
    /// first record takes the second's), when both have the same FIFO
    /// message group or Kafka partition; otherwise nothing changes.
    DuplicateId,
}

impl RecordFault {
    /// Whether the fault is in the event (reaches every handler), not in
    /// the call.
    pub fn is_in_event(self) -> bool {
        matches!(
            self,
            RecordFault::BadBody | RecordFault::MissingId | RecordFault::EmptyId | RecordFault::DuplicateId
        )
    }
}

/// Faults by record index. Indices past the batch's end are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    faults: BTreeMap<usize, RecordFault>,
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds a fault for record `index`.
    pub fn with(mut self, index: usize, fault: RecordFault) -> Self {
        self.faults.insert(index, fault);
        self
    }

    /// The fault of record `index`, if any.
    pub fn get(&self, index: usize) -> Option<RecordFault> {
        self.faults.get(&index).copied()
    }

    /// Every fault, by record index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, RecordFault)> + '_ {
        self.faults.iter().map(|(&index, &fault)| (index, fault))
    }

    /// The faults applied to calls (all but the faults in the event).
    pub(crate) fn call_faults(&self) -> std::collections::HashMap<usize, CallFault> {
        self.faults
            .iter()
            .filter_map(|(&index, fault)| {
                let fault = match fault {
                    RecordFault::Error => CallFault::Error,
                    RecordFault::Panic => CallFault::Panic,
                    RecordFault::Slow(delay) => CallFault::Delay(*delay),
                    RecordFault::Hang => CallFault::Hang,
                    _ => return None,
                };
                Some((index, fault))
            })
            .collect()
    }

    /// The batch with the faults in the event applied to its records.
    pub(crate) fn corrupt(&self, batch: &Batch) -> Batch {
        let source = batch.source;
        let paths = crate::wire::paths(source);
        let mut records = batch.records().to_vec();
        let original = records.clone();
        for (index, record) in records.iter_mut().enumerate() {
            match self.get(index) {
                Some(RecordFault::BadBody) => corrupt_payload(paths, record),
                Some(RecordFault::MissingId) => paths.remove_identifier(record),
                Some(RecordFault::EmptyId) => paths.set_identifier(record, json!("")),
                Some(RecordFault::DuplicateId) => {
                    if let Some(other) = neighbour(source, &original, index) {
                        paths.set_identifier(record, paths.identifier(other).clone());
                    }
                }
                _ => {}
            }
        }
        Batch::new(source, records)
    }
}

/// The record whose identifier a duplicate takes: the one just before it
/// (for the first, the one just after it), if it has the same ordering key
/// for FIFO queues (message group) and Kafka (partition), as the runtime
/// reads it. Adjacent in its group, a duplicate leaves a correct FIFO
/// handler a valid response: the shared identifier retries both records, a
/// suffix either way.
fn neighbour(source: SourceKind, records: &[Value], index: usize) -> Option<&Value> {
    let grouped = matches!(source.ordering(), OrderingRule::MessageGroup | OrderingRule::KafkaPartition);
    let key = |at: usize| {
        let identity = source.identify(at, &records[at].to_string()).ok();
        identity.filter(|_| grouped).and_then(|identity| identity.ordering_key)
    };
    let own = key(index);
    let before = index.checked_sub(1);
    [before, Some(index + 1)]
        .into_iter()
        .flatten()
        .filter(|&at| at < records.len())
        .find(|&at| key(at) == own)
        .map(|at| &records[at])
}

/// Whether [`RecordFault::BadBody`] changes this record (not a DynamoDB
/// `REMOVE` record).
pub(crate) fn payload_can_be_corrupted(source: SourceKind, record: &Value) -> bool {
    crate::wire::paths(source).has_payload(record)
}

/// Corrupts the record's payload so that decoding it fails: text that is
/// not JSON, base64 of bytes that are not UTF-8, a DynamoDB image whose
/// attributes (all but the key) change type.
fn corrupt_payload(paths: &RecordPaths, record: &mut Value) {
    if !paths.has_payload(record) {
        return;
    }
    let path = paths.payload.path;
    match paths.payload.encoding {
        Encoding::Text => wire::set(record, path, json!("{\"corrupt")),
        Encoding::Base64 => {
            let bad_bytes = base64::engine::general_purpose::STANDARD.encode(b"\xff{corrupt");
            wire::set(record, path, json!(bad_bytes));
        }
        Encoding::DynamoDbImage => {
            if let Some(Value::Object(attributes)) = wire::get_mut(record, path) {
                for (name, value) in attributes.iter_mut() {
                    if name != crate::strategy::DYNAMODB_KEY_ATTRIBUTE {
                        *value = retyped(value);
                    }
                }
            }
        }
    }
}

/// A DynamoDB attribute value of another type than `value`'s: a string
/// becomes a boolean, a number a string that is not a number, anything
/// else a number.
fn retyped(value: &Value) -> Value {
    let kind = value.as_object().and_then(|map| map.keys().next()).map(String::as_str);
    match kind {
        Some("S") => json!({"BOOL": true}),
        Some("N") => json!({"S": "not a number"}),
        Some("BOOL") => json!({"S": "not a boolean"}),
        _ => json!({"N": "0"}),
    }
}

/// One plan in this many faults every record (so the all-failed path is
/// tried often).
const ALL_FAULTED_ONE_IN: u32 = 8;
/// The chance that a plan removes, empties or duplicates one record's
/// identifier: each of the three in one plan in fifteen, so a defect that
/// shows only on one of them is found in every run of a few hundred cases
/// (a plan that makes a record unnamed has one right answer, failing the
/// invocation, and tests little else: more would starve the other checks).
const IDENTIFIER_FAULT_CHANCE: f64 = 0.2;
/// Each record of an all-faulted plan is left clean this seldom (in
/// 10,000): never in practice, but shrinking tries a clean record first, so
/// a counterexample lists only the faults that matter.
const ALL_FAULTED_CLEAN_ONE_IN: u32 = 10_000;
/// Of the plans with an identifier fault, this many in eight put it on one
/// of the first two records (the rest anywhere): inside every batch, and
/// kept when proptest shrinks the batch (which it does before the plan) to
/// one or two records.
const IDENTIFIER_FAULT_IN_FIRST_TWO: u32 = 7;

/// Plans for batches of up to `records` records where each record has a
/// fault with probability `probability` (0.0 to 1.0, both included), of any kind: errors,
/// panics, corrupted payloads, delays and hangs. One plan in eight faults
/// every record (with faults that fail it), and one in five also removes,
/// empties or duplicates one record's identifier (mostly one of the first
/// two: see below).
///
/// Shrinking: a failing plan shrinks towards no fault on the records that
/// do not matter, and an identifier fault towards the first record, so the
/// counterexample keeps the defect in one or two records.
///
/// For a `#[batch_handler]` or a hand-written handler that wraps each
/// record's work in `lambda_batch::observe`; for other hand-written
/// handlers use [`payload_fault_plan`].
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn fault_plan(records: usize, probability: f64) -> BoxedStrategy<FaultPlan> {
    let fault = prop_oneof![
        Just(RecordFault::Error),
        Just(RecordFault::Panic),
        Just(RecordFault::BadBody),
        (1u64..50).prop_map(|ms| RecordFault::Slow(Duration::from_millis(ms))),
        Just(RecordFault::Hang),
    ];
    let failing = prop_oneof![
        3 => Just(RecordFault::Error),
        1 => Just(RecordFault::Panic),
        2 => Just(RecordFault::BadBody),
        1 => Just(RecordFault::Hang),
    ];
    plans(records, probability, fault.boxed(), failing.boxed())
}

/// Plans with only the faults that are in the event (corrupted payloads
/// and identifier faults): for a hand-written handler whose per-record
/// work is not wrapped in `lambda_batch::observe`, which no call fault can
/// reach. One plan in eight corrupts every record's payload.
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn payload_fault_plan(records: usize, probability: f64) -> BoxedStrategy<FaultPlan> {
    plans(records, probability, Just(RecordFault::BadBody).boxed(), Just(RecordFault::BadBody).boxed())
}

/// `Some(fault)` with `probability`: never at 0.0 or below, always at 1.0
/// or above (proptest's `option::weighted` takes only the open interval).
///
/// # Panics
/// When `probability` is not a number (NaN).
#[allow(clippy::panic, reason = "a strategy's argument out of its domain, in a test")]
fn with_probability(
    probability: f64,
    fault: BoxedStrategy<RecordFault>,
) -> BoxedStrategy<Option<RecordFault>> {
    if probability.is_nan() {
        panic!(
            "a fault plan's probability is NaN: give a number from 0.0 (no fault) to 1.0 (a fault on every record)"
        );
    }
    if probability <= 0.0 {
        Just(None).boxed()
    } else if probability >= 1.0 {
        fault.prop_map(Some).boxed()
    } else {
        proptest::option::weighted(probability, fault).boxed()
    }
}

fn plans(
    records: usize,
    probability: f64,
    fault: BoxedStrategy<RecordFault>,
    failing: BoxedStrategy<RecordFault>,
) -> BoxedStrategy<FaultPlan> {
    let identifier_fault =
        prop_oneof![Just(RecordFault::MissingId), Just(RecordFault::EmptyId), Just(RecordFault::DuplicateId)];
    let index = prop_oneof![
        IDENTIFIER_FAULT_IN_FIRST_TWO => 0..records.clamp(1, 2),
        8 - IDENTIFIER_FAULT_IN_FIRST_TWO => 0..records.max(1),
    ];
    let identifier = proptest::option::weighted(IDENTIFIER_FAULT_CHANCE, (index, identifier_fault));
    let some = proptest::collection::vec(with_probability(probability, fault), records);
    let failing_or_clean = prop_oneof![
        1 => Just(None),
        ALL_FAULTED_CLEAN_ONE_IN - 1 => failing.prop_map(Some),
    ];
    let every = proptest::collection::vec(failing_or_clean, records);
    let faults = prop_oneof![
        ALL_FAULTED_ONE_IN - 1 => some,
        1 => every,
    ];
    (faults, identifier)
        .prop_map(|(faults, identifier)| {
            let mut faults: BTreeMap<usize, RecordFault> =
                faults.into_iter().enumerate().filter_map(|(i, f)| f.map(|f| (i, f))).collect();
            if let Some((index, fault)) = identifier {
                faults.insert(index, fault);
            }
            FaultPlan { faults }
        })
        .boxed()
}
