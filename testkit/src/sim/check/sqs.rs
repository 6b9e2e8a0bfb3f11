//! The SQS invariants (standard and FIFO queues).

use std::collections::{HashMap, HashSet};

use proptest::test_runner::TestCaseError;

use crate::sim::check::common::{Delivered, REPORT_OR_PARK, WATCH_THE_DEADLINE, effects_once, fail};
use crate::sim::sqs::report::{Redelivery, SqsMessageEnd, SqsMessageFate, SqsReport};

/// Every message ended (deleted, moved to the DLQ, expired, or dropped as
/// a FIFO duplicate) and the metrics add up.
pub fn nothing_lost(report: &SqsReport) -> Result<(), TestCaseError> {
    let mut counts = [0u64; 4];
    for message in &report.messages {
        match message.end {
            SqsMessageEnd::Deleted(_) => counts[0] += 1,
            SqsMessageEnd::MovedToDlq(_) => counts[1] += 1,
            SqsMessageEnd::Expired(_) => counts[2] += 1,
            SqsMessageEnd::Deduplicated(_) => counts[3] += 1,
            SqsMessageEnd::InQueue => {
                let causes = message.redelivery_causes();
                let why = if causes.is_empty() {
                    String::new()
                } else {
                    format!(": it came back because {causes}")
                };
                return fail(format!(
                    "message {} is still in the queue after {} receives{why}",
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
/// at least once, by the function's own account (`handled`), or parked: a
/// message deleted without either was acknowledged but never processed.
/// A message the engine handed to the poison sink
/// ([`SqsMessageFate::parked`](crate::sim::SqsMessageFate::parked)) is
/// acknowledged and parked: it counts as handled.
pub fn nothing_lost_or_unhandled(report: &SqsReport, handled: &HashSet<String>) -> Result<(), TestCaseError> {
    nothing_lost(report)?;
    for message in &report.messages {
        if matches!(message.end, SqsMessageEnd::Deleted(_))
            && !message.parked
            && !handled.contains(&*message.id)
        {
            return fail(format!(
                "message {} was deleted but never handled successfully: {REPORT_OR_PARK}",
                message.id
            ));
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

fn end_time(end: SqsMessageEnd) -> Option<u64> {
    match end {
        SqsMessageEnd::Deleted(t) | SqsMessageEnd::MovedToDlq(t) | SqsMessageEnd::Expired(t) => Some(t),
        SqsMessageEnd::Deduplicated(_) | SqsMessageEnd::InQueue => None,
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
    let items = report.messages.iter().map(|message| Delivered {
        id: message.id.to_string(),
        acknowledged: matches!(message.end, SqsMessageEnd::Deleted(_)),
        deliveries: message.receive_count,
        why: message.redelivery_causes(),
        replayed: message.replayed,
        guarded: message.replayed > 0
            || message.redeliveries.iter().any(|cause| matches!(cause, Redelivery::NotRun { .. })),
    });
    effects_once("message", items, effects)
}

/// No batch is retried for ever because the handler runs out of time: a
/// message that never got deleted, received at least twice, must not have
/// come back every time because its invocation ran past the function
/// timeout (and was stopped there). A handler that ignores the deadline
/// fails this when one batch takes longer than the timeout: every retry
/// of that batch times out again, its earlier records' effects repeated,
/// until the messages reach the DLQ or expire. The fix is a deadline
/// guard: stop starting records shortly before the deadline and report
/// the ones not done as failures (`#[batch_handler]` does this by itself).
///
/// Nor must it have come back every time because idempotency did not run
/// it ([`Redelivery::NotRun`]: the idempotency store unreachable or
/// throttled, its key held by a claim that does not expire): a record
/// never runs without its claim, so it never got a chance.
///
/// Timeouts drawn by [`InvocationFaults::timeout`](crate::sim::InvocationFaults::timeout)
/// do not count: only the handler's own time does.
///
/// # Errors
/// The first message that only ever came back because its invocation ran
/// out of time, or because idempotency never ran it.
pub fn progress(report: &SqsReport) -> Result<(), TestCaseError> {
    let never_through = |message: &&SqsMessageFate, cause: fn(&Redelivery) -> bool| {
        !matches!(message.end, SqsMessageEnd::Deleted(_) | SqsMessageEnd::Deduplicated(_))
            && message.redeliveries.len() >= 2
            && message.redeliveries.iter().all(cause)
    };
    let out_of_time = |cause: &Redelivery| matches!(cause, Redelivery::OutOfTime { .. });
    if let Some(message) = report.messages.iter().find(|message| never_through(message, out_of_time)) {
        return fail(format!(
            "message {} was received {} times and never got through: every invocation it was in ran past the \
             function timeout and was stopped ({}); {WATCH_THE_DEADLINE}",
            message.id,
            message.receive_count,
            message.redelivery_causes()
        ));
    }
    let not_run = |cause: &Redelivery| matches!(cause, Redelivery::NotRun { .. });
    match report.messages.iter().find(|message| never_through(message, not_run)) {
        Some(message) => fail(format!(
            "message {} was received {} times and never ran: idempotency did not run it in any of them ({}); \
             {NEVER_CLAIMED}",
            message.id,
            message.receive_count,
            message.redelivery_causes()
        )),
        None => Ok(()),
    }
}

/// What to do about a message idempotency never let run.
const NEVER_CLAIMED: &str = "a record runs only with its claim, so make the idempotency store reachable \
     (its table, permissions and network) with the capacity for the load, and let a claim left by an invocation \
     that died expire before the message runs out of receives (`Idempotency::with_in_progress_expiry`, the \
     queue's `maxReceiveCount`)";
