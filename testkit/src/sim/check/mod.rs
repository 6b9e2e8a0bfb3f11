//! End-to-end invariants of a simulated run (SQS, streams, Kafka,
//! asynchronous invocation), each returning
//! `Result<(), TestCaseError>` so proptest shrinks the schedule.

use std::collections::{HashMap, HashSet};

use lambda_batch::SourceKind;
use proptest::test_runner::TestCaseError;

use crate::sim::async_invoke::report::{AsyncEventEnd, AsyncReport};
use crate::sim::cursor::logs::RecordEnd;
use crate::sim::function::payload::split_kafka_item_identifier;
use crate::sim::kafka::report::KafkaReport;
use crate::sim::sqs::report::{MessageEnd, SqsReport};
use crate::sim::stream::config::StreamKind;
use crate::sim::stream::report::StreamReport;

fn fail(message: String) -> Result<(), TestCaseError> {
    Err(TestCaseError::fail(message))
}

/// Every message ended (deleted, moved to the DLQ, expired, or dropped as
/// a FIFO duplicate) and the metrics add up.
pub fn nothing_lost(report: &SqsReport) -> Result<(), TestCaseError> {
    let mut counts = [0u64; 4];
    for message in &report.messages {
        match message.end {
            MessageEnd::Deleted(_) => counts[0] += 1,
            MessageEnd::MovedToDlq(_) => counts[1] += 1,
            MessageEnd::Expired(_) => counts[2] += 1,
            MessageEnd::Deduplicated(_) => counts[3] += 1,
            MessageEnd::InQueue => {
                return fail(format!(
                    "message {} is still in the queue after {} receives",
                    message.id, message.receive_count
                ));
            }
        }
    }
    let metrics = &report.metrics;
    if counts[0] != metrics.messages_deleted
        || counts[1] != metrics.dlq_messages_visible
        || counts[2] != metrics.expired
    {
        return fail(format!(
            "counts do not add up: {} deleted / {} in the DLQ / {} expired, metrics say {} / {} / {}",
            counts[0],
            counts[1],
            counts[2],
            metrics.messages_deleted,
            metrics.dlq_messages_visible,
            metrics.expired
        ));
    }
    if counts.iter().sum::<u64>() != report.messages.len() as u64 {
        return fail("a message is counted twice".to_owned());
    }
    Ok(())
}

/// [`nothing_lost`], and every deleted message was handled successfully
/// at least once, by the function's own account (`handled`): a message
/// deleted without that was acknowledged but never processed.
pub fn nothing_lost_or_unhandled(report: &SqsReport, handled: &HashSet<String>) -> Result<(), TestCaseError> {
    nothing_lost(report)?;
    for message in &report.messages {
        if matches!(message.end, MessageEnd::Deleted(_)) && !handled.contains(&*message.id) {
            return fail(format!("message {} was deleted but never handled successfully", message.id));
        }
    }
    Ok(())
}

/// FIFO order: within each group, no message ends (deleted, DLQ, expired)
/// before a message sent ahead of it in the same group.
pub fn fifo_order(report: &SqsReport) -> Result<(), TestCaseError> {
    let mut last_end: HashMap<&str, (u64, &str)> = HashMap::new();
    let mut order: Vec<usize> = (0..report.messages.len()).collect();
    order.sort_by_key(|&i| (report.messages[i].sent_at, i));
    for message in order.iter().map(|&i| &report.messages[i]) {
        let (Some(group), Some(end)) = (message.group.as_deref(), end_time(message.end)) else { continue };
        if let Some(&(before, before_id)) = last_end.get(group)
            && end < before
        {
            return fail(format!(
                "group {group}: {} ended at {end} ms, before {before_id} (sent ahead of it) ended at {before} ms",
                message.id
            ));
        }
        last_end.insert(group, (end, &message.id));
    }
    Ok(())
}

fn end_time(end: MessageEnd) -> Option<u64> {
    match end {
        MessageEnd::Deleted(t) | MessageEnd::MovedToDlq(t) | MessageEnd::Expired(t) => Some(t),
        MessageEnd::Deduplicated(_) | MessageEnd::InQueue => None,
    }
}

/// Per key, the first successful handling of each item comes in the order
/// the items were sent. `sent` is `(key, id)` in send order; `handled` is
/// `(key, id)` in the order the function handled them successfully (the
/// function's own log, repeats allowed).
pub fn first_handlings_in_order(
    sent: &[(String, String)],
    handled: &[(String, String)],
) -> Result<(), TestCaseError> {
    let position: HashMap<(&str, &str), usize> =
        sent.iter().enumerate().map(|(i, (key, id))| ((key.as_str(), id.as_str()), i)).collect();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut last: HashMap<&str, (usize, &str)> = HashMap::new();
    for (key, id) in handled {
        let item = (key.as_str(), id.as_str());
        if !seen.insert(item) {
            continue;
        }
        let Some(&at) = position.get(&item) else {
            return fail(format!("{id} (key {key}) was handled but never sent"));
        };
        if let Some(&(before, before_id)) = last.get(key.as_str())
            && at < before
        {
            return fail(format!(
                "key {key}: {id} was first handled after {before_id}, which was sent after it"
            ));
        }
        last.insert(key, (at, id));
    }
    Ok(())
}

/// Every stream record ended (processed, discarded or expired) and the
/// metrics add up.
pub fn stream_nothing_lost(report: &StreamReport) -> Result<(), TestCaseError> {
    let (mut discarded, mut expired) = (0u64, 0u64);
    for record in &report.records {
        match record.end {
            RecordEnd::Processed(_) => {}
            RecordEnd::Discarded(_) => discarded += 1,
            RecordEnd::Expired(_) => expired += 1,
            RecordEnd::Pending => {
                return fail(format!(
                    "record {} (key {}) is still pending after {} deliveries",
                    record.sequence_number, record.key, record.deliveries
                ));
            }
        }
    }
    let metrics = &report.metrics;
    if discarded != metrics.records_discarded || expired != metrics.expired {
        return fail(format!(
            "counts do not add up: {discarded} discarded / {expired} expired, metrics say {} / {}",
            metrics.records_discarded, metrics.expired
        ));
    }
    let in_destination: u64 =
        report.on_failure.iter().map(|r| batch_info(r)["batchSize"].as_u64().unwrap_or(0)).sum();
    if !report.on_failure.is_empty() && in_destination != discarded {
        return fail(format!(
            "{discarded} records discarded but the on-failure records cover {in_destination}"
        ));
    }
    Ok(())
}

/// [`stream_nothing_lost`], and every processed record was handled
/// successfully at least once by the function's own account (`handled`:
/// sequence numbers): the checkpoint never moves past a record the
/// function did not handle.
pub fn stream_nothing_lost_or_unhandled(
    report: &StreamReport,
    handled: &HashSet<String>,
) -> Result<(), TestCaseError> {
    stream_nothing_lost(report)?;
    for record in &report.records {
        if matches!(record.end, RecordEnd::Processed(_)) && !handled.contains(&*record.sequence_number) {
            return fail(format!(
                "record {} (key {}) was checkpointed but never handled successfully",
                record.sequence_number, record.key
            ));
        }
    }
    Ok(())
}

/// The batch information of a stream on-failure record, whichever stream
/// wrote it.
fn batch_info(record: &serde_json::Value) -> &serde_json::Value {
    StreamKind::ALL
        .iter()
        .map(|kind| &record[kind.batch_info_key()])
        .find(|info| !info.is_null())
        .unwrap_or(&serde_json::Value::Null)
}

/// Every Kafka record ended (processed, discarded or expired), the metrics
/// add up, and with an on-failure destination the destination holds
/// exactly the discarded records, each once (read from the records it
/// received, with `SourceKind::Kafka`'s reader).
pub fn kafka_nothing_lost(report: &KafkaReport) -> Result<(), TestCaseError> {
    let mut discarded: HashSet<String> = HashSet::new();
    let mut expired = 0u64;
    for record in &report.records {
        match record.end {
            RecordEnd::Processed(_) => {}
            RecordEnd::Discarded(_) => {
                discarded.insert(record.item_identifier());
            }
            RecordEnd::Expired(_) => expired += 1,
            RecordEnd::Pending => {
                return fail(format!(
                    "{} record {} is still pending after {} deliveries",
                    SourceKind::Kafka,
                    record.item_identifier(),
                    record.deliveries
                ));
            }
        }
    }
    let metrics = &report.metrics;
    if discarded.len() as u64 != metrics.records_discarded || expired != metrics.expired {
        return fail(format!(
            "counts do not add up: {} discarded / {expired} expired, metrics say {} / {}",
            discarded.len(),
            metrics.records_discarded,
            metrics.expired
        ));
    }
    if !report.on_failure_destination {
        return if report.on_failure.is_empty() {
            Ok(())
        } else {
            fail("on-failure records without an on-failure destination".to_owned())
        };
    }
    let mut in_destination: HashSet<String> = HashSet::new();
    for record in &report.on_failure {
        let event = lambda_batch::BatchEvent::from(&record["payload"]);
        let identities = SourceKind::Kafka
            .identify_event(&event)
            .map_err(|error| TestCaseError::fail(format!("an on-failure record's records: {error}")))?;
        for identity in identities {
            if !in_destination.insert(identity.item_identifier.clone()) {
                return fail(format!("{} is in the on-failure destination twice", identity.item_identifier));
            }
        }
    }
    if let Some(id) = discarded.iter().find(|id| !in_destination.contains(*id)) {
        return fail(format!("{id} was discarded but is not in the on-failure destination"));
    }
    if let Some(id) = in_destination.iter().find(|id| !discarded.contains(*id)) {
        return fail(format!("{id} is in the on-failure destination but was not discarded"));
    }
    Ok(())
}

/// [`kafka_nothing_lost`], and every committed record was handled
/// successfully the last time the function handled it, by the function's
/// own account (`handlings`: `(<topic>-<partition>@<offset>, succeeded)` in
/// the order they happened): Lambda never commits past a record whose last
/// handling failed.
pub fn kafka_nothing_lost_or_unhandled(
    report: &KafkaReport,
    handlings: &[(String, bool)],
) -> Result<(), TestCaseError> {
    kafka_nothing_lost(report)?;
    let last: HashMap<&str, bool> = handlings.iter().map(|(id, ok)| (id.as_str(), *ok)).collect();
    for record in &report.records {
        let id = record.item_identifier();
        match (record.end, last.get(id.as_str())) {
            (RecordEnd::Processed(_), None) => {
                return fail(format!("{} record {id} was committed but never handled", SourceKind::Kafka));
            }
            (RecordEnd::Processed(_), Some(false)) => {
                return fail(format!(
                    "{} record {id} was committed but its last handling failed ({} deliveries)",
                    SourceKind::Kafka,
                    record.deliveries
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Per partition, the first successful handling of each record comes in
/// offset order ([`first_handlings_in_order`] with the partitions as keys).
/// `handlings` as for [`kafka_nothing_lost_or_unhandled`].
pub fn kafka_first_handlings_in_order(
    report: &KafkaReport,
    handlings: &[(String, bool)],
) -> Result<(), TestCaseError> {
    let mut sent: Vec<(String, String, u64)> =
        report.records.iter().map(|r| (r.partition_key(), r.item_identifier(), r.offset)).collect();
    sent.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
    let sent: Vec<(String, String)> = sent.into_iter().map(|(partition, id, _)| (partition, id)).collect();
    let handled: Vec<(String, String)> = handlings
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(id, _)| {
            let partition = split_kafka_item_identifier(id).map_or("", |(partition, _)| partition);
            (partition.to_owned(), id.clone())
        })
        .collect();
    first_handlings_in_order(&sent, &handled)
}

/// Asynchronous invocation: every event ended, the DLQ / destinations hold
/// exactly the failed ones, and per request id the function's effects
/// (`effects`: request id -> times the effect happened) happened at most
/// once, and exactly once for every event that succeeded.
pub fn effects_exactly_once(
    report: &AsyncReport,
    effects: &HashMap<String, u32>,
) -> Result<(), TestCaseError> {
    let mut failed = 0;
    for event in &report.events {
        let done = effects.get(&*event.request_id).copied().unwrap_or(0);
        if done > 1 {
            return fail(format!(
                "request {}: the effect happened {done} times ({} invocations)",
                event.request_id, event.invocations
            ));
        }
        match &event.end {
            AsyncEventEnd::Succeeded(_) if done != 1 => {
                return fail(format!(
                    "request {} succeeded but its effect happened {done} times",
                    event.request_id
                ));
            }
            AsyncEventEnd::Succeeded(_) => {}
            AsyncEventEnd::Failed { .. } => failed += 1,
            AsyncEventEnd::Pending => return fail(format!("request {} never ended", event.request_id)),
        }
    }
    if report.metrics.async_events_dropped != failed {
        return fail(format!(
            "{failed} events failed but AsyncEventsDropped is {}",
            report.metrics.async_events_dropped
        ));
    }
    Ok(())
}

/// The core of the `*_effects_exactly_once` checks: `items` are
/// `(id, acknowledged, deliveries)`; every effect belongs to an item, none
/// happened twice, and every acknowledged item's happened.
fn effects_once<'a>(
    what: &str,
    items: impl IntoIterator<Item = (String, bool, u32)>,
    effects: &'a HashMap<String, u32>,
) -> Result<(), TestCaseError> {
    let mut known: HashSet<&'a str> = HashSet::new();
    for (id, acknowledged, deliveries) in items {
        let done = effects.get(&id).copied().unwrap_or(0);
        if let Some((key, _)) = effects.get_key_value(&id) {
            known.insert(key);
        }
        if done > 1 {
            return fail(format!(
                "{what} {id}: its effect happened {done} times ({deliveries} deliveries): make the handler \
                 idempotent, e.g. remember the identifiers it has handled and skip them"
            ));
        }
        if acknowledged && done == 0 {
            return fail(format!(
                "{what} {id} was acknowledged ({deliveries} deliveries) but its effect never happened"
            ));
        }
    }
    match effects.keys().find(|id| !known.contains(id.as_str())) {
        Some(id) => fail(format!("an effect was recorded for {id}, which is no {what} of the run")),
        None => Ok(()),
    }
}

/// SQS (standard and FIFO): per message (`effects`: `messageId` -> times
/// the function's effect happened for it), the effect happened at most
/// once, and exactly once for every message deleted. Redelivery (a
/// function error or timeout after some records were done, a lost delete,
/// a batch retried) makes a handler that is not idempotent fail it.
///
/// # Errors
/// The message whose effect happened twice, or never although deleted.
pub fn message_effects_exactly_once(
    report: &SqsReport,
    effects: &HashMap<String, u32>,
) -> Result<(), TestCaseError> {
    let items = report.messages.iter().map(|message| {
        (message.id.to_string(), matches!(message.end, MessageEnd::Deleted(_)), message.receive_count)
    });
    effects_once("message", items, effects)
}

/// Kinesis and DynamoDB Streams: per record (`effects`: sequence number ->
/// times the effect happened), at most once, and exactly once for every
/// record the checkpoint moved past. Retries from a checkpoint and
/// bisection redeliver records a handler already did.
///
/// # Errors
/// The record whose effect happened twice, or never although processed.
pub fn stream_effects_exactly_once(
    report: &StreamReport,
    effects: &HashMap<String, u32>,
) -> Result<(), TestCaseError> {
    let items = report.records.iter().map(|record| {
        (record.sequence_number.to_string(), matches!(record.end, RecordEnd::Processed(_)), record.deliveries)
    });
    effects_once("record", items, effects)
}

/// Kafka: per record (`effects`: `<topic>-<partition>@<offset>` -> times
/// the effect happened), at most once, and exactly once for every record
/// committed.
///
/// # Errors
/// The record whose effect happened twice, or never although committed.
pub fn kafka_effects_exactly_once(
    report: &KafkaReport,
    effects: &HashMap<String, u32>,
) -> Result<(), TestCaseError> {
    let items = report.records.iter().map(|record| {
        (record.item_identifier(), matches!(record.end, RecordEnd::Processed(_)), record.deliveries)
    });
    effects_once("record", items, effects)
}
