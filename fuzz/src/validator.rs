//! The `validator` target's oracle: what Lambda does with a response, from
//! runtime/src/aws_rules.md ("SQS: what a partial batch response may contain",
//! "Streams: what a partial batch response may contain", "Streams:
//! checkpoints and sequence numbers", "Kafka: partial batch responses",
//! "FIFO queues: the suffix rule"), written over `serde_json::Value`.
//!
//! Input: one byte that picks the checker, then the event, a NUL byte (which
//! valid JSON never holds), then the response text.

use std::collections::{HashMap, HashSet};

use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::kafka::Kafka;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::validate::{BatchView, FifoRule, Verdict};
use lambda_batch::{BatchEvent, Source, SourceKind};
use serde_json::Value;

use crate::event::{cmp_decimal, is_decimal};
use crate::stats;

/// Which checker an input goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sqs(FifoRule),
    Kinesis,
    DynamoDb,
    Kafka,
}

const MODES: [Mode; 6] = [
    Mode::Sqs(FifoRule::None),
    Mode::Sqs(FifoRule::BatchSuffix),
    Mode::Sqs(FifoRule::GroupSuffix),
    Mode::Kinesis,
    Mode::DynamoDb,
    Mode::Kafka,
];

/// One record of the batch as the oracle reads it: identifier and (SQS)
/// message group.
struct Rec {
    id: String,
    group: Option<String>,
    /// Kafka: partition and offset.
    position: Option<(String, i64)>,
}

/// Checks one input.
pub fn check(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let mode = MODES[usize::from(pick) % MODES.len()];
    let (event_bytes, response_bytes) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    // The checkers take the event as a `Value` (what a test holds).
    let Ok(event) = serde_json::from_slice::<Value>(event_bytes) else {
        stats::count("validator: event not JSON");
        return;
    };
    let response = String::from_utf8_lossy(response_bytes);
    let batch = records(mode, &event);
    let (kind, rule) = match mode {
        // Read as FIFO so that the group rules see message groups.
        Mode::Sqs(rule) => (SourceKind::sqs_queue(true), rule),
        Mode::Kinesis => (Kinesis::KIND, FifoRule::None),
        Mode::DynamoDb => (DynamoDb::KIND, FifoRule::None),
        Mode::Kafka => (Kafka::KIND, FifoRule::None),
    };
    let check = BatchView::read(kind, &BatchEvent::from(&event)).with_fifo_rule(rule).check_text(&response);
    let expected = verdict(mode, &batch, &response);
    let got = check.verdict();
    assert_eq!(
        *got == Verdict::CompleteFailure,
        expected.is_none(),
        "{mode:?}: complete failure? oracle {expected:?}, validator {got:?} ({:?})",
        check.findings()
    );
    let Some((listed, retried)) = expected else {
        assert!(!check.is_valid(), "{mode:?}: a complete failure is not a valid response");
        stats::count("validator: complete failure, agreed");
        return;
    };
    match got {
        Verdict::CompleteSuccess => {
            assert!(retried.is_empty(), "{mode:?}: oracle retries {retried:?}, validator: complete success")
        }
        Verdict::PartialSuccess { retried: got } => {
            assert!(!listed.is_empty(), "{mode:?}: nothing listed, validator: partial {got:?}");
            assert_eq!(*got, retried, "{mode:?}: what Lambda retries")
        }
        Verdict::CompleteFailure => unreachable!(),
    }
    let fifo_ok = match mode {
        Mode::Sqs(rule) if !listed.is_empty() => suffix_rule(rule, &batch, &listed),
        _ => true,
    };
    assert_eq!(
        check.is_valid(),
        fifo_ok,
        "{mode:?}: valid? oracle: FIFO rule kept {fifo_ok}; findings {:?}",
        check.findings()
    );
    stats::count(if listed.is_empty() { "validator: success, agreed" } else { "validator: partial, agreed" });
}

/// The batch's nameable records (records that cannot be named are left
/// out: they cannot be listed). Kafka partitions in key order (a `Value`
/// sorts keys).
/// `true` for a Kafka record whose own topic and partition (both readable)
/// name another partition than `key`, the one it sits under: the runtime
/// refuses such an event.
fn elsewhere(key: &str, record: &Value) -> bool {
    let topic = record.get("topic").and_then(Value::as_str).filter(|t| !t.is_empty());
    let partition = record.get("partition").and_then(Value::as_i64).filter(|p| *p >= 0);
    matches!((topic, partition), (Some(topic), Some(partition)) if format!("{topic}-{partition}") != key)
}

fn records(mode: Mode, event: &Value) -> Vec<Rec> {
    let Some(object) = event.as_object() else { return Vec::new() };
    let raw: Vec<&Value> = match (object.get("Records"), object.get("records")) {
        // Both: a contradiction the runtime refuses (no batch).
        (Some(_), Some(_)) => Vec::new(),
        (Some(Value::Array(items)), None) => items.iter().collect(),
        (Some(_), None) => Vec::new(),
        (None, Some(Value::Object(partitions))) => {
            let in_place = partitions.iter().all(|(key, partition)| {
                partition
                    .as_array()
                    .is_some_and(|records| records.iter().all(|record| !elsewhere(key, record)))
            });
            if in_place {
                partitions.values().flat_map(|p| p.as_array().into_iter().flatten()).collect()
            } else {
                Vec::new()
            }
        }
        (None, _) => Vec::new(),
    };
    raw.into_iter()
        .filter_map(|record| {
            let record = record.as_object()?;
            match mode {
                Mode::Sqs(_) => {
                    let id = record.get("messageId")?.as_str().filter(|id| !id.is_empty())?;
                    let group = record
                        .get("attributes")
                        .and_then(|a| a.get("MessageGroupId"))
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    Some(Rec { id: id.to_owned(), group, position: None })
                }
                Mode::Kinesis | Mode::DynamoDb => {
                    let (outer, field) = if mode == Mode::Kinesis {
                        ("kinesis", "sequenceNumber")
                    } else {
                        ("dynamodb", "SequenceNumber")
                    };
                    let id =
                        record.get(outer)?.as_object()?.get(field)?.as_str().filter(|n| is_decimal(n))?;
                    Some(Rec { id: id.to_owned(), group: None, position: None })
                }
                Mode::Kafka => {
                    let topic = record.get("topic")?.as_str().filter(|t| !t.is_empty())?;
                    let partition = record.get("partition")?.as_i64().filter(|p| *p >= 0)?;
                    let offset = record.get("offset")?.as_i64().filter(|o| *o >= 0)?;
                    let key = format!("{topic}-{partition}");
                    Some(Rec { id: format!("{key}@{offset}"), group: None, position: Some((key, offset)) })
                }
            }
        })
        .collect()
}

/// `None` for a complete failure; otherwise the identifiers listed and what
/// Lambda retries, in batch order, each once.
fn verdict(mode: Mode, batch: &[Rec], response: &str) -> Option<(HashSet<String>, Vec<String>)> {
    let response: Value = serde_json::from_str(response).ok()?;
    let entries = match &response {
        Value::Null => return Some((HashSet::new(), Vec::new())),
        Value::Object(object) => match object.get("batchItemFailures") {
            None | Some(Value::Null) => return Some((HashSet::new(), Vec::new())),
            Some(Value::Array(entries)) => entries,
            Some(_) => return None,
        },
        _ => return None,
    };
    let known: HashSet<&str> = batch.iter().map(|r| r.id.as_str()).collect();
    let mut listed = HashSet::new();
    for entry in entries {
        let entry = entry.as_object()?;
        if entry.keys().any(|k| k != "itemIdentifier") {
            return None;
        }
        let id = match (mode, entry.get("itemIdentifier")?) {
            (_, Value::Null) => return None,
            (Mode::Kafka, Value::Object(position)) => {
                if position.len() != 2 {
                    return None;
                }
                let partition = position.get("partition")?.as_str().filter(|p| !p.is_empty())?;
                let offset = position.get("offset")?.as_i64().filter(|o| *o >= 0)?;
                format!("{partition}@{offset}")
            }
            (Mode::Kafka, _) => return None,
            (_, Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return None,
        };
        if !known.contains(id.as_str()) {
            return None;
        }
        listed.insert(id);
    }
    let mut retried: Vec<String> = Vec::new();
    let mut push = |id: &str| {
        if !retried.iter().any(|r| r == id) {
            retried.push(id.to_owned());
        }
    };
    if listed.is_empty() {
        return Some((listed, retried));
    }
    match mode {
        Mode::Sqs(_) => batch.iter().filter(|r| listed.contains(&r.id)).for_each(|r| push(&r.id)),
        Mode::Kinesis | Mode::DynamoDb => {
            let lowest = listed.iter().min_by(|a, b| cmp_decimal(a, b))?;
            batch.iter().filter(|r| cmp_decimal(&r.id, lowest).is_ge()).for_each(|r| push(&r.id));
        }
        Mode::Kafka => {
            let mut lowest: HashMap<&str, i64> = HashMap::new();
            for record in batch.iter().filter(|r| listed.contains(&r.id)) {
                let (partition, offset) = record.position.as_ref()?;
                let entry = lowest.entry(partition.as_str()).or_insert(*offset);
                *entry = (*entry).min(*offset);
            }
            for record in batch {
                let (partition, offset) = record.position.as_ref()?;
                if lowest.get(partition.as_str()).is_some_and(|from| offset >= from) {
                    push(&record.id);
                }
            }
        }
    }
    Some((listed, retried))
}

/// The FIFO suffix rule: once a record is retried, every later record (of
/// the batch, or of its message group; records without a group form one
/// group) is retried too.
fn suffix_rule(rule: FifoRule, batch: &[Rec], listed: &HashSet<String>) -> bool {
    let suffix = |members: &mut dyn Iterator<Item = &Rec>| {
        let mut retrying = false;
        for record in members {
            let retried = listed.contains(&record.id);
            if retrying && !retried {
                return false;
            }
            retrying |= retried;
        }
        true
    };
    match rule {
        FifoRule::BatchSuffix => suffix(&mut batch.iter()),
        FifoRule::GroupSuffix => {
            let groups: HashSet<Option<&str>> = batch.iter().map(|r| r.group.as_deref()).collect();
            groups.into_iter().all(|group| suffix(&mut batch.iter().filter(|r| r.group.as_deref() == group)))
        }
        _ => true,
    }
}
