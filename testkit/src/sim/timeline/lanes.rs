//! The lanes of the timeline, read from an SQS run's trace: each
//! message's attempts (and why each failed), its invisible spells, and the
//! waits behind its FIFO group.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::sim::core::clock::Millis;
use crate::sim::core::trace::TraceEvent;
use crate::sim::sqs::report::{SqsMessageEnd, SqsReport};

pub(super) struct Attempt {
    pub(super) from: Millis,
    pub(super) to: Millis,
    pub(super) ok: bool,
    pub(super) invocation: u64,
    /// When Lambda would stop the invocation (its start + the function timeout).
    pub(super) deadline: Option<Millis>,
    /// FIFO: not handled at all, held back behind an earlier failed
    /// message of its group in the same batch.
    pub(super) held_back: bool,
    /// Which receive of the message this was (1 for the first).
    pub(super) receive: u32,
    /// Why it failed, from the trace (empty when it succeeded).
    pub(super) why: String,
    /// The engine replayed it: handled in an earlier delivery, not run again.
    pub(super) replayed: bool,
}

#[derive(Default)]
pub(super) struct Lane {
    pub(super) attempts: Vec<Attempt>,
    pub(super) invisible: Vec<(Millis, Millis)>,
    pub(super) first_received: Option<Millis>,
    pub(super) last_response: Option<Millis>,
}

/// What the trace says about the invocations of a run, by number.
#[derive(Default)]
struct Invocations {
    /// The messages each received, and when (by number, so the page is
    /// the same for the same run).
    received: BTreeMap<u64, Vec<(Arc<str>, Millis)>>,
    ended: HashMap<u64, Millis>,
    /// When each would be stopped: its start + the function timeout.
    deadlines: HashMap<u64, Millis>,
    deleted: HashMap<(Arc<str>, u64), Millis>,
    /// Why its messages were not deleted, from its response.
    why: HashMap<u64, String>,
    throttled: HashSet<u64>,
    partial: HashSet<u64>,
    /// Messages the engine replayed, by invocation.
    replayed: HashSet<(Arc<str>, u64)>,
    /// Why idempotency did not run a message, by invocation.
    not_run: HashMap<(Arc<str>, u64), Arc<str>>,
}

/// Each message's lane, by message id.
pub(super) fn lanes(report: &SqsReport) -> HashMap<Arc<str>, Lane> {
    let mut lanes: HashMap<Arc<str>, Lane> = HashMap::new();
    let invocations = read_trace(report, &mut lanes);
    add_attempts(report, invocations, &mut lanes);
    lanes
}

/// Reads the trace: the invocations, and each lane's first receive and
/// invisible spells.
fn read_trace(report: &SqsReport, lanes: &mut HashMap<Arc<str>, Lane>) -> Invocations {
    let mut seen = Invocations::default();
    for entry in report.trace.entries() {
        match &entry.event {
            TraceEvent::Received { id, invocation, .. } => {
                seen.received.entry(*invocation).or_default().push((Arc::clone(id), entry.t));
                lanes.entry(Arc::clone(id)).or_default().first_received.get_or_insert(entry.t);
            }
            TraceEvent::Invoked { invocation, timeout, .. } => {
                seen.deadlines.insert(*invocation, entry.t + timeout);
            }
            TraceEvent::Throttled { invocation } => {
                seen.throttled.insert(*invocation);
            }
            TraceEvent::Response { invocation, outcome, error, .. } => {
                if *outcome == "partial_success" {
                    seen.partial.insert(*invocation);
                }
                seen.why.insert(*invocation, failure_reason(outcome, error.as_deref()));
                seen.ended.insert(*invocation, entry.t);
                for (id, _) in seen.received.get(invocation).into_iter().flatten() {
                    lanes.entry(Arc::clone(id)).or_default().last_response = Some(entry.t);
                }
            }
            TraceEvent::Deleted { id, invocation } => {
                seen.deleted.insert((Arc::clone(id), *invocation), entry.t);
            }
            TraceEvent::Replayed { id, invocation } => {
                seen.replayed.insert((Arc::clone(id), *invocation));
            }
            TraceEvent::NotRun { id, invocation, why } => {
                seen.not_run.insert((Arc::clone(id), *invocation), Arc::clone(why));
            }
            TraceEvent::VisibleAgain { id, .. } => {
                let lane = lanes.entry(Arc::clone(id)).or_default();
                if let Some(from) = lane.last_response.take() {
                    lane.invisible.push((from, entry.t));
                }
            }
            _ => {}
        }
    }
    seen
}

/// Adds every invocation's attempt to the lanes of the messages it
/// received, with why it failed.
fn add_attempts(report: &SqsReport, seen: Invocations, lanes: &mut HashMap<Arc<str>, Lane>) {
    let groups: HashMap<Arc<str>, Option<Arc<str>>> =
        report.messages.iter().map(|m| (Arc::clone(&m.id), m.group.clone())).collect();
    for (invocation, messages) in seen.received {
        // A throttled batch given up has no response: its attempt ends
        // where the messages come back.
        let to = seen.ended.get(&invocation).copied();
        let reason = match seen.why.get(&invocation) {
            Some(reason) => reason.clone(),
            None if seen.throttled.contains(&invocation) => {
                "throttled: the function did not run; the message comes back when its visibility timeout ends"
                    .to_owned()
            }
            None => "the invocation did not end before the run stopped".to_owned(),
        };
        // FIFO: a message listed after an earlier failed message of its
        // group was not handled at all (either FIFO policy stops the group).
        let mut failed_groups: HashMap<Arc<str>, Arc<str>> = HashMap::new();
        let partial = seen.why.get(&invocation).is_some_and(|_| seen.partial.contains(&invocation));
        for (id, from) in messages {
            let key = (Arc::clone(&id), invocation);
            let ok = seen.deleted.contains_key(&key);
            let mut held_back = false;
            let group = if report.fifo && partial { groups.get(&id).cloned().flatten() } else { None };
            // Its own reason: idempotency did not run it, or the invocation's.
            let own = match seen.not_run.get(&key) {
                Some(why) => format!("not run: idempotency did not run it in this delivery: {why}"),
                None => reason.clone(),
            };
            let why = match (ok, group) {
                (true, _) => String::new(),
                (false, Some(group)) => match failed_groups.get(&group) {
                    Some(first) => {
                        held_back = true;
                        format!(
                            "held back, not handled: {first}, earlier in the batch and in its group {group}, failed \
                             (FIFO order)"
                        )
                    }
                    None => {
                        failed_groups.insert(group, Arc::clone(&id));
                        own
                    }
                },
                (false, None) => own,
            };
            let replayed = seen.replayed.contains(&key);
            let lane = lanes.entry(id).or_default();
            let deadline = seen.deadlines.get(&invocation).copied();
            let receive = u32::try_from(lane.attempts.len() + 1).unwrap_or(u32::MAX);
            let to = to.unwrap_or(from);
            let attempt = Attempt { from, to, ok, invocation, deadline, held_back, receive, why, replayed };
            lane.attempts.push(attempt);
        }
    }
}

/// Why the messages of an invocation that ended with `outcome` were not
/// deleted, in words (the trace knows the outcome and, for a function
/// error or timeout, the error type; a record's own error, panic, poison
/// verdict or running out of time is in the function's log).
fn failure_reason(outcome: &str, error: Option<&str>) -> String {
    let error = error.unwrap_or("");
    match outcome {
        "timeout" => format!("the invocation timed out ({error}): the whole batch comes back"),
        "out_of_time" => format!(
            "the handler ran past the function timeout and was stopped there ({error}): the whole batch comes \
             back, the effects of what ran kept; a deadline guard stops earlier and reports what it did not do"
        ),
        "function_error" => match error {
            "Runtime.ExitError" => {
                "the function crashed (Runtime.ExitError): the whole batch comes back".to_owned()
            }
            "LambdaBatch.AllRecordsFailed" => {
                "every record of the batch failed (LambdaBatch.AllRecordsFailed: \
                 each one's error, panic or out of time is in the function's log)"
                    .to_owned()
            }
            "LambdaBatch.InvalidEvent" => {
                "the handler could not read the event (LambdaBatch.InvalidEvent): the whole batch comes back"
                    .to_owned()
            }
            "" => "function error: the whole batch comes back".to_owned(),
            other => format!("function error {other}: the whole batch comes back"),
        },
        "partial_success" => "listed in batchItemFailures: the handler reported this record failed \
             (its error, panic or running out of time; the reason is in the function's log)"
            .to_owned(),
        "complete_failure" => "the response listed every record, or Lambda rejected it \
             (e.g. an unknown or empty itemIdentifier): the whole batch comes back"
            .to_owned(),
        // A success outcome whose message was not deleted (a lost delete).
        _ if error.is_empty() => format!("{outcome}, but the message was not deleted"),
        _ => format!("{outcome} ({error})"),
    }
}

/// FIFO messages that waited while an earlier message of their group was
/// unfinished: id -> the earlier message holding the group.
pub(super) fn blocked_waits(report: &SqsReport) -> HashMap<Arc<str>, Arc<str>> {
    let mut blocked = HashMap::new();
    if !report.fifo {
        return blocked;
    }
    let mut open: HashMap<&str, Vec<(&Arc<str>, Millis)>> = HashMap::new();
    for message in &report.messages {
        let Some(group) = message.group.as_deref() else { continue };
        let earlier = open.entry(group).or_default();
        let end = match message.end {
            SqsMessageEnd::Deleted(t)
            | SqsMessageEnd::MovedToDlq(t)
            | SqsMessageEnd::Expired(t)
            | SqsMessageEnd::Deduplicated(t) => t,
            SqsMessageEnd::InQueue => Millis::MAX,
        };
        if let Some((holder, _)) = earlier.iter().find(|(_, ended)| *ended > message.sent_at)
            && message.receive_count > 0
        {
            blocked.insert(Arc::clone(&message.id), Arc::clone(holder));
        }
        earlier.push((&message.id, end));
    }
    blocked
}
