//! Invariant checks over a [`RunOutcome`], returning `Result<(), TestCaseError>`
//! so proptest shrinks the failing input.
//!
//! [`check`] runs every check that applies to the batch's source and the
//! handler's [`Rules`]; the single checks are public too.

use std::collections::HashSet;

use lambda_batch::fault::Call;
use lambda_batch::sqs::{FifoPolicy, QueueKind, SqsConfig};
use lambda_batch::stream::{StreamConfig, StreamPolicy};
use lambda_batch::validate::{
    BatchView, FifoRule, check_kafka_response, check_sqs_against, check_stream_response,
};
use lambda_batch::{AllFailedPolicy, RecordStatus, compare_sequence_numbers};
use proptest::test_runner::TestCaseError;

use crate::faults::TestFault;
use crate::harness::RunOutcome;
use crate::strategy::SourceKind;

/// What the handler promises: its source's policy and settings.
#[derive(Debug, Clone, Copy)]
pub enum Rules {
    /// An SQS handler with this config (`handler::CONFIG` for a
    /// `#[batch_handler]`).
    Sqs(SqsConfig),
    /// A Kinesis or DynamoDB Streams handler with this config.
    Stream(StreamConfig),
}

impl From<SqsConfig> for Rules {
    fn from(config: SqsConfig) -> Self {
        Rules::Sqs(config)
    }
}

impl From<StreamConfig> for Rules {
    fn from(config: StreamConfig) -> Self {
        Rules::Stream(config)
    }
}

fn fail(message: String) -> Result<(), TestCaseError> {
    Err(TestCaseError::fail(message))
}

/// Runs every invariant that applies.
///
/// # Errors
/// The first invariant broken, with what broke it.
pub fn check(run: &RunOutcome, rules: impl Into<Rules>) -> Result<(), TestCaseError> {
    let rules = rules.into();
    accepted_by_lambda(run, rules)?;
    nothing_reported_twice(run)?;
    failures_in_record_order(run)?;
    reported_iff_not_handled(run, rules)?;
    calls_keep_order(run, rules)?;
    Ok(())
}

/// Each record's identifier as the engine reads it (empty for a record
/// that cannot be named).
fn ids(run: &RunOutcome) -> Vec<String> {
    run.batch
        .identities()
        .into_iter()
        .map(|identity| identity.map(|i| i.item_identifier).unwrap_or_default())
        .collect()
}

/// Each record's ordering key as the engine reads it.
fn ordering_keys(run: &RunOutcome) -> Vec<Option<String>> {
    run.batch.identities().into_iter().map(|identity| identity.and_then(|i| i.ordering_key)).collect()
}

/// Whether reporting `reported` makes Lambda retry the record `id`: listed
/// (SQS), at or after the lowest listed sequence number (streams), at or
/// after the lowest listed offset of its partition (Kafka).
fn retried_by(source: SourceKind, reported: &[String], id: &str) -> bool {
    match source {
        SourceKind::Kinesis | SourceKind::DynamoDb => {
            reported.iter().any(|r| compare_sequence_numbers(r, id).is_le())
        }
        SourceKind::Kafka => {
            let position = |id: &str| {
                let (partition, offset) = id.rsplit_once('@')?;
                Some((partition.to_owned(), offset.parse::<i64>().ok()?))
            };
            let Some((partition, offset)) = position(id) else { return false };
            reported.iter().filter_map(|r| position(r)).any(|(p, o)| p == partition && o <= offset)
        }
        _ => reported.iter().any(|r| r == id),
    }
}

fn is_fifo(run: &RunOutcome, rules: Rules) -> Option<FifoPolicy> {
    match rules {
        Rules::Sqs(config)
            if run.batch.source == SourceKind::SqsFifo || config.queue_kind() == QueueKind::Fifo =>
        {
            Some(config.fifo_policy_kind())
        }
        _ => None,
    }
}

/// The response is one Lambda accepts (see the repository's
/// `docs/aws-rules.md`, sections "SQS: what a partial batch response may
/// contain" and "Streams: what a partial batch response may contain"),
/// keeps the FIFO suffix rule (the failed message and every later one are
/// reported, or the same per message group), and no invocation error other
/// than an all-records-failed one the handler's policy allows.
///
/// # Errors
/// The validator's first error finding, or the unexpected invocation error.
pub fn accepted_by_lambda(run: &RunOutcome, rules: Rules) -> Result<(), TestCaseError> {
    let response = match &run.response {
        Ok(response) => response,
        Err(error) if error.error_type == "LambdaBatch.AllRecordsFailed" => return Ok(()),
        Err(error) => return fail(format!("invocation failed: {} {}", error.error_type, error.message)),
    };
    let batch = BatchView::read(run.batch.source, &run.batch.to_event());
    let findings = match run.batch.source {
        SourceKind::Kinesis | SourceKind::DynamoDb => check_stream_response(&batch, response),
        SourceKind::Kafka => check_kafka_response(&batch, response),
        _ => {
            let rule = match is_fifo(run, rules) {
                None => FifoRule::None,
                Some(FifoPolicy::SkipFailedGroup) => FifoRule::GroupSuffix,
                Some(_) => FifoRule::BatchSuffix,
            };
            check_sqs_against(&batch, response, rule)
        }
    };
    match findings.findings().iter().find(|f| f.severity == lambda_batch::validate::Severity::Error) {
        Some(finding) => fail(format!("Lambda would not take this response: {finding}; response {response}")),
        None => Ok(()),
    }
}

/// No identifier is listed twice.
///
/// # Errors
/// The repeated identifier.
pub fn nothing_reported_twice(run: &RunOutcome) -> Result<(), TestCaseError> {
    let mut seen = HashSet::new();
    match run.reported().into_iter().find(|id| !seen.insert(id.clone())) {
        Some(id) => fail(format!("{id} is reported twice")),
        None => Ok(()),
    }
}

/// Failures are listed in record order (for Kafka, within each partition:
/// the order of partitions in a response means nothing, and
/// `aws_lambda_events`' Kafka event keeps them in a hash map).
///
/// # Errors
/// The first pair out of order.
pub fn failures_in_record_order(run: &RunOutcome) -> Result<(), TestCaseError> {
    let ids = ids(run);
    let keys = ordering_keys(run);
    let positions: Vec<usize> =
        run.reported().iter().filter_map(|id| ids.iter().position(|i| i == id)).collect();
    let comparable = |a: usize, b: usize| run.batch.source != SourceKind::Kafka || keys[a] == keys[b];
    for (n, &later) in positions.iter().enumerate() {
        if let Some(&earlier) =
            positions[..n].iter().find(|&&earlier| comparable(earlier, later) && earlier >= later)
        {
            return fail(format!("record {} is listed before record {}", ids[earlier], ids[later]));
        }
    }
    Ok(())
}

fn handled(calls: &[Call], index: usize) -> bool {
    calls.iter().any(|call| {
        call.index == index
            && matches!(call.status, Some(RecordStatus::Succeeded | RecordStatus::Poison { .. }))
    })
}

/// A record is reported for retry iff it was not handled successfully
/// (SQS and streams `Continue`); streams `Checkpoint` report exactly the
/// lowest sequence number not handled. An all-failed error only when every
/// record was called and failed and the policy raises. For a hand-written
/// handler (no calls observed) every record given a bad payload must be
/// retried.
///
/// # Errors
/// The record reported or left out wrongly.
pub fn reported_iff_not_handled(run: &RunOutcome, rules: Rules) -> Result<(), TestCaseError> {
    let ids = ids(run);
    if !run.observed() {
        return faulted_records_retried(run, &ids);
    }
    let not_handled: Vec<usize> = (0..ids.len()).filter(|&i| !handled(&run.calls, i)).collect();
    let all_failed_policy = match rules {
        Rules::Sqs(config) => config.all_failed_policy(),
        Rules::Stream(config) => config.all_failed_policy(),
    };
    if let Err(error) = &run.response {
        let every_call_failed = ids.len() == run.calls.len()
            && run.calls.iter().all(|call| matches!(call.status, Some(RecordStatus::Failed(_))));
        return if error.error_type == "LambdaBatch.AllRecordsFailed"
            && every_call_failed
            && all_failed_policy == AllFailedPolicy::Error
        {
            Ok(())
        } else {
            fail(format!("unexpected invocation error {}: {}", error.error_type, error.message))
        };
    }
    let reported: HashSet<String> = run.reported().into_iter().collect();
    let expected: HashSet<String> = match rules {
        Rules::Stream(config)
            if config.stream_policy() == StreamPolicy::Checkpoint
                && run.batch.source == SourceKind::Kafka =>
        {
            // The lowest offset not handled of each partition.
            let keys = ordering_keys(run);
            let mut lowest: Vec<(Option<String>, i64, String)> = Vec::new();
            for &i in &not_handled {
                let offset =
                    ids[i].rsplit_once('@').and_then(|(_, o)| o.parse::<i64>().ok()).unwrap_or(i64::MAX);
                match lowest.iter_mut().find(|(key, _, _)| *key == keys[i]) {
                    Some(entry) if offset < entry.1 => *entry = (keys[i].clone(), offset, ids[i].clone()),
                    Some(_) => {}
                    None => lowest.push((keys[i].clone(), offset, ids[i].clone())),
                }
            }
            lowest.into_iter().map(|(_, _, id)| id).collect()
        }
        Rules::Stream(config) if config.stream_policy() == StreamPolicy::Checkpoint => not_handled
            .iter()
            .map(|&i| ids[i].clone())
            .min_by(|a, b| compare_sequence_numbers(a, b))
            .into_iter()
            .collect(),
        _ => not_handled.iter().map(|&i| ids[i].clone()).collect(),
    };
    if reported == expected {
        Ok(())
    } else {
        let mut missing: Vec<_> = expected.difference(&reported).collect();
        let mut extra: Vec<_> = reported.difference(&expected).collect();
        missing.sort();
        extra.sort();
        fail(format!("should be reported but are not: {missing:?}; reported but should not be: {extra:?}"))
    }
}

fn faulted_records_retried(run: &RunOutcome, ids: &[String]) -> Result<(), TestCaseError> {
    // Without an engine only the payload faults reach the handler.
    let faulted: Vec<&String> =
        (0..ids.len()).filter(|&i| run.plan.get(i) == Some(TestFault::BadBody)).map(|i| &ids[i]).collect();
    if run.response.is_err() {
        return Ok(());
    }
    let reported = run.reported();
    match faulted.into_iter().find(|id| !retried_by(run.batch.source, &reported, id)) {
        Some(id) => fail(format!("record {id} had a bad payload but would not be retried")),
        None => Ok(()),
    }
}

/// Within a FIFO message group or a stream partition / item key, calls
/// start in batch order and never overlap, and (FIFO, stream checkpoint) no
/// record runs after an earlier record of its key did not succeed; no
/// record is called twice.
///
/// # Errors
/// The two calls that break it.
pub fn calls_keep_order(run: &RunOutcome, rules: Rules) -> Result<(), TestCaseError> {
    let mut seen = HashSet::new();
    if let Some(call) = run.calls.iter().find(|call| !seen.insert(call.index)) {
        return fail(format!("record {} was called twice", call.id));
    }
    let ordered = matches!(rules, Rules::Stream(_)) || is_fifo(run, rules).is_some();
    // Policies under which a failure stops the later records of its key.
    let stops = match rules {
        Rules::Stream(config) => config.stream_policy() == StreamPolicy::Checkpoint,
        Rules::Sqs(_) => is_fifo(run, rules).is_some(),
    };
    if !ordered {
        return Ok(());
    }
    let keys = ordering_keys(run);
    let key = |index: usize| keys.get(index).cloned().flatten();
    for (position, call) in run.calls.iter().enumerate() {
        for earlier in &run.calls[..position] {
            if key(earlier.index) != key(call.index) {
                continue;
            }
            if earlier.index > call.index {
                return fail(format!(
                    "{} started before the earlier record {} of its key",
                    earlier.id, call.id
                ));
            }
            match earlier.ended {
                Some(ended) if ended <= call.started => {}
                _ => {
                    return fail(format!(
                        "{} started while {} of the same key was still running",
                        call.id, earlier.id
                    ));
                }
            }
            if stops && !handled(&run.calls, earlier.index) {
                return fail(format!(
                    "{} ran although the earlier {} of its key did not succeed",
                    call.id, earlier.id
                ));
            }
        }
    }
    Ok(())
}
