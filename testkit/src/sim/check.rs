//! End-to-end invariants of a simulated run, each returning
//! `Result<(), TestCaseError>` so proptest shrinks the schedule.

use std::collections::{HashMap, HashSet};

use proptest::test_runner::TestCaseError;

use super::async_invoke::AsyncReport;
use super::fates::{AsyncEventEnd, MessageEnd, RecordEnd};
use super::sqs::SqsReport;
use super::stream::StreamReport;

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
        report.on_failure.iter().map(|r| r[r_info(r)]["batchSize"].as_u64().unwrap_or(0)).sum();
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

fn r_info(record: &serde_json::Value) -> &'static str {
    if record.get("KinesisBatchInfo").is_some() { "KinesisBatchInfo" } else { "DDBStreamBatchInfo" }
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
