//! The Kinesis and DynamoDB Streams invariants.

use std::collections::{HashMap, HashSet};

use proptest::test_runner::TestCaseError;

use crate::sim::check::common::{Delivered, REPORT_OR_PARK, effects_once, fail, stuck_on_time};
use crate::sim::cursor::logs::StreamRecordEnd;
use crate::sim::stream::config::StreamKind;
use crate::sim::stream::report::StreamReport;

/// Streams: no batch is retried for ever because the handler runs out of
/// time (see [`progress`](crate::sim::check::progress) for SQS): a record
/// not checkpointed must not have been delivered at least twice, every
/// time in an invocation that ran past the function timeout.
///
/// # Errors
/// The first such record.
pub fn stream_progress(report: &StreamReport) -> Result<(), TestCaseError> {
    for record in report.records.iter().filter(|record| !matches!(record.end, StreamRecordEnd::Processed(_)))
    {
        stuck_on_time("record", &record.sequence_number, record.deliveries, record.out_of_time)?;
    }
    Ok(())
}

/// Every stream record ended (processed, discarded or expired) and the
/// metrics add up.
pub fn stream_nothing_lost(report: &StreamReport) -> Result<(), TestCaseError> {
    let (mut discarded, mut expired) = (0u64, 0u64);
    for record in &report.records {
        match record.end {
            StreamRecordEnd::Processed(_) => {}
            StreamRecordEnd::Discarded(_) => discarded += 1,
            StreamRecordEnd::Expired(_) => expired += 1,
            StreamRecordEnd::Pending => {
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
        let processed = matches!(record.end, StreamRecordEnd::Processed(_));
        if processed && !record.parked && !handled.contains(&*record.sequence_number) {
            return fail(format!(
                "record {} (key {}) was checkpointed but never handled successfully: {REPORT_OR_PARK}",
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
    let items = report.records.iter().map(|record| Delivered {
        id: record.sequence_number.to_string(),
        acknowledged: matches!(record.end, StreamRecordEnd::Processed(_)),
        deliveries: record.deliveries,
        why: String::new(),
        replayed: record.replayed,
        guarded: record.replayed > 0,
    });
    effects_once("record", items, effects)
}
