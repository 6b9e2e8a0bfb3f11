//! The invariants, each judging a run from its [`Facts`].

use std::collections::{BTreeMap, HashSet};

use lambda_batch::fault::CallSite;
use lambda_batch::validate::{Problem, Severity, Verdict as LambdaVerdict};
use lambda_batch::{AllFailedPolicy, OrderingRule, compare_sequence_numbers};
use serde_json::Value;

use super::facts::{Facts, Why, handled};
use super::hints;
use super::report::Verdict;
use super::rules::Rules;
use crate::harness::{HarnessRun, InvocationError};

/// One invariant.
pub(crate) type Judge = fn(&HarnessRun, &Rules, &Facts) -> Verdict;

fn breaks_order(problem: &Problem) -> bool {
    matches!(problem, Problem::NotSuffix { .. } | Problem::GroupNotSuffix { .. })
}

/// Lambda takes the response, and a FIFO response keeps the order.
pub(crate) fn accepted_by_lambda(run: &HarnessRun, _rules: &Rules, facts: &Facts) -> Verdict {
    let Ok(response) = &run.response else { return Verdict::Held };
    let Some(read) = &facts.lambda_reads else { return Verdict::Held };
    let errors = read.findings().iter().filter(|finding| finding.severity == Severity::Error);
    if *read.verdict() == LambdaVerdict::CompleteFailure
        && !facts.any_unnamed()
        && let Some(finding) = errors.clone().find(|finding| !breaks_order(&finding.problem))
    {
        return Verdict::Broken(format!(
            "Lambda treats this response as a complete failure and retries all {} records: {finding}; \
             response {response}",
            facts.records.len()
        ));
    }
    match errors.clone().find(|finding| breaks_order(&finding.problem)) {
        Some(finding) => Verdict::Broken(format!("{finding}; response {response}")),
        None => Verdict::Held,
    }
}

/// Nothing that must be retried is acknowledged.
pub(crate) fn nothing_acknowledged_unhandled(run: &HarnessRun, rules: &Rules, facts: &Facts) -> Verdict {
    let Ok(response) = &run.response else { return Verdict::Held };
    if facts.lambda_reads.as_ref().is_some_and(|read| *read.verdict() == LambdaVerdict::CompleteFailure) {
        return Verdict::Held;
    }
    let reported = run.reported();
    for (index, record) in facts.records.iter().enumerate() {
        let Some(why) = &record.retry else { continue };
        if facts.retried(run, &reported, index) {
            continue;
        }
        let name = facts.name(index);
        let problem = match why {
            Why::Unnamed => format!(
                "record {index} has no usable identifier (its `{}` is missing or empty), yet the response \
                 acknowledges it, so it would be lost: when a record cannot be named, fail the invocation \
                 (return an error) so that Lambda retries the batch",
                facts.source.identifier_field()
            ),
            Why::BadPayload => format!(
                "record {name}'s payload cannot be decoded (the fault plan corrupted it), yet the response \
                 acknowledges it, so it would be lost: report a record whose payload does not decode, or drop \
                 it as poison on purpose (`RecordOutcome::poison`, so that a poison sink gets it); if your \
                 handler never decodes payloads, use `Rules::accepting_any_payload`"
            ),
            Why::Failed(status) => format!(
                "record {name} {status}, yet the response acknowledges it, so it would be lost: {}",
                hints::REPORT_UNHANDLED
            ),
            Why::NotHandled => format!(
                "record {name} was never handled (its work never ran to the end{}), yet the response \
                 acknowledges it, so it would be lost: {}",
                if facts.observed_by == Some(CallSite::Observe) {
                    ", or was not observed: give `observe` every record's work"
                } else {
                    ""
                },
                hints::REPORT_UNHANDLED
            ),
            Why::Predicted if facts.observed_by.is_some() => format!(
                "record {name} fails (your `failing_when` predicate says so), yet your handler handled it (its \
                 call ended without failing) and the response acknowledges it: make the handler fail such a \
                 record (return an error), or correct the predicate"
            ),
            Why::Predicted => format!(
                "record {name} fails (your `failing_when` predicate says so), yet the response acknowledges it, \
                 so it would be lost: report it in batchItemFailures (or, if your handler does handle it, \
                 correct the predicate)"
            ),
            Why::BehindFailure => format!(
                "record {name} comes after a failed message{}: {}",
                if facts.batch_is_fifo {
                    " of its FIFO batch or group, yet the response acknowledges it, so it would be deleted \
                     before the earlier message and the order breaks"
                } else {
                    " and the rules stop at the first failure, yet the response acknowledges it, although the \
                     rules hold back every record after a failure"
                },
                hints::stop_after_failure(rules, facts)
            ),
            Why::Unstarted => format!(
                "record {name} was not started before the deadline, yet the response acknowledges it, so it \
                 would be lost: {}",
                hints::REPORT_UNHANDLED
            ),
        };
        let hint = if facts.source.is_stream() {
            " (Lambda retries a stream from the lowest sequence number or offset reported)"
        } else {
            ""
        };
        return Verdict::Broken(format!("{problem}{hint}; response {response}"));
    }
    Verdict::Held
}

/// Exactly the failed records are reported; an invocation error only where
/// it is the right answer.
pub(crate) fn exactly_the_failed_reported(run: &HarnessRun, rules: &Rules, facts: &Facts) -> Verdict {
    if run.response.is_err() && facts.any_unnamed() {
        // The right answer to a record that cannot be named.
        return Verdict::Held;
    }
    if !facts.known {
        return Verdict::NotChecked(format!(
            "which records the handler handled is unknown (its per-record work was not observed and the rules \
             have no `failing_when`), so a handler that reports records it handled (Lambda delivers them \
             again) would pass: {}; or say which records your handler fails on its own with \
             `Rules::failing_when(|record| ..)` (`record.json::<T>()` decodes any source's payload)",
            hints::OBSERVE
        ));
    }
    let engine = facts.observed_by == Some(CallSite::Engine);
    let handled: Vec<String> = (0..facts.records.len())
        .filter(|&index| facts.records[index].retry.is_none())
        .map(|index| facts.name(index))
        .collect();
    let response = match &run.response {
        Ok(response) => response,
        Err(error) => return invocation_error_verdict(run, rules, facts, error, engine, &handled),
    };
    if facts.lambda_reads.as_ref().is_some_and(|read| *read.verdict() == LambdaVerdict::CompleteFailure) {
        // A complete failure is judged by `accepted_by_lambda`.
        return Verdict::Held;
    }
    let reported = run.reported();
    let failing: Vec<usize> =
        (0..facts.records.len()).filter(|&i| facts.records[i].retry.is_some()).collect();
    let id = |index: usize| facts.records[index].id.clone().unwrap_or_default();
    if facts.source.is_stream() && !engine {
        let waited = !run.took.is_zero();
        return lowest_retried_is_first_failure(rules, waited, facts, &reported, &failing, response);
    }
    let expected: HashSet<String> = match facts.source.ordering() {
        OrderingRule::KafkaPartition if rules.checkpoint() => {
            // The lowest offset not handled of each partition.
            let mut lowest: BTreeMap<Option<String>, usize> = BTreeMap::new();
            for &index in &failing {
                lowest.entry(facts.records[index].key.clone()).or_insert(index);
            }
            lowest.into_values().map(id).collect()
        }
        OrderingRule::StreamKey if rules.checkpoint() => {
            failing.iter().map(|&i| id(i)).min_by(|a, b| compare_sequence_numbers(a, b)).into_iter().collect()
        }
        _ => failing.iter().map(|&i| id(i)).collect(),
    };
    let reported: HashSet<String> = reported.into_iter().collect();
    let mut missing: Vec<&String> = expected.difference(&reported).collect();
    let mut extra: Vec<&String> = reported.difference(&expected).collect();
    if missing.is_empty() && extra.is_empty() {
        return Verdict::Held;
    }
    missing.sort();
    extra.sort();
    let hint = if extra.is_empty() {
        hints::REPORT_UNHANDLED.to_owned()
    } else {
        hints::over_reported(rules, facts, !run.took.is_zero())
    };
    Verdict::Broken(format!(
        "should be reported but are not: {missing:?}; reported but handled (Lambda would deliver them again): \
         {extra:?}: {hint}; response {response}"
    ))
}

/// [`exactly_the_failed_reported`] when the invocation failed as a whole:
/// held where that is the right answer (a record that cannot be named,
/// every record failing, a planned hang past the deadline in a hand-written
/// handler), broken otherwise, with a hint for the cause.
fn invocation_error_verdict(
    run: &HarnessRun,
    rules: &Rules,
    facts: &Facts,
    error: &InvocationError,
    engine: bool,
    handled: &[String],
) -> Verdict {
    if error.error_type == "LambdaBatch.AllRecordsFailed"
        && rules.all_failed_policy() != AllFailedPolicy::Error
    {
        return Verdict::Broken(format!(
            "the invocation failed ({}) although the all-failed policy is to report every record: when every \
             record failed, return them all in batchItemFailures",
            error.error_type
        ));
    }
    let hung = run
        .calls
        .iter()
        .any(|call| call.ended.is_none() && call.fault == Some(lambda_batch::fault::CallFault::Hang));
    let timed_out = error.error_type == "Sandbox.Timedout" && hung && !engine;
    if facts.any_unnamed() || facts.all_fail() || timed_out {
        return Verdict::Held;
    }
    let fix = match error.error_type.as_str() {
        "Runtime.Panic" => hints::CATCH_PANICS,
        "Sandbox.Timedout" => hints::timed_out(engine),
        _ => hints::REPORT_NOT_FAIL,
    };
    Verdict::Broken(format!(
        "the invocation failed ({}: {}), so Lambda retries all {} records, but {handled:?} were handled and \
         would be processed again: {fix}",
        error.error_type,
        error.message,
        facts.records.len()
    ))
}

/// Streams and Kafka, hand-written: Lambda retries from the lowest reported
/// record (of each partition), so that must be the first failure.
fn lowest_retried_is_first_failure(
    rules: &Rules,
    waited: bool,
    facts: &Facts,
    reported: &[String],
    failing: &[usize],
    response: &Value,
) -> Verdict {
    let key = |index: usize| {
        if facts.source.ordering() == OrderingRule::KafkaPartition {
            facts.records[index].key.clone()
        } else {
            None
        }
    };
    let mut first_failure: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for &index in failing {
        first_failure.entry(key(index)).or_insert(index);
    }
    let mut lowest_reported: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for position in reported.iter().filter_map(|r| facts.position(r)) {
        let lowest = lowest_reported.entry(key(position)).or_insert(position);
        *lowest = (*lowest).min(position);
    }
    for (partition, &from) in &lowest_reported {
        match first_failure.get(partition) {
            // A duplicated identifier names both records: retrying from the
            // first of them is the best a response can do.
            Some(&first) if first <= from || facts.records[first].id == facts.records[from].id => {}
            first => {
                let handled_from = first.map_or_else(
                    || "no record failed".to_owned(),
                    |&first| format!("the first record that failed is {}", facts.name(first)),
                );
                return Verdict::Broken(format!(
                    "the response makes Lambda retry from {}, but {handled_from}: the records in between were \
                     handled and would be processed again: {}; {}; response {response}",
                    facts.name(from),
                    hints::checkpoint(facts),
                    hints::over_reported(rules, facts, waited)
                ));
            }
        }
    }
    Verdict::Held
}

/// Calls keep order.
pub(crate) fn calls_keep_order(run: &HarnessRun, rules: &Rules, facts: &Facts) -> Verdict {
    if run.calls.is_empty() {
        // Nothing ran before an invocation error, or the batch is empty.
        return if facts.records.is_empty() || run.response.is_err() {
            Verdict::Held
        } else {
            Verdict::NotChecked(hints::unobserved_calls(rules, facts))
        };
    }
    if let Some(call) = run.calls.iter().find(|call| call.index >= facts.records.len()) {
        return Verdict::Broken(format!(
            "`observe` was given `{}`, which names no record of this batch: give it the record's {}{}",
            call.id,
            facts.source.identifier_field(),
            if facts.source.ordering() == OrderingRule::KafkaPartition {
                " as `<topic>-<partition>@<offset>`"
            } else {
                ""
            }
        ));
    }
    let mut seen = HashSet::new();
    if let Some(call) = run.calls.iter().find(|call| !seen.insert(call.index)) {
        return Verdict::Broken(format!(
            "record {} was called twice: run each record's work once; to retry a record, report it and let \
             Lambda deliver it again",
            facts.name(call.index)
        ));
    }
    if !rules.ordered(facts.batch_is_fifo) {
        return Verdict::Held;
    }
    let stops = rules.stops_after_failure(facts.batch_is_fifo);
    // A replayed record counts as succeeded: handled in an earlier delivery.
    let succeeded = |index: usize| handled(&run.calls, index);
    let key = |index: usize| &facts.records[index].key;
    for (position, call) in run.calls.iter().enumerate() {
        for earlier in &run.calls[..position] {
            if key(earlier.index) != key(call.index) {
                continue;
            }
            if earlier.index > call.index {
                return Verdict::Broken(format!(
                    "{} started before the earlier record {} of its key: {}",
                    earlier.id,
                    call.id,
                    hints::ONE_AT_A_TIME
                ));
            }
            match earlier.ended {
                Some(ended) if ended <= call.started => {}
                _ => {
                    return Verdict::Broken(format!(
                        "{} started while {} of the same key was still running: {}",
                        call.id,
                        earlier.id,
                        hints::ONE_AT_A_TIME
                    ));
                }
            }
            if stops && !succeeded(earlier.index) {
                return Verdict::Broken(format!(
                    "{} ran although the earlier {} of its key did not succeed: {}",
                    call.id,
                    earlier.id,
                    hints::stop_after_failure(rules, facts)
                ));
            }
        }
    }
    Verdict::Held
}

/// `#[batch_handler]`: no identifier is listed twice.
pub(crate) fn nothing_reported_twice(run: &HarnessRun, _rules: &Rules, facts: &Facts) -> Verdict {
    if facts.observed_by != Some(CallSite::Engine) {
        return Verdict::NotApplicable;
    }
    let mut seen = HashSet::new();
    match run.reported().into_iter().find(|id| !seen.insert(id.clone())) {
        Some(id) => Verdict::Broken(format!("{id} is reported twice: {}", hints::ENGINE_BUG)),
        None => Verdict::Held,
    }
}

/// `#[batch_handler]`: failures are listed in record order (Kafka: within
/// each partition; the order of partitions in a response means nothing).
pub(crate) fn failures_in_record_order(run: &HarnessRun, _rules: &Rules, facts: &Facts) -> Verdict {
    if facts.observed_by != Some(CallSite::Engine) {
        return Verdict::NotApplicable;
    }
    let positions: Vec<usize> = run.reported().iter().filter_map(|id| facts.position(id)).collect();
    let comparable = |a: usize, b: usize| {
        facts.source.ordering() != OrderingRule::KafkaPartition
            || facts.records[a].key == facts.records[b].key
    };
    for (n, &later) in positions.iter().enumerate() {
        if let Some(&earlier) =
            positions[..n].iter().find(|&&earlier| comparable(earlier, later) && earlier >= later)
        {
            return Verdict::Broken(format!(
                "record {} is listed before record {}: {}",
                facts.name(earlier),
                facts.name(later),
                hints::ENGINE_BUG
            ));
        }
    }
    Verdict::Held
}
