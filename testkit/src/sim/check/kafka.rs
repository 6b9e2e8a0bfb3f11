//! The Kafka invariants.

use lambda_batch::Source;
use lambda_batch::kafka::Kafka;
use std::collections::{HashMap, HashSet};

use proptest::test_runner::TestCaseError;

use crate::sim::check::common::{
    Delivered, REPORT_OR_PARK, effects_once, fail, first_handlings_in_order, stuck_on_time,
};
use crate::sim::core::function::payload::split_kafka_item_identifier;
use crate::sim::cursor::logs::StreamRecordEnd;
use crate::sim::kafka::report::KafkaReport;

/// Kafka: no batch is retried for ever because the handler runs out of
/// time (see [`progress`](crate::sim::check::progress) for SQS): a record
/// not committed must not have been delivered at least twice, every time
/// in an invocation that ran past the function timeout.
///
/// # Errors
/// The first such record.
pub fn kafka_progress(report: &KafkaReport) -> Result<(), TestCaseError> {
    for record in report.records.iter().filter(|record| !matches!(record.end, StreamRecordEnd::Processed(_)))
    {
        stuck_on_time("record", &record.item_identifier(), record.deliveries, record.out_of_time)?;
    }
    Ok(())
}

/// Every Kafka record ended (processed, discarded or expired), the metrics
/// add up, and with an on-failure destination the destination holds
/// exactly the discarded records, each once (read from the records it
/// received, with the runtime's Kafka reader).
pub fn kafka_nothing_lost(report: &KafkaReport) -> Result<(), TestCaseError> {
    let mut discarded: HashSet<String> = HashSet::new();
    let mut expired = 0u64;
    for record in &report.records {
        match record.end {
            StreamRecordEnd::Processed(_) => {}
            StreamRecordEnd::Discarded(_) => {
                discarded.insert(record.item_identifier());
            }
            StreamRecordEnd::Expired(_) => expired += 1,
            StreamRecordEnd::Pending => {
                return fail(format!(
                    "{} record {} is still pending after {} deliveries",
                    Kafka::KIND,
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
        let identities = Kafka::KIND
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
        if record.parked {
            continue;
        }
        match (record.end, last.get(id.as_str())) {
            (StreamRecordEnd::Processed(_), None) => {
                return fail(format!(
                    "{} record {id} was committed but never handled: {REPORT_OR_PARK}",
                    Kafka::KIND
                ));
            }
            (StreamRecordEnd::Processed(_), Some(false)) => {
                return fail(format!(
                    "{} record {id} was committed but its last handling failed ({} deliveries)",
                    Kafka::KIND,
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
    let items = report.records.iter().map(|record| Delivered {
        id: record.item_identifier(),
        acknowledged: matches!(record.end, StreamRecordEnd::Processed(_)),
        deliveries: record.deliveries,
        why: String::new(),
        replayed: record.replayed,
        guarded: record.replayed > 0,
    });
    effects_once("record", items, effects)
}
